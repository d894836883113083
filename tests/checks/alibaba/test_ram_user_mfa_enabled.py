"""ram-user-mfa-enabled: a console user needs LoginProfile.MFABindRequired true; API-only users do not apply."""

from __future__ import annotations

from typing import Any

import pytest

from checks.alibaba import ram_user_mfa_enabled
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, Cloud, ParameterError, Result
from scanner.testing import assert_evaluations, run_check
from scanner.testing.alibaba import DELETE, alibaba_item

CHECK = ram_user_mfa_enabled.CHECK
USER_ID = "200828888731170000"
PROFILE = {
    "PasswordResetRequired": False,
    "UserName": "alice",
    "CreateDate": "2019-10-21T07:57:55Z",
}


def user(mfa: Any = True, **configuration: Any) -> ConfigurationItem:
    """The example console user alice, with LoginProfile.MFABindRequired as given (DELETE removes it)."""
    profile = dict(PROFILE) if mfa is DELETE else {**PROFILE, "MFABindRequired": mfa}
    return alibaba_item("ACS::RAM::User", configuration={"LoginProfile": profile, **configuration})


def run(item: ConfigurationItem) -> Result:
    evaluations = run_check(CHECK, [item])
    assert len(evaluations) == 1
    return Result(evaluations[0].compliance, evaluations[0].annotation)


def test_the_check_is_an_alibaba_resource_check_of_ram_users_without_parameters() -> None:
    assert CHECK.id == "ram-user-mfa-enabled"
    assert CHECK.cloud is Cloud.ALIBABA
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("ACS::RAM::User",)
    assert CHECK.parameters.parameters == ()
    assert (
        CHECK.remediation_cli.splitlines()[0]
        == "aliyun ram UpdateLoginProfile --UserName USER_NAME --MFABindRequired true"
    )


def test_the_example_user_is_required_to_use_mfa() -> None:
    evaluations = run_check(CHECK, [alibaba_item("ACS::RAM::User")])
    assert_evaluations(evaluations, {USER_ID: (Compliance.COMPLIANT, "console user alice is required to use MFA")})


@pytest.mark.parametrize("mfa", [True, "true", "True", " TRUE "])
def test_mfa_required_as_a_boolean_or_a_string_is_compliant(mfa: Any) -> None:
    assert run(user(mfa)) == Result(Compliance.COMPLIANT, "console user alice is required to use MFA")


@pytest.mark.parametrize("mfa", [False, "false", "False"])
def test_mfa_not_required_is_not_compliant(mfa: Any) -> None:
    assert run(user(mfa)) == Result(Compliance.NON_COMPLIANT, "console user alice is not required to use MFA")


@pytest.mark.parametrize("mfa", [DELETE, None, "", "yes", 1, 0, [True]], ids=repr)
def test_an_unreadable_mfa_setting_is_never_compliant(mfa: Any) -> None:
    shown = None if mfa is DELETE else mfa
    assert run(user(mfa)) == Result(
        Compliance.NON_COMPLIANT,
        f"console user alice's LoginProfile has MFABindRequired {shown!r}, not true or false: MFA unknown",
    )


@pytest.mark.parametrize("profile", [DELETE, None, "", {}], ids=["missing", "null", "empty-string", "empty-object"])
def test_a_user_without_a_login_profile_is_not_applicable(profile: Any) -> None:
    item = alibaba_item("ACS::RAM::User", configuration={"LoginProfile": profile})
    assert run(item) == Result(Compliance.NOT_APPLICABLE, "user alice has no console login profile (API access only)")


@pytest.mark.parametrize("profile", ["enabled", ["MFABindRequired"], True])
def test_a_login_profile_that_is_not_an_object_is_never_compliant(profile: Any) -> None:
    item = alibaba_item("ACS::RAM::User", configuration={"LoginProfile": profile})
    assert run(item) == Result(
        Compliance.NON_COMPLIANT, f"user alice's LoginProfile is not an object ({profile!r}): MFA unknown"
    )


def test_the_user_is_named_by_resource_name_without_a_user_name() -> None:
    item = alibaba_item(
        "ACS::RAM::User", configuration={"UserName": DELETE, "LoginProfile": {"MFABindRequired": False}}
    )
    assert run(item) == Result(Compliance.NON_COMPLIANT, "console user alice is not required to use MFA")


def test_users_are_judged_one_by_one() -> None:
    bob = alibaba_item(
        "ACS::RAM::User",
        configuration={"UserName": "bob", "LoginProfile": {**PROFILE, "UserName": "bob", "MFABindRequired": False}},
        resourceId="200828888731170001",
        resourceName="bob",
    )
    robot = alibaba_item(
        "ACS::RAM::User",
        configuration={"UserName": "deploy-bot", "LoginProfile": DELETE},
        resourceId="200828888731170002",
        resourceName="deploy-bot",
    )
    assert_evaluations(
        run_check(CHECK, [user(), bob, robot]),
        {
            USER_ID: Compliance.COMPLIANT,
            "200828888731170001": (Compliance.NON_COMPLIANT, "console user bob is not required to use MFA"),
            "200828888731170002": (
                Compliance.NOT_APPLICABLE,
                "user deploy-bot has no console login profile (API access only)",
            ),
        },
    )


def test_no_parameter_is_accepted() -> None:
    with pytest.raises(ParameterError, match=r"^check ram-user-mfa-enabled, parameter mfa: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"mfa": "true"})
