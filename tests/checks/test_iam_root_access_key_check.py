"""iam-root-access-key-check: the credential report's <root_account> row has no access key, active or inactive."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import iam_root_access_key_check
from checks.shared.credential_report import MissingReportError
from scanner.model import Compliance
from scanner.registry import CheckScope, ExtraData, ParameterError, Result, SelectedCheck, Snapshot
from scanner.scan.orchestrator import plan_target
from tests.checks.credential_rows import ACCOUNT, root_row

CHECK = iam_root_access_key_check.CHECK
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def key(number: int, created: str, active: bool = True, used: str = "N/A") -> dict[str, str]:
    """The five columns of root's access key `number`."""
    prefix = f"access_key_{number}_"
    return {
        prefix + "active": "true" if active else "false",
        prefix + "last_rotated": created,
        prefix + "last_used_date": used,
        prefix + "last_used_region": "N/A" if used == "N/A" else "us-east-1",
        prefix + "last_used_service": "N/A" if used == "N/A" else "s3",
    }


def report_of(*rows: dict[str, str]) -> dict[str, dict[str, str]]:
    return {row["user"]: row for row in rows}


def run(report: Mapping[str, Mapping[str, str]]) -> Result:
    assert CHECK.evaluate_account is not None
    snapshot = Snapshot(ACCOUNT, "us-east-1", NOW, extra={ExtraData.IAM_CREDENTIAL_REPORT: report})
    return CHECK.evaluate_account(snapshot, CHECK.parameters.parse(CHECK.id, None))


def test_the_check_reads_the_credential_report_for_the_account() -> None:
    assert CHECK.id == "iam-root-access-key-check"
    assert CHECK.scope is CheckScope.ACCOUNT
    assert CHECK.extra_data == (ExtraData.IAM_CREDENTIAL_REPORT,)
    assert "iam:GetCredentialReport" in CHECK.permissions
    assert CHECK.remediation_cli == "aws iam delete-access-key --access-key-id ROOT_ACCESS_KEY_ID"


def test_the_check_runs_once_per_account_in_the_global_region_reading_no_items() -> None:
    selected = [SelectedCheck(CHECK, CHECK.parameters.parse(CHECK.id, None))]
    assert plan_target(selected, in_global_region=False).account_checks == ()
    in_global = plan_target(selected, in_global_region=True)
    assert in_global.account_checks == tuple(selected)
    assert in_global.evaluated_types == frozenset()
    assert in_global.lookup_types == frozenset()


def test_a_root_user_without_access_keys_is_compliant() -> None:
    assert run(report_of(root_row())) == Result(Compliance.COMPLIANT, "the root user has no access keys")


def test_an_active_root_key_is_not_compliant() -> None:
    report = report_of(root_row(**key(1, "2019-04-02T07:00:00+00:00", used="2026-02-28T22:10:00+00:00")))
    assert run(report) == Result(
        Compliance.NON_COMPLIANT, "the root user has active access key 1, created on 2019-04-02T07:00:00Z"
    )


def test_an_active_key_without_a_creation_time_is_still_named() -> None:
    report = report_of(root_row(access_key_2_active="true"))
    assert run(report) == Result(Compliance.NON_COMPLIANT, "the root user has active access key 2")


def test_an_inactive_root_key_still_exists_and_is_not_compliant() -> None:
    # The managed rule is compliant only when no root access key exists; deactivating one does not remove it.
    report = report_of(root_row(**key(2, "2018-01-15T09:00:00+00:00", active=False)))
    assert run(report) == Result(
        Compliance.NON_COMPLIANT, "the root user has inactive access key 2, created on 2018-01-15T09:00:00Z"
    )


def test_both_keys_are_named() -> None:
    report = report_of(
        root_row(**key(1, "2018-01-15T09:00:00+00:00", active=False), **key(2, "2020-06-30T18:45:00+00:00"))
    )
    assert run(report) == Result(
        Compliance.NON_COMPLIANT,
        "the root user has inactive access key 1, created on 2018-01-15T09:00:00Z and "
        "active access key 2, created on 2020-06-30T18:45:00Z",
    )


@pytest.mark.parametrize("value", ["", "yes"])
def test_an_unreadable_flag_is_never_compliant(value: str) -> None:
    assert run(report_of(root_row(access_key_1_active=value))) == Result(
        Compliance.NON_COMPLIANT, f"the root user's access keys are unknown: access_key_1_active is {value!r}"
    )


def test_users_keys_do_not_count() -> None:
    alice = root_row(
        user="alice",
        arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
        password_enabled="false",
        password_last_used="N/A",
        password_last_changed="N/A",
        password_next_rotation="N/A",
        **key(1, "2025-01-01T00:00:00+00:00"),
    )
    assert run(report_of(root_row(), alice)) == Result(Compliance.COMPLIANT, "the root user has no access keys")


def test_a_report_without_the_root_row_is_never_compliant() -> None:
    assert run({}) == Result(
        Compliance.NON_COMPLIANT, "the credential report has no <root_account> row: root access keys unknown"
    )


def test_not_applicable_cannot_occur() -> None:
    """The managed rule documents only COMPLIANT (no root access key) and NON_COMPLIANT; a root user without any
    credentials has no access key either, so it is compliant."""
    no_credentials = root_row(password_enabled="false", password_last_used="N/A", mfa_active="false")
    assert run(report_of(no_credentials)) == Result(Compliance.COMPLIANT, "the root user has no access keys")


def test_a_missing_report_is_a_scanner_error_not_a_result() -> None:
    assert CHECK.evaluate_account is not None
    snapshot = Snapshot(ACCOUNT, "us-east-1", NOW)
    with pytest.raises(MissingReportError, match=r"iam-root-access-key-check: .* has no IAM credential report"):
        CHECK.evaluate_account(snapshot, CHECK.parameters.parse(CHECK.id, None))


def test_the_check_takes_no_parameters() -> None:
    assert dict(CHECK.parameters.parse(CHECK.id, None)) == {}
    with pytest.raises(ParameterError, match="check iam-root-access-key-check, parameter x: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, '{"x": "1"}')


@pytest.mark.parametrize(("created", "shown"), [("last spring", "'last spring'"), (1700000000, "a number")])
def test_an_inactive_key_whose_creation_time_cannot_be_read_is_never_compliant(created: object, shown: str) -> None:
    # "false" with a creation time is a key that exists; with an unreadable one it was read as no key at all.
    root: dict[str, Any] = {**root_row(access_key_1_active="false"), "access_key_1_last_rotated": created}
    assert run({"<root_account>": root}) == Result(
        Compliance.NON_COMPLIANT,
        f"the credential report records access_key_1_last_rotated of user <root_account> as {shown}, not a time, "
        "so it cannot be judged",
    )
