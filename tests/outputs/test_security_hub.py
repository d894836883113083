"""`--security-hub`: findings imported into the emulator's Security Hub (moto), re-imported without duplicates,
resolved when a later scan finds the resource compliant, aggregated into one account, failures reported."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.cli import cli
from scanner.outputs.asff import validate_asff
from scanner.registry import SelectedCheck
from scanner.results import FailOn
from scanner.runner import run_scan
from scanner.scan.request import Access, Destinations, ScanRequest
from tests.support import assumed_session, client

AMI = "ami-0123456789abcdef0"
ROLE = "OrganizationAccountAccessRole"


def selected() -> tuple[SelectedCheck, ...]:
    desired = BUILTIN.get("desired-instance-type")
    ssh = BUILTIN.get("restricted-ssh")
    return (
        SelectedCheck(desired, desired.parameters.parse(desired.id, {"desiredInstanceType": "t3.micro"})),
        SelectedCheck(ssh, ssh.parameters.parse(ssh.id, {})),
    )


def hub_findings(session: Any, endpoint_url: str) -> list[dict[str, Any]]:
    hub = client(session, "securityhub", endpoint_url)
    found: list[dict[str, Any]] = []
    paginator = hub.get_paginator("get_findings")
    for page in paginator.paginate():
        found += page["Findings"]
    return found


def open_ssh(ec2: Any) -> str:
    group = ec2.create_security_group(GroupName="open-ssh", Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    return group


@pytest.mark.slow
def test_findings_are_imported_in_batches_updated_in_place_and_resolved(
    aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    large = [
        i["InstanceId"]
        for i in ec2.run_instances(ImageId=AMI, MinCount=105, MaxCount=105, InstanceType="m5.large")["Instances"]
    ]
    small = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0][
        "InstanceId"
    ]
    group = open_ssh(ec2)
    calls: Counter[str] = Counter()

    def record(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[1]] += 1

    def scan() -> None:
        report = run_scan(
            ScanRequest(
                checks=selected(),
                destinations=Destinations(output=tmp_path / "o.jsonl", security_hub=True),
                access=Access(endpoint_url=aws_env.endpoint_url, event_hooks=(("before-send.securityhub", record),)),
            )
        )
        assert report.all_failures == []

    scan()
    assert calls["BatchImportFindings"] == 2  # 106 failing findings, at most 100 a call
    found = hub_findings(boto_session, aws_env.endpoint_url)
    assert sorted(f["ProductFields"]["cloudsweep/resource_id"] for f in found) == sorted([*large, group])
    assert all(validate_asff(finding) == [] for finding in found)
    assert {(f["Compliance"]["Status"], f["RecordState"], f["Workflow"]["Status"]) for f in found} == {
        ("FAILED", "ACTIVE", "NEW")
    }
    assert small not in {f["ProductFields"]["cloudsweep/resource_id"] for f in found}, "a passing resource: no finding"

    ec2.revoke_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ec2.terminate_instances(InstanceIds=large[:1])
    scan()
    again = {f["ProductFields"]["cloudsweep/resource_id"]: f for f in hub_findings(boto_session, aws_env.endpoint_url)}
    assert len(again) == len(found), "a re-import updates the same findings"
    assert (again[group]["Compliance"]["Status"], again[group]["RecordState"]) == ("PASSED", "ARCHIVED")
    # Not evaluated this time (terminated): left as it was, never passed for what was not seen.
    assert (again[large[0]]["Compliance"]["Status"], again[large[0]]["RecordState"]) == ("FAILED", "ACTIVE")
    assert {again[i]["RecordState"] for i in large[1:]} == {"ACTIVE"}


def test_one_aggregation_account_receives_every_accounts_findings(
    aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    organizations = client(boto_session, "organizations", aws_env.endpoint_url)
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(Email="m@example.com", AccountName="m")["CreateAccountStatus"]["AccountId"]
    member_session = assumed_session(boto_session, aws_env.endpoint_url, member, ROLE)
    group = open_ssh(client(member_session, "ec2", aws_env.endpoint_url))
    caller = client(boto_session, "sts", aws_env.endpoint_url).get_caller_identity()["Account"]
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "--checks",
            "restricted-ssh",
            "--accounts",
            member,
            "--role-name",
            ROLE,
            "--regions",
            "us-east-1",
            "--security-hub-account",
            caller,
            "--output",
            str(tmp_path / "o.jsonl"),
            "--endpoint-url",
            aws_env.endpoint_url,
        ],
    )
    assert result.exit_code == 1, result.output
    in_caller = hub_findings(boto_session, aws_env.endpoint_url)
    # Security Hub takes a finding only from the account in its AwsAccountId: the aggregation account's own.
    fields = [
        (f["AwsAccountId"], f["ProductFields"]["cloudsweep/account_id"], f["ProductFields"]["cloudsweep/resource_id"])
        for f in in_caller
    ]
    assert fields == [(caller, member, group)]
    assert in_caller[0]["ProductArn"] == f"arn:aws:securityhub:us-east-1:{caller}:product/{caller}/default"
    assert member in in_caller[0]["Resources"][0]["Id"]
    assert hub_findings(member_session, aws_env.endpoint_url) == []

    # Not the caller's account: the caller's credentials cannot import there; every target says so.
    refused = CliRunner().invoke(
        cli,
        ["scan", "--checks", "restricted-ssh", "--accounts", member, "--role-name", ROLE, "--regions", "us-east-1",
         "--security-hub-account", member, "--output", str(tmp_path / "o2.jsonl"),
         "--endpoint-url", aws_env.endpoint_url],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert refused.exit_code == 3, refused.output
    assert "NotTheCaller" in refused.output
    assert f"--security-hub-account {member} must be the caller's own account ({caller})" in refused.output


def test_a_refused_import_is_a_failure_of_the_target_and_exit_3(
    aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    open_ssh(client(boto_session, "ec2", aws_env.endpoint_url))
    aws_env.faults.install(FaultRule.access_denied(operation="BatchImportFindings"))
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "--checks",
            "restricted-ssh",
            "--regions",
            "us-east-1",
            "--security-hub",
            "--output",
            str(tmp_path / "o.jsonl"),
            "--endpoint-url",
            aws_env.endpoint_url,
        ],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 3, result.output
    assert "AccessDenied" in result.output
    assert "Security Hub findings of" in result.output
    records = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert {record["compliance"] for record in records} >= {"NON_COMPLIANT"}, "the evaluations are still written"


@pytest.mark.parametrize("value", ["12345", "abc"])
def test_a_malformed_aggregation_account_is_refused(value: str) -> None:
    result = CliRunner().invoke(cli, ["scan", "--security-hub-account", value])
    assert result.exit_code == 2
    assert f"--security-hub-account: {value!r} is not a 12-digit account id" in result.output


@pytest.mark.slow
def test_refused_findings_are_retried_then_reported(aws_env: Emulator, boto_session: Any, tmp_path: Path) -> None:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    group = open_ssh(ec2)
    account = client(boto_session, "sts", aws_env.endpoint_url).get_caller_identity()["Account"]
    prefix = f"cloudsweep/{account}/us-east-1/restricted-ssh/"

    def scan() -> Any:
        return run_scan(
            ScanRequest(
                checks=selected(),
                destinations=Destinations(output=tmp_path / "o.jsonl", security_hub=True),
                access=Access(endpoint_url=aws_env.endpoint_url),
            )
        )

    aws_env.security_hub.refuse(prefix, times=2)  # two refusals, then accepted on the third round
    assert scan().all_failures == []
    assert [f["ProductFields"]["cloudsweep/resource_id"] for f in hub_findings(boto_session, aws_env.endpoint_url)] == [
        group
    ]

    aws_env.security_hub.refuse(prefix, times=None)
    report = scan()
    (failure,) = report.all_failures
    assert (failure.code, failure.what, failure.affects) == ("FailedFindings", "import 1 findings", ("security hub",))
    assert failure.message.startswith("Security Hub refused 1 findings after 3 tries: cloudsweep/")
    assert "ThrottlingException: refused by the emulator" in failure.message
    assert report.exit_code(FailOn.NONCOMPLIANT) == 3


def test_workflow_follows_the_mutelist_on_existing_findings(
    aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    """A re-import cannot change Workflow or Note (AWS ignores them; so does the emulator): BatchUpdateFindings does."""
    group = open_ssh(client(boto_session, "ec2", aws_env.endpoint_url))
    mute = tmp_path / "mute.yaml"
    mute.write_text('entries:\n  - reason: "bastion, reviewed"\n    checks: ["restricted-ssh"]\n', encoding="utf-8")

    def scan(*extra: str) -> None:
        result = CliRunner().invoke(
            cli,
            ["scan", "--checks", "restricted-ssh", "--regions", "us-east-1", "--security-hub", "--fail-on", "error",
             "--output", str(tmp_path / "o.jsonl"), "--endpoint-url", aws_env.endpoint_url, *extra],
        )  # fmt: skip
        assert result.exit_code == 0, result.output

    def state() -> tuple[str, str, str | None]:
        (found,) = [f for f in hub_findings(boto_session, aws_env.endpoint_url) if group in f["Resources"][0]["Id"]]
        return found["Compliance"]["Status"], found["Workflow"]["Status"], found.get("Note", {}).get("Text")

    scan()
    assert state() == ("FAILED", "NEW", None)
    scan("--mutelist", str(mute))
    assert state() == ("FAILED", "SUPPRESSED", "Suppressed by mute.yaml entries[0]: bastion, reviewed")
    scan()
    assert state() == ("FAILED", "NEW", "cloudsweep: no mutelist entry suppresses this finding any more")
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    permission = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=permission)
    scan()
    assert state()[:2] == ("PASSED", "RESOLVED")
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=permission)
    scan()
    # Resolved and archived, then failing again: active, and back to NEW.
    assert state()[:2] == ("FAILED", "NEW")
    (found,) = [f for f in hub_findings(boto_session, aws_env.endpoint_url) if group in f["Resources"][0]["Id"]]
    assert found["RecordState"] == "ACTIVE"
