"""One option table, two readers: the CLI's click options and `parse_scan_args` (the Lambda's CLOUDSWEEP_SCAN_ARGS)
give the same values for the same arguments and refuse the same mistakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from scanner.cli import scan as scan_command
from scanner.errors import UsageError
from scanner.scan.options import SCAN_OPTIONS, parse_scan_args

ARGUMENTS = [
    [],
    ["--regions", "us-east-1,eu-west-1", "--checks", "restricted-ssh", "--org", "--ou", "ou-abcd-12345678"],
    ["--param", "a.b=1", "--param", "c.d=2", "--tag", "env:prod", "--rate", "config=5/s", "--output", "x.jsonl"],
    ["--workers", "4", "--max-concurrency", "128", "--target-timeout", "30.5", "--fail-on", "high"],
    ["--state", "s.state", "--mutelist", "m.yaml", "--checks-dir", "plugins", "--security-hub", "--put-test-mode"],
    ["--accounts", "111122223333", "--role-name", "Audit", "--external-id", "x", "--session-duration", "900"],
]


@pytest.mark.parametrize("argv", ARGUMENTS, ids=lambda argv: " ".join(argv) or "defaults")
def test_both_readers_give_the_same_values(argv: list[str]) -> None:
    clicked = scan_command.make_context("scan", list(argv)).params
    assert parse_scan_args(argv) == clicked
    assert set(clicked) == {option.dest for option in SCAN_OPTIONS}


MISTAKES = [
    ["--workers", "0"],
    ["--workers", "many"],
    ["--target-timeout", "0.5"],
    ["--fail-on", "sometimes"],
    ["--no-such-option"],
    ["--regions"],
    ["stray"],
]


@pytest.mark.parametrize("argv", MISTAKES, ids=" ".join)
def test_both_readers_refuse_the_same_mistakes(argv: list[str]) -> None:
    with pytest.raises(click.UsageError):
        scan_command.make_context("scan", list(argv))
    with pytest.raises(UsageError):
        parse_scan_args(argv)


def test_a_directory_where_a_file_belongs_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory"):
        parse_scan_args(["--state", str(tmp_path)])
    with pytest.raises(click.UsageError):
        scan_command.make_context("scan", ["--state", str(tmp_path)])


def test_asking_for_help_is_no_configuration() -> None:
    with pytest.raises(UsageError, match="--help"):
        parse_scan_args(["--regions", "us-east-1", "--help"])


def test_the_lambda_handler_imports_neither_click_nor_the_cli() -> None:
    probe = "import sys, scanner.lambda_handler\nprint(sorted(m for m in ('click', 'scanner.cli') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
