"""iam-inactive-user: last password or access key use from the credential report, never-used users included."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checks.aws import iam_inactive_user
from checks.aws.iam_inactive_user import InactiveSince, inactive_since
from checks.shared.credential_report import MissingReportError
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ExtraData, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = iam_inactive_user.CHECK
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
# The reference item is in the Lambda invocation spelling (ARN, configurationItemVersion).
REFERENCE_USER: dict[str, Any] = json.loads((REFERENCE / "AWS_IAM_User.json").read_text())
NAME = "johndoe"


def user(name: str | None = NAME, created: str | None = "2016-09-22T05:55:07.000Z") -> ConfigurationItem:
    raw = copy.deepcopy(REFERENCE_USER)
    raw["resourceName"] = name
    raw["configuration"]["userName"] = name
    raw["configuration"]["createDate"] = created
    raw["resourceCreationTime"] = created
    return ConfigurationItem.parse(raw)


def iso(moment: datetime) -> str:
    """As the credential report writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def row(
    name: str = NAME,
    created: str = "2016-09-22T05:55:07+00:00",
    password: str = "no_information",
    key1: str = "N/A",
    key2: str = "N/A",
) -> dict[str, str]:
    return {
        "user": name,
        "arn": f"arn:aws:iam::112233445566:user/{name}",
        "user_creation_time": created,
        "password_enabled": "false" if password == "not_supported" else "true",
        "password_last_used": password,
        "password_last_changed": "N/A",
        "mfa_active": "false",
        "access_key_1_active": "false" if key1 == "N/A" else "true",
        "access_key_1_last_used_date": key1,
        "access_key_2_active": "false" if key2 == "N/A" else "true",
        "access_key_2_last_used_date": key2,
    }


def run(
    item: ConfigurationItem,
    report: Mapping[str, Mapping[str, str]],
    params: dict[str, Any] | str | None = None,
) -> Result:
    assert CHECK.evaluate_resource is not None
    snapshot = Snapshot("112233445566", "us-east-1", NOW, extra={ExtraData.IAM_CREDENTIAL_REPORT: report})
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), snapshot)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_the_check_reads_users_and_the_credential_report() -> None:
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::IAM::User",)
    assert CHECK.extra_data == (ExtraData.IAM_CREDENTIAL_REPORT,)
    assert "iam:GetCredentialReport" in CHECK.permissions


def test_a_user_never_active_and_created_100_days_ago_is_not_compliant() -> None:
    # The sample passed every user who never signed in; such a user is the most inactive of all.
    created = iso(days_ago(100))
    result = run(user(), {NAME: row(created=created)}, {"maxInactiveDays": "90"})
    assert result == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe was never active, created on 2025-11-21T12:00:00Z, 100 days ago; more than maxInactiveDays 90",
    )


def test_a_user_never_active_and_created_10_days_ago_is_compliant() -> None:
    result = run(user(), {NAME: row(created=iso(days_ago(10)), password="not_supported")})
    assert result == Result(
        Compliance.COMPLIANT,
        "user johndoe was never active, created on 2026-02-19T12:00:00Z, 10 days ago; within maxInactiveDays 90",
    )


def test_a_password_used_10_days_ago_is_compliant() -> None:
    result = run(user(), {NAME: row(password=iso(days_ago(10)))}, {"maxInactiveDays": "90"})
    assert result == Result(
        Compliance.COMPLIANT,
        "user johndoe last used its password on 2026-02-19T12:00:00Z, 10 days ago; within maxInactiveDays 90",
    )


def test_a_password_used_long_ago_but_key_2_used_yesterday_is_compliant() -> None:
    report = {NAME: row(password=iso(days_ago(400)), key1=iso(days_ago(200)), key2=iso(days_ago(1)))}
    result = run(user(), report)
    assert result == Result(
        Compliance.COMPLIANT,
        "user johndoe last used access key 2 on 2026-02-28T12:00:00Z, 1 day ago; within maxInactiveDays 90",
    )


