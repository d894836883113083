"""cloudsweep iam-policy: every AWS call a full emulator scan makes, recorded with botocore's before-send event, is
allowed by the printed policies, and the policies allow nothing the scan did not use."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from cloudsweep_emulator.demo import demo_checks
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.aws.config_evaluations import ResultTokens
from scanner.cli import cli
from scanner.errors import UsageError
from scanner.iam_policy import ScanShape, caller_policy, role_template, scan_role_actions, scan_role_policy
from scanner.runner import run_scan
from scanner.scan.request import Access, AccountSource, Destinations, RunControl, ScanRequest
from scanner.scan.targets import Account
from tests.support import assumed_session, client

AMBIENT_KEY = "AKIAIOSFODNN7EXAMPLE"  # the aws_env fixture's caller
ROLE = "OrganizationAccountAccessRole"
# "Credential=AKID/20261124/us-east-1/config/aws4_request": the key that signed, and the signing service.
_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/[^/]+/([^/]+)/aws4_request")
# AWS documents that GetCallerIdentity needs no permission: no policy can deny it.
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}

Calls = dict[str, set[str]]  # "caller" / "role" -> IAM actions


def recorder() -> tuple[Calls, tuple[tuple[str, Callable[..., Any]], ...]]:
    calls: Calls = {"caller": set(), "role": set()}

    def record(request: Any, event_name: str, **_: Any) -> None:
        match = _CREDENTIAL.search(request.headers["Authorization"].decode())
        assert match is not None, request.headers["Authorization"]
        key, service = match.groups()
        operation = event_name.rsplit(".", 1)[1]
        calls["caller" if key == AMBIENT_KEY else "role"].add(f"{service}:{operation}")

    return calls, (("before-send", record),)


@pytest.fixture
def organization(aws_env: Emulator, boto_session: Any) -> list[str]:
    """Two member accounts with an instance, a volume, a user, a bucket and a trail each, tagged for --tag."""
    organizations = client(boto_session, "organizations", aws_env.endpoint_url)
    organizations.create_organization(FeatureSet="ALL")
    members = []
    for name in ("alpha", "beta"):
        status = organizations.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        members.append(status["AccountId"])
        organizations.tag_resource(ResourceId=status["AccountId"], Tags=[{"Key": "scan", "Value": "yes"}])
        session = assumed_session(boto_session, aws_env.endpoint_url, status["AccountId"], ROLE)
        ec2 = client(session, "ec2", aws_env.endpoint_url)
        ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, InstanceType="t3.micro")
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)
        client(session, "iam", aws_env.endpoint_url).create_user(UserName=f"{name}-user")
        bucket = f"{name}-bucket-{status['AccountId']}"
        client(session, "s3", aws_env.endpoint_url).create_bucket(Bucket=bucket)
        # A trail, so that cloudtrail-enabled asks for its status.
        client(session, "cloudtrail", aws_env.endpoint_url).create_trail(Name=f"{name}-trail", S3BucketName=bucket)
    return members


def scan(aws_env: Emulator, request: ScanRequest, tmp_path: Path) -> Calls:
    calls, hooks = recorder()
    report = run_scan(
        dataclasses.replace(
            request,
            checks=tuple(demo_checks()),
            access=dataclasses.replace(request.access, endpoint_url=aws_env.endpoint_url, event_hooks=hooks),
            destinations=dataclasses.replace(request.destinations, output=tmp_path / "evaluations.jsonl"),
        )
    )
    assert report.all_failures == []
    assert report.counts.total > 0
    return calls


def assert_exactly_allowed(calls: Calls, shape: ScanShape, not_needed: frozenset[str] = frozenset()) -> None:
    """`not_needed`: allowed actions this scan had no occasion for (another test makes it call them)."""
    role_allowed = set(scan_role_policy(BUILTIN, shape)["Statement"][0]["Action"])
    assert calls["role"] == role_allowed - not_needed, "the scan role's policy is exactly what the scan role called"
    caller = caller_policy(shape)["Statement"]
    assert caller[0]["Action"] == ["sts:AssumeRole"]
    assert caller[0]["Resource"] == f"arn:aws:iam::*:role/{shape.role_name}"
    listing = set(caller[1]["Action"]) - not_needed if len(caller) > 1 else set()
    assert calls["caller"] - NEEDS_NO_PERMISSION == {"sts:AssumeRole"} | listing


@pytest.mark.slow
def test_an_organization_scan_of_every_region_uses_exactly_the_printed_policies(
    aws_env: Emulator, organization: list[str], tmp_path: Path, boto_session: Any
) -> None:
    caller_account = client(boto_session, "sts", aws_env.endpoint_url).get_caller_identity()["Account"]
    request = ScanRequest(
        checks=(),
        regions=None,
        source=AccountSource(organization=True, tags=(("scan", "yes"),), exclude=frozenset({caller_account})),
        access=Access(role_name=ROLE),
    )
    calls = scan(aws_env, request, tmp_path)
    shape = ScanShape(role_name=ROLE, all_regions=True, organization=True, account_tags=True)
    # Read only for a key BatchGetResourceConfig leaves unprocessed: the next test forces one.
    assert_exactly_allowed(calls, shape, not_needed=frozenset({"config:GetResourceConfigHistory"}))
    assert "ec2:DescribeRegions" in calls["role"]
    assert {"iam:GenerateCredentialReport", "iam:GetAccountPasswordPolicy"} <= calls["role"]
    assert calls["caller"] == {
        "sts:GetCallerIdentity",
        "sts:AssumeRole",
        "organizations:ListAccounts",
        "organizations:ListTagsForResource",
    }


def test_putting_evaluations_and_reading_history_use_exactly_the_printed_policies(
    aws_env: Emulator, organization: list[str], tmp_path: Path
) -> None:
    # A key BatchGetResourceConfig leaves unprocessed is read from GetResourceConfigHistory instead.
    bucket = f"alpha-bucket-{organization[0]}"
    aws_env.config.controls.leave_unprocessed(bucket)
    request = ScanRequest(
        checks=(),
        source=AccountSource(accounts=tuple(Account(account_id) for account_id in organization)),
        access=Access(role_name=ROLE),
        destinations=Destinations(result_tokens=ResultTokens(by_check={"restricted-ssh": "ssh-rule"}, test_mode=True)),
    )
    calls = scan(aws_env, request, tmp_path)
    assert {"config:GetResourceConfigHistory", "config:PutEvaluations"} <= calls["role"]
    assert_exactly_allowed(calls, ScanShape(role_name=ROLE, put_evaluations=True))


def test_the_scan_role_needs_only_what_the_chosen_checks_read() -> None:
    shape = ScanShape()
    assert scan_role_actions([BUILTIN.get("restricted-ssh")], shape) == [
        "config:BatchGetResourceConfig",
        "config:GetResourceConfigHistory",
        "config:ListDiscoveredResources",
    ]
    assert scan_role_actions([BUILTIN.get("iam-user-mfa-enabled")], ScanShape(lambda_rule=True)) == [
        "config:BatchGetResourceConfig",
        "config:GetComplianceDetailsByConfigRule",
        "config:GetResourceConfigHistory",
        "config:ListDiscoveredResources",
        "config:PutEvaluations",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
    ]
    assert not any("*" in action for action in scan_role_actions(BUILTIN, ScanShape(all_regions=True)))


def test_the_cloudformation_role_trusts_the_scanner_with_an_optional_external_id() -> None:
    checks = [BUILTIN.get("root-account-mfa-enabled")]
    plain = role_template(checks, ScanShape())
    role = plain["Resources"]["CloudSweepScanRole"]["Properties"]
    assert role["RoleName"] == "CloudSweepAudit"
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"AWS": {"Ref": "ScannerPrincipalArn"}}, "Action": "sts:AssumeRole"}
    ]
    assert role["Policies"][0]["PolicyDocument"] == scan_role_policy(checks, ScanShape())
    assert "ExternalId" not in plain["Parameters"]
    guarded = role_template(checks, ScanShape(external_id=True))
    statement = guarded["Resources"]["CloudSweepScanRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert guarded["Parameters"]["ExternalId"]["NoEcho"] is True


def test_the_command_prints_each_part_and_refuses_an_unknown_check() -> None:
    runner = CliRunner()
    policy = runner.invoke(cli, ["iam-policy", "--checks", "iam-password-policy", "--output", "policy"])
    assert policy.exit_code == 0
    assert json.loads(policy.output)["Statement"][0]["Action"] == [
        "config:BatchGetResourceConfig",
        "config:GetResourceConfigHistory",
        "config:ListDiscoveredResources",
        "iam:GetAccountPasswordPolicy",
    ]
    caller = runner.invoke(cli, ["iam-policy", "--output", "caller", "--role-name", "Audit", "--ou", "--tag"])
    assert json.loads(caller.output)["Statement"] == [
        {"Sid": "CloudSweepAssumeScanRole", "Effect": "Allow", "Action": ["sts:AssumeRole"],
         "Resource": "arn:aws:iam::*:role/Audit"},
        {"Sid": "CloudSweepCallerReads", "Effect": "Allow",
         "Action": ["organizations:ListAccountsForParent", "organizations:ListChildren",
                    "organizations:ListTagsForResource"], "Resource": "*"},
    ]  # fmt: skip
    template = runner.invoke(cli, ["iam-policy", "--output", "cloudformation", "--external-id"])
    parsed = yaml.safe_load(template.output)
    assert parsed["Resources"]["CloudSweepScanRole"]["Type"] == "AWS::IAM::Role"
    assert "ExternalId" in parsed["Parameters"]
    everything = runner.invoke(cli, ["iam-policy"])
    assert everything.output.startswith("# Scan role policy: attach to CloudSweepAudit in every scanned account")
    assert "# Caller policy" in everything.output
    assert "# CloudFormation" in everything.output
    unknown = runner.invoke(cli, ["iam-policy", "--checks", "no-such-check"])
    assert unknown.exit_code == 2
    assert "unknown check 'no-such-check'" in unknown.output


def test_event_hooks_are_refused_with_workers(aws_env: Emulator, organization: list[str], tmp_path: Path) -> None:
    _, hooks = recorder()
    request = ScanRequest(
        checks=tuple(demo_checks()),
        source=AccountSource(accounts=tuple(Account(account_id) for account_id in organization)),
        access=Access(role_name=ROLE, endpoint_url=aws_env.endpoint_url, event_hooks=hooks),
        destinations=Destinations(output=tmp_path / "evaluations.jsonl"),
        run=RunControl(workers=2),
    )
    with pytest.raises(UsageError, match="event_hooks observe one process's calls: scan with workers=1"):
        run_scan(request)


def test_a_role_path_a_longer_session_and_a_results_location_shape_the_policies() -> None:
    shape = ScanShape(role_name="audit/Scan", session_seconds=7200, results_location="s3://results-bucket/runs/")
    properties = role_template([BUILTIN.get("restricted-ssh")], shape)["Resources"]["CloudSweepScanRole"]["Properties"]
    assert (properties["Path"], properties["RoleName"], properties["MaxSessionDuration"]) == ("/audit/", "Scan", 7200)
    statements = caller_policy(shape)["Statement"]
    assert statements[0]["Resource"] == "arn:aws:iam::*:role/audit/Scan"
    assert statements[-1] == {
        "Sid": "CloudSweepWriteResults",
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": "arn:aws:s3:::results-bucket/runs/*",
    }
    assert caller_policy(ScanShape(results_location="s3://whole-bucket"))["Statement"][-1]["Resource"] == (
        "arn:aws:s3:::whole-bucket/*"
    )
    refused = CliRunner().invoke(cli, ["iam-policy", "--results-location", "results-bucket/runs"])
    assert refused.exit_code == 2
    assert "--results-location: expected s3://BUCKET/PREFIX, got 'results-bucket/runs'" in refused.output


@pytest.mark.slow
def test_security_hub_imports_are_allowed_where_they_are_signed(
    aws_env: Emulator, organization: list[str], tmp_path: Path, boto_session: Any
) -> None:
    accounts = AccountSource(accounts=tuple(Account(account_id) for account_id in organization))
    per_account = scan(
        aws_env,
        ScanRequest(
            checks=(), source=accounts, access=Access(role_name=ROLE), destinations=Destinations(security_hub=True)
        ),
        tmp_path,
    )
    assert {"securityhub:BatchImportFindings", "securityhub:GetFindings"} <= per_account["role"]
    # A fallback, and a workflow change of an existing finding: tests/outputs/test_security_hub.py makes both happen.
    history = frozenset({"config:GetResourceConfigHistory", "securityhub:BatchUpdateFindings"})
    assert_exactly_allowed(per_account, ScanShape(role_name=ROLE, security_hub=True), not_needed=history)
    caller_account = client(boto_session, "sts", aws_env.endpoint_url).get_caller_identity()["Account"]
    aggregated = scan(
        aws_env,
        ScanRequest(
            checks=(),
            source=accounts,
            access=Access(role_name=ROLE),
            destinations=Destinations(security_hub=True, security_hub_account=caller_account),
        ),
        tmp_path,
    )
    assert "securityhub:BatchImportFindings" not in aggregated["role"]
    aggregation = ScanShape(role_name=ROLE, security_hub=True, security_hub_aggregation=True)
    assert_exactly_allowed(aggregated, aggregation, not_needed=history)
