"""iam-user-unused-credentials-check: each enabled password and active access key, on its own, used within
maxCredentialUsageAge days; a credential never used counts from when it was set."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checks.aws import iam_user_unused_credentials_check
from checks.shared.credential_report import MissingReportError
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ExtraData, ParameterError, Result, Snapshot
from tests.checks.credential_rows import ACCOUNT, NAME, iso, row
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = iam_user_unused_credentials_check.CHECK
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


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def password(changed: datetime, used: datetime | None = None, enabled: bool = True) -> dict[str, str]:
    """The password columns: set on `changed`, last used on `used` (never: the report's no_information)."""
    return {
        "password_enabled": "true" if enabled else "false",
        "password_last_changed": iso(changed),
        "password_last_used": iso(used) if used is not None else "no_information",
        "mfa_active": "true",
    }


def key(number: int, rotated: datetime | None, used: datetime | None = None, active: bool = True) -> dict[str, str]:
    """The five columns of access key `number`, created (last rotated) and last used as given."""
    prefix = f"access_key_{number}_"
    return {
        prefix + "active": "true" if active else "false",
        prefix + "last_rotated": iso(rotated) if rotated is not None else "N/A",
        prefix + "last_used_date": iso(used) if used is not None else "N/A",
        prefix + "last_used_region": "eu-west-1" if used is not None else "N/A",
        prefix + "last_used_service": "sts" if used is not None else "N/A",
    }


def run(
    item: ConfigurationItem,
    report: Mapping[str, Mapping[str, str]],
    params: dict[str, Any] | str | None = None,
) -> Result:
    assert CHECK.evaluate_resource is not None
    snapshot = Snapshot(ACCOUNT, "us-east-1", NOW, extra={ExtraData.IAM_CREDENTIAL_REPORT: report})
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), snapshot)


def test_the_check_reads_users_and_the_credential_report() -> None:
    assert CHECK.id == "iam-user-unused-credentials-check"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::IAM::User",)
    assert CHECK.extra_data == (ExtraData.IAM_CREDENTIAL_REPORT,)
    assert "iam:GetCredentialReport" in CHECK.permissions
    assert CHECK.remediation_cli == "aws iam delete-login-profile --user-name USER_NAME"


def test_a_password_used_10_days_ago_is_compliant() -> None:
    result = run(user(), {NAME: row(**password(days_ago(200), used=days_ago(10)))})
    assert result == Result(
        Compliance.COMPLIANT,
        "user johndoe: password last used on 2026-02-19T12:00:00Z, 10 days ago; within maxCredentialUsageAge 90",
    )


def test_every_credential_used_recently_is_compliant() -> None:
    report = {NAME: row(**password(days_ago(300), used=days_ago(2)), **key(2, days_ago(80), used=days_ago(1)))}
    assert run(user(), report) == Result(
        Compliance.COMPLIANT,
        "user johndoe: password last used on 2026-02-27T12:00:00Z, 2 days ago; "
        "access key 2 last used on 2026-02-28T12:00:00Z, 1 day ago; within maxCredentialUsageAge 90",
    )


def test_an_unused_password_is_not_compliant_though_a_key_is_used_daily() -> None:
    # iam-inactive-user would pass this user: here each credential is judged on its own.
    report = {NAME: row(**password(days_ago(400), used=days_ago(120)), **key(1, days_ago(30), used=days_ago(0.5)))}
    assert run(user(), report) == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe: password last used on 2025-11-01T12:00:00Z, 120 days ago; more than maxCredentialUsageAge 90",
    )


def test_a_password_never_used_counts_from_when_it_was_set() -> None:
    old = run(user(), {NAME: row(**password(days_ago(100)))})
    assert old == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe: password never used, set on 2025-11-21T12:00:00Z, 100 days ago; "
        "more than maxCredentialUsageAge 90",
    )
    new = run(user(), {NAME: row(**password(days_ago(10)))})
    assert new == Result(
        Compliance.COMPLIANT,
        "user johndoe: password never used, set on 2026-02-19T12:00:00Z, 10 days ago; within maxCredentialUsageAge 90",
    )


def test_an_active_key_never_used_counts_from_its_creation() -> None:
    result = run(user(), {NAME: row(**key(1, days_ago(100)))})
    assert result == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe: access key 1 never used, created on 2025-11-21T12:00:00Z, 100 days ago; "
        "more than maxCredentialUsageAge 90",
    )


def test_every_unused_credential_is_named() -> None:
    report = {NAME: row(**password(days_ago(500), used=days_ago(200)), **key(1, days_ago(5)), **key(2, days_ago(95)))}
    assert run(user(), report) == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe: password last used on 2025-08-13T12:00:00Z, 200 days ago; "
        "access key 2 never used, created on 2025-11-26T12:00:00Z, 95 days ago; more than maxCredentialUsageAge 90",
    )


def test_an_inactive_key_and_a_disabled_password_do_not_count() -> None:
    # The report keeps a removed password's last use and an inactive key's dates: neither can be used any more.
    report = {
        NAME: row(**password(days_ago(900), used=days_ago(800), enabled=False), **key(1, days_ago(700), active=False))
    }
    assert run(user(), report) == Result(Compliance.COMPLIANT, "user johndoe has no password and no active access keys")