def test_a_password_used_long_ago_with_keys_never_used_is_not_compliant() -> None:
    result = run(user(), {NAME: row(password=iso(days_ago(120)))})
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation == (
        "user johndoe last used its password on 2025-11-01T12:00:00Z, 120 days ago; more than maxInactiveDays 90"
    )


def test_activity_within_the_last_day_reads_as_less_than_a_day() -> None:
    result = run(user(), {NAME: row(key1=iso(NOW - timedelta(hours=3)))})
    assert result == Result(
        Compliance.COMPLIANT,
        "user johndoe last used access key 1 on 2026-03-01T09:00:00Z, less than 1 day ago; within maxInactiveDays 90",
    )


def test_access_key_1_alone_counts() -> None:
    result = run(user(), {NAME: row(key1=iso(days_ago(5)))})
    assert result.compliance is Compliance.COMPLIANT
    assert result.annotation is not None
    assert result.annotation.startswith("user johndoe last used access key 1 on ")


def test_a_user_missing_from_the_report_without_a_creation_time_is_never_compliant() -> None:
    result = run(user(created=None), {"someone-else": row(name="someone-else", password=iso(days_ago(1)))})
    assert result == Result(Compliance.NON_COMPLIANT, "user johndoe is not in the credential report: activity unknown")


def test_a_user_created_after_the_report_counts_from_its_creation() -> None:
    # Reports can be 4 hours old: a user created since is absent from it, and was not active before creation.
    fresh = run(user(created=iso(NOW - timedelta(hours=2))), {"someone-else": row(name="someone-else")})
    stale = run(user(created=iso(days_ago(100))), {"someone-else": row(name="someone-else")})
    assert fresh.compliance is Compliance.COMPLIANT
    assert fresh.annotation is not None
    assert fresh.annotation.startswith("user johndoe was never active, created on ")
    assert stale.compliance is Compliance.NON_COMPLIANT


def test_exactly_max_days_is_compliant_and_a_second_more_is_not() -> None:
    boundary = run(user(), {NAME: row(password=iso(days_ago(90)))}, {"maxInactiveDays": 90})
    assert boundary == Result(
        Compliance.COMPLIANT,
        "user johndoe last used its password on 2025-12-01T12:00:00Z, 90 days ago; within maxInactiveDays 90",
    )
    past = run(user(), {NAME: row(password=iso(days_ago(90) - timedelta(seconds=1)))}, {"maxInactiveDays": 90})
    assert past == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe last used its password on 2025-12-01T11:59:59Z, more than 90 days ago; "
        "more than maxInactiveDays 90",
    )


def test_max_inactive_days_defaults_to_90() -> None:
    assert CHECK.parameters.parse(CHECK.id, None)["maxInactiveDays"] == 90
    assert run(user(), {NAME: row(password=iso(days_ago(91)))}).compliance is Compliance.NON_COMPLIANT
    assert run(user(), {NAME: row(password=iso(days_ago(91)))}, '{"maxInactiveDays":"120"}').compliance is (
        Compliance.COMPLIANT
    )


def test_an_unusable_report_creation_time_falls_back_to_the_items_create_date() -> None:
    item = user(created=iso(days_ago(100)).replace("+00:00", ".000Z"))
    result = run(item, {NAME: row(created="N/A")})
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert "was never active, created on 2025-11-21T12:00:00Z, 100 days ago" in result.annotation


def test_no_usable_time_at_all_is_never_compliant() -> None:
    result = run(user(created=None), {NAME: row(created="N/A")})
    assert result == Result(
        Compliance.NON_COMPLIANT, "user johndoe has no usable activity or creation time in the report"
    )


