"""ram-user-mfa-enabled: a RAM user who can sign in to the console must use MFA (Alibaba Cloud Config's managed rule
ram-user-mfa-check).

As the managed rule reads it: a user with a console login profile (`LoginProfile` present and not empty) passes when
`LoginProfile.MFABindRequired` is true, the setting that makes the user bind an MFA device at the next logon and
use it from then on. That is the setting, not proof a device is bound yet. A user without a login profile signs in
with access keys only and is NOT_APPLICABLE. MFABindRequired arrives as a boolean (GetLoginProfile) or as the
string "true" or "false" (any case); anything else, or a login profile that is not an object, is NON_COMPLIANT:
what cannot be read is never passed.
"""

from __future__ import annotations

from collections.abc import Mapping

from checks.shared.common import flag
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, Cloud, ParameterValues, Result, Severity, Snapshot

USER = "ACS::RAM::User"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    name = configuration.get("UserName") or item.resource_name or item.resource_id
    profile = configuration.get("LoginProfile")
    if profile is None or profile == "" or profile == {}:
        return Result(Compliance.NOT_APPLICABLE, f"user {name} has no console login profile (API access only)")
    if not isinstance(profile, Mapping):
        return Result(
            Compliance.NON_COMPLIANT, f"user {name}'s LoginProfile is not an object ({profile!r}): MFA unknown"
        )
    required = profile.get("MFABindRequired")
    required_flag = flag(required)
    if required_flag is True:
        return Result(Compliance.COMPLIANT, f"console user {name} is required to use MFA")
    if required_flag is False:
        return Result(Compliance.NON_COMPLIANT, f"console user {name} is not required to use MFA")
    return Result(
        Compliance.NON_COMPLIANT,
        f"console user {name}'s LoginProfile has MFABindRequired {required!r}, not true or false: MFA unknown",
    )


CHECK = Check(
    id="ram-user-mfa-enabled",
    title="RAM users with console access are required to use MFA",
    description=(
        "Each RAM user with a console login profile has MFABindRequired set, so that the user must bind and use an "
        "MFA device to sign in, as Alibaba Cloud Config's managed rule ram-user-mfa-check reads it. Users without "
        "console access (no login profile) are not applicable."
    ),
    rationale=(
        "Without MFA, a phished, reused or guessed password is enough to sign in to the console as the user, with "
        "all of the user's permissions. MFA adds a second factor the attacker does not hold."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Require MFA in the user's logon settings (the user then binds a device at the next logon), or bind a "
        "virtual MFA device for the user now with two consecutive codes from the authenticator app. Enforce MFA "
        "for all users in the RAM security settings."
    ),
    remediation_cli=(
        "aliyun ram UpdateLoginProfile --UserName USER_NAME --MFABindRequired true\n"
        "aliyun ram CreateVirtualMFADevice --VirtualMFADeviceName DEVICE_NAME\n"
        "aliyun ram BindMFADevice --UserName USER_NAME --SerialNumber MFA_SERIAL_NUMBER "
        "--AuthenticationCode1 CODE1 --AuthenticationCode2 CODE2"
    ),
    scope=CheckScope.RESOURCE,
    cloud=Cloud.ALIBABA,
    resource_types=(USER,),
    evaluate_resource=evaluate,
)
