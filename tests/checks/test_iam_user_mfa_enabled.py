"""iam-user-mfa-enabled: each user's mfa_active in the credential report, console password or not."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checks.aws import iam_user_mfa_enabled
from checks.shared.credential_report import MissingReportError
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ExtraData, ParameterError, Result, Snapshot
from tests.checks.credential_rows import ACCOUNT, NAME, iso, row
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = iam_user_mfa_enabled.CHECK
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
# The reference item is in the Lambda invocation spelling (ARN, configurationItemVersion).
REFERENCE_USER: dict[str, Any] = json.loads((REFERENCE / "AWS_IAM_User.json").read_text())


def user(name: str | None = NAME, created: str | None = "2016-09-22T05:55:07.000Z") -> ConfigurationItem:
    raw = copy.deepcopy(REFERENCE_USER)
    raw["resourceName"] = name
    raw["configuration"]["userName"] = name
    raw["configuration"]["createDate"] = created
    raw["resourceCreationTime"] = created
    return ConfigurationItem.parse(raw)


def console_user(mfa: str) -> dict[str, str]:
    """A user who signs in to the console, with MFA as given."""
    return row(
        password_enabled="true",
        password_last_used=iso(NOW - timedelta(days=2)),
        password_last_changed="2025-06-01T09:30:00+00:00",
        mfa_active=mfa,
    )


def run(item: ConfigurationItem, report: Mapping[str, Mapping[str, str]]) -> Result:
    assert CHECK.evaluate_resource is not None
    snapshot = Snapshot(ACCOUNT, "us-east-1", NOW, extra={ExtraData.IAM_CREDENTIAL_REPORT: report})
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, None), snapshot)


def test_the_check_reads_users_and_the_credential_report() -> None:
    assert CHECK.id == "iam-user-mfa-enabled"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::IAM::User",)
    assert CHECK.extra_data == (ExtraData.IAM_CREDENTIAL_REPORT,)
    assert "iam:GetCredentialReport" in CHECK.permissions
    assert CHECK.remediation_cli == (
        "aws iam enable-mfa-device --user-name USER_NAME --serial-number arn:aws:iam::ACCOUNT_ID:mfa/DEVICE_NAME "
        "--authentication-code1 CODE1 --authentication-code2 CODE2"
    )


def test_a_user_with_mfa_is_compliant() -> None:
    assert run(user(), {NAME: console_user("true")}) == Result(
        Compliance.COMPLIANT, "user johndoe has an MFA device active"
    )


def test_a_console_user_without_mfa_is_not_compliant() -> None:
    assert run(user(), {NAME: console_user("false")}) == Result(
        Compliance.NON_COMPLIANT, "user johndoe has no MFA device active"
    )


def test_a_user_without_a_password_is_judged_too() -> None:
    # Unlike mfa-enabled-for-iam-console-access, the managed rule looks at every user.
    key_only = row(
        access_key_1_active="true",
        access_key_1_last_rotated="2025-12-01T10:00:00+00:00",
        access_key_1_last_used_date=iso(NOW - timedelta(hours=5)),
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="s3",
    )
    assert run(user(), {NAME: key_only}) == Result(Compliance.NON_COMPLIANT, "user johndoe has no MFA device active")


def test_the_flag_is_read_whatever_its_case() -> None:
    assert run(user(), {NAME: console_user("TRUE")}).compliance is Compliance.COMPLIANT


@pytest.mark.parametrize("value", ["", "not_supported", "yes"])
def test_an_unreadable_flag_is_never_compliant(value: str) -> None:
    assert run(user(), {NAME: console_user(value)}) == Result(
        Compliance.NON_COMPLIANT, f"user johndoe has mfa_active {value!r} in the report: MFA unknown"
    )


def test_a_row_without_the_column_is_never_compliant() -> None:
    partial = {key: value for key, value in console_user("true").items() if key != "mfa_active"}
    assert run(user(), {NAME: partial}) == Result(
        Compliance.NON_COMPLIANT, "user johndoe has mfa_active None in the report: MFA unknown"
    )


@pytest.mark.parametrize("created", [None, "2026-03-01T10:00:00.000Z"])
def test_a_user_missing_from_the_report_is_never_compliant(created: str | None) -> None:
    """Even a user created after the report: MFA, unlike activity, cannot be inferred from a creation time."""
    report = {"someone-else": row(name="someone-else", mfa_active="true")}
    assert run(user(created=created), report) == Result(
        Compliance.NON_COMPLIANT, "user johndoe is not in the credential report: MFA unknown"
    )


def test_another_users_mfa_does_not_count() -> None:
    report = {NAME: console_user("false"), "alice": row(name="alice", mfa_active="true")}
    assert run(user(), report).compliance is Compliance.NON_COMPLIANT
    assert run(user(name="alice"), report).compliance is Compliance.COMPLIANT


def test_the_user_name_falls_back_to_the_configuration() -> None:
    raw = copy.deepcopy(REFERENCE_USER)
    del raw["resourceName"]
    item = ConfigurationItem.parse(raw)
    assert item.resource_name is None
    assert run(item, {NAME: console_user("true")}).compliance is Compliance.COMPLIANT


def test_an_item_naming_no_user_is_never_compliant() -> None:
    assert run(user(name=None), {NAME: console_user("true")}) == Result(
        Compliance.NON_COMPLIANT, "the configuration item names no user, so its MFA is unknown"
    )


def test_not_applicable_cannot_occur() -> None:
    """The managed rule judges every IAM user: one with or without a password, keys or MFA is applicable."""
    reports = [{NAME: console_user(flag)} for flag in ("true", "false", "")] + [{}, {NAME: row()}]
    assert all(run(user(), report).compliance is not Compliance.NOT_APPLICABLE for report in reports)


def test_a_missing_report_is_a_scanner_error_not_a_result() -> None:
    assert CHECK.evaluate_resource is not None
    snapshot = Snapshot(ACCOUNT, "us-east-1", NOW)
    with pytest.raises(MissingReportError, match=r"iam-user-mfa-enabled: .* has no IAM credential report"):
        CHECK.evaluate_resource(user(), CHECK.parameters.parse(CHECK.id, None), snapshot)


def test_the_check_takes_no_parameters() -> None:
    assert dict(CHECK.parameters.parse(CHECK.id, None)) == {}
    with pytest.raises(ParameterError, match="check iam-user-mfa-enabled, parameter maxInactiveDays: unknown"):
        CHECK.parameters.parse(CHECK.id, {"maxInactiveDays": "90"})
