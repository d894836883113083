"""iam-user-unused-credentials-check: no IAM user has a password or active access key unused for longer than
maxCredentialUsageAge days (IAM_USER_UNUSED_CREDENTIALS_CHECK).

Unlike iam-inactive-user, each credential is judged on its own: a user who uses an access key daily but never signs
in still has an unused password. A credential never used counts from when it was set (password_last_changed) or
created (access_key_N_last_rotated), else from the user's creation. Disabled passwords and inactive keys do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from checks.shared.common import UnreadableFieldError, cannot_judge
from checks.shared.credential_report import (
    MAX_DAYS,
    age,
    column,
    credential_report,
    item_creation,
    report_time,
    user_annotation,
    user_name,
    when,
)
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    ExtraData,
    Parameter,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

CHECK_ID = "iam-user-unused-credentials-check"
USER = "AWS::IAM::User"


@dataclass(frozen=True)
class Credential:
    """One credential's columns in the IAM credential report."""

    label: str
    enabled_column: str
    used_column: str
    set_column: str  # when the credential was set or created
    never_used: str  # how the annotation says it was never used, before the time it counts from


CREDENTIALS = (
    Credential("password", "password_enabled", "password_last_used", "password_last_changed", "never used, set on"),
    Credential(
        "access key 1",
        "access_key_1_active",
        "access_key_1_last_used_date",
        "access_key_1_last_rotated",
        "never used, created on",
    ),
    Credential(
        "access key 2",
        "access_key_2_active",
        "access_key_2_last_used_date",
        "access_key_2_last_rotated",
        "never used, created on",
    ),
)


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    try:
        return _judge(item, params, snapshot)
    except UnreadableFieldError as error:
        return cannot_judge(error)


def _judge(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    max_age: int = params["maxCredentialUsageAge"]
    limit = timedelta(days=max_age)
    report = credential_report(snapshot, CHECK_ID)
    name = user_name(item)
    if name is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item names no user, so its credentials are unknown")
    row = report.get(name)
    if row is None:
        # The report can be up to 4 hours old, so a user created since is absent from it. None of its credentials
        # can be older than the user: one created within maxCredentialUsageAge days has none unused for longer.
        created = item_creation(item)
        if created is None or snapshot.now - created > limit:
            return Result(Compliance.NON_COMPLIANT, f"user {name} is not in the credential report: credentials unknown")
        return Result(
            Compliance.COMPLIANT,
            f"user {name} is newer than the credential report, created on {when(created)}, "
            f"{age(snapshot.now - created)} ago; within maxCredentialUsageAge {max_age}",
        )
    user_created = report_time(row.get("user_creation_time"), column("user_creation_time", name)) or item_creation(item)
    unknown: list[str] = []
    stale: list[str] = []
    fresh: list[str] = []
    for credential in CREDENTIALS:
        enabled = row.get(credential.enabled_column)
        flag = enabled.strip().lower() if isinstance(enabled, str) else None
        if flag == "false":
            continue
        if flag != "true":
            unknown.append(f"{credential.enabled_column} is {enabled!r}, so the {credential.label} is unknown")
            continue
        used = report_time(row.get(credential.used_column), column(credential.used_column, name))
        since = used or report_time(row.get(credential.set_column), column(credential.set_column, name)) or user_created
        if since is None:
            unknown.append(f"{credential.label} has no usable time of use or creation")
            continue
        elapsed = snapshot.now - since
        event = "last used on" if used is not None else credential.never_used
        finding = f"{credential.label} {event} {when(since)}, {age(elapsed)} ago"
        (stale if elapsed > limit else fresh).append(finding)
    if stale:
        suffix = f"; more than maxCredentialUsageAge {max_age}"
        return Result(Compliance.NON_COMPLIANT, user_annotation(name, [*unknown, *stale], suffix))
    if unknown:
        return Result(Compliance.NON_COMPLIANT, user_annotation(name, unknown, ""))
    if not fresh:
        return Result(Compliance.COMPLIANT, f"user {name} has no password and no active access keys")
    return Result(Compliance.COMPLIANT, user_annotation(name, fresh, f"; within maxCredentialUsageAge {max_age}"))


CHECK = Check(
    id=CHECK_ID,
    title="IAM users have no unused credentials",
    description=(
        "No IAM user has a password or an active access key unused for more than maxCredentialUsageAge days, as in "
        "the managed rule IAM_USER_UNUSED_CREDENTIALS_CHECK; a credential never used counts from when it was set. "
        "Read from the IAM credential report."
    ),
    rationale=(
        "A password or access key that nobody uses still works: if it leaks, from an old laptop, a repository or a "
        "reused password, its misuse is unlikely to be noticed. Removing credentials that are not used closes that "
        "way in without disturbing anyone."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Remove what is not used: delete the console password (login profile) of a user who does not sign in, and "
        "deactivate an unused access key, then delete it once nothing has failed."
    ),
    remediation_cli="aws iam delete-login-profile --user-name USER_NAME",
    scope=CheckScope.RESOURCE,
    resource_types=(USER,),
    parameters=ParameterSchema(
        (
            Parameter(
                "maxCredentialUsageAge",
                ParameterType.INTEGER,
                "the most days a password or active access key may go unused",
                default=90,
                minimum=1,
                maximum=MAX_DAYS,
            ),
        )
    ),
    extra_data=(ExtraData.IAM_CREDENTIAL_REPORT,),
    cis=("1.12",),
    evaluate_resource=evaluate,
    demo_parameters={"maxCredentialUsageAge": "90"},
)
