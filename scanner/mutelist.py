r"""Mutelist: suppressions of known, accepted findings (like Prowler's mutelist, simpler).

A mutelist is a YAML file with one top-level key, `entries`, a list of entries:

```yaml
entries:
  - reason: "Sandbox accounts may run any instance type"   # mandatory, non-empty
    accounts: ["111122223333", "4444*"]    # globs on the account id; default ["*"]
    checks: ["desired-instance-type"]      # globs on the check id; default ["*"]
    regions: ["eu-*"]                      # globs on the region; default ["*"]
  - reason: "Legacy build hosts, replaced in Q3 (TICKET-123)"
    checks: ["ec2-*"]
    resources: ["i-0abc[0-9a-f]+", "sg-0legacy.*"]  # regexes on the resource id; default [".*"]
    tags:                                  # tag key -> regex on its value; every one must match
      env: "dev|test"
      team: "build"
    expires: 2026-12-31                    # optional, YYYY-MM-DD; the entry is active through that day (UTC)
```

An evaluation matches an entry when all of the following hold:

- `accounts`, `checks`, `regions`: one of the globs matches the evaluation's account id, check id or region
  (fnmatch syntax, `*`, `?`, `[...]`, case-sensitive). Global resources (IAM) carry the scan's global region.
- `resources`: one of the regexes matches the *whole* resource id (`re.fullmatch`, not `re.search`): write
  `i-0abc.*` for a prefix. Account-level checks have the account id as resource id.
- `tags`: every listed tag is present on the resource and its value fully matches the regex; a resource without
  the tag never matches. Tag keys are literal. No `tags` means tags are not looked at.

Regexes run on RE2 (google-re2), whose matching takes time linear in the id or tag value, whatever the pattern:
resource ids and tag values are chosen by whoever creates the resource, and a backtracking engine (Python's `re`)
can spend minutes on `([a-z0-9-]+)+\.legacy` against a 29-character bucket name, blocking the scan. A regex must be
valid Python `re` syntax *and* compile in RE2, so it means what it says in Python's documentation, with these
differences: backreferences (`\1`, `(?P=name)`), lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`), atomic groups,
possessive quantifiers, conditionals, `\Z` (not needed: the whole id must match) and comments are refused when the
mutelist loads; `[[:alpha:]]` (a POSIX class in RE2, a set of characters in Python) and `{,n}` (a repeat in Python,
text in RE2) are refused as ambiguous; `\d`, `\w`, `\s` and `\b` match ASCII only (as with Python's `re.ASCII`).

The first matching active entry wins: its reason is the one reported. Lists must not be empty (leave the key out
to match everything), account ids must be quoted (YAML reads an unquoted `012345678901`-style number as a number,
and a leading zero can even make it octal), and every problem, including duplicate keys, is a `MutelistError`
that names the file and the entry (`entries[3].resources[0]`).

An entry whose `expires` date is before today (UTC) is ignored, with a warning (`mutelist entry expired`), and
listed in `Mutelist.expired`: a suppression lapses loudly rather than silently living on.

`Mutelist.match` matches any evaluation, whatever its compliance: the caller decides what a suppression means.
It only matters for NON_COMPLIANT results: a suppressed NON_COMPLIANT finding stays in every output, marked with
its reason, and is what `--fail-on` ignores.

Matching is built for 100k evaluations against many entries: globs and regexes are compiled once, the globs of
one field into a single regex, and which entries apply to an (account, region, check) is worked out once per
distinct triple and cached, so each evaluation only tries its resource id and tags against those entries.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import warnings
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import re2
import structlog
import yaml

from scanner.documents import BoundedLoader, load_yaml, shown_text
from scanner.errors import UsageError
from scanner.model import Evaluation
from scanner.outputs.findings import Suppression

log = structlog.get_logger("cloudsweep.mutelist")

ENTRY_KEYS = ("accounts", "checks", "regions", "resources", "tags", "reason", "expires")
_GLOB_KEYS = ("accounts", "checks", "regions")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Bounds the (account, region, check) cache; a scan rarely comes near it, a long-lived process might.
_SCOPE_CACHE_LIMIT = 100_000


class MutelistError(UsageError):
    """A mutelist that cannot be used: names the file, the entry and what is wrong."""


# Builds the error for a locator ("entries[3].resources[0]") and a problem.
_Fail = Callable[[str, str], MutelistError]


def _re2_options() -> Any:
    options = re2.Options()
    # RE2 would print every refused pattern on standard error; the MutelistError says it once, cut to size.
    options.log_errors = False
    return options


class Regexes:
    """Regexes of which one must match a whole string (a resource id, a tag value), all tried in one pass by an RE2
    set: time linear in the string, whatever the patterns. Compared, hashed, pickled and shown by its patterns (the
    `--state` fingerprint is made of the entries' repr, and `--workers` pickles the mutelist)."""

    __slots__ = ("_set", "patterns")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        matcher = re2.Set.FullMatchSet(_re2_options())
        for pattern in patterns:
            matcher.Add(pattern)
        matcher.Compile()
        self._set = matcher

    def fullmatch(self, text: str) -> bool:
        """Whether one of the patterns matches the whole of `text`."""
        return self._set.Match(text) is not None

    def __repr__(self) -> str:
        return f"Regexes({self.patterns!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Regexes) and other.patterns == self.patterns

    def __hash__(self) -> int:
        return hash(self.patterns)

    def __reduce__(self) -> tuple[type[Regexes], tuple[tuple[str, ...]]]:
        return (Regexes, (self.patterns,))


@dataclass(frozen=True)
class MutelistEntry:
    """One compiled entry. `None` patterns match everything."""

    index: int
    name: str  # for people and reports: "mutelist.yaml entries[2]"
    reason: str
    expires: date | None
    accounts: re.Pattern[str] | None
    checks: re.Pattern[str] | None
    regions: re.Pattern[str] | None
    resources: Regexes | None
    tags: tuple[tuple[str, Regexes], ...]
    suppression: Suppression

    def in_scope(self, account_id: str, region: str, check: str) -> bool:
        """Whether the account, region and check globs match (the part shared by many evaluations)."""
        return (
            (self.accounts is None or self.accounts.match(account_id) is not None)
            and (self.regions is None or self.regions.match(region) is not None)
            and (self.checks is None or self.checks.match(check) is not None)
        )

    def matches_resource(self, resource_id: str, tags: Mapping[str, str]) -> bool:
        if self.resources is not None and not self.resources.fullmatch(resource_id):
            return False
        for key, pattern in self.tags:
            value = tags.get(key)
            if value is None or not pattern.fullmatch(value):
                return False
        return True


@dataclass(frozen=True)
class Mutelist:
    """The active entries of a mutelist, in file order, and the expired ones (ignored)."""

    source: str
    entries: tuple[MutelistEntry, ...]
    expired: tuple[MutelistEntry, ...] = ()
    _scoped: dict[tuple[str, str, str], tuple[MutelistEntry, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def match(self, evaluation: Evaluation, tags: Mapping[str, str]) -> Suppression | None:
        """The suppression of the first active entry that matches the evaluation and its resource's tags."""
        scope = (evaluation.account_id, evaluation.region, evaluation.check)
        candidates = self._scoped.get(scope)
        if candidates is None:
            if len(self._scoped) >= _SCOPE_CACHE_LIMIT:
                self._scoped.clear()
            candidates = tuple(entry for entry in self.entries if entry.in_scope(*scope))
            self._scoped[scope] = candidates
        for entry in candidates:
            if entry.matches_resource(evaluation.resource_id, tags):
                return entry.suppression
        return None


def load_mutelist(path: Path, *, today: date | None = None) -> Mutelist:
    """Read, check and compile a mutelist; entries that expired before `today` (default: today in UTC) are set
    aside with a warning. Raises `MutelistError` for anything wrong with the file."""
    today = today if today is not None else datetime.now(UTC).date()
    document = _read_yaml(path)
    prefix = f"mutelist {path}"
    if document is None:
        raise MutelistError(f"{prefix}: the file is empty (expected a mapping with an 'entries' list)")
    if not isinstance(document, dict):
        raise MutelistError(f"{prefix}: expected a mapping with an 'entries' list, got {_kind(document)}")
    for key in document:
        if key != "entries":
            raise MutelistError(f"{prefix}: unknown top-level key {_quote(key)}{_did_you_mean(key, ('entries',))}")
    if "entries" not in document:
        raise MutelistError(f"{prefix}: no 'entries' key (expected a mapping with an 'entries' list)")
    raw_entries = document["entries"]
    # `entries:` with every entry commented out is an empty mutelist, not a mistake.
    if raw_entries is None:
        raw_entries = []
    if not isinstance(raw_entries, list):
        raise MutelistError(f"{prefix}: entries: expected a list, got {_kind(raw_entries)}")
    active: list[MutelistEntry] = []
    expired: list[MutelistEntry] = []
    for index, raw in enumerate(raw_entries):
        entry = _compile_entry(raw, index, path)
        if entry.expires is not None and entry.expires < today:
            log.warning(
                "mutelist entry expired", entry=entry.name, expired=entry.expires.isoformat(), reason=entry.reason
            )
            expired.append(entry)
        else:
            active.append(entry)
    return Mutelist(source=str(path), entries=tuple(active), expired=tuple(expired))


class _Loader(BoundedLoader):
    """SafeLoader (bounded in depth and alias expansion) that refuses duplicate keys (PyYAML keeps the last silently)
    and reads dates as strings (so that `2026-02-30` is our clear error rather than a ValueError out of the YAML
    constructor)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            # Merge keys (`<<: *anchor`) may legitimately be overridden; only literal keys are compared.
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key '{shown_text(key_node.value)}'", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MutelistError(f"mutelist {path}: cannot read: not UTF-8 text") from None
    except OSError as exc:
        raise MutelistError(f"mutelist {path}: cannot read: {exc.strerror or exc}") from None
    try:
        # _Loader is a SafeLoader: no arbitrary objects.
        return load_yaml(text, _Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise MutelistError(f"mutelist {path}: not valid YAML: {where}{shown_text(exc.problem)}") from None
    except (yaml.YAMLError, ValueError) as exc:
        # Explicit tags with bad values (`!!int x`) fail in the constructor with a bare ValueError.
        raise MutelistError(f"mutelist {path}: not valid YAML: {shown_text(str(exc))}") from None
    except RecursionError:
        raise MutelistError(f"mutelist {path}: not valid YAML: nested too deeply") from None


def _compile_entry(raw: Any, index: int, path: Path) -> MutelistEntry:
    locator = f"entries[{index}]"

    def fail(where: str, problem: str) -> MutelistError:
        return MutelistError(f"mutelist {path}: {where}: {problem}")

    if not isinstance(raw, dict):
        raise fail(locator, f"expected a mapping, got {_kind(raw)}")
    for key in raw:
        if key not in ENTRY_KEYS:
            raise fail(locator, f"unknown key {_quote(key)}{_did_you_mean(key, ENTRY_KEYS)}")

    if "reason" not in raw:
        raise fail(locator, "no reason (every entry needs a non-empty reason)")
    reason = raw["reason"]
    if not isinstance(reason, str):
        raise fail(f"{locator}.reason", f"expected a string, got {_kind(reason)}")
    if not reason.strip():
        raise fail(f"{locator}.reason", "empty (every entry needs a non-empty reason)")

    globs: dict[str, re.Pattern[str] | None] = {}
    for key in _GLOB_KEYS:
        values = _string_list(raw, key, locator, fail, quote_numbers=key == "accounts")
        if values is None or "*" in values:
            globs[key] = None
        else:
            # Once each: YAML aliases can repeat a value many times. Globs are Python regexes, of fnmatch's making
            # (atomic groups around each `*`: no backtracking blow-up).
            globs[key] = re.compile("|".join(fnmatch.translate(value) for value in dict.fromkeys(values)))

    resources: Regexes | None = None
    resource_values = _string_list(raw, "resources", locator, fail, quote_numbers=False)
    if resource_values is not None:
        first_position = {value: position for position, value in reversed(list(enumerate(resource_values)))}
        resources = _regexes(
            {value: f"{locator}.resources[{position}]" for value, position in first_position.items()}, locator, fail
        )

    tags: tuple[tuple[str, Regexes], ...] = ()
    if "tags" in raw:
        raw_tags = raw["tags"]
        if not isinstance(raw_tags, dict):
            raise fail(f"{locator}.tags", f"expected a mapping of tag key to value regex, got {_kind(raw_tags)}")
        if not raw_tags:
            raise fail(f"{locator}.tags", "empty mapping (leave the key out to ignore tags)")
        compiled: list[tuple[str, Regexes]] = []
        for key, value in raw_tags.items():
            if not isinstance(key, str):
                raise fail(f"{locator}.tags", f"tag key {_quote(key)} is {_kind(key)}, expected a string")
            where = f"{locator}.tags['{shown_text(key)}']"
            if not isinstance(value, str):
                raise fail(where, f"expected a string (a regex on the tag's value), got {_kind(value)}")
            compiled.append((key, _regexes({value: where}, locator, fail)))
        tags = tuple(compiled)

    expires: date | None = None
    if "expires" in raw:
        raw_expires = raw["expires"]
        if not isinstance(raw_expires, str):
            raise fail(f"{locator}.expires", f"expected a date YYYY-MM-DD, got {_kind(raw_expires)}")
        try:
            if not _DATE.fullmatch(raw_expires):
                raise ValueError(raw_expires)
            expires = date.fromisoformat(raw_expires)
        except ValueError:
            raise fail(f"{locator}.expires", f"not a date YYYY-MM-DD: '{shown_text(raw_expires)}'") from None

    name = f"{path.name} {locator}"
    return MutelistEntry(
        index=index,
        name=name,
        reason=reason,
        expires=expires,
        accounts=globs["accounts"],
        checks=globs["checks"],
        regions=globs["regions"],
        resources=resources,
        tags=tags,
        suppression=Suppression(reason=reason, entry=name, expires=expires),
    )


def _string_list(
    raw: Mapping[str, Any],
    key: str,
    locator: str,
    fail: _Fail,
    *,
    quote_numbers: bool,
) -> list[str] | None:
    """The entry's list of strings under `key`, or None when the key is absent (match everything)."""
    if key not in raw:
        return None
    values = raw[key]
    kind = "regexes" if key == "resources" else "globs"
    if not isinstance(values, list):
        raise fail(f"{locator}.{key}", f"expected a list of {kind}, got {_kind(values)}")
    if not values:
        raise fail(f"{locator}.{key}", f"empty list (leave the key out to match every {key.removesuffix('s')})")
    for position, value in enumerate(values):
        if not isinstance(value, str):
            hint = (
                ": quote account ids (YAML reads unquoted digits as a number, and a leading 0 as octal)"
                if quote_numbers and isinstance(value, int) and not isinstance(value, bool)
                else ""
            )
            raise fail(f"{locator}.{key}[{position}]", f"expected a string, got {_kind(value)}{hint}")
        if not value:
            raise fail(f"{locator}.{key}[{position}]", "empty string")
    return values


# What RE2 refuses that Python's `re` takes, recognised in RE2's message: (what it is, why RE2 has none of it).
_UNSUPPORTED = (
    ("invalid escape sequence: \\Z", r"\Z (the regex must match the whole id anyway: leave it out)"),
    ("(?P", "backreferences ((?P=name))"),
    ("(?=", "lookaround (lookahead (?=...))"),
    ("(?!", "lookaround (negative lookahead (?!...))"),
    ("(?<=", "lookaround (lookbehind (?<=...))"),
    ("(?<!", "lookaround (negative lookbehind (?<!...))"),
    ("(?>", "atomic groups ((?>...))"),
    ("(?(", "conditionals ((?(1)...|...))"),
    ("(?#", "comments ((?#...))"),
    ("bad repetition operator: *+", "possessive quantifiers (*+, ++, ?+, {n}+)"),
    ("bad repetition operator: ++", "possessive quantifiers (*+, ++, ?+, {n}+)"),
    ("bad repetition operator: ?+", "possessive quantifiers (*+, ++, ?+, {n}+)"),
    ("bad repetition operator: }+", "possessive quantifiers (*+, ++, ?+, {n}+)"),
)
_BACKREFERENCE = re.compile(r"invalid escape sequence: \\[1-9]")
# Read differently by the two engines: refused rather than matched otherwise than Python's documentation says.
_POSIX_CLASS = re.compile(
    r"\[:\^?(?:alnum|alpha|ascii|blank|cntrl|digit|graph|lower|print|punct|space|upper|word|xdigit):\]"
)
_NO_LOWER_BOUND = re.compile(r"(?<!\\)(?:\\\\)*\{,[0-9]*\}")


def _re2_refusal(pattern: str) -> str | None:
    """Why RE2 cannot run `pattern` (already valid for Python's `re`), or None when it can."""
    if _POSIX_CLASS.search(pattern):
        return "[[:class:]] is a POSIX class in RE2 and a set of characters in Python: write the set out, e.g. [a-zA-Z]"
    no_lower_bound = _NO_LOWER_BOUND.search(pattern)
    if no_lower_bound is not None:
        written = no_lower_bound.group().lstrip("\\")
        return f"{written} is a repeat in Python and text in RE2: write {{0,{written[2:]}"
    try:
        re2.compile(pattern, _re2_options())
    except re2.error as exc:
        message = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        engine = "RE2, the engine mutelist regexes run on (linear time, no backtracking)"
        if _BACKREFERENCE.search(message):
            return f"backreferences (\\1 ... \\9): {engine}, has none"
        what = next((what for marker, what in _UNSUPPORTED if marker in message), None)
        if what is not None:
            return f"{what}: {engine}, has none"
        return f"{engine}, cannot compile it: {shown_text(message)}"
    return None


def _regexes(where_by_pattern: Mapping[str, str], locator: str, fail: _Fail) -> Regexes:
    """The patterns (each with its locator) as one RE2 set, once each is valid Python syntax and RE2 takes it."""
    for pattern, where in where_by_pattern.items():
        try:
            with warnings.catch_warnings():
                # "Possible nested set" and the like: about what a future Python may read; RE2 reads them as Python
                # does now, but for POSIX classes, refused below.
                warnings.simplefilter("ignore", FutureWarning)
                re.compile(pattern)
        except re.error as exc:
            raise fail(where, f"invalid regex '{shown_text(pattern)}': {exc}") from None
        refusal = _re2_refusal(pattern)
        if refusal is not None:
            raise fail(where, f"regex '{shown_text(pattern)}' is not supported: {refusal}")
    try:
        return Regexes(tuple(where_by_pattern))
    except re2.error:
        # Each compiled alone; together they exceed RE2's memory budget (8 MiB).
        raise fail(locator, "too many or too large regexes to match together (RE2's memory budget)") from None


def _kind(value: Any) -> str:
    """A value's type in YAML's words, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ('{shown_text(value)}')"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _quote(key: Any) -> str:
    return f"'{shown_text(key)}'"


def _did_you_mean(key: Any, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(shown_text(key), known, n=1)
    expected = ", ".join(known)
    if close:
        return f" (did you mean '{close[0]}'? expected: {expected})"
    return f" (expected: {expected})"
