"""root-account-mfa-enabled: the account's root user has an MFA device active (ROOT_ACCOUNT_MFA_ENABLED).

Read from the IAM credential report's <root_account> row. As the managed rule documents, an account whose root user
has no credentials at all (removed through centralized root access) is not applicable: the report says so only when
root's password_enabled is "false" (older reports write "not_supported" there, which proves nothing) and no access key
or signing certificate is active.
"""

from __future__ import annotations

from checks.shared.credential_report import ROOT_USER, credential_report, flag
from scanner.model import Compliance
from scanner.registry import Check, CheckScope, ExtraData, ParameterValues, Result, Severity, Snapshot

CHECK_ID = "root-account-mfa-enabled"
ROOT_CREDENTIAL_COLUMNS = (
    "password_enabled",
    "access_key_1_active",
    "access_key_2_active",
    "cert_1_active",
    "cert_2_active",
)


def evaluate(snapshot: Snapshot, params: ParameterValues) -> Result:
    report = credential_report(snapshot, CHECK_ID)
    row = report.get(ROOT_USER)
    if row is None:
        return Result(Compliance.NON_COMPLIANT, f"the credential report has no {ROOT_USER} row: root MFA unknown")
    mfa = flag(row, "mfa_active")
    if mfa == "true":
        return Result(Compliance.COMPLIANT, "the root user has an MFA device active")
    if all(flag(row, column) == "false" for column in ROOT_CREDENTIAL_COLUMNS):
        return Result(
            Compliance.NOT_APPLICABLE, "the root user has no credentials: no password, access key or certificate"
        )
    if mfa == "false":
        return Result(Compliance.NON_COMPLIANT, "the root user has no MFA device active")
    return Result(
        Compliance.NON_COMPLIANT, f"the root user has mfa_active {row.get('mfa_active')!r} in the report: MFA unknown"
    )


CHECK = Check(
    id=CHECK_ID,
    title="The root user has MFA enabled",
    description=(
        "The account's root user has an MFA device active, as in the managed rule ROOT_ACCOUNT_MFA_ENABLED; an "
        "account whose root user has no credentials is not applicable. Read from the IAM credential report, once per "
        "account in the global region."
    ),
    rationale=(
        "The root user has unrestricted access to every resource and billing setting of the account, and IAM "
        "policies cannot limit it. Without MFA, a phished or leaked root password alone is enough to take over or "
        "close the account."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Sign in as the root user and assign an MFA device (preferably a hardware security key) on its Security "
        "credentials page: root's MFA cannot be set up with the AWS CLI or by an IAM principal. The CLI example "
        "only verifies the result: AccountMFAEnabled is 1 when root has MFA."
    ),
    remediation_cli="aws iam get-account-summary --query SummaryMap.AccountMFAEnabled",
    scope=CheckScope.ACCOUNT,
    extra_data=(ExtraData.IAM_CREDENTIAL_REPORT,),
    cis=("1.5",),
    evaluate_account=evaluate,
)
