"""What every built-in check concludes about the demo organization, end to end: seed, AWS Config layer, scan.

One demo-seeded emulator is scanned once with every built-in check and its demo parameters, as `cloudsweep demo`
does. EXPECTED says, for each check, exactly which outcomes the scan shows, and why each other outcome cannot show:
a check missing from it fails the test, so a new check must state its outcomes here (and, usually, get a resource
planted in emulator/cloudsweep_emulator/seed/ that yields them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cloudsweep_emulator.demo import DEMO_CREDENTIALS, demo_checks
from cloudsweep_emulator.seed import DemoOrganization, ResourceRef
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.registry import SelectedCheck
from scanner.runner import run_scan
from scanner.scan.request import Access, AccountSource, Destinations, ScanRequest

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"
ALL_OUTCOMES = frozenset({COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE})
ACCOUNT = "AWS::::Account"
# Where the scan reports global (IAM) resources and account-wide checks: its default --global-region.
GLOBAL_REGION = "us-east-1"


@dataclass(frozen=True)
class Outcomes:
    seen: frozenset[str]
    why_not: Mapping[str, str]  # each outcome the scan cannot show, and why


def outcomes(*seen: str, **why_not: str) -> Outcomes:
    return Outcomes(frozenset(seen), why_not)


NEVER = "the check's code never returns it"
DELETED_INSTANCE = (
    "only for a shutting-down or terminated instance, which AWS Config, and so the emulator, records as deleted: "
    "the scanner reads no deleted item"
)

EXPECTED: dict[str, Outcomes] = {
    "access-keys-rotated": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: a user without active keys is COMPLIANT"
    ),
    "approved-amis-by-id": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every instance was launched from some image"
    ),
    "cloudtrail-enabled": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every account and region has a trail or not"
    ),
    "desired-instance-type": outcomes(COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every instance has a type"),
    "ec2-exposed-instance": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every instance is judged by its security groups"
    ),
    "ec2-imdsv2-check": outcomes(COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=DELETED_INSTANCE),
    "ec2-instance-no-public-ip": outcomes(COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=DELETED_INSTANCE),
    "ec2-volume-inuse-check": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: an unattached volume is NON_COMPLIANT"
    ),
    "encrypted-volumes": outcomes(COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE),
    "iam-inactive-user": outcomes(COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every user was active or not"),
    "iam-password-policy": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every account has a password policy or none"
    ),
    "iam-policy-no-statements-with-admin-access": outcomes(
        COMPLIANT,
        NON_COMPLIANT,
        NOT_APPLICABLE=(
            "for an AWS managed policy, which the emulator does not record (customer managed ones only), or a "
            "permissions boundary with excludePermissionBoundaryPolicy true, which the demo's parameters leave "
            "false: test_parameter_dependent_outcomes scans with it true"
        ),
    ),
    "iam-root-access-key-check": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: a root user without credentials has no keys, COMPLIANT"
    ),
    "iam-user-mfa-enabled": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every user is judged, console password or not"
    ),
    "iam-user-no-policies-check": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every user has policies of its own or not"
    ),
    "iam-user-unused-credentials-check": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: a user without credentials is COMPLIANT"
    ),
    "lambda-function-public-access-prohibited": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: a function without a resource policy is COMPLIANT"
    ),
    "rds-instance-public-access-check": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every DB instance is public or not"
    ),
    "rds-storage-encrypted": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every DB instance's storage is encrypted or not"
    ),
    "required-tags": outcomes(
        COMPLIANT,
        NON_COMPLIANT,
        NOT_APPLICABLE=(
            "only for a resource type outside its RESOURCE_TYPES, and the scanner gives it only the types it "
            "declares, which are those"
        ),
    ),
    "resource-count-max": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every account and region has a count"
    ),
    "restricted-common-ports": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every security group is judged, in use or not"
    ),
    "restricted-ssh": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every security group is judged, in use or not"
    ),
    "root-account-mfa-enabled": outcomes(COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE),
    "s3-bucket-level-public-access-prohibited": outcomes(
        COMPLIANT,
        NON_COMPLIANT,
        NOT_APPLICABLE=(
            "only for a bucket listed in excludedPublicBuckets, which the demo's parameters leave empty: "
            "test_parameter_dependent_outcomes lists a public bucket"
        ),
    ),
    "s3-bucket-public-read-prohibited": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every bucket is in scope"
    ),
    "s3-bucket-public-write-prohibited": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every bucket is in scope"
    ),
    "s3-bucket-server-side-encryption-enabled": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every bucket is in scope"
    ),
    "s3-bucket-ssl-requests-only": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every bucket is in scope"
    ),
    "s3-bucket-versioning-enabled": outcomes(
        COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE=f"{NEVER}: every bucket is in scope"
    ),
    "vpc-default-security-group-closed": outcomes(COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE),
}


@dataclass(frozen=True)
class DemoScan:
    emulator: Emulator
    organization: DemoOrganization
    records: list[dict[str, Any]]

    def outcomes(self, check: str) -> frozenset[str]:
        return frozenset(record["compliance"] for record in self.records if record["check"] == check)

    def result(self, check: str, account_id: str, region: str, resource_type: str, resource_id: str) -> str:
        region = GLOBAL_REGION if region == "global" else region
        (compliance,) = [
            record["compliance"]
            for record in self.records
            if (record["check"], record["account_id"], record["region"], record["resource_type"], record["resource_id"])
            == (check, account_id, region, resource_type, resource_id)
        ]
        return str(compliance)


def scan(emulator: Emulator, organization: DemoOrganization, checks: tuple[SelectedCheck, ...], output: Path) -> Any:
    report = run_scan(
        ScanRequest(
            checks=checks,
            regions=organization.regions,
            source=AccountSource(organization=True),
            access=Access(
                role_name=organization.audit_role_name, endpoint_url=emulator.endpoint_url, credentials=DEMO_CREDENTIALS
            ),
            destinations=Destinations(output=output),
        )
    )
    assert report.all_failures == []
    return [json.loads(line) for line in output.read_text().splitlines()]


@pytest.fixture(scope="module")
def demo_scan(running_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoScan]:
    running_emulator.reset()
    try:
        organization = running_emulator.seed_demo()
        output = tmp_path_factory.mktemp("demo") / "demo.jsonl"
        yield DemoScan(
            running_emulator, organization, scan(running_emulator, organization, tuple(demo_checks()), output)
        )
    finally:
        running_emulator.reset()


def test_the_table_states_every_outcome_of_every_builtin_check() -> None:
    assert set(EXPECTED) == {check.id for check in BUILTIN}
    for check_id, expected in EXPECTED.items():
        assert expected.seen | set(expected.why_not) == ALL_OUTCOMES, check_id
        assert not expected.seen & set(expected.why_not), check_id
        assert all(reason.strip() for reason in expected.why_not.values()), check_id


@pytest.mark.slow
@pytest.mark.parametrize("check_id", sorted(EXPECTED))
def test_the_demo_scan_shows_exactly_the_expected_outcomes(demo_scan: DemoScan, check_id: str) -> None:
    assert demo_scan.outcomes(check_id) == EXPECTED[check_id].seen


def test_every_account_is_scanned_in_every_region(demo_scan: DemoScan) -> None:
    places = {(record["account_id"], record["region"]) for record in demo_scan.records}
    accounts = {account.account_id for account in demo_scan.organization.accounts}
    assert places == {(account, region) for account in accounts for region in demo_scan.organization.regions}


def test_the_planted_resources_get_the_outcomes_they_were_planted_for(demo_scan: DemoScan) -> None:
    organization = demo_scan.organization
    violations, examples = organization.known_violations, organization.compliant_examples

    def results(check: str, refs: tuple[ResourceRef, ...]) -> set[str]:
        return {demo_scan.result(check, ref.account_id, ref.region, ref.resource_type, ref.resource_id) for ref in refs}

    assert results("rds-instance-public-access-check", violations.public_db_instances) == {NON_COMPLIANT}
    assert results("rds-instance-public-access-check", examples.private_db_instances) == {COMPLIANT}
    assert results("rds-storage-encrypted", violations.public_db_instances) == {NON_COMPLIANT}
    assert results("rds-storage-encrypted", examples.private_db_instances) == {COMPLIANT}
    assert results("required-tags", violations.public_db_instances) == {NON_COMPLIANT}
    assert results("required-tags", examples.private_db_instances) == {COMPLIANT}
    assert results("lambda-function-public-access-prohibited", violations.public_functions) == {NON_COMPLIANT}
    assert results("lambda-function-public-access-prohibited", examples.private_functions) == {COMPLIANT}
    assert results("approved-amis-by-id", violations.unapproved_ami_instances) == {NON_COMPLIANT}
    assert results("ec2-imdsv2-check", examples.imdsv2_instances) == {COMPLIANT}
    assert results("vpc-default-security-group-closed", examples.closed_default_groups) == {COMPLIANT}
    assert results("iam-user-mfa-enabled", examples.mfa_users) == {COMPLIANT}

    accounts = [account.account_id for account in organization.accounts]

    def account_results(check: str) -> dict[str, str]:
        return {account: demo_scan.result(check, account, GLOBAL_REGION, ACCOUNT, account) for account in accounts}

    root_mfa = account_results("root-account-mfa-enabled")
    assert {root_mfa[account] for account in violations.root_without_mfa} == {NON_COMPLIANT}
    assert {root_mfa[account] for account in examples.root_without_credentials} == {NOT_APPLICABLE}
    root_keys = account_results("iam-root-access-key-check")
    assert {account for account, result in root_keys.items() if result == NON_COMPLIANT} == set(
        violations.root_access_keys
    )
    passwords = account_results("iam-password-policy")
    assert {account for account, result in passwords.items() if result == COMPLIANT} == set(
        examples.strong_password_policies
    )
    trails = {
        (account, region): demo_scan.result("cloudtrail-enabled", account, region, ACCOUNT, account)
        for account in accounts
        for region in organization.regions
    }
    assert {place for place, result in trails.items() if result == NON_COMPLIANT} == set(
        violations.regions_without_trail
    )


def parameter_dependent(organization: DemoOrganization) -> dict[str, dict[str, str]]:
    """Parameters, beyond the demo's, under which a planted resource becomes NOT_APPLICABLE."""
    (public_bucket, *_) = organization.known_violations.public_buckets
    return {
        "iam-policy-no-statements-with-admin-access": {"excludePermissionBoundaryPolicy": "true"},
        "s3-bucket-level-public-access-prohibited": {"excludedPublicBuckets": str(public_bucket.resource_name)},
    }


