"""`--state FILE`: a scan that can be resumed after it was killed, even with `kill -9`.

The file is JSON lines, appended and fsync'ed as the scan goes:

- first a header: `{"kind": "scan", "fingerprint": ..., "now": ..., "scan_id": ...}`. The fingerprint covers what
  decides the evaluations (checks and their parameters, regions, accounts and how they are chosen, the global
  region); `now` is the scan's start, every evaluation's ordering timestamp;
- then one line per target that finished cleanly: `{"kind": "target", "account_id", "region", "evaluations":
  [records], "sha256": ...}`, written only once the target is done, so a target is in the file whole or not at
  all. A target that failed is not recorded: a resumed scan tries it again.

The file is input like any other, so nothing in it is replayed unverified. Each target line carries a sha256 of
the scan's fingerprint, its id and the line's canonical JSON: an edited or corrupted line, or one copied from
another scan, is refused. That digest is no signature (whoever can write the file can recompute it), so every
line is also checked for what it claims: its records are whole evaluations (every key, valid compliance, the
scan's start as ordering timestamp) of this target and of the scan's checks, no target twice; and, once the
scan's accounts are known (`verify_targets`), each target is an account of this scan in one of its regions (the
asked regions or the global region; with `all`, a region name). Any problem is a `UsageError` naming the file
and the line, before anything is written: the outputs and the state file stay as they were.

Rerun with the same `--state` and the same options: the finished targets' evaluations are replayed into every
output (in the order they were recorded), only the others are scanned, and with the recorded start time, so the
final outputs hold exactly what an uninterrupted run writes. A torn last line (the kill came mid-write) is
ignored. A state file of another scan (another fingerprint) is an error, never silently mixed in. A scan whose
every target finished (exit 0 or 1) ends its file with `{"kind": "complete"}`: the next run with that file is a
new scan, not a replay of the old results. A scan with failures (exit 3) stays resumable: its failed targets are
scanned again.

Memory: one target's evaluation records until it finishes, and a resumed run's replayed evaluations. Not with
`--workers` (one process writes the file).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from scanner.documents import shown
from scanner.errors import UsageError
from scanner.model import Compliance, Evaluation, Suppression, Target
from scanner.outputs.atomic import fresh_partial, open_for_append, put_in_place, read_bytes
from scanner.text import terminal_safe

# 2: target lines carry a sha256 and are verified. A version-1 file cannot be verified, so it is refused.
STATE_VERSION = 2
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_TARGET_KEYS = frozenset({"kind", "account_id", "region", "evaluations", "sha256"})
_RECORD_STRINGS = ("account_id", "region", "check", "resource_type", "resource_id")
_COMPLIANCE = {compliance.value: compliance for compliance in Compliance}


@dataclass(frozen=True)
class FinishedTarget:
    target: Target
    evaluations: tuple[Evaluation, ...]
    line: int  # in the state file, for errors


@dataclass
class ScanState:
    """What an earlier, interrupted run of the same scan finished, and the file the new run appends to."""

    path: Path
    fingerprint: str
    now: datetime
    scan_id: str
    finished: dict[Target, FinishedTarget] = field(default_factory=dict)
    _stream: IO[str] | None = field(default=None, repr=False)
    _pending: dict[Target, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _closed: bool = field(default=False, repr=False)

    @classmethod
    def open(cls, path: Path, fingerprint: str, now: datetime, scan_id: str, checks: Collection[str] = ()) -> ScanState:
        """Resume from `path` when it holds this scan (each line verified, its records of `checks` only), or start
        it there. A resumed file is written to only once `verify_targets` has passed."""
        if path.is_symlink():
            raise UsageError(f"--state {path} is a symbolic link (refused: state is never written through links)")
        state = cls._read(path, fingerprint, frozenset(checks)) if path.exists() and path.stat().st_size else None
        if state is None:
            state = cls(path, fingerprint, now, scan_id)
            state._start()
        return state

    @classmethod
    def _read(cls, path: Path, fingerprint: str, checks: frozenset[str]) -> ScanState | None:
        lines = _whole_lines(path)
        if not lines:
            return None
        header = _json(lines[0], path, 1)
        if header.get("kind") != "scan":
            raise UsageError(f"--state {path}: not a cloudsweep state file (line 1)")
        if header.get("version") != STATE_VERSION:
            raise UsageError(
                f"--state {path}: state file version {_shown(header.get('version'))}, this "
                f"cloudsweep reads version {STATE_VERSION} only (line 1): delete it to start afresh"
            )
        if header.get("fingerprint") != fingerprint:
            raise UsageError(
                f"--state {path} belongs to another scan (other checks, parameters, accounts or regions): "
                "use another file, or delete it to start afresh"
            )
        now, scan_id = _header_start(header, path)
        state = cls(path, fingerprint, now, scan_id)
        reader = _LineReader(path, fingerprint, scan_id, _timestamp_text(now), checks)
        for number, line in enumerate(lines[1:], start=2):
            entry = _json(line, path, number)
            if entry.get("kind") == "complete" and len(entry) == 1:
                if number != len(lines):
                    raise UsageError(f"--state {path}: line {number} marks the scan complete, yet lines follow it")
                # That scan ran to its end: this one is a new run, not a resumption.
                return None
            finished = reader.target(entry, number)
            if finished.target in state.finished:
                raise UsageError(
                    f"--state {path}: line {number} records {_shown(finished.target)} again "
                    f"(line {state.finished[finished.target].line} did)"
                )
            state.finished[finished.target] = finished
        return state

    def verify_targets(self, regions_of: Mapping[str, tuple[str, ...] | None], global_region: str) -> None:
        """Each finished target is one of this scan's accounts (the keys of `regions_of`), in one of its regions
        (its explicit regions or the global region; None for `all`: any region)."""
        for finished in self.finished.values():
            target = finished.target
            if target.account_id not in regions_of:
                raise UsageError(
                    f"--state {self.path}: line {finished.line} records {_shown(target)}, an account this scan "
                    "does not cover: use another file, or delete it to start afresh"
                )
            regions = regions_of[target.account_id]
            # With `all` (None), any region name: the line's region was checked to be one when it was read.
            allowed = regions is None or target.region in regions or target.region == global_region
            if not allowed:
                raise UsageError(
                    f"--state {self.path}: line {finished.line} records {_shown(target)}, a region this scan "
                    "does not cover: use another file, or delete it to start afresh"
                )

    def _start(self) -> None:
        # Made exclusively under a fresh name, then renamed into place: no planted file or link is opened.
        descriptor, partial = fresh_partial(self.path, "--state")
        self._stream = open(descriptor, "w", encoding="utf-8")  # noqa: SIM115  (closed by close())
        failure = put_in_place(partial, self.path)
        if failure is not None:
            self.close()
            raise UsageError(f"cannot write --state {self.path}: {failure.reason}")
        header = {
            "kind": "scan",
            "version": STATE_VERSION,
            "fingerprint": self.fingerprint,
            "now": self.now.isoformat(),
            "scan_id": self.scan_id,
        }
        self._append(header)

    def _reopen(self) -> IO[str]:
        # A resumed file, at its first append: the torn end of an interrupted write goes, so the next line starts
        # clean. Not before: a file that fails verification is left exactly as it was.
        whole = read_bytes(self.path, "--state").rfind(b"\n") + 1
        self._stream = _open_append(self.path)
        os.ftruncate(self._stream.fileno(), whole)
        return self._stream

    def _append(self, document: Mapping[str, Any]) -> None:
        if self._closed:
            raise RuntimeError(f"--state {self.path} is closed")
        stream = self._stream if self._stream is not None else self._reopen()
        stream.write(json.dumps(document, separators=(",", ":")) + "\n")
        stream.flush()
        os.fsync(stream.fileno())

    # --- as the scan goes ----------------------------------------------------------------------------------------

    async def put(self, evaluation: Evaluation) -> None:
        target = Target(evaluation.account_id, evaluation.region)
        self._pending.setdefault(target, []).append(evaluation.to_record())

    def target_done(self, target: Target, ok: bool) -> None:
        """Record a cleanly finished target durably; forget a failed one's evaluations (it is scanned again)."""
        records = self._pending.pop(target, [])
        if ok and target not in self.finished:
            line = {"kind": "target", "account_id": target.account_id, "region": target.region, "evaluations": records}
            self._append({**line, "sha256": line_digest(self.fingerprint, self.scan_id, line)})

    def complete(self) -> None:
        """The scan ended with every target done: a later run with this file starts afresh."""
        self._append({"kind": "complete"})

    def close(self) -> None:
        self._closed = True
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def fingerprint(parts: Sequence[Any]) -> str:
    """A digest of what decides a scan's evaluations (JSON of `parts`, keys sorted)."""
    text = json.dumps(list(parts), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def line_digest(fingerprint: str, scan_id: str, line: Mapping[str, Any]) -> str:
    """The sha256 a target line carries: of the scan (fingerprint, id) and of the line's canonical JSON."""
    body = json.dumps(line, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{fingerprint}\n{scan_id}\n{body}".encode()).hexdigest()


@dataclass(frozen=True)
class _LineReader:
    """Reads a resumed file's target lines, each verified on its own."""

    path: Path
    fingerprint: str
    scan_id: str
    timestamp: str  # every record's ordering_timestamp: the scan's start
    checks: frozenset[str]

    def target(self, entry: Mapping[str, Any], number: int) -> FinishedTarget:
        where = f"--state {self.path}: line {number}"
        if entry.get("kind") != "target":
            raise UsageError(f"{where} is not a target")
        if set(entry) != _TARGET_KEYS:
            missing, extra = sorted(_TARGET_KEYS - set(entry)), sorted(set(entry) - _TARGET_KEYS)
            raise UsageError(f"{where}: a target line {_keys_problem(missing, extra)}")
        body = {key: value for key, value in entry.items() if key != "sha256"}
        if entry["sha256"] != line_digest(self.fingerprint, self.scan_id, body):
            raise UsageError(
                f"{where} does not match its checksum: it was edited, damaged or copied from another scan; "
                "delete the file to start afresh"
            )
        account_id, region, records = entry["account_id"], entry["region"], entry["evaluations"]
        if not isinstance(account_id, str) or not _ACCOUNT_ID.match(account_id):
            raise UsageError(f"{where}: account_id is not a 12-digit account id: {_shown(account_id)}")
        if not isinstance(region, str) or not _REGION_NAME.match(region):
            raise UsageError(f"{where}: region is not a region name: {_shown(region)}")
        if not isinstance(records, list):
            raise UsageError(f"{where}: evaluations is not a list")
        target = Target(account_id, region)
        evaluations = tuple(
            self._evaluation(record, target, f"{where}, evaluation {index}")
            for index, record in enumerate(records, start=1)
        )
        return FinishedTarget(target, evaluations, number)

    def _evaluation(self, record: Any, target: Target, where: str) -> Evaluation:
        if not isinstance(record, dict):
            raise UsageError(f"{where} is not an object")
        missing = [
            key for key in (*_RECORD_STRINGS, "compliance", "annotation", "ordering_timestamp") if key not in record
        ]
        if missing:
            raise UsageError(f"{where}: {_keys_problem(missing, [])}")
        wrong = [key for key in _RECORD_STRINGS if not isinstance(record[key], str) or not record[key]]
        if wrong:
            raise UsageError(f"{where}: not a non-empty string: {', '.join(wrong)}")
        if (record["account_id"], record["region"]) != (target.account_id, target.region):
            raise UsageError(
                f"{where} is of {_shown(Target(record['account_id'], record['region']))}, not of the line's "
                f"{_shown(target)}"
            )
        if record["check"] not in self.checks:
            raise UsageError(f"{where} is of check {_shown(record['check'])}, which this scan does not run")
        compliance = _COMPLIANCE.get(record["compliance"]) if isinstance(record["compliance"], str) else None
        if compliance is None:
            raise UsageError(
                f"{where}: compliance is not one of {', '.join(_COMPLIANCE)}: {_shown(record['compliance'])}"
            )
        if record["annotation"] is not None and not isinstance(record["annotation"], str):
            raise UsageError(f"{where}: annotation is neither a string nor null")
        if record["ordering_timestamp"] != self.timestamp:
            raise UsageError(
                f"{where}: ordering_timestamp {_shown(record['ordering_timestamp'])} is not the scan's start "
                f"({self.timestamp})"
            )
        return Evaluation(
            account_id=target.account_id,
            region=target.region,
            check=record["check"],
            resource_type=record["resource_type"],
            resource_id=record["resource_id"],
            compliance=compliance,
            annotation=record["annotation"],
            ordering_timestamp=datetime.fromisoformat(self.timestamp.replace("Z", "+00:00")),
            suppression=_suppression(record, where),
        )


def _suppression(record: Mapping[str, Any], where: str) -> Suppression | None:
    suppressed = record.get("suppressed", False)
    if suppressed is False and not any(key.startswith("suppression_") for key in record):
        return None
    if suppressed is not True:
        raise UsageError(f"{where}: suppressed is not true, yet the record has a suppression")
    reason, entry, expires = record.get("suppression_reason"), record.get("suppression_entry"), None
    if not isinstance(reason, str) or not isinstance(entry, str):
        raise UsageError(f"{where}: a suppressed record needs suppression_reason and suppression_entry strings")
    if "suppression_expires" in record:
        try:
            expires = date.fromisoformat(record["suppression_expires"])
        except (TypeError, ValueError):
            raise UsageError(
                f"{where}: suppression_expires is not a date: {_shown(record['suppression_expires'])}"
            ) from None
    return Suppression(reason, entry, expires)


def _header_start(header: Mapping[str, Any], path: Path) -> tuple[datetime, str]:
    now, scan_id = header.get("now"), header.get("scan_id")
    try:
        start = datetime.fromisoformat(now) if isinstance(now, str) else None
    except ValueError:
        start = None
    if start is None or start.tzinfo is None or not isinstance(scan_id, str) or not scan_id:
        raise UsageError(f"--state {path}: line 1 needs `now` (an ISO-8601 time with its zone) and `scan_id`")
    return start, scan_id


def _timestamp_text(moment: datetime) -> str:
    """A record's ordering_timestamp for `moment`, as `Evaluation.to_record` writes it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _keys_problem(missing: Iterable[str], extra: Iterable[str]) -> str:
    parts = []
    if missing := list(missing):
        parts.append(f"lacks {', '.join(missing)}")
    if extra := list(extra):
        parts.append(f"has unknown keys {terminal_safe(', '.join(extra))[:200]}")
    return " and ".join(parts)


def _shown(value: Any) -> str:
    if isinstance(value, Target):
        return f"account {terminal_safe(value.account_id)[:40]} region {terminal_safe(value.region)[:40]}"
    return shown(value, 120)


def _whole_lines(path: Path) -> list[str]:
    data = read_bytes(path, "--state")
    whole = data[: data.rfind(b"\n") + 1]
    try:
        return whole.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise UsageError(f"--state {path}: not UTF-8 text") from exc


def _json(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        document = json.loads(line)
    except ValueError as exc:
        raise UsageError(f"--state {path}: line {number} is not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise UsageError(f"--state {path}: line {number} is not a JSON object")
    return document


def _open_append(path: Path) -> IO[str]:
    return open_for_append(path, "--state")
