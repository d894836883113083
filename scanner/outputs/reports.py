"""Report files: `--output [FORMAT:]PATH`, as many as wanted, each written as the evaluations arrive.

| format | suffix | what | held in memory |
|---|---|---|---|
| jsonl | .jsonl | the evaluation records, one per line | nothing |
| json | .json | one document: `scan`, `evaluations`, then `summary` last | the summary's counters |
| csv | .csv | one row per evaluation, with the check's title, severity and remediation | nothing |
| ocsf | .ocsf.json | a JSON array of OCSF Compliance Finding events | nothing |
| asff | .asff.json | a JSON array of AWS Security Finding Format findings | nothing |
| html | .html | one self-contained page: totals, charts, non-compliant resources | counters (rows spooled to a file) |

Every file is written under a fresh name beside its own (`scanner.outputs.atomic`) and renamed into place when the
scan is done, so a reader never sees half a report; a scan that crashes, or a write that fails, leaves the previous
file as it was.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, Any, Protocol

from scanner.errors import OutputError, UsageError
from scanner.model import Compliance, Evaluation
from scanner.outputs.atomic import AtomicFile
from scanner.outputs.findings import Finding, ScanInfo
from scanner.registry import Check, Severity


class OutputFormat(Enum):
    JSONL = "jsonl"
    JSON = "json"
    CSV = "csv"
    OCSF = "ocsf"
    ASFF = "asff"
    HTML = "html"


# Longest suffix first: "x.ocsf.json" is OCSF, not JSON.
_SUFFIXES = (
    (".ocsf.json", OutputFormat.OCSF),
    (".asff.json", OutputFormat.ASFF),
    (".jsonl", OutputFormat.JSONL),
    (".json", OutputFormat.JSON),
    (".csv", OutputFormat.CSV),
    (".html", OutputFormat.HTML),
    (".htm", OutputFormat.HTML),
)


@dataclass(frozen=True)
class OutputSpec:
    format: OutputFormat
    path: Path

    @classmethod
    def parse(cls, value: str) -> OutputSpec:
        """`FORMAT:PATH`, or a PATH whose suffix names the format (JSON lines for any other suffix)."""
        prefix, colon, rest = value.partition(":")
        if colon and prefix.lower() in {member.value for member in OutputFormat}:
            if not rest:
                raise UsageError(f"--output {value!r}: no path after {prefix}:")
            return cls(OutputFormat(prefix.lower()), Path(rest))
        if not value:
            raise UsageError("--output: empty path")
        lowered = value.lower()
        for suffix, output_format in _SUFFIXES:
            if lowered.endswith(suffix):
                return cls(output_format, Path(value))
        # Any other name gets the evaluation lines, as --output always wrote.
        return cls(OutputFormat.JSONL, Path(value))


class ReportWriter(Protocol):
    def write(self, finding: Finding) -> None: ...

    def close(self, summary: Mapping[str, Any]) -> None:
        """The scan is over: finish the file with `summary` (see `SummaryCounter.document`) and put it in place."""
        ...

    def abandon(self) -> None:
        """The scan failed: drop the partial file (a committed one stays)."""
        ...


class JsonLinesWriter:
    def __init__(self, path: Path) -> None:
        self._file = AtomicFile(path)

    def write(self, finding: Finding) -> None:
        self._file.stream.write(finding.evaluation.to_json_line() + "\n")

    def close(self, summary: Mapping[str, Any]) -> None:
        self._file.commit()

    def abandon(self) -> None:
        self._file.abandon()


class JsonDocumentWriter:
    """`{"scan": ..., "evaluations": [...], "summary": ...}`, the evaluations streamed between the two."""

    def __init__(self, path: Path, scan: ScanInfo) -> None:
        self._file = AtomicFile(path)
        self._first = True
        self._file.stream.write('{"scan": ' + json.dumps(scan_document(scan)) + ',\n"evaluations": [\n')

    def write(self, finding: Finding) -> None:
        separator = "" if self._first else ",\n"
        self._first = False
        self._file.stream.write(separator + json.dumps(finding.record, separators=(",", ":")))

    def close(self, summary: Mapping[str, Any]) -> None:
        self._file.stream.write('\n],\n"summary": ' + json.dumps(summary, indent=1) + "}\n")
        self._file.commit()

    def abandon(self) -> None:
        self._file.abandon()


CSV_COLUMNS = (
    "account_id",
    "region",
    "check",
    "title",
    "severity",
    "resource_type",
    "resource_id",
    "compliance",
    "annotation",
    "suppressed",
    "suppression_reason",
    "ordering_timestamp",
    "remediation",
)


# OWASP's CSV injection list (=, +, -, @, tab, carriage return), line feed, the separators a spreadsheet may split a
# cell on when it guesses the delimiter (`;`, `|`: `;=cmd` becomes a cell `=cmd`), and the full-width signs
# (U+FF1D =, U+FF0B +, U+FF0D -, U+FF20 @, U+FF1B ;, U+FF5C |) that some spreadsheets fold into their ASCII forms.
_FORMULA_TRIGGERS = frozenset("=+-@;|\uff1d\uff0b\uff0d\uff20\uff1b\uff5c")
_CONTROL_STARTS = frozenset("\t\r\n")


def _leading_blank_end(value: str) -> int:
    """Where `value` stops being blank: whitespace (any, U+3000 too) and invisible control or format characters
    (NUL, a byte order mark, zero-width spaces), which a spreadsheet may trim before it reads a formula."""
    for position, character in enumerate(value):
        # Not printable: control and format characters, separators other than the ASCII space, unassigned ones.
        if character.isprintable() and not character.isspace():
            return position
    return len(value)


def _spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet could run as a formula (`=HYPERLINK(...)` in an annotation or a resource id) gets a
    leading apostrophe, as OWASP advises for CSV: one that starts with a formula trigger or a tab, carriage return or
    line feed, or with blanks and then a trigger. Everything else is written as it is."""
    if not isinstance(value, str) or not value or value[0].isalnum():
        return value
    start = _leading_blank_end(value)
    if value[0] in _CONTROL_STARTS or value[start : start + 1] in _FORMULA_TRIGGERS:
        return "'" + value
    return value


