"""Local tools for AWS Config rules, like `rdk sample-ci` and `rdk test-local`: events and rule documents."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner.errors import UsageError
from scanner.model import ItemError, load_item_document
from scanner.registry import Check, CheckScope

FREQUENCIES = ("One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours")
DEFAULT_ACCOUNT = "123456789012"


def check_frequency(periodic: str | None) -> None:
    """A periodic rule's MaximumExecutionFrequency: the same five values in AWS Config and Alibaba Cloud Config."""
    if periodic is not None and periodic not in FREQUENCIES:
        raise UsageError(f"--periodic must be one of {', '.join(FREQUENCIES)}")


DEFAULT_REGION = "us-east-1"

# API model -> Lambda invocation model (what the samples' convert_api_configuration does).
_API_TO_INVOCATION = {
    "accountId": "awsAccountId",
    "arn": "ARN",
    "configurationItemMD5Hash": "configurationStateMd5Hash",
    "version": "configurationItemVersion",
}


def result_token(rule_name: str) -> str:
    """A token the emulator resolves to `rule_name` (rule names cannot contain ':'); opaque to everyone else."""
    return f"{rule_name}:{uuid.uuid4()}"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_invocation_model(raw: Mapping[str, Any]) -> dict[str, Any]:
    """An item as a change event carries it: invocation spellings, `configuration` as an object."""
    item = {_API_TO_INVOCATION.get(key, key): value for key, value in raw.items()}
    for key, value in list(item.items()):
        if isinstance(value, datetime):
            item[key] = _iso(value)
    if isinstance(item.get("configuration"), str):
        item["configuration"] = json.loads(item["configuration"])
    supplementary = item.get("supplementaryConfiguration") or {}
    converted = {}
    for key, value in supplementary.items():
        try:
            converted[key] = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            converted[key] = value
    item["supplementaryConfiguration"] = converted
    return item


def _base_event(
    check: Check, rule_name: str, account: str, region: str, parameters: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "ruleParameters": json.dumps(dict(parameters)),
        "resultToken": result_token(rule_name),
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{account}:role/config-role",
        "configRuleArn": f"arn:aws:config:{region}:{account}:config-rule/config-rule-{check.id[:6]}",
        "configRuleName": rule_name,
        "configRuleId": f"config-rule-{check.id[:6]}",
        "accountId": account,
        "version": "1.0",
    }


def scheduled_event(
    check: Check,
    rule_name: str,
    parameters: Mapping[str, str],
    account: str = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
) -> dict[str, Any]:
    invoking = {
        "awsAccountId": account,
        "notificationCreationTime": _iso(datetime.now(UTC)),
        "messageType": "ScheduledNotification",
        "recordVersion": "1.0",
    }
    return {"invokingEvent": json.dumps(invoking), **_base_event(check, rule_name, account, region, parameters)}


def sample_item(check: Check, account: str, region: str) -> dict[str, Any]:
    """A minimal item of the check's first resource type, for trying the event shape out."""
    if not check.resource_types:
        raise UsageError(f"check {check.id} evaluates the account, not items: use a scheduled event")
    resource_type = check.resource_types[0]
    return {
        "configurationItemVersion": "1.3",
        "awsAccountId": account,
        "configurationItemCaptureTime": _iso(datetime.now(UTC)),
        "configurationItemStatus": "OK",
        "configurationStateId": str(int(datetime.now(UTC).timestamp() * 1000)),
        "configurationStateMd5Hash": "",
        "resourceType": resource_type,
        "resourceId": "sample-resource-id",
        "awsRegion": region,
        "availabilityZone": "Not Applicable",
        "tags": {},
        "relatedEvents": [],
        "relationships": [],
        "configuration": {},
        "supplementaryConfiguration": {},
    }


def change_event(
    check: Check,
    rule_name: str,
    parameters: Mapping[str, str],
    item: Mapping[str, Any],
    *,
    oversized: bool = False,
    account: str = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
) -> dict[str, Any]:
    invocation_item = to_invocation_model(item)
    account = str(invocation_item.get("awsAccountId") or account)
    region = str(invocation_item.get("awsRegion") or region)
    if oversized:
        summary_keys = (
            "configurationItemVersion",
            "configurationItemCaptureTime",
            "configurationStateId",
            "awsAccountId",
            "configurationItemStatus",
            "resourceType",
            "resourceId",
            "resourceName",
            "ARN",
            "awsRegion",
            "availabilityZone",
            "configurationStateMd5Hash",
            "resourceCreationTime",
        )
        summary = {key: invocation_item[key] for key in summary_keys if key in invocation_item}
        invoking = {
            "configurationItemSummary": {"changeType": "UPDATE", **summary},
            "messageType": "OversizedConfigurationItemChangeNotification",
            "notificationCreationTime": _iso(datetime.now(UTC)),
            "recordVersion": "1.0",
        }
    else:
        invoking = {
            "configurationItem": invocation_item,
            "notificationCreationTime": _iso(datetime.now(UTC)),
            "messageType": "ConfigurationItemChangeNotification",
            "recordVersion": "1.3",
        }
    return {"invokingEvent": json.dumps(invoking), **_base_event(check, rule_name, account, region, parameters)}


def load_item(path: Path) -> dict[str, Any]:
    try:
        return load_item_document(path)
    except ItemError as exc:
        raise UsageError(str(exc)) from exc


def rule_document(
    check: Check,
    function_arn: str,
    parameters: Mapping[str, str],
    *,
    rule_name: str | None = None,
    periodic: str | None = None,
) -> dict[str, Any]:
    """The `put-config-rule` document the samples' walkthrough writes by hand."""
    check_frequency(periodic)
    if check.scope is CheckScope.ACCOUNT and periodic is None:
        periodic = "TwentyFour_Hours"
    rule: dict[str, Any] = {
        "ConfigRuleName": rule_name or check.id,
        "Description": check.title[:256],
        "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": function_arn},
        "InputParameters": json.dumps(dict(parameters)),
    }
    if periodic is not None:
        rule["Source"]["SourceDetails"] = [
            {"EventSource": "aws.config", "MessageType": "ScheduledNotification", "MaximumExecutionFrequency": periodic}
        ]
        rule["MaximumExecutionFrequency"] = periodic
    else:
        # Change-triggered: a scope of the types the check evaluates (AWS rejects a scope on periodic rules).
        rule["Scope"] = {"ComplianceResourceTypes": list(check.resource_types)}
        rule["Source"]["SourceDetails"] = [
            {"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"},
            {"EventSource": "aws.config", "MessageType": "OversizedConfigurationItemChangeNotification"},
        ]
    return {"ConfigRule": rule}
