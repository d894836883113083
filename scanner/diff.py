"""`cloudsweep diff OLD NEW`: what changed between two runs of a periodic scan.

Either file is a scan's output: JSON lines (one evaluation record a line, as `scan --output` writes) or a JSON
document `{"scan": {...}, "summary": {...}, "evaluations": [record, ...]}`. The format is told from the content:
a file whose first object starts with a record key (`account_id`, `check`, ...) is JSON lines, any other object
is a document, which must hold an `evaluations` list. An empty file is a scan with no evaluations.

A record needs `account_id`, `region`, `check`, `resource_type`, `resource_id` (strings) and `compliance`
(COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE); `annotation`, `severity`, `suppression_reason` (strings or null) and
`suppressed` (a boolean) are read when present, anything else is ignored. A record is identified across runs by
(account_id, region, check, resource_type, resource_id); if a file holds a key more than once, its last record
wins, as when a later run's output is appended to an earlier one's.

A *finding* is a NON_COMPLIANT record that is not suppressed (`"suppressed": true`). Each finding of either run
is exactly one of:

- `new`: a finding in NEW that was not a finding in OLD (absent, compliant, not applicable or suppressed there:
  a suppression that lapsed makes its finding new again);
- `unchanged`: a finding in both;
- `resolved`: a finding in OLD whose resource NEW evaluated COMPLIANT or NOT_APPLICABLE;
- `gone`: a finding in OLD whose key NEW did not evaluate at all: the resource was deleted, or the check, account
  or region was not scanned, or could not be read (an incomplete scan: see its summary);
- `suppressed`: NON_COMPLIANT in NEW but suppressed there. These are no findings: they are never new, unchanged,
  resolved or gone, and are listed apart, whether or not OLD had them as findings.

Memory: OLD's findings (key, annotation, severity) are kept in a dict, NEW is streamed and only its NON_COMPLIANT
records and the records of OLD's findings are kept; compliant records pass through. A JSON document is streamed
too, with the standard library alone: its top level is walked by hand and each record decoded on its own
(`json.JSONDecoder.raw_decode`), so a 100k-evaluation document is never one object in memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from scanner.documents import json_kind
from scanner.errors import UsageError
from scanner.model import Compliance
from scanner.text import terminal_safe

KEY_FIELDS = ("account_id", "region", "check", "resource_type", "resource_id")
REQUIRED_FIELDS = (*KEY_FIELDS, "compliance")
_OPTIONAL_STRINGS = ("annotation", "severity", "suppression_reason")
# The keys a JSON lines record may start with; a document starts with anything else ("scan", "evaluations", ...).
_RECORD_KEYS = frozenset((*REQUIRED_FIELDS, *_OPTIONAL_STRINGS, "ordering_timestamp", "suppressed"))
_COMPLIANCE = {compliance.value: compliance for compliance in Compliance}
_CHUNK = 1 << 16
# A decoding error this close to the end of the buffer may only mean the value continues in the next chunk.
_TAIL = 16
_NOT_WHITESPACE = re.compile(r"[^ \t\r\n]")
_DECODER = json.JSONDecoder()


class DiffError(UsageError):
    """An input of `cloudsweep diff` that cannot be read: names the file and the line."""


class Change(Enum):
    NEW = "new"
    RESOLVED = "resolved"
    GONE = "gone"
    UNCHANGED = "unchanged"
    SUPPRESSED = "suppressed"


class FindingKey(NamedTuple):
    """What identifies a finding across runs (a tuple: hashed and compared once per record)."""

    account_id: str
    region: str
    check: str
    resource_type: str
    resource_id: str


@dataclass(frozen=True)
class DiffItem:
    change: Change
    key: FindingKey
    compliance: Compliance | None  # in NEW; None when gone
    annotation: str | None  # in NEW; None when gone
    previous_annotation: str | None  # in OLD, when it was a finding there
    severity: str | None  # NEW's if it says, else OLD's
    suppression_reason: str | None = None  # for SUPPRESSED


@dataclass(frozen=True)
class DiffResult:
    """Each list sorted by key."""

    new: tuple[DiffItem, ...]
    resolved: tuple[DiffItem, ...]
    gone: tuple[DiffItem, ...]
    unchanged: tuple[DiffItem, ...]
    suppressed: tuple[DiffItem, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {change.value: len(self.items(change)) for change in Change}

    def items(self, change: Change) -> tuple[DiffItem, ...]:
        return {
            Change.NEW: self.new,
            Change.RESOLVED: self.resolved,
            Change.GONE: self.gone,
            Change.UNCHANGED: self.unchanged,
            Change.SUPPRESSED: self.suppressed,
        }[change]


@dataclass(frozen=True, slots=True)
class _State:
    """What the diff keeps of one record."""

    compliance: Compliance
    suppressed: bool
    annotation: str | None
    severity: str | None
    suppression_reason: str | None

    @property
    def finding(self) -> bool:
        return self.compliance is Compliance.NON_COMPLIANT and not self.suppressed


def read_findings(path: Path) -> Iterator[dict[str, Any]]:
    """The evaluation records of a scan output (JSON lines or JSON document), each checked, streamed in file order.

    Raises `DiffError` (while iterating) for a file that cannot be read, is not JSON, or holds a bad record.
    """
    try:
        with path.open(encoding="utf-8-sig") as handle:
            stream = _JsonStream(handle, path)
            first = stream.peek()
            if first == "":
                return
            if first != "{":
                raise stream.error(
                    "not a cloudsweep output: expected JSON lines of evaluation records "
                    "or a JSON document with an 'evaluations' list"
                )
            stream.advance()
            first_key: str | None = None
            if stream.peek() == '"':
                first_key, _ = stream.value()
                if first_key in _RECORD_KEYS:
                    handle.seek(0)
                    yield from _json_lines(handle, path)
                    return
            yield from _document(stream, path, first_key)
    except UnicodeDecodeError:
        raise DiffError(f"cannot read {path}: not UTF-8 text") from None
    except OSError as exc:
        raise DiffError(f"cannot read {path}: {exc.strerror or exc}") from None


def diff_findings(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> DiffResult:
    """Compare two runs' records (as `read_findings` yields them: checked). OLD is read first, then NEW."""
    before: dict[FindingKey, _State] = {}
    for record in old:
        key, state = _key(record), _state(record)
        if state.finding:
            before[key] = state
        else:
            before.pop(key, None)
    after: dict[FindingKey, _State] = {}
    for record in new:
        key, state = _key(record), _state(record)
        # A compliant record matters only for OLD's findings, or to overrule an earlier record of the same key.
        if state.compliance is Compliance.NON_COMPLIANT or key in before or key in after:
            after[key] = state

    changes: dict[Change, list[DiffItem]] = {change: [] for change in Change}
    for key, state in after.items():
        previous = before.get(key)
        if state.compliance is Compliance.NON_COMPLIANT:
            if state.suppressed:
                change = Change.SUPPRESSED
            elif previous is not None:
                change = Change.UNCHANGED
            else:
                change = Change.NEW
        elif previous is not None:
            change = Change.RESOLVED
        else:
            continue
        changes[change].append(
            DiffItem(
                change=change,
                key=key,
                compliance=state.compliance,
                annotation=state.annotation,
                previous_annotation=previous.annotation if previous is not None else None,
                severity=state.severity or (previous.severity if previous is not None else None),
                suppression_reason=state.suppression_reason if change is Change.SUPPRESSED else None,
            )
        )
    for key, previous in before.items():
        if key not in after:
            changes[Change.GONE].append(DiffItem(Change.GONE, key, None, None, previous.annotation, previous.severity))
    ordered = {change: tuple(sorted(items, key=lambda item: item.key)) for change, items in changes.items()}
    return DiffResult(
        new=ordered[Change.NEW],
        resolved=ordered[Change.RESOLVED],
        gone=ordered[Change.GONE],
        unchanged=ordered[Change.UNCHANGED],
        suppressed=ordered[Change.SUPPRESSED],
    )


