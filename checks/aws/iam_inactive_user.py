"""iam-inactive-user: every IAM user signed in or used an access key within maxInactiveDays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from checks.shared.common import UnreadableFieldError, cannot_judge
from checks.shared.credential_report import (
    MAX_DAYS,
    age,
    column,
    credential_report,
    item_creation,
    report_time,
    user_name,
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

CHECK_ID = "iam-inactive-user"
USER = "AWS::IAM::User"
# Credential report columns that record a use, with how the annotation names them.
ACTIVITY_COLUMNS = (
    ("password_last_used", "last used its password"),
    ("access_key_1_last_used_date", "last used access key 1"),
    ("access_key_2_last_used_date", "last used access key 2"),
)


@dataclass(frozen=True)
class InactiveSince:
    """The moment a user was last active (or created, if never active), and what that moment was."""

    moment: datetime
    event: str  # e.g. "last used access key 2", "was never active, created"


def inactive_since(
    row: Mapping[str, Any], fallback_creation: datetime | None, user: str = "the user"
) -> InactiveSince | None:
    """The latest use of the password or either access key; for a user never active, its creation time.

    `fallback_creation` (the configuration item's creation time) stands in when the report's
    user_creation_time is unusable. None when there is no usable time at all; UnreadableFieldError for a column
    that is neither a time nor one of the report's words for "never".
    """
    used = [
        InactiveSince(moment, event)
        for used_column, event in ACTIVITY_COLUMNS
        if (moment := report_time(row.get(used_column), column(used_column, user))) is not None
    ]
    if used:
        return max(used, key=lambda activity: activity.moment)
    created = report_time(row.get("user_creation_time"), column("user_creation_time", user)) or fallback_creation
    return InactiveSince(created, "was never active, created") if created is not None else None


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    try:
        return _judge(item, params, snapshot)
    except UnreadableFieldError as error:
        return cannot_judge(error)


def _judge(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    max_days: int = params["maxInactiveDays"]
    report = credential_report(snapshot, CHECK_ID)
    name = user_name(item)
    if name is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item names no user, so its activity is unknown")
    row = report.get(name)
    if row is None:
        # The report can be up to 4 hours old: a user created since is absent but cannot have been active
        # before its creation, so it counts from the item's creation time. Without one, activity is unknown.
        created = item_creation(item)
        if created is None:
            return Result(Compliance.NON_COMPLIANT, f"user {name} is not in the credential report: activity unknown")
        row = {"user": name}
    since = inactive_since(row, item_creation(item), name)
    if since is None:
        return Result(Compliance.NON_COMPLIANT, f"user {name} has no usable activity or creation time in the report")
    elapsed = snapshot.now - since.moment
    moment = since.moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    text = f"user {name} {since.event} on {moment}, {age(elapsed)} ago"
    if elapsed > timedelta(days=max_days):
        return Result(Compliance.NON_COMPLIANT, f"{text}; more than maxInactiveDays {max_days}")
    return Result(Compliance.COMPLIANT, f"{text}; within maxInactiveDays {max_days}")


CHECK = Check(
    id=CHECK_ID,
    title="IAM users are not inactive",
    description=(
        "Each IAM user used its password or an access key within maxInactiveDays days; a user never active "
        "counts from its creation. Read from the IAM credential report."
    ),
    rationale=(
        "A user nobody has used for months usually belongs to someone who left or to a retired system, yet its "
        "password and access keys still work: if they leak, their misuse is unlikely to be noticed. Removing unused "
        "users shrinks what an attacker can take over."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Confirm with its owner that the user is no longer needed, then delete it; IAM first requires removing its "
        "password, access keys, signing certificates, SSH keys, MFA devices, policies and group memberships (the "
        "console does this for you). Disabling its password and access keys blocks them at once, but the user "
        "stays reported until it is deleted or used again."
    ),
    remediation_cli="aws iam delete-user --user-name USER_NAME",
    scope=CheckScope.RESOURCE,
    resource_types=(USER,),
    parameters=ParameterSchema(
        (
            Parameter(
                "maxInactiveDays",
                ParameterType.INTEGER,
                "the most days a user may go without signing in or using an access key",
                default=90,
                minimum=1,
                maximum=MAX_DAYS,
            ),
        )
    ),
    extra_data=(ExtraData.IAM_CREDENTIAL_REPORT,),
    cis=("1.12",),
    evaluate_resource=evaluate,
    demo_parameters={"maxInactiveDays": "90"},
)
