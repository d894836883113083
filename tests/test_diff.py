"""cloudsweep diff: both input formats, each kind of change, suppressed findings, duplicates, every error."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import scanner.diff
from scanner.diff import (
    Change,
    DiffError,
    DiffItem,
    DiffResult,
    FindingKey,
    diff_document,
    diff_files,
    diff_findings,
    read_findings,
    render_diff_text,
)
from scanner.errors import UsageError
from scanner.model import Compliance

NC, OK, NA = "NON_COMPLIANT", "COMPLIANT", "NOT_APPLICABLE"


def record(resource_id: str, compliance: str, annotation: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "account_id": "111122223333",
        "region": "us-east-1",
        "check": "desired-instance-type",
        "resource_type": "AWS::EC2::Instance",
        "resource_id": resource_id,
        "compliance": compliance,
        "annotation": annotation,
        "ordering_timestamp": "2026-11-23T21:57:25.842Z",
        **extra,
    }


def key(resource_id: str) -> FindingKey:
    return FindingKey("111122223333", "us-east-1", "desired-instance-type", "AWS::EC2::Instance", resource_id)


def write_lines(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in records), encoding="utf-8")
    return path


def write_document(path: Path, records: Iterable[dict[str, Any]], *, indent: int | None = 2) -> Path:
    document = {
        "scan": {"scan_id": "3f1c", "started": "2026-11-23T21:57:25.842Z", "regions": ["us-east-1"]},
        "summary": {"evaluations": 4, "by_compliance": {NC: 2, OK: 2}},
        "evaluations": list(records),
    }
    path.write_text(json.dumps(document, indent=indent), encoding="utf-8")
    return path


def ids(items: Iterable[DiffItem]) -> list[str]:
    return [item.key.resource_id for item in items]


OLD = [
    record("i-still", NC, "m5.large"),
    record("i-fixed", NC, "m5.xlarge"),
    record("i-na", NC, "c5.large"),
    record("i-deleted", NC, "t2.micro"),
    record("i-fine", OK, "t3.micro"),
    record("i-was-fine", OK, "t3.micro"),
]
NEW = [
    record("i-fine", OK, "t3.micro"),
    record("i-still", NC, "m5.2xlarge"),
    record("i-fixed", OK, "t3.small"),
    record("i-na", NA, "the instance is terminated"),
    record("i-was-fine", NC, "m6i.large"),
    record("i-brand-new", NC, "p4d.24xlarge"),
]


def check_expected(result: DiffResult) -> None:
    assert ids(result.new) == ["i-brand-new", "i-was-fine"]
    assert ids(result.resolved) == ["i-fixed", "i-na"]
    assert ids(result.gone) == ["i-deleted"]
    assert ids(result.unchanged) == ["i-still"]
    assert result.suppressed == ()
    assert result.counts == {"new": 2, "resolved": 2, "gone": 1, "unchanged": 1, "suppressed": 0}


def test_jsonl_against_jsonl(tmp_path: Path) -> None:
    result = diff_files(write_lines(tmp_path / "old.jsonl", OLD), write_lines(tmp_path / "new.jsonl", NEW))
    check_expected(result)
    assert result.unchanged == (
        DiffItem(Change.UNCHANGED, key("i-still"), Compliance.NON_COMPLIANT, "m5.2xlarge", "m5.large", None),
    )
    assert result.resolved[1] == DiffItem(
        Change.RESOLVED, key("i-na"), Compliance.NOT_APPLICABLE, "the instance is terminated", "c5.large", None
    )
    assert result.gone == (DiffItem(Change.GONE, key("i-deleted"), None, None, "t2.micro", None),)
    assert result.new[0] == DiffItem(
        Change.NEW, key("i-brand-new"), Compliance.NON_COMPLIANT, "p4d.24xlarge", None, None
    )


def test_json_document_against_jsonl_and_back(tmp_path: Path) -> None:
    old_document = write_document(tmp_path / "old.json", OLD)
    new_lines = write_lines(tmp_path / "new.jsonl", NEW)
    check_expected(diff_files(old_document, new_lines))
    reverse = diff_files(new_lines, old_document)
    assert ids(reverse.new) == ["i-deleted", "i-fixed", "i-na"]
    assert ids(reverse.resolved) == ["i-was-fine"]
    assert ids(reverse.gone) == ["i-brand-new"]
    assert ids(reverse.unchanged) == ["i-still"]


def test_a_compact_document_on_one_line_is_a_document(tmp_path: Path) -> None:
    path = write_document(tmp_path / "old.json", OLD, indent=None)
    assert path.read_text().count("\n") == 0
    assert list(read_findings(path)) == OLD


def test_a_document_may_put_evaluations_first_and_other_keys_after(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"evaluations": OLD, "summary": {"x": [1, 2.5, None, True]}, "version": 1}))
    assert list(read_findings(path)) == OLD


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64])
def test_a_document_is_read_right_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(scanner.diff, "_CHUNK", chunk)
    records = [*OLD, record('i-\u00e9\\"\u2603', NC, 'a "quoted"\nline', severity="high", big=12345678901234)]
    assert list(read_findings(write_document(tmp_path / "doc.json", records))) == records
    assert list(read_findings(write_document(tmp_path / "compact.json", records, indent=None))) == records
    assert list(read_findings(write_lines(tmp_path / "lines.jsonl", records))) == records


def test_a_document_is_streamed_record_by_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The first record comes out before the reader gets to the document's broken end.
    monkeypatch.setattr(scanner.diff, "_CHUNK", 64)
    path = tmp_path / "doc.json"
    path.write_text('{"evaluations": [' + json.dumps(OLD[0]) + ",\n" + json.dumps(OLD[1]) + " oops")
    records = read_findings(path)
    assert next(records) == OLD[0]
    assert next(records) == OLD[1]
    with pytest.raises(DiffError) as raised:
        next(records)
    assert (
        str(raised.value)
        == f"{path} line 2 column {len(json.dumps(OLD[1])) + 2}: not valid JSON: Expecting ',' delimiter"
    )


def test_empty_files_are_scans_without_evaluations(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n  \n")
    assert list(read_findings(empty)) == []
    assert list(read_findings(blank)) == []
    result = diff_files(write_lines(tmp_path / "old.jsonl", OLD), empty)
    assert ids(result.gone) == ["i-deleted", "i-fixed", "i-na", "i-still"]
    assert diff_files(empty, blank).counts == {"new": 0, "resolved": 0, "gone": 0, "unchanged": 0, "suppressed": 0}


def test_blank_lines_in_json_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    path.write_text(json.dumps(OLD[0]) + "\n\n" + json.dumps(OLD[1]) + "\n")
    assert list(read_findings(path)) == OLD[:2]


def test_the_key_is_account_region_check_type_and_id() -> None:
    old = [record("i-1", NC)]
    for field, value in [
        ("account_id", "444455556666"),
        ("region", "eu-west-1"),
        ("check", "ec2-exposed-instance"),
        ("resource_type", "AWS::EC2::Volume"),
    ]:
        result = diff_findings(old, [record("i-1", NC, **{field: value})])
        assert (len(result.new), len(result.gone), len(result.unchanged)) == (1, 1, 0), field


def test_suppressed_findings_are_listed_apart() -> None:
    old = [
        record("i-muted-now", NC, "m5"),
        record("i-muted-before", NC, "m5", suppressed=True, suppression_reason="sandbox"),
        record("i-muted-both", NC, "m5", suppressed=True, suppression_reason="sandbox"),
        record("i-muted-then-gone", NC, "m5", suppressed=True, suppression_reason="sandbox"),
        record("i-muted-then-fixed", NC, "m5", suppressed=True, suppression_reason="sandbox"),
    ]
    new = [
        record("i-muted-now", NC, "m5", suppressed=True, suppression_reason="accepted until Q3", severity="low"),
        record("i-muted-before", NC, "m5", suppressed=False),
        record("i-muted-both", NC, "m5", suppressed=True, suppression_reason="sandbox"),
        record("i-muted-then-fixed", OK, "t3", suppressed=False),
        record("i-compliant-marked", OK, "t3", suppressed=True, suppression_reason="sandbox"),
    ]
    result = diff_findings(old, new)
    # A finding suppressed now is neither unchanged nor resolved; one whose suppression lapsed is new again.
    assert ids(result.suppressed) == ["i-muted-both", "i-muted-now"]
    assert ids(result.new) == ["i-muted-before"]
    # Suppressed in OLD: not a finding there, so it can be neither resolved nor gone.
    assert result.resolved == result.gone == result.unchanged == ()
    assert result.suppressed[1] == DiffItem(
        Change.SUPPRESSED, key("i-muted-now"), Compliance.NON_COMPLIANT, "m5", "m5", "low", "accepted until Q3"
    )


def test_severity_comes_from_new_else_old() -> None:
    old = [record("i-1", NC, severity="high"), record("i-2", NC, severity="high"), record("i-3", NC, severity="low")]
    new = [record("i-1", NC), record("i-2", OK, severity="medium")]
    result = diff_findings(old, new)
    assert [item.severity for item in (*result.unchanged, *result.resolved, *result.gone)] == ["high", "medium", "low"]


def test_a_key_seen_twice_in_a_file_takes_its_last_record(tmp_path: Path) -> None:
    old = [
        record("i-fixed-later-in-old", NC, "first"),
        record("i-fixed-later-in-old", OK),
        record("i-broken-later-in-old", OK),
        record("i-broken-later-in-old", NC, "second"),
        record("i-twice", NC, "one"),
        record("i-twice", NC, "two"),
    ]
    new = [
        record("i-fixed-later-in-old", NC, "back"),
        record("i-broken-later-in-old", NC, "still"),
        record("i-broken-later-in-old", OK),
        record("i-twice", OK),
        record("i-twice", NC, "three"),
        record("i-new-then-fixed", NC),
        record("i-new-then-fixed", OK),
        record("i-fine-then-new", OK),
        record("i-fine-then-new", NC, "late"),
    ]
    result = diff_files(write_lines(tmp_path / "old.jsonl", old), write_document(tmp_path / "new.json", new))
    assert ids(result.new) == ["i-fine-then-new", "i-fixed-later-in-old"]
    assert ids(result.resolved) == ["i-broken-later-in-old"]
    assert result.resolved[0].previous_annotation == "second"
    assert result.unchanged == (
        DiffItem(Change.UNCHANGED, key("i-twice"), Compliance.NON_COMPLIANT, "three", "two", None),
    )
    assert result.gone == result.suppressed == ()


def test_render_diff_text() -> None:
    old = [*OLD, record("i-risky", NC, "open to the world", check="ec2-exposed-instance", severity="high")]
    text = render_diff_text(diff_findings(old, NEW))
    assert text == (
        "2 new, 2 resolved, 2 gone, 1 unchanged, 0 suppressed\n"
        "\n"
        "New findings (2):\n"
        "  + desired-instance-type 111122223333 us-east-1 AWS::EC2::Instance i-brand-new: p4d.24xlarge\n"
        "  + desired-instance-type 111122223333 us-east-1 AWS::EC2::Instance i-was-fine: m6i.large\n"
        "\n"
        "Resolved (2):\n"
        "  - desired-instance-type 111122223333 us-east-1 AWS::EC2::Instance i-fixed: now COMPLIANT (was: m5.xlarge)\n"
        "  - desired-instance-type 111122223333 us-east-1 AWS::EC2::Instance i-na: now NOT_APPLICABLE (was: c5.large)\n"
        "\n"
        "Gone (no longer evaluated) (2):\n"
        "  - desired-instance-type 111122223333 us-east-1 AWS::EC2::Instance i-deleted: not evaluated (was: t2.micro)\n"
        "  - [high] ec2-exposed-instance 111122223333 us-east-1 AWS::EC2::Instance i-risky: not evaluated "
        "(was: open to the world)"
    )


def test_render_diff_text_without_changes() -> None:
    assert render_diff_text(diff_findings([record("i-1", NC)], [record("i-1", NC)])) == (
        "0 new, 0 resolved, 0 gone, 1 unchanged, 0 suppressed"
    )


def test_render_diff_text_without_annotations() -> None:
    result = diff_findings([record("i-1", NC), record("i-2", NC)], [record("i-1", OK), record("i-3", NC)])
    assert render_diff_text(result).splitlines()[3:] == [
        "  + desired-instance-type 111122223333 us-east-1 AWS::EC2::Instance i-3",
        "",
        "Resolved (1):",
        "  - desired-instance-type 111122223333 us-east-1 AWS::EC2::Instance i-1: now COMPLIANT",
        "",
        "Gone (no longer evaluated) (1):",
        "  - desired-instance-type 111122223333 us-east-1 AWS::EC2::Instance i-2: not evaluated",
    ]


def test_diff_document() -> None:
    old = [record("i-1", NC, "was bad"), record("i-2", NC, "gone")]
    new = [
        record("i-1", OK, "fine"),
        record("i-3", NC, "bad", severity="high"),
        record("i-4", NC, "muted", suppressed=True, suppression_reason="accepted"),
    ]
    document = diff_document(diff_findings(old, new))
    base = {
        "account_id": "111122223333",
        "region": "us-east-1",
        "check": "desired-instance-type",
        "resource_type": "AWS::EC2::Instance",
    }
    assert document == {
        "counts": {"new": 1, "resolved": 1, "gone": 1, "unchanged": 0, "suppressed": 1},
        "new": [
            {
                **base,
                "resource_id": "i-3",
                "compliance": NC,
                "annotation": "bad",
                "previous_annotation": None,
                "severity": "high",
                "suppression_reason": None,
            }
        ],
        "resolved": [
            {
                **base,
                "resource_id": "i-1",
                "compliance": OK,
                "annotation": "fine",
                "previous_annotation": "was bad",
                "severity": None,
                "suppression_reason": None,
            }
        ],
        "gone": [
            {
                **base,
                "resource_id": "i-2",
                "compliance": None,
                "annotation": None,
                "previous_annotation": "gone",
                "severity": None,
                "suppression_reason": None,
            }
        ],
        "unchanged": [],
        "suppressed": [
            {
                **base,
                "resource_id": "i-4",
                "compliance": NC,
                "annotation": "muted",
                "previous_annotation": None,
                "severity": None,
                "suppression_reason": "accepted",
            }
        ],
    }
    assert json.loads(json.dumps(document)) == document


def test_diff_errors_are_usage_errors() -> None:
    assert issubclass(DiffError, UsageError)


def error_of(path: Path) -> str:
    with pytest.raises(DiffError) as raised:
        list(read_findings(path))
    return str(raised.value)


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    assert error_of(path) == f"cannot read {path}: No such file or directory"
    with pytest.raises(DiffError, match=r"^cannot read .*nope\.jsonl: No such file or directory$"):
        diff_files(write_lines(tmp_path / "old.jsonl", OLD), path)


def test_a_directory(tmp_path: Path) -> None:
    assert error_of(tmp_path) == f"cannot read {tmp_path}: Is a directory"


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(record("caf\xe9", NC), ensure_ascii=False).encode("latin-1") + b"\n")
    assert error_of(path) == f"cannot read {path}: not UTF-8 text"


GOOD = json.dumps(record("i-1", NC))
LINES_ERRORS = [
    (GOOD + "\n{bad json\n", "line 2 column 2: not valid JSON: Expecting property name enclosed in double quotes"),
    (GOOD + "\n" + GOOD[:-1] + "\n", f"line 2 column {len(GOOD)}: not valid JSON: Expecting ',' delimiter"),
    (GOOD + "\n\n[1, 2]\n", "line 3: expected an evaluation record (a JSON object), got a list"),
    (
        GOOD + '\n{"account_id": "1", "check": "c", "resource_id": "i", "annotation": null}\n',
        "line 2: the record has no 'region', 'resource_type', 'compliance'",
    ),
    (json.dumps(record("i-1", NC, region=None)), "line 1: 'region' is null, expected a string"),
    (json.dumps(record("i-1", NC, account_id=111122223333)), "line 1: 'account_id' is a number, expected a string"),
    (
        json.dumps(record("i-1", "FAILED")),
        "line 1: 'compliance' is 'FAILED', expected COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE",
    ),
    (json.dumps(record("i-1", NC, suppressed="yes")), "line 1: 'suppressed' is a string, expected true or false"),
    (
        json.dumps({**record("i-1", NC), "annotation": ["a"]}),
        "line 1: 'annotation' is a list, expected a string or null",
    ),
    (json.dumps(record("i-1", NC, severity=3)), "line 1: 'severity' is a number, expected a string or null"),
]


@pytest.mark.parametrize(("text", "problem"), LINES_ERRORS)
def test_json_lines_errors(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(text, encoding="utf-8")
    assert error_of(path) == f"{path} {problem}"


DOCUMENT_ERRORS = [
    (
        '[{"account_id": "1"}]',
        " line 1 column 1: not a cloudsweep output: expected JSON lines of evaluation records "
        "or a JSON document with an 'evaluations' list",
    ),
    (
        "\n\n  nonsense",
        " line 3 column 3: not a cloudsweep output: expected JSON lines of evaluation records "
        "or a JSON document with an 'evaluations' list",
    ),
    ('{"scan": {}, "summary": {}}', ": a JSON document without an 'evaluations' list"),
    ("{}", ": a JSON document without an 'evaluations' list"),
    ('{\n  "scan": {},\n  "evaluations": {"a": 1}\n}', " line 3 column 18: 'evaluations' is not a list"),
    (
        '{\n  "scan": {},\n  "evaluations": [\n    ' + GOOD + ',\n    {"account_id": "1"}\n  ]\n}',
        " line 5: the record has no 'region', 'check', 'resource_type', 'resource_id', 'compliance'",
    ),
    (
        '{\n  "evaluations": [\n    ' + GOOD + ",\n    7\n  ]\n}",
        " line 4: expected an evaluation record (a JSON object), got a number",
    ),
    ('{\n  "scan": {"id": tru},\n  "evaluations": []\n}', " line 2 column 18: not valid JSON: Expecting value"),
    ('{\n  "scan" {},\n  "evaluations": []\n}', " line 2 column 10: not valid JSON: Expecting ':' delimiter"),
    ('{\n  "scan": {}\n  "evaluations": []\n}', " line 3 column 3: not valid JSON: Expecting ',' delimiter"),
    (
        '{"scan": {}, 7: 1, "evaluations": []}',
        " line 1 column 14: not valid JSON: Expecting property name enclosed in double quotes",
    ),
    (
        '{\n  "evaluations": [\n    ' + GOOD + "\n    " + GOOD + "\n  ]\n}",
        " line 4 column 5: not valid JSON: Expecting ',' delimiter",
    ),
    ('{\n  "evaluations": [\n    ' + GOOD + ",\n  ]\n}", " line 4 column 3: not valid JSON: Expecting value"),
    ('{\n  "evaluations": [\n    ' + GOOD + ",\n", " line 4 column 1: not valid JSON: Expecting value"),
    (
        '{\n  "evaluations": [\n    ' + GOOD[: GOOD.index('"us-east-1"') + 3],
        f" line 3 column {4 + GOOD.index('us-east-1')}: not valid JSON: Unterminated string starting at",
    ),
    ('{"evaluations": []}\n{"evaluations": []}\n', " line 2 column 1: not valid JSON: extra data after the document"),
    (
        '{"evaluations": [],\n "summary": {},\n "evaluations": []}',
        " line 3 column 17: the document has 'evaluations' twice",
    ),
]


@pytest.mark.parametrize("chunk", [1, 65536])
@pytest.mark.parametrize(("text", "problem"), DOCUMENT_ERRORS)
def test_json_document_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, problem: str, chunk: int
) -> None:
    # The same message whether the document is read a character at a time or at once.
    monkeypatch.setattr(scanner.diff, "_CHUNK", chunk)
    path = tmp_path / "run.json"
    path.write_text(text, encoding="utf-8")
    assert error_of(path) == f"{path}{problem}"


def test_diff_names_the_file_at_fault(tmp_path: Path) -> None:
    old = write_lines(tmp_path / "old.jsonl", OLD)
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps(NEW[0]) + "\n" + json.dumps(NEW[1])[:-1] + "\n")
    with pytest.raises(DiffError) as raised:
        diff_files(old, new)
    assert str(raised.value) == (
        f"{new} line 2 column {len(json.dumps(NEW[1]))}: not valid JSON: Expecting ',' delimiter"
    )


@pytest.mark.slow
def test_diffing_100k_evaluations(tmp_path: Path) -> None:
    def run(broken: range, total: int) -> Iterable[dict[str, Any]]:
        for number in range(total):
            yield record(f"i-{number:08x}", NC if number in broken else OK, f"instance {number}")

    old = write_document(tmp_path / "old.json", run(range(0, 60_000, 3), 100_000), indent=1)
    new = write_lines(tmp_path / "new.jsonl", run(range(30_000, 100_000, 3), 90_000))
    result = diff_files(old, new)
    assert result.counts == {
        "new": len(range(60_000, 90_000, 3)),
        "resolved": len(range(0, 30_000, 3)),
        "gone": 0,
        "unchanged": len(range(30_000, 60_000, 3)),
        "suppressed": 0,
    }