def diff_files(old: Path, new: Path) -> DiffResult:
    return diff_findings(read_findings(old), read_findings(new))


def render_diff_text(result: DiffResult) -> str:
    """Counts on the first line, then one line per new, resolved and gone finding (no trailing newline).
    Unchanged and suppressed findings are only counted: `diff_document` lists them. The records' text (ids,
    annotations) is shown with its control characters escaped (`terminal_safe`): one line per finding, and nothing
    a terminal would run."""
    counts = result.counts
    lines = [", ".join(f"{counts[change.value]} {change.value}" for change in Change)]
    sections = (
        (Change.NEW, "New findings", "+"),
        (Change.RESOLVED, "Resolved", "-"),
        (Change.GONE, "Gone (no longer evaluated)", "-"),
    )
    for change, title, mark in sections:
        items = result.items(change)
        if not items:
            continue
        lines += ["", f"{title} ({len(items)}):"]
        for item in items:
            lines.append(f"  {mark} {terminal_safe(_describe(item))}")
    return "\n".join(lines)


def diff_document(result: DiffResult) -> dict[str, Any]:
    """The diff as JSON: counts, then each change's findings (every item with the same keys)."""
    document: dict[str, Any] = {"counts": result.counts}
    for change in Change:
        document[change.value] = [_item_record(item) for item in result.items(change)]
    return document


