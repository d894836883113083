"""What reaches a terminal from AWS is data: markup stays literal, control characters and escape sequences are
shown escaped, never sent; piped tables are written whole."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import structlog
from cloudsweep_emulator.faults import FaultKind, FaultRule
from cloudsweep_emulator.server import Emulator
from rich.console import Console

from scanner.logs import configure_logging
from scanner.model import Compliance
from scanner.outputs.summary import account_table, failures_table
from scanner.results import CountingSink, Failure
from scanner.text import terminal_safe
from tests.support import client

# Rich markup, an emoji code, an OSC window title, a clear screen, a C1 CSI, a line break and a bidi override.
HOSTILE = "i-0 [/] [bold]x :skull: \x1b]0;pwned\x07 \x1b[2J \x9b31m a\nb \u202eevil"
SHOWN = "i-0 [/] [bold]x :skull: \\x1b]0;pwned\\x07 \\x1b[2J \\x9b31m a\\nb \\u202eevil"
# Bytes of the data that must never reach a terminal raw (the renderers' own colour codes are allowed).
RAW = ("\x1b]0;pwned", "\x07", "\x1b[2J", "\x9b", "\u202e", "a\nb")
NO_SPACES = "i-0\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil"
AMI = "ami-0123456789abcdef0"


def environment(aws_env: Emulator) -> dict[str, str]:
    """The test's environment for a `cloudsweep` process, without a terminal width: piped, as in CI."""
    env = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    env["AWS_ENDPOINT_URL"] = aws_env.endpoint_url
    return env


def table_rows(text: str) -> list[list[str]]:
    """The cells of every row of the rich tables in `text`."""
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]


def assert_no_raw_data(text: str) -> None:
    for raw in RAW:
        assert raw not in text


def test_terminal_safe_escapes_control_characters_and_keeps_unicode() -> None:
    assert terminal_safe(HOSTILE) == SHOWN
    assert terminal_safe("bucket-é-日本-🙂 [x]") == "bucket-é-日本-🙂 [x]"
    assert terminal_safe("\x00\x1f\x7f\x80\x9f\t\r") == "\\x00\\x1f\\x7f\\x80\\x9f\\t\\r"
    assert terminal_safe("\u2028\u2066\u200f") == "\\u2028\\u2066\\u200f"
    assert terminal_safe("Traceback\n  line\x1b[2J", newlines=True) == "Traceback\n  line\\x1b[2J"


def test_a_scan_whose_error_message_is_hostile_prints_it_as_text_and_exits_3(
    aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    client(boto_session, "ec2", aws_env.endpoint_url).run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro"
    )
    aws_env.faults.add(FaultRule(FaultKind.ACCESS_DENIED, operation="ListDiscoveredResources", message=HOSTILE))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scanner",
            "scan",
            "--checks",
            "desired-instance-type",
            "--param",
            "desired-instance-type.desiredInstanceType=t3.micro",
            "--output",
            str(tmp_path / "out.jsonl"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment(aws_env),
    )
    assert result.returncode == 3, result.stderr
    assert [
        "123456789012",
        "us-east-1",
        "AWS::EC2::Instance",
        f"AccessDeniedException: {SHOWN}",
        "desired-instance-type",
    ] in table_rows(result.stderr)
    assert_no_raw_data(result.stderr)


@pytest.mark.slow
def test_piped_summary_tables_show_every_check_and_account_whole(aws_env: Emulator, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", "--output", str(tmp_path / "out.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment(aws_env),
    )
    assert result.returncode == 1, result.stderr
    started = next(json.loads(line) for line in result.stderr.splitlines() if '"scan started"' in line)
    first_cells = {row[0] for row in table_rows(result.stderr)}
    assert any(len(check) > 20 for check in started["checks"])  # long enough to have been cut
    assert set(started["checks"]) <= first_cells
    assert "123456789012" in first_cells


