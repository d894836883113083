"""iam-root-access-key-check: the account's root user has no access key (IAM_ROOT_ACCESS_KEY_CHECK).

Read from the IAM credential report's <root_account> row. The managed rule is compliant only when no root access key
exists, so an inactive key counts too: the report shows one as access_key_N_active "false" with a creation time in
access_key_N_last_rotated.
"""

from __future__ import annotations

from checks.shared.common import UnreadableFieldError, cannot_judge
from checks.shared.credential_report import ROOT_USER, column, credential_report, report_time, when
from scanner.model import Compliance
from scanner.registry import Check, CheckScope, ExtraData, ParameterValues, Result, Severity, Snapshot

CHECK_ID = "iam-root-access-key-check"
KEY_NUMBERS = (1, 2)


def evaluate(snapshot: Snapshot, params: ParameterValues) -> Result:
    try:
        return _judge(snapshot)
    except UnreadableFieldError as error:
        return cannot_judge(error)


def _judge(snapshot: Snapshot) -> Result:
    report = credential_report(snapshot, CHECK_ID)
    row = report.get(ROOT_USER)
    if row is None:
        return Result(
            Compliance.NON_COMPLIANT, f"the credential report has no {ROOT_USER} row: root access keys unknown"
        )
    keys: list[str] = []
    unknown: list[str] = []
    for number in KEY_NUMBERS:
        active_column = f"access_key_{number}_active"
        active = row.get(active_column)
        flag = active.strip().lower() if isinstance(active, str) else None
        rotated_column = f"access_key_{number}_last_rotated"
        created = report_time(row.get(rotated_column), column(rotated_column, ROOT_USER))
        since = f", created on {when(created)}" if created is not None else ""
        if flag == "true":
            keys.append(f"active access key {number}{since}")
        elif flag == "false" and created is not None:
            keys.append(f"inactive access key {number}{since}")
        elif flag != "false":
            unknown.append(f"{active_column} is {active!r}")
    if keys:
        return Result(Compliance.NON_COMPLIANT, "the root user has " + " and ".join(keys))
    if unknown:
        return Result(Compliance.NON_COMPLIANT, "the root user's access keys are unknown: " + ", ".join(unknown))
    return Result(Compliance.COMPLIANT, "the root user has no access keys")


CHECK = Check(
    id=CHECK_ID,
    title="The root user has no access keys",
    description=(
        "The account's root user has no access key, active or inactive, as in the managed rule "
        "IAM_ROOT_ACCESS_KEY_CHECK. Read from the IAM credential report, once per account in the global region."
    ),
    rationale=(
        "A root access key gives programmatic access to everything in the account, and no IAM policy can narrow "
        "what the root user may do, so a leaked key is a full account compromise. An inactive key can be "
        "reactivated, so only a deleted one is safe."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Move whatever uses the root access key to an IAM role or user with only the permissions it needs, then "
        "delete the root user's access keys, active and inactive: signed in as root on its Security credentials "
        "page, or with the root user's own key. Confirm with `aws iam get-account-summary` that "
        "AccountAccessKeysPresent is 0."
    ),
    remediation_cli="aws iam delete-access-key --access-key-id ROOT_ACCESS_KEY_ID",
    scope=CheckScope.ACCOUNT,
    extra_data=(ExtraData.IAM_CREDENTIAL_REPORT,),
    cis=("1.4",),
    evaluate_account=evaluate,
)
