"""root-account-mfa-enabled: the credential report's <root_account> row, once per account in the global region."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from checks.aws import root_account_mfa_enabled
from checks.shared.credential_report import MissingReportError
from scanner.model import Compliance
from scanner.registry import CheckScope, ExtraData, ParameterError, Result, SelectedCheck, Snapshot
from scanner.scan.orchestrator import plan_target
from tests.checks.credential_rows import ACCOUNT, root_row

CHECK = root_account_mfa_enabled.CHECK
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def user_row(name: str, mfa: str) -> dict[str, str]:
    return root_row(
        user=name,
        arn=f"arn:aws:iam::{ACCOUNT}:user/{name}",
        password_enabled="true",
        password_last_changed="2025-10-01T00:00:00+00:00",
        password_next_rotation="N/A",
        mfa_active=mfa,
    )


# A root user whose credentials were removed through centralized root access (as the report shows it).
NO_ROOT_CREDENTIALS = root_row(password_enabled="false", password_last_used="N/A", mfa_active="false")


def run(report: Mapping[str, Mapping[str, str]]) -> Result:
    assert CHECK.evaluate_account is not None
    snapshot = Snapshot(ACCOUNT, "us-east-1", NOW, extra={ExtraData.IAM_CREDENTIAL_REPORT: report})
    return CHECK.evaluate_account(snapshot, CHECK.parameters.parse(CHECK.id, None))


def report_of(*rows: dict[str, str]) -> dict[str, dict[str, str]]:
    return {row["user"]: row for row in rows}


def test_the_check_reads_the_credential_report_for_the_account() -> None:
    assert CHECK.id == "root-account-mfa-enabled"
    assert CHECK.scope is CheckScope.ACCOUNT
    assert CHECK.extra_data == (ExtraData.IAM_CREDENTIAL_REPORT,)
    assert "iam:GenerateCredentialReport" in CHECK.permissions
    assert CHECK.remediation_cli == "aws iam get-account-summary --query SummaryMap.AccountMFAEnabled"


def test_the_check_runs_once_per_account_in_the_global_region_reading_no_items() -> None:
    selected = [SelectedCheck(CHECK, CHECK.parameters.parse(CHECK.id, None))]
    assert plan_target(selected, in_global_region=False).account_checks == ()
    in_global = plan_target(selected, in_global_region=True)
    assert in_global.account_checks == tuple(selected)
    assert in_global.evaluated_types == frozenset()
    assert in_global.lookup_types == frozenset()
    assert in_global.extra == frozenset({ExtraData.IAM_CREDENTIAL_REPORT})
    # Also where the global region is scanned for global resources alone.
    assert plan_target(selected, in_global_region=True, regional=False).account_checks == tuple(selected)


def test_a_root_user_with_mfa_is_compliant() -> None:
    assert run(report_of(root_row())) == Result(Compliance.COMPLIANT, "the root user has an MFA device active")


def test_a_root_user_without_mfa_is_not_compliant() -> None:
    assert run(report_of(root_row(mfa_active="false"))) == Result(
        Compliance.NON_COMPLIANT, "the root user has no MFA device active"
    )


def test_a_root_user_without_credentials_is_not_applicable() -> None:
    assert run(report_of(NO_ROOT_CREDENTIALS)) == Result(
        Compliance.NOT_APPLICABLE, "the root user has no credentials: no password, access key or certificate"
    )


@pytest.mark.parametrize(
    "column", ["access_key_1_active", "access_key_2_active", "cert_1_active", "cert_2_active", "password_enabled"]
)
def test_any_root_credential_left_makes_mfa_applicable(column: str) -> None:
    report = report_of(NO_ROOT_CREDENTIALS | {column: "true"})
    assert run(report) == Result(Compliance.NON_COMPLIANT, "the root user has no MFA device active")


def test_not_supported_does_not_say_root_has_no_password() -> None:
    # Reports write "not_supported" in root's password_enabled: that is no evidence the password is gone.
    report = report_of(NO_ROOT_CREDENTIALS | {"password_enabled": "not_supported"})
    assert run(report) == Result(Compliance.NON_COMPLIANT, "the root user has no MFA device active")


@pytest.mark.parametrize("value", ["", "unknown"])
def test_an_unreadable_flag_is_never_compliant(value: str) -> None:
    assert run(report_of(root_row(mfa_active=value))) == Result(
        Compliance.NON_COMPLIANT, f"the root user has mfa_active {value!r} in the report: MFA unknown"
    )


def test_a_report_without_the_root_row_is_never_compliant() -> None:
    assert run(report_of(user_row("alice", mfa="true"))) == Result(
        Compliance.NON_COMPLIANT, "the credential report has no <root_account> row: root MFA unknown"
    )


def test_users_mfa_does_not_stand_for_roots() -> None:
    assert run(report_of(root_row(mfa_active="false"), user_row("alice", mfa="true"))).compliance is (
        Compliance.NON_COMPLIANT
    )
    assert run(report_of(root_row(), user_row("bob", mfa="false"))).compliance is Compliance.COMPLIANT


def test_a_missing_report_is_a_scanner_error_not_a_result() -> None:
    assert CHECK.evaluate_account is not None
    snapshot = Snapshot(ACCOUNT, "us-east-1", NOW)
    with pytest.raises(MissingReportError, match=r"root-account-mfa-enabled: .* has no IAM credential report"):
        CHECK.evaluate_account(snapshot, CHECK.parameters.parse(CHECK.id, None))


def test_the_check_takes_no_parameters() -> None:
    assert dict(CHECK.parameters.parse(CHECK.id, None)) == {}
    with pytest.raises(ParameterError, match="check root-account-mfa-enabled, parameter mfa: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"mfa": "true"})
