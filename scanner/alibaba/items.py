"""Alibaba Cloud Config's configuration items, read into cloudsweep's `ConfigurationItem`.

Two spellings reach us: a rule event's `configurationItem` (camelCase: accountId, regionId, captureTime,
resourceCreateTime, configuration as a JSON string, tags as a JSON string of key -> [values]) and
GetDiscoveredResource's `DiscoveredResourceDetail` (PascalCase: AccountId, Region, ResourceCreationTime,
Configuration, ResourceDeleted with 1 for a live resource and 0 for a deleted one). Both become the same item, so
a check never knows which one it got. Times are epoch milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from scanner.model import ConfigurationItem, ItemError

# The deleted status cloudsweep's items use (scanner.model.DELETED_STATUSES), for either cloud.
DELETED = "ResourceDeleted"
# Resources that have no region (RAM's) are evaluated in Alibaba Cloud's "global", whatever region an event names:
# the same user must not be put under two regions by a push and a periodic run.
GLOBAL_REGION = "global"
GLOBAL_TYPE_PREFIXES = ("ACS::RAM::",)

_DETAIL_TO_EVENT = {
    "AccountId": "accountId",
    "Region": "regionId",
    "AvailabilityZone": "availabilityZone",
    "Configuration": "configuration",
    "ResourceCreationTime": "resourceCreateTime",
    "resourceCreationTime": "resourceCreateTime",
    "ResourceDeleted": "resourceDeleted",
    "ResourceId": "resourceId",
    "ResourceName": "resourceName",
    "ResourceStatus": "resourceStatus",
    "ResourceType": "resourceType",
    "Tags": "tags",
}


def epoch_milliseconds(value: Any, field_name: str) -> datetime | None:
    """Cloud Config's times (epoch milliseconds, a number or its digits); None for none."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ItemError(f"{field_name} is not a time in epoch milliseconds: {value!r}")
    try:
        return datetime.fromtimestamp(float(value) / 1000, UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise ItemError(f"{field_name} is not a time in epoch milliseconds: {value!r}") from exc


def account_number(value: Any) -> str | None:
    """An Alibaba Cloud account id (a number, or its ASCII digits) as text; None for anything else."""
    text = str(value).strip()
    if isinstance(value, bool) or not isinstance(value, int | str) or not (text.isascii() and text.isdigit()):
        return None
    return text


def _tags(value: Any) -> dict[str, str]:
    """Tags as Cloud Config keeps them: a JSON string (or object) of key -> [values]; several values are joined."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise ItemError(f"tags is a string but not JSON: {exc}") from exc
    if isinstance(value, list):  # [{"Key": ..., "Value": ...}], as some describe APIs spell them
        pairs = {}
        for tag in value:
            if not isinstance(tag, Mapping):
                continue
            key = tag.get("Key", tag.get("TagKey", tag.get("key")))
            if key is not None and str(key):
                pairs[str(key)] = tag.get("Value", tag.get("TagValue", tag.get("value")))
        value = pairs
    if not isinstance(value, Mapping):
        raise ItemError(f"tags must be a JSON object of key to values, got {type(value).__name__}")
    tags = {}
    for key, values in value.items():
        listed = values if isinstance(values, list) else [values]
        tags[str(key)] = ",".join("" if item is None else str(item) for item in listed)
    return tags


def _region(item: Mapping[str, Any], configuration: Mapping[str, Any] | None) -> str:
    if str(item["resourceType"]).startswith(GLOBAL_TYPE_PREFIXES):
        return GLOBAL_REGION
    region = item.get("regionId") or (configuration or {}).get("RegionId")
    if not isinstance(region, str) or not region:
        raise ItemError("regionId is missing (and the configuration names no RegionId)")
    return region


def parse_item(raw: Mapping[str, Any], *, configuration_required: bool = True) -> ConfigurationItem:
    """A rule event's configurationItem, or a DiscoveredResourceDetail, as a ConfigurationItem.

    A deleted resource (ResourceDeleted 0) gets the status `ResourceDeleted` and may lack its configuration.
    """
    if not isinstance(raw, Mapping):
        raise ItemError(f"a configuration item must be a JSON object, got {type(raw).__name__}")
    item = {_DETAIL_TO_EVENT.get(key, key): value for key, value in raw.items()}
    for required in ("resourceType", "resourceId"):
        if not isinstance(item.get(required), str) or not item[required]:
            raise ItemError(f"configuration item has no {required}")
    deleted = str(item.get("resourceDeleted", 1)) == "0"
    configuration = item.get("configuration")
    if isinstance(configuration, str):
        try:
            configuration = json.loads(configuration) if configuration else None
        except (ValueError, RecursionError) as exc:
            raise ItemError(f"configuration is a string but not JSON: {exc}") from exc
    if configuration is not None and not isinstance(configuration, Mapping):
        raise ItemError("configuration must be a JSON object")
    if configuration is None and configuration_required and not deleted:
        raise ItemError("configuration is missing")
    account = item.get("accountId")
    account_text = account_number(account)
    if account_text is None:
        raise ItemError(f"accountId must be the account's number, got {account!r}")
    region = _region(item, configuration)
    return ConfigurationItem(
        account_id=account_text,
        region=str(region),
        resource_type=item["resourceType"],
        resource_id=item["resourceId"],
        status=DELETED if deleted else "OK",
        configuration=configuration,
        capture_time=epoch_milliseconds(item.get("captureTime"), "captureTime"),
        resource_name=item.get("resourceName") or None,
        arn=item.get("arn") or None,
        availability_zone=item.get("availabilityZone") or None,
        creation_time=epoch_milliseconds(item.get("resourceCreateTime"), "resourceCreateTime"),
        tags=_tags(item.get("tags")),
    )
