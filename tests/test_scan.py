"""End to end: `cloudsweep scan` against an emulator account built through the real APIs.

Every expected evaluation is computed from what the fixture created, then compared exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.pytest_plugin import Estates
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.cli import cli
from scanner.registry import SelectedCheck
from scanner.runner import run_scan
from scanner.scan.request import Access, Destinations, RunControl, ScanRequest
from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import client, waitless_limits

AMI = "ami-0123456789abcdef0"
WORLD = "0.0.0.0/0"


def rule(protocol: str, first: int | None = None, last: int | None = None, cidr: str = WORLD) -> dict[str, Any]:
    permission: dict[str, Any] = {"IpProtocol": protocol}
    if first is not None:
        permission.update(FromPort=first, ToPort=last if last is not None else first)
    if ":" in cidr:
        permission["Ipv6Ranges"] = [{"CidrIpv6": cidr}]
    else:
        permission["IpRanges"] = [{"CidrIp": cidr}]
    return permission


@dataclass(frozen=True)
class Account:
    """What the fixture built in us-east-1 of the management account."""

    fleet: tuple[str, ...]  # 105 t3.micro instances in the private group
    large: str  # m5.large, private group
    ssh_second: str  # private group + world-open SSH group (the second group is the open one)
    all_traffic: str  # protocol -1 open to the world
    icmp_only: str  # ICMP open to the world, nothing else
    ipv6_web: str  # tcp 8000-8100 open to ::/0
    groups: dict[str, str]
    users: tuple[str, ...]

    @property
    def instances(self) -> tuple[str, ...]:
        return (*self.fleet, self.large, self.ssh_second, self.all_traffic, self.icmp_only, self.ipv6_web)


@pytest.fixture
def account(emulator: Emulator, boto_session: Any, estates: Estates) -> Account:
    return estates.get("scan account", lambda: build_account(emulator, boto_session))


def build_account(emulator: Emulator, boto_session: Any) -> Account:
    ec2 = client(boto_session, "ec2", emulator.endpoint_url)

    def group(name: str, *permissions: dict[str, Any]) -> str:
        group_id = str(ec2.create_security_group(GroupName=name, Description=name)["GroupId"])
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(permissions))
        return group_id

    groups = {
        "private": group("private", rule("tcp", 22, cidr="10.0.0.0/8")),
        "ssh": group("ssh", rule("tcp", 22)),
        "all": group("all-traffic", rule("-1")),
        "icmp": group("icmp", rule("icmp", -1, -1)),
        "ipv6": group("ipv6-web", rule("tcp", 8000, 8100, cidr="::/0")),
    }

    def launch(count: int, instance_type: str, *group_names: str) -> list[str]:
        reservation = ec2.run_instances(
            ImageId=AMI,
            MinCount=count,
            MaxCount=count,
            InstanceType=instance_type,
            SecurityGroupIds=[groups[name] for name in group_names],
        )
        return [instance["InstanceId"] for instance in reservation["Instances"]]

    iam = client(boto_session, "iam", emulator.endpoint_url)
    for name in ("alice", "bob"):
        iam.create_user(UserName=name)
    return Account(
        fleet=tuple(launch(105, "t3.micro", "private")),
        large=launch(1, "m5.large", "private")[0],
        ssh_second=launch(1, "t3.micro", "private", "ssh")[0],
        all_traffic=launch(1, "t3.micro", "all")[0],
        icmp_only=launch(1, "t3.micro", "icmp")[0],
        ipv6_web=launch(1, "t3.micro", "ipv6")[0],
        groups=groups,
        users=("alice", "bob"),
    )


def scan(
    emulator: Emulator, tmp_path: Path, params: dict[str, dict[str, str]], now: datetime | None = None
) -> list[dict[str, Any]]:
    selected = tuple(
        SelectedCheck(BUILTIN.get(check_id), BUILTIN.get(check_id).parameters.parse(check_id, values))
        for check_id, values in params.items()
    )
    output = tmp_path / "evaluations.jsonl"
    report = run_scan(
        ScanRequest(
            regions=("us-east-1",),
            checks=selected,
            destinations=Destinations(output=output),
            access=Access(endpoint_url=emulator.endpoint_url),
            run=RunControl(now=now),
        )
    )
    assert report.all_failures == []
    return [json.loads(line) for line in output.read_text().splitlines()]


def by_resource(evaluations: list[dict[str, Any]], check: str) -> dict[str, str]:
    found = [evaluation for evaluation in evaluations if evaluation["check"] == check]
    result = {evaluation["resource_id"]: evaluation["compliance"] for evaluation in found}
    assert len(result) == len(found), "one evaluation per resource"
    return result


def test_desired_instance_type_covers_every_page(aws_env: Emulator, account: Account, tmp_path: Path) -> None:
    evaluations = scan(aws_env, tmp_path, {"desired-instance-type": {"desiredInstanceType": "t3.micro"}})

    expected = {instance: "COMPLIANT" for instance in account.instances}
    expected[account.large] = "NON_COMPLIANT"
    assert by_resource(evaluations, "desired-instance-type") == expected
    large = next(evaluation for evaluation in evaluations if evaluation["resource_id"] == account.large)
    assert large["annotation"] == "instance type m5.large is not one of t3.micro"


@pytest.mark.slow
def test_evaluation_records_have_exactly_the_documented_keys(
    aws_env: Emulator, account: Account, tmp_path: Path
) -> None:
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    evaluations = scan(aws_env, tmp_path, {"desired-instance-type": {"instanceType": "t3.micro,m5.large"}}, now=now)

    assert len(evaluations) == len(account.instances)
    for evaluation in evaluations:
        assert list(evaluation) == [
            "account_id",
            "region",
            "check",
            "resource_type",
            "resource_id",
            "compliance",
            "annotation",
            "ordering_timestamp",
        ]
        assert evaluation["account_id"] == MANAGEMENT_ACCOUNT
        assert evaluation["region"] == "us-east-1"
        assert evaluation["resource_type"] == "AWS::EC2::Instance"
        assert evaluation["ordering_timestamp"] == "2026-11-01T12:00:00.000Z"
        assert evaluation["compliance"] == "COMPLIANT"


def test_ec2_exposed_instance_cases(aws_env: Emulator, account: Account, tmp_path: Path) -> None:
    params = {"ec2-exposed-instance": {"ssh": "22", "http-alt": "8080"}}
    evaluations = scan(aws_env, tmp_path, params)

    expected = {instance: "COMPLIANT" for instance in account.instances}
    expected[account.ssh_second] = "NON_COMPLIANT"
    expected[account.all_traffic] = "NON_COMPLIANT"
    expected[account.ipv6_web] = "NON_COMPLIANT"
    assert by_resource(evaluations, "ec2-exposed-instance") == expected
    annotations = {evaluation["resource_id"]: evaluation["annotation"] for evaluation in evaluations}
    groups = account.groups
    assert annotations[account.ssh_second] == f"{groups['ssh']} allows tcp 22 from 0.0.0.0/0 (forbidden 22)"
    assert annotations[account.all_traffic] == f"{groups['all']} allows all traffic from 0.0.0.0/0 (forbidden 22, 8080)"
    assert annotations[account.ipv6_web] == f"{groups['ipv6']} allows tcp 8000-8100 from ::/0 (forbidden 8080)"
    assert annotations[account.icmp_only] == (
        f"no forbidden port (22, 8080) is open to 0.0.0.0/0 or ::/0 in {groups['icmp']}"
    )


def test_missing_security_group_data_is_never_compliant(aws_env: Emulator, account: Account, tmp_path: Path) -> None:
    # The ssh group's item can be read neither by BatchGetResourceConfig nor from its history.
    aws_env.config.controls.leave_unprocessed(account.groups["ssh"])
    aws_env.faults.add(FaultRule.access_denied(operation="GetResourceConfigHistory"))
    selected = (
        SelectedCheck(
            BUILTIN.get("ec2-exposed-instance"),
            BUILTIN.get("ec2-exposed-instance").parameters.parse("ec2-exposed-instance", {"ssh": "22"}),
        ),
    )
    output = tmp_path / "evaluations.jsonl"
    report = run_scan(
        ScanRequest(
            regions=("us-east-1",),
            checks=selected,
            destinations=Destinations(output=output),
            access=Access(endpoint_url=aws_env.endpoint_url),
            limits=waitless_limits(),
        )
    )
    evaluations = {json.loads(line)["resource_id"]: json.loads(line) for line in output.read_text().splitlines()}

    assert evaluations[account.ssh_second]["compliance"] == "NON_COMPLIANT"
    assert evaluations[account.ssh_second]["annotation"] == (
        f"data for security group {account.groups['ssh']} is missing, so it cannot be judged"
    )
    assert evaluations[account.large]["compliance"] == "COMPLIANT"
    assert [(failure.what, failure.code) for failure in report.all_failures] == [
        (f"AWS::EC2::SecurityGroup {account.groups['ssh']}", "AccessDeniedException")
    ]


def test_resource_count_max_counts_past_the_first_page(aws_env: Emulator, account: Account, tmp_path: Path) -> None:
    total = len(account.instances)
    over = scan(
        aws_env, tmp_path, {"resource-count-max": {"applicableResourceType": "AWS::EC2::Instance", "maxCount": "100"}}
    )
    at = scan(
        aws_env,
        tmp_path,
        {"resource-count-max": {"applicableResourceType": "AWS::EC2::Instance", "maxCount": str(total)}},
    )

    assert [(e["resource_type"], e["resource_id"], e["compliance"]) for e in over] == [
        ("AWS::::Account", MANAGEMENT_ACCOUNT, "NON_COMPLIANT")
    ]
    assert str(total) in over[0]["annotation"]
    assert "100" in over[0]["annotation"]
    assert [e["compliance"] for e in at] == ["COMPLIANT"]


def test_iam_inactive_user_reads_the_credential_report(
    aws_env: Emulator, account: Account, boto_session: Any, tmp_path: Path
) -> None:
    iam = client(boto_session, "iam", aws_env.endpoint_url)
    user_ids = {user["UserName"]: user["UserId"] for user in iam.list_users()["Users"]}
    created = {user["UserName"]: user["CreateDate"] for user in iam.list_users()["Users"]}
    soon = created["alice"] + timedelta(days=30)
    later = created["alice"] + timedelta(days=120, hours=1)
    params = {"iam-inactive-user": {"maxInactiveDays": "90"}}

    recent = scan(aws_env, tmp_path, params, now=soon)
    stale = scan(aws_env, tmp_path, params, now=later)

    assert by_resource(recent, "iam-inactive-user") == {user_ids["alice"]: "COMPLIANT", user_ids["bob"]: "COMPLIANT"}
    assert by_resource(stale, "iam-inactive-user") == {
        user_ids["alice"]: "NON_COMPLIANT",
        user_ids["bob"]: "NON_COMPLIANT",
    }
    alice = next(e for e in stale if e["resource_id"] == user_ids["alice"])
    when = created["alice"].astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert (
        alice["annotation"]
        == f"user alice was never active, created on {when}, more than 120 days ago; more than maxInactiveDays 90"
    )
    assert alice["resource_type"] == "AWS::IAM::User"
    assert alice["region"] == "us-east-1"


def test_cli_scan_exit_codes(aws_env: Emulator, account: Account, tmp_path: Path) -> None:
    runner = CliRunner()
    output = tmp_path / "out.jsonl"
    found = runner.invoke(
        cli,
        [
            "scan",
            "--regions",
            "us-east-1",
            "--checks",
            "desired-instance-type",
            "--param",
            "desired-instance-type.desiredInstanceType=t3.micro",
            "--output",
            str(output),
        ],
    )
    ignored = runner.invoke(
        cli,
        [
            "scan",
            "--checks",
            "desired-instance-type",
            "--param",
            "desired-instance-type.desiredInstanceType=t3.micro",
            "--fail-on",
            "never",
            "--output",
            str(output),
        ],
    )
    assert found.exit_code == 1, found.output
    assert ignored.exit_code == 0, ignored.output
    assert len(output.read_text().splitlines()) == len(account.instances)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--checks", "desired-instance-type"],
            "check desired-instance-type, parameter desiredInstanceType: is required",
        ),
        (
            [
                "--param",
                "resource-count-max.maxCount=-1",
                "--param",
                "resource-count-max.applicableResourceType=AWS::EC2::Instance",
            ],
            "check resource-count-max, parameter maxCount",
        ),
        (["--param", "iam-inactive-user.maxInactiveDays=soon"], "check iam-inactive-user, parameter maxInactiveDays"),
        (["--param", "ec2-exposed-instance.ssh=22-2"], "check ec2-exposed-instance, parameter ssh"),
        (["--checks", "no-such-check"], "unknown check 'no-such-check'"),
        (["--param", "nonsense"], "expected CHECK.NAME=VALUE"),
        (["--regions", "mars-north-1a"], "--regions"),
    ],
)
def test_parameter_errors_exit_2_before_any_call(
    aws_env: Emulator, arguments: list[str], message: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["scan", "--output", str(tmp_path / "never.jsonl"), *arguments])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "never.jsonl").exists()


def test_a_params_file_in_yaml(aws_env: Emulator, account: Account, tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("desired-instance-type:\n  desiredInstanceType: t3.micro, m5.large\n")
    output = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli, ["scan", "--params", str(params), "--output", str(output), "--checks", "desired-instance-type"]
    )
    assert result.exit_code == 0, result.output
    assert {json.loads(line)["compliance"] for line in output.read_text().splitlines()} == {"COMPLIANT"}


def test_a_malformed_params_file_is_a_usage_error(aws_env: Emulator, tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text("{not json")
    result = CliRunner().invoke(cli, ["scan", "--params", str(params)])
    assert result.exit_code == 2
    assert "params.json is not valid JSON" in result.output


@pytest.mark.slow
def test_a_param_option_overrides_the_file_under_either_spelling(
    aws_env: Emulator, account: Account, tmp_path: Path
) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"desired-instance-type": {"desiredInstanceType": "m5.large"}}))
    output = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "--params",
            str(params),
            "--param",
            "desired-instance-type.instanceType=t3.micro",
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 1, result.output
    records = [json.loads(line) for line in output.read_text().splitlines()]
    desired = [r for r in records if r["check"] == "desired-instance-type"]
    assert [r["resource_id"] for r in desired if r["compliance"] == "NON_COMPLIANT"] == [account.large]


def test_global_resources_are_read_in_the_global_region_only(
    aws_env: Emulator, account: Account, tmp_path: Path
) -> None:
    selected = tuple(
        SelectedCheck(BUILTIN.get(check_id), BUILTIN.get(check_id).parameters.parse(check_id, values))
        for check_id, values in {
            "iam-inactive-user": {},
            "desired-instance-type": {"desiredInstanceType": "t3.micro"},
        }.items()
    )
    output = tmp_path / "out.jsonl"
    report = run_scan(
        ScanRequest(
            regions=("eu-west-1",),
            checks=selected,
            destinations=Destinations(output=output),
            access=Access(endpoint_url=aws_env.endpoint_url),
        )
    )
    evaluations = [json.loads(line) for line in output.read_text().splitlines()]

    assert report.all_failures == []
    # IAM is recorded in us-east-1: read there (and only IAM), though only eu-west-1 was asked for.
    assert sorted((e["check"], e["region"]) for e in evaluations) == [
        ("iam-inactive-user", "us-east-1"),
        ("iam-inactive-user", "us-east-1"),
    ]
    assert [outcome.target.region for outcome in report.outcomes] == ["eu-west-1", "us-east-1"]


def test_an_account_listed_twice_is_scanned_once(aws_env: Emulator, account: Account, tmp_path: Path) -> None:
    from scanner.scan.request import AccountSource
    from scanner.scan.targets import Account as ScanAccount

    check = BUILTIN.get("desired-instance-type")
    output = tmp_path / "twice.jsonl"
    twice = AccountSource(accounts=(ScanAccount(MANAGEMENT_ACCOUNT), ScanAccount(MANAGEMENT_ACCOUNT)))

    report = run_scan(
        ScanRequest(
            regions=("us-east-1",),
            checks=(SelectedCheck(check, check.parameters.parse(check.id, {"desiredInstanceType": "t3.micro"})),),
            source=twice,
            destinations=Destinations(output=output),
            access=Access(endpoint_url=aws_env.endpoint_url),
        )
    )

    assert report.all_failures == []
    assert [(o.target.account_id, o.target.region) for o in report.outcomes] == [(MANAGEMENT_ACCOUNT, "us-east-1")]
    ids = [json.loads(line)["resource_id"] for line in output.read_text().splitlines()]
    assert sorted(ids) == sorted(account.instances)
