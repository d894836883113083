"""Reading the IAM credential report, for the checks that declare `ExtraData.IAM_CREDENTIAL_REPORT`.

Not a check: the report's columns, its "never" words, user rows and the annotations about them, shared by
iam-inactive-user, access-keys-rotated, iam-user-unused-credentials-check, iam-user-mfa-enabled and the root checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from checks.shared.common import MissingExtraDataError, UnreadableFieldError, fit_findings
from scanner.model import ANNOTATION_LIMIT, ConfigurationItem
from scanner.registry import ExtraData, Snapshot

ROOT_USER = "<root_account>"  # the credential report's name for the root user's row

Report = Mapping[str, Mapping[str, Any]]
# The credential report's words for "never" or "not tracked".
NO_VALUE = frozenset({"", "n/a", "no_information", "not_supported"})
REPORT = "the credential report"
# A hundred years: longer than any IAM credential has existed, and far within what a timedelta holds.
MAX_DAYS = 36500


class MissingReportError(MissingExtraDataError):
    """The scanner ran this check without the credential report it declared: a scanner bug."""


def credential_report(snapshot: Snapshot, check_id: str) -> Report:
    """The report in the snapshot, one row per user name; never an empty stand-in for a report not read."""
    if ExtraData.IAM_CREDENTIAL_REPORT not in snapshot.extra:
        raise MissingReportError(
            f"{check_id}: the snapshot of {snapshot.account_id} {snapshot.region} has no IAM credential report"
        )
    report: Report = snapshot.extra[ExtraData.IAM_CREDENTIAL_REPORT]
    return report


def report_time(value: Any, where: str, source: str = REPORT) -> datetime | None:
    """A credential report time (or an item's createDate): None for the report's "never" words and for a value that
    is not there; UnreadableFieldError for anything else, which is neither a time nor "never"."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise UnreadableFieldError(where, value, "a time", source=source)
    if value.strip().lower() in NO_VALUE:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableFieldError(where, value, "a time", shown=repr(value)[:40], source=source) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def column(name: str, user: str) -> str:
    """How an annotation names a column of a user's row."""
    return f"{name} of user {user}"


def flag(row: Mapping[str, Any], column: str) -> str | None:
    """A true/false column, lower-cased; None when it is not text."""
    value = row.get(column)
    return value.strip().lower() if isinstance(value, str) else None


def item_creation(item: ConfigurationItem) -> datetime | None:
    """When the user was created: the configuration's createDate, else the item's resourceCreationTime."""
    created = report_time((item.configuration or {}).get("createDate"), "createDate", "the configuration item")
    return created or item.creation_time


def user_name(item: ConfigurationItem) -> str | None:
    if isinstance(item.resource_name, str) and item.resource_name:
        return item.resource_name
    # Read only without a resourceName: a name beside it would change nothing.
    name = (item.configuration or {}).get("userName")
    return name if isinstance(name, str) and name else None


def age(elapsed: timedelta) -> str:
    elapsed = max(elapsed, timedelta(0))
    days = elapsed.days
    unit = "day" if days == 1 else "days"
    if elapsed == timedelta(days=days):
        return f"{days} {unit}"
    return "less than 1 day" if days == 0 else f"more than {days} {unit}"


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def user_annotation(name: str, findings: list[str], suffix: str) -> str:
    """`user NAME: finding; finding…SUFFIX`, the findings cut to fit the annotation limit."""
    prefix = f"user {name}: "
    return prefix + fit_findings(findings, ANNOTATION_LIMIT - len(prefix) - len(suffix)) + suffix
