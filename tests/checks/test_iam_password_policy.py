"""iam-password-policy: GetAccountPasswordPolicy's answer against the managed rule's parameters and defaults."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cloudsweep_emulator.server import Emulator

from checks.aws import BUILTIN, iam_password_policy
from checks.shared.common import MissingExtraDataError
from scanner.model import Compliance
from scanner.registry import ExtraData, ParameterError, Result, SelectedCheck, Snapshot
from scanner.runner import run_scan
from scanner.scan.orchestrator import plan_target
from scanner.scan.request import Access, Destinations, ScanRequest
from tests.support import client

CHECK = iam_password_policy.CHECK
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
# GetAccountPasswordPolicy's PasswordPolicy for a policy meeting the CIS benchmark (1.8, 1.9).
STRONG = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "ExpirePasswords": True,
    "MaxPasswordAge": 90,
    "PasswordReusePrevention": 24,
    "HardExpiry": False,
}
# What IAM answers after `update-account-password-policy --minimum-password-length 8` alone.
WEAK = {
    "MinimumPasswordLength": 8,
    "RequireSymbols": False,
    "RequireNumbers": False,
    "RequireUppercaseCharacters": False,
    "RequireLowercaseCharacters": False,
    "AllowUsersToChangePassword": False,
    "ExpirePasswords": False,
    "HardExpiry": False,
}


def evaluate(policy: dict[str, Any] | None, **params: Any) -> Result:
    snapshot = Snapshot("112233445566", "us-east-1", NOW, extra={ExtraData.IAM_PASSWORD_POLICY: policy})
    return CHECK.evaluate_account(snapshot, CHECK.parameters.parse(CHECK.id, params))  # type: ignore[misc]


def test_a_policy_meeting_the_defaults_is_compliant() -> None:
    assert evaluate(STRONG) == Result(
        Compliance.COMPLIANT, "the password policy meets every requirement (minimum length 14)"
    )


def test_no_policy_is_non_compliant() -> None:
    assert evaluate(None) == Result(Compliance.NON_COMPLIANT, "the account has no IAM password policy")


def test_a_weak_policy_names_every_shortfall() -> None:
    assert evaluate(WEAK) == Result(
        Compliance.NON_COMPLIANT,
        "the password policy falls short: does not require uppercase letters, lowercase letters, symbols, numbers; "
        "minimum length 8 < 14; allows reuse, not the last 24 passwords; passwords never expire, not within 90",
    )


@pytest.mark.parametrize(
    ("change", "shortfall"),
    [
        ({"MinimumPasswordLength": 13}, "minimum length 13 < 14"),
        ({"PasswordReusePrevention": 5}, "remembers 5, not the last 24 passwords"),
        ({"MaxPasswordAge": 91}, "passwords expire after 91 days, not within 90"),
        ({"RequireSymbols": False}, "does not require symbols"),
    ],
)
def test_each_requirement_alone_fails_the_policy(change: dict[str, Any], shortfall: str) -> None:
    assert evaluate(STRONG | change) == Result(
        Compliance.NON_COMPLIANT, f"the password policy falls short: {shortfall}"
    )


def test_parameters_relax_the_requirements_as_aws_config_passes_them() -> None:
    relaxed = {
        "RequireUppercaseCharacters": "false",
        "RequireLowercaseCharacters": "false",
        "RequireSymbols": "false",
        "RequireNumbers": "false",
        "MinimumPasswordLength": "8",
        "PasswordReusePrevention": "0",
        "MaxPasswordAge": "0",
    }
    assert evaluate(WEAK, **relaxed) == Result(
        Compliance.COMPLIANT, "the password policy meets every requirement (minimum length 8)"
    )
    assert evaluate(WEAK | {"MaxPasswordAge": 30, "ExpirePasswords": True}, **(relaxed | {"MaxPasswordAge": "60"})) == (
        Result(Compliance.COMPLIANT, "the password policy meets every requirement (minimum length 8)")
    )


def test_stricter_parameters_than_the_defaults() -> None:
    assert evaluate(STRONG, MinimumPasswordLength="16", MaxPasswordAge="60") == Result(
        Compliance.NON_COMPLIANT,
        "the password policy falls short: minimum length 14 < 16; passwords expire after 90 days, not within 60",
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"MinimumPasswordLength": "5"}, "parameter MinimumPasswordLength: must be at least 6, got 5"),
        (
            {"RequireSymbols": "True"},
            'parameter RequireSymbols: expected "true" or "false" (lower case, as AWS Config reads them), got \'True\'',
        ),
        ({"MaxPasswordAge": "-1"}, "parameter MaxPasswordAge: must be at least 0, got -1"),
    ],
)
def test_bad_parameters_are_named(params: dict[str, str], message: str) -> None:
    with pytest.raises(ParameterError) as raised:
        CHECK.parameters.parse(CHECK.id, params)
    assert str(raised.value) == f"check iam-password-policy, {message}"


def test_not_applicable_cannot_occur() -> None:
    """Every account either has a password policy or has none; both are judged, so nothing is NOT_APPLICABLE."""
    outcomes = {evaluate(policy).compliance for policy in (None, WEAK, STRONG, {})}
    assert outcomes == {Compliance.COMPLIANT, Compliance.NON_COMPLIANT}


def test_a_snapshot_without_the_policy_read_is_a_scanner_bug_not_a_verdict() -> None:
    snapshot = Snapshot("112233445566", "us-east-1", NOW)
    with pytest.raises(MissingExtraDataError, match=r"iam-password-policy: .* has no IAM password policy"):
        CHECK.evaluate_account(snapshot, CHECK.parameters.parse(CHECK.id, {}))  # type: ignore[misc]


def test_runs_once_per_account_in_the_global_region() -> None:
    selected = [SelectedCheck(CHECK, CHECK.parameters.parse(CHECK.id, {}))]
    assert plan_target(selected, in_global_region=True).account_checks == tuple(selected)
    assert plan_target(selected, in_global_region=False).account_checks == ()
    assert CHECK.permissions[-1] == "iam:GetAccountPasswordPolicy"
    assert CHECK.remediation_cli.endswith("--max-password-age 90 --allow-users-to-change-password")


def test_a_scan_reads_the_policy_through_iam(aws_env: Emulator, boto_session: Any, tmp_path: Path) -> None:
    selected = (SelectedCheck(BUILTIN.get(CHECK.id), CHECK.parameters.parse(CHECK.id, {})),)
    output = tmp_path / "evaluations.jsonl"

    def scan() -> tuple[str, str]:
        report = run_scan(
            ScanRequest(
                regions=("us-east-1",),
                checks=selected,
                destinations=Destinations(output=output),
                access=Access(endpoint_url=aws_env.endpoint_url),
            )
        )
        assert report.all_failures == []
        (evaluation,) = [json.loads(line) for line in output.read_text().splitlines()]
        assert evaluation["resource_type"] == "AWS::::Account"
        return evaluation["compliance"], evaluation["annotation"]

    assert scan() == ("NON_COMPLIANT", "the account has no IAM password policy")
    iam = client(boto_session, "iam", aws_env.endpoint_url)
    iam.update_account_password_policy(
        MinimumPasswordLength=14,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=24,
    )
    assert scan() == ("COMPLIANT", "the password policy meets every requirement (minimum length 14)")
    iam.update_account_password_policy(MinimumPasswordLength=8)
    compliance, annotation = scan()
    assert compliance == "NON_COMPLIANT"
    assert annotation.startswith(
        "the password policy falls short: does not require uppercase letters, lowercase letters, symbols,"
    )


def test_true_is_no_number_of_days() -> None:
    # Python counts True as 1: passwords "expiring after 1 day" passed the 90-day requirement.
    assert evaluate(STRONG | {"MaxPasswordAge": True}) == Result(
        Compliance.NON_COMPLIANT, "the password policy falls short: passwords never expire, not within 90"
    )