class CsvWriter:
    def __init__(self, path: Path) -> None:
        self._file = AtomicFile(path, newline="")
        self._csv = csv.DictWriter(self._file.stream, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        self._csv.writeheader()

    def write(self, finding: Finding) -> None:
        record = dict(finding.record)
        record["suppressed"] = "true" if finding.suppression else "false"
        record["suppression_reason"] = finding.suppression.reason if finding.suppression else ""
        record["annotation"] = record["annotation"] or ""
        self._csv.writerow({key: _spreadsheet_safe(value) for key, value in record.items()})

    def close(self, summary: Mapping[str, Any]) -> None:
        self._file.commit()

    def abandon(self) -> None:
        self._file.abandon()


class JsonArrayWriter:
    """A JSON array of one document per finding (OCSF events, ASFF findings), streamed."""

    def __init__(self, path: Path, convert: Callable[[Finding], Mapping[str, Any]]) -> None:
        self._file = AtomicFile(path)
        self._convert = convert
        self._first = True
        self._file.stream.write("[\n")

    def write(self, finding: Finding) -> None:
        separator = "" if self._first else ",\n"
        self._first = False
        self._file.stream.write(separator + json.dumps(self._convert(finding), separators=(",", ":")))

    def close(self, summary: Mapping[str, Any]) -> None:
        self._file.stream.write("\n]\n")
        self._file.commit()

    def abandon(self) -> None:
        self._file.abandon()


class HtmlWriter:
    """Counts as findings arrive; the non-compliant ones wait in a temporary file until the page is written."""

    def __init__(self, path: Path, scan: ScanInfo) -> None:
        self._file = AtomicFile(path)
        self._scan = scan
        self._rows: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115  (closed in close)

    def write(self, finding: Finding) -> None:
        if finding.non_compliant:
            self._rows.write(json.dumps(finding.record | {"cis": list(finding.check.cis)}) + "\n")

    def close(self, summary: Mapping[str, Any]) -> None:
        from scanner.outputs.html import write_html

        self._rows.seek(0)
        rows = (json.loads(line) for line in self._rows)
        write_html(self._file.stream, scan_document(self._scan), summary, rows)
        self._rows.close()
        self._file.commit()

    def abandon(self) -> None:
        self._rows.close()
        self._file.abandon()


def scan_document(scan: ScanInfo) -> dict[str, Any]:
    return {
        "scan_id": scan.scan_id,
        "started": scan.started.isoformat(timespec="seconds"),
        "tool": "cloudsweep",
        "tool_version": scan.tool_version,
    }


SUPPRESSED = "SUPPRESSED"  # a summary's column for suppressed NON_COMPLIANT results (not in NON_COMPLIANT)


class SummaryCounter:
    """The totals every report shows: by compliance, account, region, check and severity. NON_COMPLIANT counts
    unsuppressed results; SUPPRESSED the suppressed ones."""

    def __init__(self) -> None:
        self.total = 0
        self.by_compliance: Counter[str] = Counter()
        self.by_account: Counter[tuple[str, str]] = Counter()
        self.by_region: Counter[tuple[str, str]] = Counter()
        self.by_check: Counter[tuple[str, str]] = Counter()
        self.non_compliant_by_severity: Counter[str] = Counter()
        self.suppressed = 0
        self.severity_of: dict[str, str] = {}
        self.title_of: dict[str, str] = {}

    def add(self, finding: Finding) -> None:
        evaluation = finding.evaluation
        # A suppressed NON_COMPLIANT counts apart everywhere, as in the terminal's tables and for --fail-on.
        compliance = SUPPRESSED if finding.suppression is not None else evaluation.compliance.value
        self.total += 1
        self.by_compliance[compliance] += 1
        self.by_account[(evaluation.account_id, compliance)] += 1
        self.by_region[(evaluation.region, compliance)] += 1
        self.by_check[(evaluation.check, compliance)] += 1
        self.severity_of[evaluation.check] = finding.check.severity.value
        self.title_of[evaluation.check] = finding.check.title
        if evaluation.compliance is Compliance.NON_COMPLIANT:
            if finding.suppression is not None:
                self.suppressed += 1
            else:
                self.non_compliant_by_severity[finding.check.severity.value] += 1

    def document(self, failures: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
        def nested(counter: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
            table: dict[str, dict[str, int]] = {}
            for (name, compliance), count in sorted(counter.items()):
                table.setdefault(name, {})[compliance] = count
            return table

        return {
            "evaluations": self.total,
            "by_compliance": dict(sorted(self.by_compliance.items())),
            "non_compliant_by_severity": {
                severity.value: self.non_compliant_by_severity[severity.value] for severity in reversed(Severity)
            },
            "suppressed": self.suppressed,
            "by_account": nested(self.by_account),
            "by_region": nested(self.by_region),
            "by_check": {
                check: {"title": self.title_of[check], "severity": self.severity_of[check], **counts}
                for check, counts in nested(self.by_check).items()
            },
            "failures": list(failures),
        }


class ReportsSink:
    """The evaluation sink behind every `--output` report: each evaluation becomes a `Finding` for each writer."""

    def __init__(self, specs: Sequence[OutputSpec], checks: Mapping[str, Check], scan: ScanInfo) -> None:
        self._checks = checks
        self._scan = scan
        self.summary = SummaryCounter()
        self._writers: list[ReportWriter] = []
        try:
            for spec in specs:
                self._writers.append(self._writer(spec))
        except UsageError:
            self.abandon()
            raise

    def _writer(self, spec: OutputSpec) -> ReportWriter:
        if spec.format is OutputFormat.JSONL:
            return JsonLinesWriter(spec.path)
        if spec.format is OutputFormat.JSON:
            return JsonDocumentWriter(spec.path, self._scan)
        if spec.format is OutputFormat.CSV:
            return CsvWriter(spec.path)
        if spec.format is OutputFormat.OCSF:
            from scanner.outputs.ocsf import to_ocsf

            return JsonArrayWriter(spec.path, lambda finding: to_ocsf(finding, self._scan))
        if spec.format is OutputFormat.ASFF:
            from scanner.outputs.asff import to_asff

            return JsonArrayWriter(spec.path, lambda finding: to_asff(finding, self._scan))
        return HtmlWriter(spec.path, self._scan)

    async def put(self, evaluation: Evaluation) -> None:
        finding = Finding(evaluation, self._checks[evaluation.check])
        self.summary.add(finding)
        for writer in self._writers:
            writer.write(finding)

    def close(self, caller_account: str | None = None, failures: Sequence[Mapping[str, Any]] = ()) -> list[OutputError]:
        """Every report finished and put in place; those that could not be written are returned (each keeps its
        previous file), the others are committed regardless."""
        summary = {"caller_account": caller_account} | self.summary.document(failures)
        errors: list[OutputError] = []
        for writer in self._writers:
            try:
                writer.close(summary)
            except OutputError as error:
                errors.append(error)
        return errors

    def abandon(self) -> None:
        for writer in self._writers:
            writer.abandon()
