"""iam-user-mfa-enabled: every IAM user has an MFA device active (IAM_USER_MFA_ENABLED).

Every user is judged, with a console password or not (mfa-enabled-for-iam-console-access is the rule that looks at
console users only). Read from the IAM credential report's mfa_active column.
"""

from __future__ import annotations

from checks.shared.credential_report import credential_report, user_name
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, ExtraData, ParameterValues, Result, Severity, Snapshot

CHECK_ID = "iam-user-mfa-enabled"
USER = "AWS::IAM::User"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    report = credential_report(snapshot, CHECK_ID)
    name = user_name(item)
    if name is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item names no user, so its MFA is unknown")
    row = report.get(name)
    if row is None:
        # Unlike activity, MFA cannot be inferred from a creation time: a user newer than the report is unknown.
        return Result(Compliance.NON_COMPLIANT, f"user {name} is not in the credential report: MFA unknown")
    mfa_active = row.get("mfa_active")
    flag = mfa_active.strip().lower() if isinstance(mfa_active, str) else None
    if flag == "true":
        return Result(Compliance.COMPLIANT, f"user {name} has an MFA device active")
    if flag == "false":
        return Result(Compliance.NON_COMPLIANT, f"user {name} has no MFA device active")
    return Result(Compliance.NON_COMPLIANT, f"user {name} has mfa_active {mfa_active!r} in the report: MFA unknown")


CHECK = Check(
    id=CHECK_ID,
    title="IAM users have MFA enabled",
    description=(
        "Each IAM user, with a console password or not, has an MFA device active, as in the managed rule "
        "IAM_USER_MFA_ENABLED. Read from the IAM credential report; a user missing from it is not compliant."
    ),
    rationale=(
        "Without MFA, a phished, reused or guessed password is enough to sign in as the user. MFA adds a second "
        "factor the attacker does not hold, and lets policies require MFA (aws:MultiFactorAuthPresent) for "
        "sensitive actions taken with the user's other credentials."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Assign the user an MFA device (an authenticator app, a FIDO security key or a hardware token) from the "
        "user's Security credentials tab in the IAM console; from the CLI, create a virtual MFA device and enable "
        "it for the user with two consecutive codes from the app."
    ),
    remediation_cli=(
        "aws iam enable-mfa-device --user-name USER_NAME --serial-number arn:aws:iam::ACCOUNT_ID:mfa/DEVICE_NAME "
        "--authentication-code1 CODE1 --authentication-code2 CODE2"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(USER,),
    extra_data=(ExtraData.IAM_CREDENTIAL_REPORT,),
    cis=("1.10",),
    evaluate_resource=evaluate,
)