def test_failures_table_on_a_terminal_keeps_markup_literal_and_escapes_controls() -> None:
    output = io.StringIO()
    console = Console(file=output, force_terminal=True, width=300)
    console.print(failures_table([Failure("111122223333", "us-east-1", HOSTILE, "Code", HOSTILE, ("a-check",))]))
    text = output.getvalue()
    assert text.count(SHOWN) == 2
    assert_no_raw_data(text)


def test_account_table_shows_an_account_name_with_markup_as_is() -> None:
    counts = CountingSink()
    counts.by_account[("[red]acme[/] :skull:", Compliance.COMPLIANT)] += 2
    output = io.StringIO()
    Console(file=output, width=200).print(account_table(counts))
    assert ["[red]acme[/] :skull:", "2", "0", "0", "0"] in table_rows(output.getvalue())


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def record(resource_id: str, compliance: str, annotation: str | None) -> dict[str, Any]:
    return {
        "account_id": "111122223333",
        "region": "us-east-1",
        "check": "desired-instance-type",
        "resource_type": "AWS::EC2::Instance",
        "resource_id": resource_id,
        "compliance": compliance,
        "annotation": annotation,
        "severity": "low",
    }


def diff(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner", "diff", *arguments], capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow
def test_diff_text_escapes_hostile_ids_and_annotations_and_json_keeps_them(tmp_path: Path) -> None:
    old = write_lines(tmp_path / "old.jsonl", [record("i-gone", "NON_COMPLIANT", f"was {HOSTILE}")])
    new = write_lines(tmp_path / "new.jsonl", [record(HOSTILE, "NON_COMPLIANT", f"now {HOSTILE}")])
    text = diff(str(old), str(new))
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[3] == (
        f"  + [low] desired-instance-type 111122223333 us-east-1 AWS::EC2::Instance {SHOWN}: now {SHOWN}"
    )
    assert text.stdout.splitlines()[6].endswith(f"i-gone: not evaluated (was: was {SHOWN})")
    assert_no_raw_data(text.stdout)

    document = diff(str(old), str(new), "--format", "json")
    assert document.returncode == 0, document.stderr
    assert_no_raw_data(document.stdout)
    parsed = json.loads(document.stdout)
    assert parsed["new"][0]["resource_id"] == HOSTILE
    assert parsed["new"][0]["annotation"] == f"now {HOSTILE}"
    assert parsed["gone"][0]["previous_annotation"] == f"was {HOSTILE}"


def test_a_diff_error_quoting_the_file_escapes_its_text(tmp_path: Path) -> None:
    bad = write_lines(tmp_path / "bad.jsonl", [record("i-1", HOSTILE, None)])
    result = diff(str(bad), str(bad))
    assert result.returncode == 2
    assert f"'compliance' is '{SHOWN}'" in result.stderr
    assert_no_raw_data(result.stderr)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_console_logs_on_a_terminal_escape_hostile_values() -> None:
    controller, terminal = os.openpty()
    try:
        with os.fdopen(terminal, "w", encoding="utf-8", closefd=False) as stream:
            configure_logging("info", stream)
            try:
                structlog.get_logger("test").warning(f"read {HOSTILE}", error=HOSTILE, id=NO_SPACES, affects=[HOSTILE])
            finally:
                structlog.reset_defaults()
        written = os.read(controller, 65536).decode("utf-8")
    finally:
        os.close(controller)
        os.close(terminal)
    # The pseudo-terminal turns the line's end into \r\n; the data's own \n is escaped before that.
    line = re.sub(r"\x1b\[[0-9;]*m", "", written).rstrip("\r\n")
    assert "\n" not in line
    assert f"read {SHOWN}" in line
    # Python's escapes, the same as terminal_safe's, in the quotes ConsoleRenderer gives a string with spaces.
    assert f"error={HOSTILE!r}" in line
    # Without spaces or quotes, a string is written unquoted: that one would have gone out raw.
    assert f"id={NO_SPACES!r}" in line
    assert f"affects=[{HOSTILE!r}]" in line
    assert_no_raw_data(written)