def _describe(item: DiffItem) -> str:
    key = item.key
    severity = f"[{item.severity}] " if item.severity else ""
    head = f"{severity}{key.check} {key.account_id} {key.region} {key.resource_type} {key.resource_id}"
    if item.change is Change.NEW:
        return f"{head}: {item.annotation}" if item.annotation else head
    was = f" (was: {item.previous_annotation})" if item.previous_annotation else ""
    if item.change is Change.RESOLVED and item.compliance is not None:
        return f"{head}: now {item.compliance.value}{was}"
    return f"{head}: not evaluated{was}"


def _item_record(item: DiffItem) -> dict[str, Any]:
    return {
        **item.key._asdict(),
        "compliance": item.compliance.value if item.compliance is not None else None,
        "annotation": item.annotation,
        "previous_annotation": item.previous_annotation,
        "severity": item.severity,
        "suppression_reason": item.suppression_reason,
    }


def _key(record: Mapping[str, Any]) -> FindingKey:
    return FindingKey(
        record["account_id"], record["region"], record["check"], record["resource_type"], record["resource_id"]
    )


def _state(record: Mapping[str, Any]) -> _State:
    return _State(
        compliance=_COMPLIANCE[record["compliance"]],
        suppressed=record.get("suppressed") is True,
        annotation=record.get("annotation"),
        severity=record.get("severity"),
        suppression_reason=record.get("suppression_reason"),
    )


def _check_record(record: Any, path: Path, line: int) -> dict[str, Any]:
    where = f"{path} line {line}"
    if not isinstance(record, dict):
        raise DiffError(f"{where}: expected an evaluation record (a JSON object), got {json_kind(record)}")
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        raise DiffError(f"{where}: the record has no {', '.join(repr(name) for name in missing)}")
    for name in REQUIRED_FIELDS:
        if not isinstance(record[name], str):
            raise DiffError(f"{where}: '{name}' is {json_kind(record[name])}, expected a string")
    if record["compliance"] not in _COMPLIANCE:
        raise DiffError(
            f"{where}: 'compliance' is '{record['compliance']}', expected COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE"
        )
    for name in _OPTIONAL_STRINGS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise DiffError(f"{where}: '{name}' is {json_kind(value)}, expected a string or null")
    if "suppressed" in record and not isinstance(record["suppressed"], bool):
        raise DiffError(f"{where}: 'suppressed' is {json_kind(record['suppressed'])}, expected true or false")
    return record


def _json_lines(handle: TextIO, path: Path) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            # Without the newline, an error at the end of the line has the line's column, not the next line's.
            record = json.loads(line.rstrip("\n"))
        except json.JSONDecodeError as exc:
            raise DiffError(f"{path} line {number} column {exc.colno}: not valid JSON: {exc.msg}") from None
        yield _check_record(record, path, number)


