"""Local tools for Alibaba Cloud Config rules: the events `cloudsweep event --cloud alibaba` prints."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scanner.alibaba.examples import (
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    alibaba_item_document,
    change_event,
    scheduled_event,
)
from scanner.alibaba.items import parse_item
from scanner.documents import load_json
from scanner.errors import UsageError
from scanner.model import ItemError
from scanner.registry import Check, Severity
from scanner.rule_tools import check_frequency


def load_item_document(path: Path) -> dict[str, Any]:
    """A configurationItem from a JSON file: the item itself, or a whole rule event around it."""
    try:
        document = load_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"configuration item file {path}: {exc}") from exc
    if isinstance(document, Mapping) and "invokingEvent" in document:
        invoking = document["invokingEvent"]
        document = (invoking if isinstance(invoking, Mapping) else {}).get("configurationItem")
    if not isinstance(document, Mapping):
        raise UsageError(f"configuration item file {path}: expected a configurationItem object")
    try:
        parse_item(document)
    except ItemError as exc:
        raise UsageError(f"configuration item file {path}: {exc}") from exc
    return dict(document)


def rule_event(
    kind: str,
    check: Check,
    parameters: Mapping[str, str],
    item_file: Path | None,
    *,
    oversized: bool = False,
    account: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """A scheduled (no item: the handler lists resources) or change event for `check`."""
    if account is not None and not account.isdigit():
        raise UsageError(f"--account: an Alibaba Cloud account id is a number, got {account!r}")
    account_id = int(account) if account else DEFAULT_ACCOUNT
    if kind == "scheduled":
        return scheduled_event(parameters, account_id=account_id)
    if item_file is not None:
        item = load_item_document(item_file)
    else:
        try:
            item = alibaba_item_document(
                check.resource_types[0], account_id=account_id, region=region or DEFAULT_REGION
            )
        except KeyError as exc:
            raise UsageError(f"{exc.args[0]}: give one with --item") from exc
    if oversized:
        # Cloud Config leaves out a configuration over 100 KB and says so; the handler reads it through the API.
        item = {key: value for key, value in item.items() if key != "configuration"}
    return change_event(item, parameters, configuration_type="OVERSIZE" if oversized else "COMMON")


# Function Compute 2.0 (services/SERVICE/functions/NAME) and 3.0 (functions/NAME) function ARNs.
_FUNCTION_ARN = re.compile(r"acs:fc:[a-z0-9-]+:\d+:(services/[^/\s]+/)?functions/[^/\s]+")
_RISK_LEVELS = {
    Severity.CRITICAL: 1,
    Severity.HIGH: 1,
    Severity.MEDIUM: 2,
    Severity.LOW: 3,
    Severity.INFORMATIONAL: 3,
}


def rule_request(
    check: Check,
    function_arn: str,
    parameters: Mapping[str, str],
    *,
    rule_name: str | None = None,
    periodic: str | None = None,
) -> dict[str, Any]:
    """CreateConfigRule's parameters for a custom rule (SourceOwner CUSTOM_FC) that runs `check` in the function."""
    if not _FUNCTION_ARN.fullmatch(function_arn):
        raise UsageError(
            f"--function-arn: expected acs:fc:REGION:ACCOUNT:services/SERVICE/functions/NAME (or "
            f"acs:fc:REGION:ACCOUNT:functions/NAME), got {function_arn!r}"
        )
    check_frequency(periodic)
    request: dict[str, Any] = {
        "ConfigRuleName": rule_name or check.id,
        "Description": check.title,
        "SourceOwner": "CUSTOM_FC",
        "SourceIdentifier": function_arn,
        "ConfigRuleTriggerTypes": "ScheduledNotification" if periodic else "ConfigurationItemChangeNotification",
        "ResourceTypesScope": ",".join(check.resource_types),
        "InputParameters": json.dumps(dict(parameters)),
        "RiskLevel": _RISK_LEVELS[check.severity],
    }
    if periodic:
        request["MaximumExecutionFrequency"] = periodic
    return request


def create_rule_command(request: Mapping[str, Any]) -> str:
    """The same request as an `aliyun config CreateConfigRule` command line (POSIX shell quoting)."""
    import shlex

    flags = " ".join(f"--{name} {shlex.quote(str(value))}" for name, value in request.items())
    return f"aliyun config CreateConfigRule {flags}"
