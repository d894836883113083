"""docs/writing-checks.md "Write your own check" (once the README's): its two files, taken from that page, pass their
own tests with pytest and load with --checks-dir into a real scan of the emulator."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cloudsweep_emulator.server import Emulator

from scanner.cli import cli
from tests.support import client

PAGE = Path(__file__).resolve().parents[1] / "docs" / "writing-checks.md"
CHECK_FILE = "ebs_volume_type_allowed.py"
TEST_FILE = "test_ebs_volume_type_allowed.py"


def example_files(directory: Path) -> Path:
    """The page section's Python blocks, written as the files it names: the check, then its test."""
    section = PAGE.read_text(encoding="utf-8").split("\n## Write your own check\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2, "the section has the check and its test"
    assert f"`my-checks/{CHECK_FILE}`" in section
    assert f"`my-checks/{TEST_FILE}`" in section
    checks_dir = directory / "my-checks"
    checks_dir.mkdir()
    (checks_dir / CHECK_FILE).write_text(blocks[0], encoding="utf-8")
    (checks_dir / TEST_FILE).write_text(blocks[1], encoding="utf-8")
    return checks_dir


def test_the_check_is_about_twenty_lines_of_code(tmp_path: Path) -> None:
    code = (example_files(tmp_path) / CHECK_FILE).read_text(encoding="utf-8").splitlines()
    assert len([line for line in code if line.strip()]) <= 32


@pytest.mark.slow
def test_the_example_test_passes_with_pytest_and_would_catch_a_broken_check(tmp_path: Path) -> None:
    checks_dir = example_files(tmp_path)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(checks_dir)]
    passed = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "1 passed" in passed.stdout
    check_file = checks_dir / CHECK_FILE
    check_file.write_text(check_file.read_text().replace("Compliance.NOT_APPLICABLE", "Compliance.COMPLIANT"))
    failed = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert failed.returncode == 1
    assert "vol-old: COMPLIANT, wanted NOT_APPLICABLE" in failed.stdout


def test_the_check_loads_with_checks_dir_and_scans_the_emulator(
    aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    checks_dir = example_files(tmp_path)
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    gp3 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="gp3")["VolumeId"]
    gp2 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="gp2")["VolumeId"]
    output = tmp_path / "evaluations.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "--checks-dir",
            str(checks_dir),
            "--checks",
            "ebs-volume-type-allowed",
            "--regions",
            "us-east-1",
            "--output",
            str(output),
            "--endpoint-url",
            aws_env.endpoint_url,
        ],
    )
    assert result.exit_code == 1, result.output  # a NON_COMPLIANT was found
    found = {
        record["resource_id"]: (record["compliance"], record["annotation"])
        for record in map(json.loads, output.read_text().splitlines())
    }
    assert found == {gp3: ("COMPLIANT", "gp3 is allowed"), gp2: ("NON_COMPLIANT", "gp2 is not one of gp3")}