def test_a_user_without_credentials_is_compliant() -> None:
    assert run(user(), {NAME: row()}) == Result(
        Compliance.COMPLIANT, "user johndoe has no password and no active access keys"
    )


def test_a_credential_with_no_time_of_its_own_counts_from_the_users_creation() -> None:
    report = {NAME: row(user_creation_time=iso(days_ago(120)), access_key_1_active="true")}
    assert run(user(), report) == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe: access key 1 never used, created on 2025-11-01T12:00:00Z, 120 days ago; "
        "more than maxCredentialUsageAge 90",
    )


def test_no_usable_time_at_all_is_never_compliant() -> None:
    report = {NAME: row(user_creation_time="N/A", access_key_1_active="true")}
    assert run(user(created=None), report) == Result(
        Compliance.NON_COMPLIANT, "user johndoe: access key 1 has no usable time of use or creation"
    )


@pytest.mark.parametrize("enabled", ["not_supported", "", "TRUEISH"])
def test_an_unreadable_enabled_flag_is_never_compliant(enabled: str) -> None:
    report = {NAME: row(**(password(days_ago(20), used=days_ago(1)) | {"password_enabled": enabled}))}
    assert run(user(), report) == Result(
        Compliance.NON_COMPLIANT, f"user johndoe: password_enabled is {enabled!r}, so the password is unknown"
    )


def test_exactly_max_age_is_compliant_and_a_second_more_is_not() -> None:
    boundary = run(user(), {NAME: row(**key(2, days_ago(400), used=days_ago(45)))}, {"maxCredentialUsageAge": 45})
    assert boundary == Result(
        Compliance.COMPLIANT,
        "user johndoe: access key 2 last used on 2026-01-15T12:00:00Z, 45 days ago; within maxCredentialUsageAge 45",
    )
    used = days_ago(45) - timedelta(seconds=1)
    past = run(user(), {NAME: row(**key(2, days_ago(400), used=used))}, {"maxCredentialUsageAge": "45"})
    assert past == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe: access key 2 last used on 2026-01-15T11:59:59Z, more than 45 days ago; "
        "more than maxCredentialUsageAge 45",
    )


def test_max_credential_usage_age_defaults_to_90() -> None:
    assert CHECK.parameters.parse(CHECK.id, None)["maxCredentialUsageAge"] == 90
    report = {NAME: row(**password(days_ago(200), used=days_ago(91)))}
    assert run(user(), report).compliance is Compliance.NON_COMPLIANT
    assert run(user(), report, '{"maxCredentialUsageAge":"120"}').compliance is Compliance.COMPLIANT


def test_a_user_created_after_the_report_counts_from_its_creation() -> None:
    # Reports can be 4 hours old: a user created since is absent, and none of its credentials is older than it.
    report = {"someone-else": row(name="someone-else")}
    assert run(user(created=iso(NOW - timedelta(hours=3))), report) == Result(
        Compliance.COMPLIANT,
        "user johndoe is newer than the credential report, created on 2026-03-01T09:00:00Z, less than 1 day ago; "
        "within maxCredentialUsageAge 90",
    )


@pytest.mark.parametrize("created", [None, "2025-01-01T00:00:00.000Z"])
def test_an_older_user_missing_from_the_report_is_never_compliant(created: str | None) -> None:
    result = run(user(created=created), {"someone-else": row(name="someone-else")})
    assert result == Result(
        Compliance.NON_COMPLIANT, "user johndoe is not in the credential report: credentials unknown"
    )


def test_an_item_naming_no_user_is_never_compliant() -> None:
    assert run(user(name=None), {NAME: row()}) == Result(
        Compliance.NON_COMPLIANT, "the configuration item names no user, so its credentials are unknown"
    )


def test_not_applicable_cannot_occur() -> None:
    """The managed rule judges every IAM user; one without a password or active key has nothing unused."""
    reports = [{NAME: row()}, {NAME: row(**password(days_ago(1)))}, {NAME: row(**key(1, days_ago(500)))}, {}]
    assert all(run(user(), report).compliance is not Compliance.NOT_APPLICABLE for report in reports)


def test_a_missing_report_is_a_scanner_error_not_a_result() -> None:
    assert CHECK.evaluate_resource is not None
    snapshot = Snapshot(ACCOUNT, "us-east-1", NOW)
    with pytest.raises(MissingReportError, match=r"iam-user-unused-credentials-check: .* has no IAM credential report"):
        CHECK.evaluate_resource(user(), CHECK.parameters.parse(CHECK.id, None), snapshot)


@pytest.mark.parametrize("value", ["0", "-3", "ninety", "9.5"])
def test_a_malformed_max_credential_usage_age_names_the_parameter(value: str) -> None:
    with pytest.raises(
        ParameterError, match="check iam-user-unused-credentials-check, parameter maxCredentialUsageAge: "
    ) as info:
        CHECK.parameters.parse(CHECK.id, {"maxCredentialUsageAge": value})
    assert info.value.parameter == "maxCredentialUsageAge"


def test_the_demo_parameters_parse() -> None:
    assert dict(CHECK.parameters.parse(CHECK.id, dict(CHECK.demo_parameters))) == {"maxCredentialUsageAge": 90}
