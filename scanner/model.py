"""cloudsweep's values: configuration items, evaluations, compliance, scan targets."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import orjson

from scanner.errors import CloudSweepError


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"  # the same in every process: pytest-xdist workers must collect the same test ids


# Removes a key from an example item's configuration: scanner.testing's reference items and Alibaba's examples.
DELETE: Any = _Delete()

ANNOTATION_LIMIT = 256
TRUNCATION_MARKER = " [truncated]"
ACCOUNT_RESOURCE_TYPE = "AWS::::Account"

# The Lambda invocation model spells four keys differently from the API model; we read both.
_INVOCATION_TO_API = {
    "awsAccountId": "accountId",
    "ARN": "arn",
    "configurationStateMd5Hash": "configurationItemMD5Hash",
    "configurationItemVersion": "version",
}
DELETED_STATUSES = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded"})


class Compliance(Enum):
    COMPLIANT = "COMPLIANT"
    NON_COMPLIANT = "NON_COMPLIANT"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class ItemError(CloudSweepError, ValueError):
    """A configuration item that cannot be read: names the field that is wrong."""


@dataclass(frozen=True)
class Relationship:
    resource_type: str
    resource_id: str
    name: str
    resource_name: str | None = None


def _parse_time(value: Any, field_name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Epoch seconds (the API) or milliseconds (configurationStateId-like values).
        try:
            seconds = value / 1000 if value > 10**11 else value
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ItemError(f"{field_name} is not a time: {value!r} is out of range") from exc
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ItemError(f"{field_name} is not an ISO-8601 time: {value!r}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ItemError(f"{field_name} is not a time: {value!r}")


def _json_document(value: Any, field_name: str) -> Any:
    """`configuration` and supplementary values arrive as objects or as JSON strings."""
    if isinstance(value, str):
        try:
            return orjson.loads(value) if value else None
        except ValueError as exc:
            raise ItemError(f"{field_name} is a string but not JSON: {exc}") from exc
    return value


def _supplementary_value(value: Any) -> Any:
    """Supplementary values are JSON strings in the API model, but some are plain strings (an ARN): keep those."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except ValueError:
            return value
    return value


def _tags(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(key): str(item) for key, item in value.items()}
    if isinstance(value, list):
        # The configuration's own spelling: [{"key": ..., "value": ...}].
        return {
            str(item.get("key", item.get("Key"))): str(item.get("value", item.get("Value")))
            for item in value
            if isinstance(item, Mapping)
        }
    return {}


@dataclass(frozen=True)
class ConfigurationItem:
    """One AWS Config configuration item, whichever model it came in."""

    account_id: str
    region: str
    resource_type: str
    resource_id: str
    status: str
    configuration: Mapping[str, Any] | None
    capture_time: datetime | None = None
    resource_name: str | None = None
    arn: str | None = None
    availability_zone: str | None = None
    creation_time: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    relationships: tuple[Relationship, ...] = ()
    supplementary: Mapping[str, Any] = field(default_factory=dict)
    version: str | None = None

    @property
    def deleted(self) -> bool:
        return self.status in DELETED_STATUSES

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ConfigurationItem:
        """Read an item in the API model (BatchGetResourceConfig, history) or the invocation model (events)."""
        if not isinstance(raw, Mapping):
            raise ItemError(f"a configuration item must be a JSON object, got {type(raw).__name__}")
        item = {_INVOCATION_TO_API.get(key, key): value for key, value in raw.items()}
        for required in ("resourceType", "resourceId"):
            if not isinstance(item.get(required), str) or not item[required]:
                raise ItemError(f"configuration item has no {required}")
        configuration = _json_document(item.get("configuration"), "configuration")
        if configuration is not None and not isinstance(configuration, Mapping):
            raise ItemError("configuration must be a JSON object")
        raw_supplementary = item.get("supplementaryConfiguration") or {}
        if not isinstance(raw_supplementary, Mapping):
            raise ItemError("supplementaryConfiguration must be a JSON object")
        supplementary = {key: _supplementary_value(value) for key, value in raw_supplementary.items()}
        raw_relationships = item.get("relationships") or ()
        if not isinstance(raw_relationships, list | tuple):
            raise ItemError("relationships must be a list")
        relationships = tuple(
            Relationship(
                resource_type=str(relation.get("resourceType", "")),
                resource_id=str(relation.get("resourceId") or relation.get("resourceName") or ""),
                name=str(relation.get("relationshipName", relation.get("name", ""))),
                resource_name=relation.get("resourceName"),
            )
            for relation in raw_relationships
            if isinstance(relation, Mapping)
        )
        tags = item.get("tags")
        if not tags and configuration:
            tags = configuration.get("tags")
        return cls(
            account_id=str(item.get("accountId") or ""),
            region=str(item.get("awsRegion") or ""),
            resource_type=item["resourceType"],
            resource_id=item["resourceId"],
            status=str(item.get("configurationItemStatus") or "OK"),
            configuration=configuration,
            capture_time=_parse_time(item.get("configurationItemCaptureTime"), "configurationItemCaptureTime"),
            resource_name=item.get("resourceName"),
            arn=item.get("arn"),
            availability_zone=item.get("availabilityZone"),
            creation_time=_parse_time(item.get("resourceCreationTime"), "resourceCreationTime"),
            tags=_tags(tags),
            relationships=relationships,
            supplementary=supplementary,
            version=item.get("version"),
        )


