"""Many accounts and regions: roles, failures isolated to their account, throttling storms, expired tokens."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cloudsweep_emulator.faults import FaultKind, FaultRule
from cloudsweep_emulator.pytest_plugin import Estates
from cloudsweep_emulator.seed import EC2_INSTANCE, IAM_USER, DemoOrganization, seed_demo
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.aws.clients import Credentials
from scanner.aws.limits import RateLimits
from scanner.cli import cli
from scanner.registry import SelectedCheck
from scanner.results import ScanReport
from scanner.retrying import RetryPolicy
from scanner.runner import run_scan
from scanner.scan.request import Access, AccountSource, Destinations, RunControl, ScanLimits, ScanRequest
from scanner.scan.targets import Account
from tests.support import FakeTime, client, demo_targets

SCAN_TIME = datetime.now(UTC).replace(microsecond=0)
MANAGEMENT_CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "secret")
REGIONS = ("us-east-1", "eu-west-1")
# Fast tests: no real backoff sleeps, and buckets far above what the emulator can serve, paced in virtual time.
PACING = FakeTime()
FAST_RATES = RateLimits(
    overrides={service: 100_000.0 for service in ("config", "sts", "iam", "ec2", "organizations", "s3")},
    default_rate=100_000.0,
    clock=PACING.clock,
    sleep=PACING.sleep,
)


async def no_sleep(_: float) -> None:
    return None


CHECKS = (
    SelectedCheck(
        BUILTIN.get("desired-instance-type"),
        BUILTIN.get("desired-instance-type").parameters.parse(
            "desired-instance-type", {"desiredInstanceType": "t3.micro"}
        ),
    ),
    SelectedCheck(
        BUILTIN.get("iam-inactive-user"), BUILTIN.get("iam-inactive-user").parameters.parse("iam-inactive-user", {})
    ),
)


@pytest.fixture
def organization(emulator: Emulator, estates: Estates) -> DemoOrganization:
    return estates.get(("demo", 42), lambda: seed_demo(emulator.endpoint_url), record=demo_targets)


def run(
    emulator: Emulator,
    tmp_path: Path,
    organization: DemoOrganization,
    *,
    source: AccountSource | None = None,
    retry: RetryPolicy | None = None,
    name: str = "out",
) -> tuple[ScanReport, list[dict[str, Any]]]:
    output = tmp_path / f"{name}.jsonl"
    report = run_scan(
        ScanRequest(
            checks=CHECKS,
            regions=REGIONS,
            source=source or AccountSource(organization=True),
            access=Access(
                role_name=organization.audit_role_name,
                endpoint_url=emulator.endpoint_url,
                credentials=MANAGEMENT_CREDENTIALS,
            ),
            destinations=Destinations(output=output, output_dir=tmp_path / f"{name}-dir"),
            limits=ScanLimits(retry=retry or RetryPolicy(sleep=no_sleep), rates=FAST_RATES),
            run=RunControl(now=SCAN_TIME),
        )
    )
    return report, [json.loads(line) for line in output.read_text().splitlines()]


def per_target(evaluations: list[dict[str, Any]], check: str) -> Counter[tuple[str, str]]:
    return Counter((e["account_id"], e["region"]) for e in evaluations if e["check"] == check)


@pytest.mark.slow
def test_an_organization_scan_reads_every_account_and_region_through_its_role(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path
) -> None:
    report, evaluations = run(emulator, tmp_path, organization)

    assert report.all_failures == []
    expected = Counter(
        {
            (account.account_id, region): organization.count(account.account_id, region, EC2_INSTANCE)
            for account in organization.accounts
            for region in REGIONS
        }
    )
    assert per_target(evaluations, "desired-instance-type") == expected
    # IAM is global: evaluated once per account, in the global region.
    assert per_target(evaluations, "iam-inactive-user") == Counter(
        {
            (account.account_id, "us-east-1"): organization.count(account.account_id, "global", IAM_USER)
            for account in organization.accounts
        }
    )
    accounts_seen = {e["account_id"] for e in evaluations}
    assert accounts_seen == {account.account_id for account in organization.accounts}
    assert len({organization.count(a.account_id, "us-east-1", EC2_INSTANCE) for a in organization.accounts}) > 1


@pytest.mark.slow
def test_a_denied_role_fails_only_its_account(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path
) -> None:
    staging = organization.account("staging").account_id
    emulator.faults.add(FaultRule.access_denied(account=staging, operation="AssumeRole"))

    report, evaluations = run(emulator, tmp_path, organization)

    assert {e["account_id"] for e in evaluations} == {a.account_id for a in organization.accounts} - {staging}
    failed = {(f.account_id, f.region, f.what, f.code) for f in report.all_failures}
    assert failed == {(staging, region, "assume role", "AccessDenied") for region in REGIONS}
    assert report.exit_code(report_fail_on()) == 3
    cli_result = CliRunner().invoke(
        cli,
        [
            "scan",
            "--org",
            "--role-name",
            organization.audit_role_name,
            "--regions",
            ",".join(REGIONS),
            "--checks",
            "iam-inactive-user",
            "--output",
            str(tmp_path / "cli.jsonl"),
            "--endpoint-url",
            emulator.endpoint_url,
        ],
        env={
            "AWS_ACCESS_KEY_ID": MANAGEMENT_CREDENTIALS.access_key_id,
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
    )
    assert cli_result.exit_code == 3, cli_result.output
    assert "cannot assume the scan role" in cli_result.output
    summary = json.loads((tmp_path / "out-dir" / "summary.json").read_text())
    staging_targets = [t for t in summary["targets"] if t["account_id"] == staging]
    assert [t["status"] for t in staging_targets] == ["error", "error"]
    assert all("cannot assume the scan role" in t["error_message"] for t in staging_targets)
    assert not (tmp_path / "out-dir" / f"{staging}.jsonl").exists()
    prod = organization.account("prod").account_id
    lines = (tmp_path / "out-dir" / f"{prod}.jsonl").read_text().splitlines()
    assert len(lines) == len([e for e in evaluations if e["account_id"] == prod])


def report_fail_on() -> Any:
    from scanner.results import FailOn

    return FailOn.NEVER


@pytest.mark.slow
def test_a_throttling_storm_on_every_service_loses_nothing(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path
) -> None:
    _, calm = run(emulator, tmp_path, organization, name="calm")
    storm_services = ("sts", "organizations", "config", "iam")
    for service in storm_services:
        emulator.faults.add(FaultRule.throttle(count=2, service=service))
    emulator.faults.add(FaultRule.throttle(probability=0.3))
    storm_retry = RetryPolicy(sleep=no_sleep, max_attempts=12)

    report, stormy = run(emulator, tmp_path, organization, retry=storm_retry, name="storm")

    assert report.all_failures == []
    assert sorted(map(json.dumps, stormy)) == sorted(map(json.dumps, calm))
    throttled = Counter()
    for injection, count in emulator.faults.injected().items():
        if injection.kind is FaultKind.THROTTLING:
            throttled[injection.service] += count
    assert set(throttled) == set(storm_services)
    assert all(count >= 2 for count in throttled.values())
    assert report.throttles == sum(throttled.values())
    assert report.retries == sum(throttled.values())


def count_assume_role(emulator: Emulator, organization: DemoOrganization) -> dict[str, int]:
    """Install one 1 ms latency rule per member account, matching AssumeRole calls into it: a call counter."""
    return {
        member.account_id: emulator.faults.install(
            FaultRule.latency(1, account=member.account_id, operation="AssumeRole")
        ).id
        for member in organization.members
    }


def assume_role_calls(emulator: Emulator, counters: dict[str, int], account_id: str) -> int:
    return next(active.injected for active in emulator.faults.rules() if active.id == counters[account_id])


@pytest.mark.slow
def test_an_expired_token_mid_scan_is_refreshed_and_nothing_is_lost(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path
) -> None:
    _, calm = run(emulator, tmp_path, organization, name="calm")
    prod = organization.account("prod").account_id
    counters = count_assume_role(emulator, organization)
    emulator.faults.add(FaultRule.expired_token(account=prod, operation="BatchGetResourceConfig", count=1))

    report, after = run(emulator, tmp_path, organization, name="expired")

    assert report.all_failures == []
    assert sorted(map(json.dumps, after)) == sorted(map(json.dumps, calm))
    expired = [i for i in emulator.faults.injected() if i.kind is FaultKind.EXPIRED_TOKEN]
    assert [i.account for i in expired] == [prod]
    # The role was assumed again for prod (and only for prod) after the expired token.
    assert assume_role_calls(emulator, counters, prod) == 2
    assert assume_role_calls(emulator, counters, organization.account("staging").account_id) == 1


@pytest.mark.slow
def test_credentials_near_expiry_are_refreshed_during_the_scan(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path
) -> None:
    _, calm = run(emulator, tmp_path, organization, name="calm")
    counters = count_assume_role(emulator, organization)
    output = tmp_path / "refreshing.jsonl"

    # Refresh when less than 10,000 s are left of a 900 s session: every signing finds the role due for a refresh.
    report = run_scan(
        ScanRequest(
            checks=CHECKS,
            regions=REGIONS,
            source=AccountSource(organization=True),
            access=Access(
                role_name=organization.audit_role_name,
                session_seconds=900,
                refresh_before=10_000,
                endpoint_url=emulator.endpoint_url,
                credentials=MANAGEMENT_CREDENTIALS,
            ),
            destinations=Destinations(output=output),
            limits=ScanLimits(retry=RetryPolicy(sleep=no_sleep), rates=FAST_RATES, max_concurrency=2),
            run=RunControl(now=SCAN_TIME),
        )
    )

    assert report.all_failures == []
    refreshed = [json.loads(line) for line in output.read_text().splitlines()]
    assert sorted(map(json.dumps, refreshed)) == sorted(map(json.dumps, calm))
    for member in organization.members:
        assert assume_role_calls(emulator, counters, member.account_id) > 2


def test_accounts_file_with_roles_and_exclusions(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path
) -> None:
    prod = organization.account("prod")
    sandbox = organization.account("sandbox")
    source = AccountSource(
        accounts=(
            Account(prod.account_id, name="prod", role=prod.audit_role_arn, regions=("eu-west-1",)),
            Account(sandbox.account_id, name="sandbox", role="CloudSweepAudit"),
        ),
        exclude=frozenset({sandbox.account_id}),
    )
    report, evaluations = run(emulator, tmp_path, organization, source=source)

    assert report.all_failures == []
    assert set(per_target(evaluations, "desired-instance-type")) == {(prod.account_id, "eu-west-1")}
    assert set(per_target(evaluations, "iam-inactive-user")) == {(prod.account_id, "us-east-1")}


@pytest.mark.slow
def test_shards_split_the_organization_without_overlap(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path
) -> None:
    shards = [
        run(
            emulator,
            tmp_path,
            organization,
            source=AccountSource(organization=True, shard=(index, 3)),
            name=f"s{index}",
        )[1]
        for index in range(3)
    ]
    accounts = [{e["account_id"] for e in shard} for shard in shards]
    assert set().union(*accounts) == {a.account_id for a in organization.accounts}
    assert sum(len(a) for a in accounts) == len(organization.accounts)


def test_the_cli_scans_an_organization_into_an_output_dir(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", MANAGEMENT_CREDENTIALS.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", MANAGEMENT_CREDENTIALS.secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    sandbox = organization.account("sandbox").account_id
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "--org",
            "--role-name",
            organization.audit_role_name,
            "--regions",
            ",".join(REGIONS),
            "--exclude-accounts",
            sandbox,
            "--checks",
            "iam-inactive-user",
            "--output-dir",
            str(tmp_path / "dir"),
            "--endpoint-url",
            emulator.endpoint_url,
            "--rate",
            "iam=1000/s",
        ],
    )
    assert result.exit_code in (0, 1), result.output
    files = sorted(path.name for path in (tmp_path / "dir").iterdir())
    expected = sorted(f"{a.account_id}.jsonl" for a in organization.accounts if a.account_id != sandbox)
    assert files == [*expected, "summary.json"]
    summary = json.loads((tmp_path / "dir" / "summary.json").read_text())
    assert {(t["account_id"], t["region"]) for t in summary["targets"]} == {
        (a.account_id, region) for a in organization.accounts if a.account_id != sandbox for region in REGIONS
    }
    assert all(t["status"] == "ok" for t in summary["targets"])
    # IAM is read in us-east-1: that is where the calls are.
    assert all(t["api_calls"] >= 3 for t in summary["targets"] if t["region"] == "us-east-1")
    assert summary["totals"]["evaluations"] == sum(
        len((tmp_path / "dir" / name).read_text().splitlines()) for name in expected
    )


def test_a_region_the_account_has_not_enabled_fails_only_that_target(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path
) -> None:
    staging = organization.account("staging").account_id
    emulator.regions.disable(staging, "af-south-1")
    output = tmp_path / "out.jsonl"

    report = run_scan(
        ScanRequest(
            checks=CHECKS[:1],
            regions=("us-east-1", "af-south-1"),
            source=AccountSource(organization=True),
            access=Access(
                role_name=organization.audit_role_name,
                endpoint_url=emulator.endpoint_url,
                credentials=MANAGEMENT_CREDENTIALS,
            ),
            destinations=Destinations(output=output),
            limits=ScanLimits(retry=RetryPolicy(sleep=no_sleep), rates=FAST_RATES),
        )
    )

    failed = {(f.account_id, f.region, f.code) for f in report.all_failures}
    assert failed == {(staging, "af-south-1", "UnrecognizedClientException")}
    evaluations = [json.loads(line) for line in output.read_text().splitlines()]
    assert per_target(evaluations, "desired-instance-type") == Counter(
        {
            (a.account_id, "us-east-1"): organization.count(a.account_id, "us-east-1", EC2_INSTANCE)
            for a in organization.accounts
        }
    )


@pytest.mark.slow
def test_all_regions_are_the_regions_each_account_has_enabled(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path
) -> None:
    prod = organization.account("prod")
    emulator.regions.disable(prod.account_id, "af-south-1")
    emulator.regions.disable(prod.account_id, "me-south-1")
    report = run_scan(
        ScanRequest(
            checks=CHECKS[:1],
            regions=None,
            source=AccountSource(accounts=(Account(prod.account_id, role=organization.audit_role_name),)),
            destinations=Destinations(output=tmp_path / "out.jsonl"),
            access=Access(endpoint_url=emulator.endpoint_url, credentials=MANAGEMENT_CREDENTIALS),
            limits=ScanLimits(retry=RetryPolicy(sleep=no_sleep), rates=FAST_RATES),
        )
    )

    assert report.all_failures == []
    scanned = {outcome.target.region for outcome in report.outcomes}
    assert "af-south-1" not in scanned
    assert "me-south-1" not in scanned
    assert {"us-east-1", "eu-west-1", "ap-east-1", "eu-south-1"} <= scanned
    assert len(scanned) == 32


def test_organization_tags_filter_the_accounts(
    emulator: Emulator, organization: DemoOrganization, boto_session: Any, tmp_path: Path
) -> None:
    organizations = client(boto_session, "organizations", emulator.endpoint_url)
    prod = organization.account("prod").account_id
    staging = organization.account("staging").account_id
    organizations.tag_resource(ResourceId=prod, Tags=[{"Key": "env", "Value": "prod"}])
    organizations.tag_resource(ResourceId=staging, Tags=[{"Key": "env", "Value": "staging"}])

    _, evaluations = run(
        emulator, tmp_path, organization, source=AccountSource(organization=True, tags=(("env", "prod"),))
    )

    assert {e["account_id"] for e in evaluations} == {prod}


def test_a_role_in_another_partition_is_a_usage_error_before_any_scan(
    emulator: Emulator, organization: DemoOrganization, tmp_path: Path
) -> None:
    prod = organization.account("prod").account_id
    accounts = tmp_path / "accounts.yml"
    accounts.write_text(
        f"accounts:\n  - account_id: '{prod}'\n    role: arn:aws-us-gov:iam::{prod}:role/CloudSweepAudit\n"
    )
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "--accounts-file",
            str(accounts),
            "--checks",
            "iam-inactive-user",
            "--endpoint-url",
            emulator.endpoint_url,
            "--output",
            str(tmp_path / "never.jsonl"),
        ],
        env={
            "AWS_ACCESS_KEY_ID": MANAGEMENT_CREDENTIALS.access_key_id,
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
    )
    assert result.exit_code == 2, result.output
    assert "partition" in result.output
