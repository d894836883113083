"""access-keys-rotated: active keys' access_key_N_last_rotated within maxAccessKeyAge; inactive keys do not count."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checks.aws import access_keys_rotated
from checks.shared.credential_report import MissingReportError
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import CheckScope, ExtraData, ParameterError, Result, Snapshot
from tests.checks.credential_rows import ACCOUNT, NAME, iso, row
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = access_keys_rotated.CHECK
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
    assert CHECK.id == "access-keys-rotated"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::IAM::User",)
    assert CHECK.extra_data == (ExtraData.IAM_CREDENTIAL_REPORT,)
    assert "iam:GetCredentialReport" in CHECK.permissions
    assert CHECK.remediation_cli == (
        "aws iam update-access-key --user-name USER_NAME --access-key-id OLD_ACCESS_KEY_ID --status Inactive"
    )


def test_a_key_rotated_10_days_ago_is_compliant() -> None:
    result = run(user(), {NAME: row(**key(1, days_ago(10), used=days_ago(1)))})
    assert result == Result(
        Compliance.COMPLIANT,
        "user johndoe: active access key 1 last rotated on 2026-02-19T12:00:00Z, 10 days ago; "
        "within maxAccessKeyAge 90",
    )


def test_two_fresh_keys_are_both_named() -> None:
    result = run(user(), {NAME: row(**key(1, days_ago(60)), **key(2, days_ago(3)))})
    assert result == Result(
        Compliance.COMPLIANT,
        "user johndoe: active access key 1 last rotated on 2025-12-31T12:00:00Z, 60 days ago; "
        "active access key 2 last rotated on 2026-02-26T12:00:00Z, 3 days ago; within maxAccessKeyAge 90",
    )


def test_a_key_rotated_100_days_ago_is_not_compliant_however_recently_used() -> None:
    result = run(user(), {NAME: row(**key(1, days_ago(100), used=NOW - timedelta(hours=1)))})
    assert result == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe: active access key 1 last rotated on 2025-11-21T12:00:00Z, 100 days ago; "
        "more than maxAccessKeyAge 90",
    )


def test_a_stale_second_key_is_not_compliant_and_named_alone() -> None:
    result = run(user(), {NAME: row(**key(1, days_ago(5)), **key(2, days_ago(365)))})
    assert result == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe: active access key 2 last rotated on 2025-03-01T12:00:00Z, 365 days ago; "
        "more than maxAccessKeyAge 90",
    )


def test_a_user_without_access_keys_is_compliant() -> None:
    console = row(password_enabled="true", password_last_used=iso(days_ago(1)), password_last_changed=iso(days_ago(30)))
    assert run(user(), {NAME: console}) == Result(Compliance.COMPLIANT, "user johndoe has no active access keys")


def test_an_old_inactive_key_does_not_count() -> None:
    report = {NAME: row(**key(1, days_ago(400), used=days_ago(300), active=False), **key(2, days_ago(20)))}
    assert run(user(), report) == Result(
        Compliance.COMPLIANT,
        "user johndoe: active access key 2 last rotated on 2026-02-09T12:00:00Z, 20 days ago; "
        "within maxAccessKeyAge 90",
    )
    only_inactive = {NAME: row(**key(1, days_ago(400), active=False))}
    assert run(user(), only_inactive) == Result(Compliance.COMPLIANT, "user johndoe has no active access keys")


@pytest.mark.parametrize("rotated", ["N/A", ""])
def test_an_active_key_without_a_usable_rotation_time_is_never_compliant(rotated: str) -> None:
    result = run(user(), {NAME: row(access_key_1_active="true", access_key_1_last_rotated=rotated)})
    assert result == Result(
        Compliance.NON_COMPLIANT,
        f"user johndoe: access key 1 is active but access_key_1_last_rotated is {rotated!r}",
    )


@pytest.mark.parametrize(
    ("rotated", "shown"), [("not a time", "'not a time'"), (True, "a boolean"), (["2026-01-01"], "a list")]
)
def test_a_rotation_time_that_is_neither_a_time_nor_never_is_never_compliant(rotated: Any, shown: str) -> None:
    report = {NAME: {**row(access_key_2_active="true"), "access_key_2_last_rotated": rotated}}
    assert run(user(), report) == Result(
        Compliance.NON_COMPLIANT,
        f"the credential report records access_key_2_last_rotated of user johndoe as {shown}, not a time, "
        "so it cannot be judged",
    )


def test_an_unreadable_active_flag_is_never_compliant() -> None:
    result = run(user(), {NAME: row(**(key(2, days_ago(3)) | {"access_key_2_active": "maybe"}))})
    assert result == Result(
        Compliance.NON_COMPLIANT, "user johndoe: access_key_2_active is 'maybe', so access key 2 is unknown"
    )


def test_an_unknown_key_and_a_stale_one_are_both_named() -> None:
    report = {NAME: row(access_key_1_active="true", **key(2, days_ago(100)))}
    assert run(user(), report) == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe: access key 1 is active but access_key_1_last_rotated is 'N/A'; "
        "active access key 2 last rotated on 2025-11-21T12:00:00Z, 100 days ago; more than maxAccessKeyAge 90",
    )


def test_exactly_max_age_is_compliant_and_a_second_more_is_not() -> None:
    boundary = run(user(), {NAME: row(**key(1, days_ago(90)))}, {"maxAccessKeyAge": 90})
    assert boundary.compliance is Compliance.COMPLIANT
    past = run(user(), {NAME: row(**key(1, days_ago(90) - timedelta(seconds=1)))}, {"maxAccessKeyAge": 90})
    assert past == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe: active access key 1 last rotated on 2025-12-01T11:59:59Z, more than 90 days ago; "
        "more than maxAccessKeyAge 90",
    )


def test_max_access_key_age_defaults_to_90_and_arrives_as_a_string() -> None:
    assert CHECK.parameters.parse(CHECK.id, None)["maxAccessKeyAge"] == 90
    report = {NAME: row(**key(1, days_ago(91)))}
    assert run(user(), report).compliance is Compliance.NON_COMPLIANT
    assert run(user(), report, '{"maxAccessKeyAge":"120"}').compliance is Compliance.COMPLIANT
    assert run(user(), {NAME: row(**key(1, days_ago(31)))}, {"maxAccessKeyAge": "30"}).compliance is (
        Compliance.NON_COMPLIANT
    )


def test_a_user_created_after_the_report_has_no_key_older_than_itself() -> None:
    # Reports can be 4 hours old: a user created since is absent, and its keys are younger than the user.
    report = {"someone-else": row(name="someone-else")}
    fresh = run(user(created=iso(NOW - timedelta(hours=2))), report)
    assert fresh == Result(
        Compliance.COMPLIANT,
        "user johndoe is newer than the credential report, created on 2026-03-01T10:00:00Z, less than 1 day ago; "
        "within maxAccessKeyAge 90",
    )


@pytest.mark.parametrize("created", [None, "2025-06-01T00:00:00.000Z"])
def test_an_older_user_missing_from_the_report_is_never_compliant(created: str | None) -> None:
    result = run(user(created=created), {"someone-else": row(name="someone-else")})
    assert result == Result(
        Compliance.NON_COMPLIANT, "user johndoe is not in the credential report: access keys unknown"
    )


def test_an_item_naming_no_user_is_never_compliant() -> None:
    assert run(user(name=None), {NAME: row()}) == Result(
        Compliance.NON_COMPLIANT, "the configuration item names no user, so its access keys are unknown"
    )


def test_a_long_annotation_fits_aws_configs_limit() -> None:
    long_name = "u" * 64  # IAM's longest user name
    report = {long_name: row(name=long_name, access_key_1_active="garbage-" * 8, **key(2, days_ago(500)))}
    result = run(user(name=long_name), report)
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert len(result.annotation) <= ANNOTATION_LIMIT
    assert result.annotation.endswith("; and 1 more; more than maxAccessKeyAge 90")


def test_not_applicable_cannot_occur() -> None:
    """The managed rule judges every IAM user; one without active keys has nothing unrotated and is compliant."""
    reports = [{NAME: row()}, {NAME: row(**key(1, days_ago(1)))}, {NAME: row(**key(1, days_ago(500)))}, {}]
    assert all(run(user(), report).compliance is not Compliance.NOT_APPLICABLE for report in reports)


def test_a_missing_report_is_a_scanner_error_not_a_result() -> None:
    assert CHECK.evaluate_resource is not None
    snapshot = Snapshot(ACCOUNT, "us-east-1", NOW)
    with pytest.raises(MissingReportError, match=r"access-keys-rotated: .* has no IAM credential report"):
        CHECK.evaluate_resource(user(), CHECK.parameters.parse(CHECK.id, None), snapshot)


@pytest.mark.parametrize("value", ["0", "-1", "ninety", "9.5", True])
def test_a_malformed_max_access_key_age_names_the_parameter(value: Any) -> None:
    with pytest.raises(ParameterError, match="check access-keys-rotated, parameter maxAccessKeyAge: ") as info:
        CHECK.parameters.parse(CHECK.id, {"maxAccessKeyAge": value})
    assert info.value.parameter == "maxAccessKeyAge"


def test_the_demo_parameters_parse() -> None:
    assert dict(CHECK.parameters.parse(CHECK.id, dict(CHECK.demo_parameters))) == {"maxAccessKeyAge": 90}
