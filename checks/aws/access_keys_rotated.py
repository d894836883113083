"""access-keys-rotated: IAM users' active access keys were rotated within maxAccessKeyAge days (ACCESS_KEYS_ROTATED).

An access key is never changed in place: rotating means creating a new key, so a key's age is the time since its
access_key_N_last_rotated in the IAM credential report. Inactive keys are not judged. The root user's keys are not
either (the managed rule leaves them out; iam-root-access-key-check wants them gone).
"""

from __future__ import annotations

from datetime import timedelta

from checks.shared.common import UnreadableFieldError, cannot_judge
from checks.shared.credential_report import (
    MAX_DAYS,
    age,
    column,
    credential_report,
    flag,
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

CHECK_ID = "access-keys-rotated"
USER = "AWS::IAM::User"
KEY_NUMBERS = (1, 2)  # the credential report has columns for two keys, the most IAM allows a user


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    try:
        return _judge(item, params, snapshot)
    except UnreadableFieldError as error:
        return cannot_judge(error)


def _judge(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    max_age: int = params["maxAccessKeyAge"]
    limit = timedelta(days=max_age)
    report = credential_report(snapshot, CHECK_ID)
    name = user_name(item)
    if name is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item names no user, so its access keys are unknown")
    row = report.get(name)
    if row is None:
        # The report can be up to 4 hours old, so a user created since is absent from it. None of its keys can be
        # older than the user: one created within maxAccessKeyAge days has none to rotate yet.
        created = item_creation(item)
        if created is None or snapshot.now - created > limit:
            return Result(Compliance.NON_COMPLIANT, f"user {name} is not in the credential report: access keys unknown")
        return Result(
            Compliance.COMPLIANT,
            f"user {name} is newer than the credential report, created on {when(created)}, "
            f"{age(snapshot.now - created)} ago; within maxAccessKeyAge {max_age}",
        )
    unknown: list[str] = []
    stale: list[str] = []
    fresh: list[str] = []
    for number in KEY_NUMBERS:
        active_column = f"access_key_{number}_active"
        active = flag(row, active_column)
        if active == "false":
            continue
        if active != "true":
            unknown.append(f"{active_column} is {row.get(active_column)!r}, so access key {number} is unknown")
            continue
        rotated_column = f"access_key_{number}_last_rotated"
        rotated = report_time(row.get(rotated_column), column(rotated_column, name))
        if rotated is None:
            unknown.append(f"access key {number} is active but {rotated_column} is {row.get(rotated_column)!r}")
            continue
        elapsed = snapshot.now - rotated
        finding = f"active access key {number} last rotated on {when(rotated)}, {age(elapsed)} ago"
        (stale if elapsed > limit else fresh).append(finding)
    if stale:
        return Result(
            Compliance.NON_COMPLIANT,
            user_annotation(name, [*unknown, *stale], f"; more than maxAccessKeyAge {max_age}"),
        )
    if unknown:
        return Result(Compliance.NON_COMPLIANT, user_annotation(name, unknown, ""))
    if not fresh:
        return Result(Compliance.COMPLIANT, f"user {name} has no active access keys")
    return Result(Compliance.COMPLIANT, user_annotation(name, fresh, f"; within maxAccessKeyAge {max_age}"))


CHECK = Check(
    id=CHECK_ID,
    title="IAM users' active access keys are rotated",
    description=(
        "Each IAM user's active access keys were created (rotated) within maxAccessKeyAge days, as in the managed "
        "rule ACCESS_KEYS_ROTATED; inactive keys do not count and a user without active keys is compliant. Read from "
        "the IAM credential report."
    ),
    rationale=(
        "The longer an access key lives, the more places it has been copied to (scripts, CI variables, laptops, logs), "
        "and a leaked key keeps working until it is deactivated. Rotating keys regularly caps how long a leaked or "
        "forgotten key can be used."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Rotate the key: create a new access key for the user (a user holds at most two), move every application "
        "and person using the old key to the new one, deactivate the old key, and delete it once nothing fails."
    ),
    remediation_cli=(
        "aws iam update-access-key --user-name USER_NAME --access-key-id OLD_ACCESS_KEY_ID --status Inactive"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(USER,),
    parameters=ParameterSchema(
        (
            Parameter(
                "maxAccessKeyAge",
                ParameterType.INTEGER,
                "the most days an active access key may go without being rotated",
                default=90,
                minimum=1,
                maximum=MAX_DAYS,
            ),
        )
    ),
    extra_data=(ExtraData.IAM_CREDENTIAL_REPORT,),
    cis=("1.14",),
    evaluate_resource=evaluate,
    demo_parameters={"maxAccessKeyAge": "90"},
)