@pytest.mark.parametrize(("value", "shown"), [("not a time", "'not a time'"), (17, "a number"), ({}, "an object")])
def test_a_time_that_is_neither_a_time_nor_never_is_never_compliant(value: Any, shown: str) -> None:
    # A recent key use beside it would pass the user: what the password column says cannot be read, so no verdict.
    report = {NAME: {**row(key1=iso(days_ago(1))), "password_last_used": value}}
    assert run(user(), report) == Result(
        Compliance.NON_COMPLIANT,
        f"the credential report records password_last_used of user johndoe as {shown}, not a time, "
        "so it cannot be judged",
    )


def test_a_creation_date_that_is_not_a_time_is_never_compliant() -> None:
    # Absent from the report, the user would count from this date.
    raw = copy.deepcopy(REFERENCE_USER)
    raw["configuration"]["createDate"] = "yesterday"
    assert run(ConfigurationItem.parse(raw), {}) == Result(
        Compliance.NON_COMPLIANT,
        "the configuration item records createDate as 'yesterday', not a time, so it cannot be judged",
    )


def test_the_user_name_falls_back_to_the_configuration() -> None:
    raw = copy.deepcopy(REFERENCE_USER)
    del raw["resourceName"]
    item = ConfigurationItem.parse(raw)
    assert item.resource_name is None
    assert run(item, {NAME: row(password=iso(days_ago(3)))}).compliance is Compliance.COMPLIANT


def test_an_item_naming_no_user_is_never_compliant() -> None:
    result = run(user(name=None), {NAME: row(password=iso(days_ago(3)))})
    assert result == Result(
        Compliance.NON_COMPLIANT, "the configuration item names no user, so its activity is unknown"
    )


def test_a_missing_report_is_a_scanner_error_not_a_result() -> None:
    assert CHECK.evaluate_resource is not None
    snapshot = Snapshot("112233445566", "us-east-1", NOW)
    params = CHECK.parameters.parse(CHECK.id, None)
    with pytest.raises(MissingReportError, match=r"iam-inactive-user: .* has no IAM credential report"):
        CHECK.evaluate_resource(user(), params, snapshot)


@pytest.mark.parametrize("value", ["0", "-3", "ninety", "9.5"])
def test_a_malformed_max_inactive_days_names_the_parameter(value: str) -> None:
    with pytest.raises(ParameterError, match="check iam-inactive-user, parameter maxInactiveDays: ") as info:
        CHECK.parameters.parse(CHECK.id, {"maxInactiveDays": value})
    assert info.value.parameter == "maxInactiveDays"


def test_the_demo_parameters_parse() -> None:
    assert dict(CHECK.parameters.parse(CHECK.id, dict(CHECK.demo_parameters))) == {"maxInactiveDays": 90}


class TestInactiveSince:
    def test_the_latest_use_wins(self) -> None:
        report_row = row(password=iso(days_ago(3)), key1=iso(days_ago(1)), key2=iso(days_ago(2)))
        assert inactive_since(report_row, None) == InactiveSince(
            days_ago(1).replace(microsecond=0), "last used access key 1"
        )

    @pytest.mark.parametrize("never", ["N/A", "no_information", "not_supported", ""])
    def test_never_values_fall_back_to_creation(self, never: str) -> None:
        report_row = row(created="2025-01-02T03:04:05+00:00", password=never, key1=never, key2=never)
        assert inactive_since(report_row, None) == InactiveSince(
            datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), "was never active, created"
        )

    def test_the_fallback_stands_in_for_an_unusable_creation_time(self) -> None:
        fallback = datetime(2024, 5, 6, tzinfo=UTC)
        assert inactive_since(row(created="N/A"), fallback) == InactiveSince(fallback, "was never active, created")
        assert inactive_since(row(created="N/A"), None) is None

    def test_zulu_and_naive_times_are_utc(self) -> None:
        assert inactive_since(row(password="2025-01-02T03:04:05Z"), None) == InactiveSince(
            datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), "last used its password"
        )
        assert inactive_since(row(key2="2025-01-02T03:04:05"), None) == InactiveSince(
            datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), "last used access key 2"
        )