def _document(stream: _JsonStream, path: Path, first_key: str | None) -> Iterator[dict[str, Any]]:
    """The records of the document's `evaluations` list; the stream is just past the opening `{` and, when
    `first_key` is given, past that key."""
    found = False
    key = first_key
    if key is None and stream.peek() == "}":
        stream.advance()
    else:
        while True:
            if key is None:
                if stream.peek() != '"':
                    raise stream.error("not valid JSON: Expecting property name enclosed in double quotes")
                key, _ = stream.value()
            if stream.peek() != ":":
                raise stream.error("not valid JSON: Expecting ':' delimiter")
            stream.advance()
            stream.peek()
            if key == "evaluations":
                if found:
                    raise stream.error("the document has 'evaluations' twice")
                found = True
                yield from _evaluations(stream, path)
            else:
                stream.value()
            key = None
            separator = stream.peek()
            if separator not in ",}":
                raise stream.error("not valid JSON: Expecting ',' delimiter")
            stream.advance()
            if separator == "}":
                break
    if stream.peek() != "":
        raise stream.error("not valid JSON: extra data after the document")
    if not found:
        raise DiffError(f"{path}: a JSON document without an 'evaluations' list")


def _evaluations(stream: _JsonStream, path: Path) -> Iterator[dict[str, Any]]:
    if stream.peek() != "[":
        raise stream.error("'evaluations' is not a list")
    stream.advance()
    if stream.peek() == "]":
        stream.advance()
        return
    while True:
        record, line = stream.value()
        yield _check_record(record, path, line)
        separator = stream.peek()
        if separator not in ",]":
            raise stream.error("not valid JSON: Expecting ',' delimiter")
        stream.advance()
        if separator == "]":
            return


class _JsonStream:
    """A JSON text read chunk by chunk: whitespace, single characters and whole values, with line and column
    numbers for messages. Consumed text is dropped from the buffer as chunks are read."""

    def __init__(self, handle: TextIO, path: Path) -> None:
        self._handle = handle
        self._path = path
        self._buffer = ""
        self._pos = 0
        self._eof = False
        # Line and column of buffer position `_mark`, kept up to date incrementally (counting from the start each
        # time would be quadratic).
        self._mark = 0
        self._mark_line = 1
        self._mark_column = 1

    def peek(self) -> str:
        """The next character after whitespace, or "" at the end."""
        while True:
            found = _NOT_WHITESPACE.search(self._buffer, self._pos)
            if found is not None:
                self._pos = found.start()
                return self._buffer[self._pos]
            self._pos = len(self._buffer)
            if not self._fill():
                return ""

    def advance(self) -> None:
        """Past the character `peek` returned (nothing at the end)."""
        self._pos = min(self._pos + 1, len(self._buffer))

    def value(self) -> tuple[Any, int]:
        """The next JSON value and the line it starts on."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                near_end = exc.pos >= len(self._buffer) - _TAIL or exc.msg.startswith("Unterminated string")
                if near_end and self._fill():
                    continue
                raise self.error(f"not valid JSON: {exc.msg}", at=exc.pos) from None
            # A number may go on in the next chunk: a value is whole only once something follows it.
            if end == len(self._buffer) and self._fill():
                continue
            line, _ = self._where(self._pos)
            self._pos = end
            return value, line

    def error(self, message: str, *, at: int | None = None) -> DiffError:
        """A DiffError at buffer position `at` (default: the current position)."""
        line, column = self._where(self._pos if at is None else at)
        return DiffError(f"{self._path} line {line} column {column}: {message}")

    def _where(self, position: int) -> tuple[int, int]:
        newlines = self._buffer.count("\n", self._mark, position)
        if newlines:
            self._mark_line += newlines
            self._mark_column = position - self._buffer.rfind("\n", self._mark, position)
        else:
            self._mark_column += position - self._mark
        self._mark = position
        return self._mark_line, self._mark_column

    def _fill(self) -> bool:
        """Read another chunk (at least as much as is buffered, so a long value costs few retries)."""
        if self._eof:
            return False
        remaining = len(self._buffer) - self._pos
        chunk = self._handle.read(max(_CHUNK, remaining))
        if not chunk:
            # Positions into the buffer (a decoding error's) stay valid: it is left as it is.
            self._eof = True
            return False
        self._where(self._pos)
        self._buffer = self._buffer[self._pos :] + chunk
        self._pos = 0
        self._mark = 0
        return True