def load_item_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The raw configuration item in a JSON file (checked to parse); every error names the file.

    The file holds the item itself, a list of exactly one item, or an invoking event around it
    (`{"configurationItem": {...}}`), as AWS's published examples do.
    """
    from scanner.documents import load_json

    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ItemError(f"cannot read configuration item file {source}: {exc}") from exc
    try:
        document = load_json(text)  # bounded in depth: never a RecursionError
    except ValueError as exc:
        raise ItemError(f"configuration item file {source} is not valid JSON: {exc}") from exc
    if isinstance(document, list):
        if len(document) != 1:
            raise ItemError(f"configuration item file {source} holds {len(document)} items, expected one")
        document = document[0]
    if isinstance(document, Mapping) and "resourceType" not in document and "configurationItem" in document:
        document = document["configurationItem"]
    try:
        ConfigurationItem.parse(document)
    except ItemError as exc:
        raise ItemError(f"configuration item file {source}: {exc}") from exc
    return dict(document)


def load_item_file(path: str | os.PathLike[str]) -> ConfigurationItem:
    """One configuration item from a JSON file (see `load_item_document`)."""
    return ConfigurationItem.parse(load_item_document(path))


def truncate_annotation(text: str | None) -> str | None:
    """AWS Config takes 1..256 characters; longer text is cut with a visible marker, empty text is none."""
    if not text:
        return None
    if len(text) <= ANNOTATION_LIMIT:
        return text
    return text[: ANNOTATION_LIMIT - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER


@dataclass(frozen=True)
class Suppression:
    """The mutelist entry that suppresses a finding: it stays in every output, marked, and does not fail the scan."""

    reason: str
    entry: str  # which entry, for people: "mutelist.yaml entries[3]"
    expires: date | None = None


@dataclass(frozen=True)
class Evaluation:
    account_id: str
    region: str
    check: str
    resource_type: str
    resource_id: str
    compliance: Compliance
    annotation: str | None
    ordering_timestamp: datetime
    suppression: Suppression | None = None
    # The evaluated item's tags, for mutelist entries that match on tags; not part of any output.
    resource_tags: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "annotation", truncate_annotation(self.annotation))

    def to_record(self) -> dict[str, Any]:
        """The JSON-lines record: these keys, in this order, and the suppression's (reason, entry, expiry when it has
        one) only when suppressed."""
        timestamp = self.ordering_timestamp.astimezone(UTC)
        record: dict[str, Any] = {
            "account_id": self.account_id,
            "region": self.region,
            "check": self.check,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "compliance": self.compliance.value,
            "annotation": self.annotation,
            "ordering_timestamp": timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if self.suppression is not None:
            record["suppressed"] = True
            record["suppression_reason"] = self.suppression.reason
            record["suppression_entry"] = self.suppression.entry
            if self.suppression.expires is not None:
                record["suppression_expires"] = self.suppression.expires.isoformat()
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Evaluation:
        """The evaluation a `to_record` record came from (tags aside): how worker processes hand theirs back."""
        suppression = None
        if record.get("suppressed"):
            expires = record.get("suppression_expires")
            suppression = Suppression(
                str(record["suppression_reason"]),
                str(record["suppression_entry"]),
                date.fromisoformat(expires) if expires else None,
            )
        return cls(
            account_id=record["account_id"],
            region=record["region"],
            check=record["check"],
            resource_type=record["resource_type"],
            resource_id=record["resource_id"],
            compliance=Compliance(record["compliance"]),
            annotation=record["annotation"],
            ordering_timestamp=datetime.fromisoformat(record["ordering_timestamp"].replace("Z", "+00:00")),
            suppression=suppression,
        )

    def to_put_evaluation(self) -> dict[str, Any]:
        """The `Evaluation` structure PutEvaluations takes."""
        wire: dict[str, Any] = {
            "ComplianceResourceType": self.resource_type,
            "ComplianceResourceId": self.resource_id,
            "ComplianceType": self.compliance.value,
            "OrderingTimestamp": self.ordering_timestamp,
        }
        if self.annotation:
            wire["Annotation"] = self.annotation
        return wire

    def to_json_line(self) -> str:
        return json.dumps(self.to_record(), separators=(",", ":"))


@dataclass(frozen=True)
class Target:
    """One account in one region: the unit a scan reads and evaluates."""

    account_id: str
    region: str
