"""The `cloudsweep` command line: checks listing, default selection, exit codes, streams, the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.cli import cli
from tests.support import BUILTIN_IDS, client

AMI = "ami-0123456789abcdef0"


def test_checks_list_as_json_describes_every_builtin() -> None:
    result = CliRunner().invoke(cli, ["checks", "list", "--format", "json"])
    assert result.exit_code == 0
    described = {check["id"]: check for check in json.loads(result.output)}
    assert sorted(described) == BUILTIN_IDS
    desired = described["desired-instance-type"]["parameters"][0]
    assert desired["name"] == "desiredInstanceType"
    assert desired["required"] is True
    assert desired["aliases"] == ["instanceType"]
    assert "iam:GetCredentialReport" in described["iam-inactive-user"]["permissions"]
    assert described["resource-count-max"]["scope"] == "account"
    assert described["restricted-ssh"]["resource_types"] == ["AWS::EC2::SecurityGroup"]
    assert described["s3-bucket-versioning-enabled"]["parameters"][0]["type"] == "boolean"


def test_checks_list_as_a_table_names_each_check() -> None:
    result = CliRunner().invoke(cli, ["checks", "list"])
    assert result.exit_code == 0
    for check_id in BUILTIN_IDS:
        assert check_id in result.output


def test_checks_describe_one_and_an_unknown_one() -> None:
    found = CliRunner().invoke(cli, ["checks", "describe", "iam-inactive-user"])
    missing = CliRunner().invoke(cli, ["checks", "describe", "no-such-check"])
    assert found.exit_code == 0
    assert json.loads(found.output)["parameters"][0] == {
        "name": "maxInactiveDays",
        "type": "integer",
        "required": False,
        "default": 90,
        "aliases": [],
        "description": json.loads(found.output)["parameters"][0]["description"],
    }
    assert missing.exit_code == 2
    assert "unknown check 'no-such-check'" in missing.output


def test_without_checks_only_those_with_their_required_parameters_run(
    aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    iam = client(boto_session, "iam", aws_env.endpoint_url)
    iam.create_user(UserName="carol")
    output = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["scan", "--output", str(output)])
    # The default VPC's security group is open outbound (vpc-default-security-group-closed), carol has no MFA, the
    # emulator's root user has no MFA (and no access key), and neither a password policy nor a trail exists:
    # NON_COMPLIANT findings, exit 1.
    assert result.exit_code == 1, result.output
    started = next(json.loads(line) for line in result.output.splitlines() if '"scan started"' in line)
    required = {"desired-instance-type", "resource-count-max", "ec2-exposed-instance", "required-tags"}
    assert required | {"approved-amis-by-id"} <= {check.id for check in BUILTIN} - set(started["checks"])
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert sorted((r["check"], r["resource_type"], r["compliance"]) for r in records) == [
        ("access-keys-rotated", "AWS::IAM::User", "COMPLIANT"),
        ("cloudtrail-enabled", "AWS::::Account", "NON_COMPLIANT"),
        ("iam-inactive-user", "AWS::IAM::User", "COMPLIANT"),
        ("iam-password-policy", "AWS::::Account", "NON_COMPLIANT"),
        ("iam-root-access-key-check", "AWS::::Account", "COMPLIANT"),
        ("iam-user-mfa-enabled", "AWS::IAM::User", "NON_COMPLIANT"),
        ("iam-user-no-policies-check", "AWS::IAM::User", "COMPLIANT"),
        ("iam-user-unused-credentials-check", "AWS::IAM::User", "COMPLIANT"),
        ("restricted-common-ports", "AWS::EC2::SecurityGroup", "COMPLIANT"),
        ("restricted-ssh", "AWS::EC2::SecurityGroup", "COMPLIANT"),
        ("root-account-mfa-enabled", "AWS::::Account", "NON_COMPLIANT"),
        ("vpc-default-security-group-closed", "AWS::EC2::SecurityGroup", "NON_COMPLIANT"),
    ]


def test_an_incomplete_scan_exits_3_and_says_why(aws_env: Emulator, boto_session: Any, tmp_path: Path) -> None:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2, InstanceType="t3.micro")
    aws_env.faults.add(FaultRule.access_denied(operation="BatchGetResourceConfig"))
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "--param",
            "desired-instance-type.desiredInstanceType=t3.micro",
            "--output",
            str(tmp_path / "o.jsonl"),
        ],
    )
    assert result.exit_code == 3, result.output
    assert "AccessDeniedException" in result.output


@pytest.mark.slow
def test_evaluations_go_to_stdout_and_json_logs_to_stderr(aws_env: Emulator, boto_session: Any) -> None:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.small")["Instances"][0]
    result = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", "--param", "desired-instance-type.desiredInstanceType=t3.micro"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert result.returncode == 1, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    desired = [(r["resource_id"], r["compliance"]) for r in records if r["check"] == "desired-instance-type"]
    assert desired == [(instance["InstanceId"], "NON_COMPLIANT")]
    events = [json.loads(line)["event"] for line in result.stderr.splitlines() if line.startswith("{")]
    assert events[0] == "scan started"
    assert "scan finished" in events


@pytest.mark.slow
def test_the_demo_runs_clean_and_writes_its_evaluations(tmp_path: Path) -> None:
    output = tmp_path / "demo.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "scanner", "demo", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in output.read_text().splitlines()]
    builtins = {check.id for check in BUILTIN}
    # Every built-in check evaluates something and finds at least one planted violation (the whole outcome matrix
    # is tests/test_demo_outcomes.py).
    assert {record["check"] for record in records} == builtins
    assert len({record["account_id"] for record in records}) == 4
    non_compliant = {record["check"] for record in records if record["compliance"] == "NON_COMPLIANT"}
    assert non_compliant == builtins
    assert f"{len(records)} evaluations of 4 accounts written to" in result.stderr
    assert "Demo organization: evaluations per check" in result.stderr