def test_parameter_dependent_outcomes(demo_scan: DemoScan, tmp_path: Path) -> None:
    """The outcomes EXPECTED says the demo's parameters rule out, with other parameters."""
    organization = demo_scan.organization
    parameters = parameter_dependent(organization)
    checks = tuple(
        SelectedCheck(check, check.parameters.parse(check.id, parameters[check.id]))
        for check in BUILTIN
        if check.id in parameters
    )
    records = scan(demo_scan.emulator, organization, checks, tmp_path / "parameters.jsonl")
    rescan = DemoScan(demo_scan.emulator, organization, records)

    assert {check: rescan.outcomes(check) for check in parameters} == {check: ALL_OUTCOMES for check in parameters}
    (boundary,) = organization.compliant_examples.boundary_policies
    boundary_result = rescan.result(
        "iam-policy-no-statements-with-admin-access",
        boundary.account_id,
        boundary.region,
        boundary.resource_type,
        boundary.resource_id,
    )
    assert boundary_result == NOT_APPLICABLE
    not_applicable = [
        record["resource_id"]
        for record in records
        if record["check"] == "s3-bucket-level-public-access-prohibited" and record["compliance"] == NOT_APPLICABLE
    ]
    assert not_applicable == [parameters["s3-bucket-level-public-access-prohibited"]["excludedPublicBuckets"]]
