"""AWS Config (JSON protocol, `StarlingDoveService.*`), served from moto's live state.

moto's own Config is far too thin for a scanner (ListDiscoveredResources knows four types, PutEvaluations
stores nothing). This layer answers the Config actions cloudsweep uses and forwards every other request
to moto, noting which account it may have changed so the recorder re-reads it before the next read.
State is kept per account (as moto resolves it from the credentials) and region.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from botocore.exceptions import ClientError
from cloudsweep_emulator.moto_app import InProcessMoto, account_for_access_key
from cloudsweep_emulator.recorder import Clock, RecordedItem, Recorder, utc_now
from cloudsweep_emulator.wsgi import (
    AwsRequest,
    StartResponse,
    WSGIApp,
    WSGIEnviron,
    acting_account,
    read_request,
    request_body,
)

log = structlog.get_logger("cloudsweep.emulator")

TARGET_PREFIX = "StarlingDoveService."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"

COMPLIANCE_TYPES_FOR_PUT = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE")
COMPLIANCE_TYPES = (*COMPLIANCE_TYPES_FOR_PUT, "INSUFFICIENT_DATA")
EXECUTION_FREQUENCIES = ("One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours")
RULE_OWNERS = ("AWS", "CUSTOM_LAMBDA", "CUSTOM_POLICY")
TEST_MODE_TOKEN = "TESTMODE"  # noqa: S105  (not a secret: the emulator's test-mode token)
RESULT_TOKEN_SEPARATOR = ":"  # noqa: S105  (a separator)
_RESOURCE_TYPE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")
_RULE_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
_READ_PREFIXES = ("Describe", "List", "Get")
# Writes that change nothing AWS Config records: re-reading the account after them would be wasted work (a scan
# generates each account's credential report, and re-collecting the account's EC2 costs more than the scan's reads).
_UNRECORDED_WRITES = frozenset({"GenerateCredentialReport"})


class ConfigApiError(Exception):
    """An error AWS Config would answer with: its code (the JSON `__type`), message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _validation(message: str) -> ConfigApiError:
    return ConfigApiError("ValidationException", message)


def _invalid_parameter(message: str) -> ConfigApiError:
    return ConfigApiError("InvalidParameterValueException", message)


# --- pagination ----------------------------------------------------------------------------------


def _query_fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_token(fingerprint: str, position: int) -> str:
    raw = json.dumps({"q": fingerprint, "p": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None, fingerprint: str) -> int:
    """The position a nextToken stands for; a token from another query, or garbage, is refused."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw)
        position = document["p"]
        matches = document["q"] == fingerprint
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ConfigApiError("InvalidNextTokenException", "The specified next token is invalid.") from exc
    if not matches or not isinstance(position, int) or position < 0:
        raise ConfigApiError("InvalidNextTokenException", "The specified next token is invalid.")
    return position


def _page(items: list[Any], position: int, size: int, fingerprint: str) -> tuple[list[Any], str | None]:
    page = items[position : position + size]
    end = position + size
    return page, encode_token(fingerprint, end) if end < len(items) else None


def _limit(request: dict[str, Any], *, default: int, error: str = "InvalidLimitException") -> int:
    limit = request.get("limit", request.get("Limit", 0)) or 0
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise _validation(f"Value '{limit}' at 'limit' is not an integer")
    if limit < 0 or limit > 100:
        raise ConfigApiError(error, f"Value '{limit}' at 'limit' failed to satisfy constraint: between 0 and 100")
    return limit or default


# --- request values ------------------------------------------------------------------------------


def _required_string(request: dict[str, Any], name: str, *, max_length: int = 1024) -> str:
    value = request.get(name)
    if not isinstance(value, str) or not value:
        raise _validation(
            f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
        )
    if len(value) > max_length:
        raise _validation(
            f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {max_length}"
        )
    return value


def _resource_type(request: dict[str, Any], name: str = "resourceType") -> str:
    value = _required_string(request, name, max_length=256)
    if not _RESOURCE_TYPE.match(value):
        raise _validation(f"Value '{value}' at '{name}' failed to satisfy constraint: Member must be a resource type")
    return value


def _timestamp(value: Any, name: str) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise _validation(f"Value '{value}' at '{name}' is not a timestamp") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise _validation(f"Value at '{name}' is not a timestamp")


def _epoch(value: datetime) -> float:
    return value.timestamp()


# --- state ---------------------------------------------------------------------------------------


@dataclass
class _Region:
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    # rule name -> (resource type, resource id) -> EvaluationResult (API shape)
    results: dict[str, dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestScope:
    account_id: str
    region: str


class ConfigControls:
    """Behaviours real AWS Config shows under load, on demand: keys left unprocessed, evaluations refused."""

    def __init__(self) -> None:
        self._unprocessed: dict[str, int | None] = {}
        self._failed: dict[str, int | None] = {}
        self._gone: set[str] = set()
        self._lock = threading.Lock()

    def leave_unprocessed(self, resource_id: str, times: int | None = None) -> None:
        """BatchGetResourceConfig returns this key in unprocessedResourceKeys (the next `times` calls, or always)."""
        with self._lock:
            self._unprocessed[resource_id] = times

    def fail_evaluations(self, resource_id: str, times: int | None = None) -> None:
        """PutEvaluations returns evaluations of this resource in FailedEvaluations."""
        with self._lock:
            self._failed[resource_id] = times

    def delete_after_listing(self, resource_id: str) -> None:
        """The resource is deleted just after ListDiscoveredResources listed it: BatchGetResourceConfig and
        GetResourceConfigHistory leave it out, as AWS does a key deleted in between. (Delete the resource itself
        afterwards for the state to agree.)"""
        with self._lock:
            self._gone.add(resource_id)

    def gone(self, resource_id: str) -> bool:
        with self._lock:
            return resource_id in self._gone

    def clear(self) -> None:
        with self._lock:
            self._unprocessed.clear()
            self._failed.clear()
            self._gone.clear()

    def _take(self, table: dict[str, int | None], resource_id: str) -> bool:
        with self._lock:
            if resource_id not in table:
                return False
            remaining = table[resource_id]
            if remaining is not None:
                if remaining <= 1:
                    del table[resource_id]
                else:
                    table[resource_id] = remaining - 1
            return True

    def unprocessed(self, resource_id: str) -> bool:
        return self._take(self._unprocessed, resource_id)

    def failed(self, resource_id: str) -> bool:
        return self._take(self._failed, resource_id)


Handler = Callable[[RequestScope, dict[str, Any]], dict[str, Any]]


class ConfigService:
    def __init__(
        self, moto: InProcessMoto, *, global_resource_region: str = "us-east-1", clock: Clock = utc_now
    ) -> None:
        self.moto = moto
        self._default_clock = clock
        self.clock = clock
        # Through a lambda so a test that swaps `clock` moves the recorder's capture times too.
        self.recorder = Recorder(moto, global_resource_region=global_resource_region, clock=lambda: self.clock())
        self.controls = ConfigControls()
        self._regions: dict[tuple[str, str], _Region] = {}
        self.operations: dict[str, Handler] = {
            "ListDiscoveredResources": self.list_discovered_resources,
            "BatchGetResourceConfig": self.batch_get_resource_config,
            "GetResourceConfigHistory": self.get_resource_config_history,
            "PutConfigRule": self.put_config_rule,
            "DescribeConfigRules": self.describe_config_rules,
            "DeleteConfigRule": self.delete_config_rule,
            "PutEvaluations": self.put_evaluations,
            "GetComplianceDetailsByConfigRule": self.get_compliance_details_by_config_rule,
            "DescribeComplianceByConfigRule": self.describe_compliance_by_config_rule,
            "DescribeComplianceByResource": self.describe_compliance_by_resource,
        }

    def saved(self) -> Any:
        """The recorded history, rules and evaluations, for `restore` (controls and the clock are not kept)."""
        return self.recorder.saved(), copy.deepcopy(self._regions)

    def restore(self, saved: Any) -> None:
        self.reset()
        recorded, regions = saved
        self.recorder.restore(recorded)
        self._regions.update(copy.deepcopy(regions))

    def reset(self) -> None:
        self.clock = self._default_clock
        self.recorder.reset()
        self.controls.clear()
        self._regions.clear()

    def _region(self, scope: RequestScope) -> _Region:
        return self._regions.setdefault((scope.account_id, scope.region), _Region())

    # --- inventory -------------------------------------------------------------------------------

    def list_discovered_resources(self, scope: RequestScope, request: dict[str, Any]) -> dict[str, Any]:
        resource_type = _resource_type(request)
        limit = _limit(request, default=100)
        resource_ids = request.get("resourceIds") or []
        resource_name = request.get("resourceName")
        if not isinstance(resource_ids, list) or not all(isinstance(item, str) for item in resource_ids):
            raise _validation("Value at 'resourceIds' must be a list of strings")
        if resource_name is not None and not isinstance(resource_name, str):
            raise _validation("Value at 'resourceName' must be a string")
        if resource_ids and resource_name:
            raise _validation("You cannot specify both resourceIds and resourceName.")
        if len(resource_ids) > 20:
            raise _validation("Value at 'resourceIds' failed to satisfy constraint: Member must have length <= 20")
        include_deleted = bool(request.get("includeDeletedResources"))
        fingerprint = _query_fingerprint(
            "ListDiscoveredResources",
            scope,
            resource_type,
            sorted(resource_ids),
            resource_name,
            include_deleted,
        )
        position = decode_token(request.get("nextToken"), fingerprint)
        self.recorder.refresh(scope.account_id, scope.region, resource_type)
        wanted = set(resource_ids)
        items = sorted(
            (
                item
                for item in self.recorder.latest(scope.account_id, scope.region, resource_type)
                if (include_deleted or not item.deleted)
                and (not wanted or item.resource_id in wanted)
                and (resource_name is None or item.resource_name == resource_name)
            ),
            key=lambda item: item.resource_id,
        )
        page, next_token = _page(items, position, limit, fingerprint)
        response: dict[str, Any] = {"resourceIdentifiers": [self._identifier(item) for item in page]}
        if next_token:
            response["nextToken"] = next_token
        return response

    @staticmethod
    def _identifier(item: RecordedItem) -> dict[str, Any]:
        identifier: dict[str, Any] = {"resourceType": item.resource_type, "resourceId": item.resource_id}
        if item.resource_name is not None:
            identifier["resourceName"] = item.resource_name
        if item.deleted:
            identifier["resourceDeletionTime"] = _epoch(item.capture_time)
        return identifier

    def batch_get_resource_config(self, scope: RequestScope, request: dict[str, Any]) -> dict[str, Any]:
        keys = request.get("resourceKeys")
        if not isinstance(keys, list) or not 1 <= len(keys) <= 100:
            raise _validation(
                "1 validation error detected: Value at 'resourceKeys' failed to satisfy constraint: "
                "Member must have length less than or equal to 100 and greater than or equal to 1"
            )
        found: list[dict[str, Any]] = []
        unprocessed: list[dict[str, str]] = []
        latest_by_type: dict[str, dict[str, RecordedItem]] = {}
        for key in keys:
            if not isinstance(key, dict):
                raise _validation("Each member of 'resourceKeys' must be a structure of resourceType and resourceId")
            resource_type = _resource_type(key)
            resource_id = _required_string(key, "resourceId", max_length=768)
            if resource_type not in latest_by_type:
                self.recorder.refresh(scope.account_id, scope.region, resource_type)
                latest_by_type[resource_type] = {
                    item.resource_id: item
                    for item in self.recorder.latest(scope.account_id, scope.region, resource_type)
                }
            if self.controls.unprocessed(resource_id):
                unprocessed.append({"resourceType": resource_type, "resourceId": resource_id})
                continue
            if self.controls.gone(resource_id):
                continue
            item = latest_by_type[resource_type].get(resource_id)
            if item is not None and not item.deleted:
                found.append(_base_item(item.item))
        return {"baseConfigurationItems": found, "unprocessedResourceKeys": unprocessed}

    def get_resource_config_history(self, scope: RequestScope, request: dict[str, Any]) -> dict[str, Any]:
        resource_type = _resource_type(request)
        resource_id = _required_string(request, "resourceId", max_length=768)
        limit = _limit(request, default=10)
        later = _timestamp(request["laterTime"], "laterTime") if "laterTime" in request else None
        earlier = _timestamp(request["earlierTime"], "earlierTime") if "earlierTime" in request else None
        if later is not None and earlier is not None and earlier > later:
            raise ConfigApiError("InvalidTimeRangeException", "The specified time range is invalid.")
        order = request.get("chronologicalOrder", "Reverse")
        if order not in ("Reverse", "Forward"):
            raise _validation(f"Value '{order}' at 'chronologicalOrder' failed to satisfy enum constraint")
        fingerprint = _query_fingerprint(
            "GetResourceConfigHistory", scope, resource_type, resource_id, later, earlier, order
        )
        position = decode_token(request.get("nextToken"), fingerprint)
        self.recorder.refresh(scope.account_id, scope.region, resource_type)
        history = self.recorder.history(scope.account_id, scope.region, resource_type, resource_id)
        if not history:
            raise ConfigApiError(
                "ResourceNotDiscoveredException",
                f"Resource {resource_id} of resourceType:{resource_type} is unknown or has not been discovered",
            )
        # botocore sends these times in whole seconds (JSON protocol), so compare at that precision: an
        # item captured at 12:00:00.250 is "at or before" laterTime=12:00:00.
        selected = [
            item
            for item in history
            if (later is None or item.capture_time.replace(microsecond=0) <= later)
            and (earlier is None or item.capture_time >= earlier.replace(microsecond=0))
        ]
        if order == "Reverse":
            selected.reverse()
        page, next_token = _page(selected, position, limit, fingerprint)
        response: dict[str, Any] = {"configurationItems": [item.item for item in page]}
        if next_token:
            response["nextToken"] = next_token
        return response

    # --- rules -----------------------------------------------------------------------------------

    def put_config_rule(self, scope: RequestScope, request: dict[str, Any]) -> dict[str, Any]:
        rule = request.get("ConfigRule")
        if not isinstance(rule, dict):
            raise _validation("Value null at 'configRule' failed to satisfy constraint: Member must not be null")
        name = rule.get("ConfigRuleName")
        if not isinstance(name, str) or not _RULE_NAME.match(name):
            raise _invalid_parameter("ConfigRuleName must be 1-128 characters of letters, digits, '_', '-', '.'")
        source = rule.get("Source")
        if not isinstance(source, dict) or source.get("Owner") not in RULE_OWNERS:
            raise _invalid_parameter(f"Source.Owner must be one of {', '.join(RULE_OWNERS)}")
        if source["Owner"] == "CUSTOM_LAMBDA":
            if not source.get("SourceIdentifier"):
                raise _invalid_parameter("SourceIdentifier (the Lambda function ARN) is required for CUSTOM_LAMBDA")
            if not source.get("SourceDetails"):
                raise _invalid_parameter("SourceDetails is required for CUSTOM_LAMBDA rules")
        for detail in source.get("SourceDetails", []):
            frequency = detail.get("MaximumExecutionFrequency")
            if frequency is not None and frequency not in EXECUTION_FREQUENCIES:
                raise _invalid_parameter(f"MaximumExecutionFrequency {frequency!r} is not valid")
        frequency = rule.get("MaximumExecutionFrequency")
        if frequency is not None and frequency not in EXECUTION_FREQUENCIES:
            raise _invalid_parameter(f"MaximumExecutionFrequency {frequency!r} is not valid")
        parameters = rule.get("InputParameters")
        if parameters is not None:
            _check_input_parameters(parameters)
        region = self._region(scope)
        existing = region.rules.get(name)
        suffix = existing["ConfigRuleId"].removeprefix("config-rule-") if existing else secrets.token_hex(3)
        stored = {
            key: value for key, value in rule.items() if key not in ("ConfigRuleArn", "ConfigRuleId", "ConfigRuleState")
        }
        stored.update(
            {
                "ConfigRuleArn": f"arn:aws:config:{scope.region}:{scope.account_id}:config-rule/config-rule-{suffix}",
                "ConfigRuleId": f"config-rule-{suffix}",
                "ConfigRuleState": "ACTIVE",
                "EvaluationModes": rule.get("EvaluationModes") or [{"Mode": "DETECTIVE"}],
            }
        )
        region.rules[name] = stored
        region.results.setdefault(name, {})
        return {}

    def _rule(self, scope: RequestScope, name: Any) -> dict[str, Any]:
        rule = self._region(scope).rules.get(name) if isinstance(name, str) else None
        if rule is None:
            raise ConfigApiError(
                "NoSuchConfigRuleException",
                f"The ConfigRule '{name}' provided in the request is invalid. Please check the configRule name",
            )
        return rule

    def describe_config_rules(self, scope: RequestScope, request: dict[str, Any]) -> dict[str, Any]:
        names = request.get("ConfigRuleNames")
        rules = [self._rule(scope, name) for name in names] if names else list(self._region(scope).rules.values())
        rules.sort(key=lambda rule: rule["ConfigRuleName"])
        fingerprint = _query_fingerprint("DescribeConfigRules", scope, names)
        page, next_token = _page(rules, decode_token(request.get("NextToken"), fingerprint), 25, fingerprint)
        response: dict[str, Any] = {"ConfigRules": page}
        if next_token:
            response["NextToken"] = next_token
        return response

    def delete_config_rule(self, scope: RequestScope, request: dict[str, Any]) -> dict[str, Any]:
        name = str(self._rule(scope, request.get("ConfigRuleName"))["ConfigRuleName"])
        region = self._region(scope)
        del region.rules[name]
        region.results.pop(name, None)
        return {}

    # --- evaluations -----------------------------------------------------------------------------

    def rule_for_token(self, scope: RequestScope, token: str) -> str:
        """The rule a ResultToken stands for. In the emulator a token is the rule's name, optionally followed by
        `:` and anything (what `cloudsweep event` prints: rule names cannot contain `:`)."""
        rule_name = token.split(RESULT_TOKEN_SEPARATOR, 1)[0]
        if rule_name in self._region(scope).rules:
            return rule_name
        raise ConfigApiError("InvalidResultTokenException", "The resultToken provided is invalid")

    def put_evaluations(self, scope: RequestScope, request: dict[str, Any]) -> dict[str, Any]:
        token = request.get("ResultToken")
        if token is None:
            raise _validation("Value null at 'resultToken' failed to satisfy constraint: Member must not be null")
        test_mode = bool(request.get("TestMode"))
        if not isinstance(token, str) or (not token and not test_mode):
            raise ConfigApiError("InvalidResultTokenException", "The resultToken provided is invalid")
        evaluations = request.get("Evaluations") or []
        if not isinstance(evaluations, list) or not evaluations:
            raise _invalid_parameter("Evaluations must contain at least 1 evaluation")
        if len(evaluations) > 100:
            raise _validation(
                "1 validation error detected: Value at 'evaluations' failed to satisfy constraint: "
                "Member must have length less than or equal to 100"
            )
        checked = [_checked_evaluation(index, evaluation) for index, evaluation in enumerate(evaluations)]
        if test_mode:
            return {"FailedEvaluations": []}
        rule_name = self.rule_for_token(scope, token)
        results = self._region(scope).results.setdefault(rule_name, {})
        now = self.clock()
        failed = []
        for evaluation, original in zip(checked, evaluations, strict=True):
            if self.controls.failed(evaluation.resource_id):
                failed.append(original)
                continue
            key = (evaluation.resource_type, evaluation.resource_id)
            stored = results.get(key)
            if stored is not None and stored["_ordering"] > evaluation.ordering:
                continue
            results[key] = evaluation.result(rule_name, now)
        return {"FailedEvaluations": failed}

    def _results(self, scope: RequestScope, rule_name: str) -> list[dict[str, Any]]:
        return [
            result for _, result in sorted(self._region(scope).results.get(rule_name, {}).items(), key=lambda kv: kv[0])
        ]

    def get_compliance_details_by_config_rule(self, scope: RequestScope, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("ConfigRuleName")
        self._rule(scope, name)
        types = _compliance_types(request)
        limit = _limit(request, default=10, error="InvalidParameterValueException")
        results = [
            result for result in self._results(scope, str(name)) if not types or result["ComplianceType"] in types
        ]
        fingerprint = _query_fingerprint("GetComplianceDetailsByConfigRule", scope, name, sorted(types))
        page, next_token = _page(results, decode_token(request.get("NextToken"), fingerprint), limit, fingerprint)
        response: dict[str, Any] = {"EvaluationResults": [_public_result(result) for result in page]}
        if next_token:
            response["NextToken"] = next_token
        return response

    def describe_compliance_by_config_rule(self, scope: RequestScope, request: dict[str, Any]) -> dict[str, Any]:
        names = request.get("ConfigRuleNames")
        rules = (
            [self._rule(scope, name)["ConfigRuleName"] for name in names]
            if names
            else sorted(self._region(scope).rules)
        )
        types = _compliance_types(request, allowed=("COMPLIANT", "NON_COMPLIANT", "INSUFFICIENT_DATA"))
        summaries = []
        for rule_name in rules:
            compliance = _aggregate([result["ComplianceType"] for result in self._results(scope, rule_name)])
            if not types or compliance["ComplianceType"] in types:
                summaries.append({"ConfigRuleName": rule_name, "Compliance": compliance})
        fingerprint = _query_fingerprint("DescribeComplianceByConfigRule", scope, names, sorted(types))
        page, next_token = _page(summaries, decode_token(request.get("NextToken"), fingerprint), 25, fingerprint)
        response: dict[str, Any] = {"ComplianceByConfigRules": page}
        if next_token:
            response["NextToken"] = next_token
        return response

    def describe_compliance_by_resource(self, scope: RequestScope, request: dict[str, Any]) -> dict[str, Any]:
        resource_type = request.get("ResourceType")
        resource_id = request.get("ResourceId")
        if resource_id is not None and resource_type is None:
            raise _invalid_parameter("ResourceType is required when ResourceId is given")
        types = _compliance_types(request)
        limit = _limit(request, default=10, error="InvalidParameterValueException")
        by_resource: dict[tuple[str, str], list[str]] = {}
        for rule_results in self._region(scope).results.values():
            for (result_type, result_id), result in rule_results.items():
                if (resource_type is None or result_type == resource_type) and (
                    resource_id is None or result_id == resource_id
                ):
                    by_resource.setdefault((result_type, result_id), []).append(result["ComplianceType"])
        summaries = []
        for (result_type, result_id), compliance_types in sorted(by_resource.items()):
            compliance = _aggregate(compliance_types)
            if not types or compliance["ComplianceType"] in types:
                summaries.append({"ResourceType": result_type, "ResourceId": result_id, "Compliance": compliance})
        fingerprint = _query_fingerprint(
            "DescribeComplianceByResource", scope, resource_type, resource_id, sorted(types)
        )
        page, next_token = _page(summaries, decode_token(request.get("NextToken"), fingerprint), limit, fingerprint)
        response: dict[str, Any] = {"ComplianceByResources": page}
        if next_token:
            response["NextToken"] = next_token
        return response


def _base_item(item: dict[str, Any]) -> dict[str, Any]:
    # BatchGetResourceConfig's BaseConfigurationItem carries no tags, relationships, events or hash.
    omitted = ("tags", "relationships", "relatedEvents", "configurationItemMD5Hash")
    return {key: value for key, value in item.items() if key not in omitted}


def _check_input_parameters(parameters: Any) -> None:
    if not isinstance(parameters, str) or len(parameters) > 1024:
        raise _invalid_parameter("InputParameters must be a JSON object of at most 1024 characters")
    try:
        document = json.loads(parameters)
    except ValueError as exc:
        raise _invalid_parameter(f"InputParameters is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise _invalid_parameter("InputParameters must be a JSON object")


def _compliance_types(request: dict[str, Any], allowed: tuple[str, ...] = COMPLIANCE_TYPES) -> set[str]:
    types = request.get("ComplianceTypes") or []
    if len(types) > 3 or any(value not in allowed for value in types):
        raise _invalid_parameter(f"ComplianceTypes must be at most 3 of {', '.join(allowed)}")
    return set(types)


def _aggregate(compliance_types: list[str]) -> dict[str, Any]:
    non_compliant = compliance_types.count("NON_COMPLIANT")
    if non_compliant:
        return {
            "ComplianceType": "NON_COMPLIANT",
            "ComplianceContributorCount": {
                "CappedCount": min(non_compliant, 100),
                "CapExceeded": non_compliant > 100,
            },
        }
    if "COMPLIANT" in compliance_types:
        return {"ComplianceType": "COMPLIANT"}
    if compliance_types:
        return {"ComplianceType": "NOT_APPLICABLE"}
    return {"ComplianceType": "INSUFFICIENT_DATA"}


def _public_result(result: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in result.items() if not key.startswith("_")}


@dataclass(frozen=True)
class _Evaluation:
    resource_type: str
    resource_id: str
    compliance_type: str
    annotation: str | None
    ordering: datetime

    def result(self, rule_name: str, now: datetime) -> dict[str, Any]:
        result: dict[str, Any] = {
            "EvaluationResultIdentifier": {
                "EvaluationResultQualifier": {
                    "ConfigRuleName": rule_name,
                    "ResourceType": self.resource_type,
                    "ResourceId": self.resource_id,
                    "EvaluationMode": "DETECTIVE",
                },
                "OrderingTimestamp": _epoch(self.ordering),
            },
            "ComplianceType": self.compliance_type,
            "ResultRecordedTime": _epoch(now),
            "ConfigRuleInvokedTime": _epoch(now),
            "_ordering": self.ordering,
        }
        if self.annotation is not None:
            result["Annotation"] = self.annotation
        return result


def _checked_evaluation(index: int, evaluation: Any) -> _Evaluation:
    where = f"evaluations.{index + 1}.member"
    if not isinstance(evaluation, dict):
        raise _validation(f"Value at '{where}' must be a structure")
    resource_type = evaluation.get("ComplianceResourceType")
    resource_id = evaluation.get("ComplianceResourceId")
    compliance = evaluation.get("ComplianceType")
    annotation = evaluation.get("Annotation")
    if not isinstance(resource_type, str) or not 1 <= len(resource_type) <= 256:
        raise _validation(f"Value at '{where}.complianceResourceType' must have length between 1 and 256")
    if not isinstance(resource_id, str) or not 1 <= len(resource_id) <= 768:
        raise _validation(f"Value at '{where}.complianceResourceId' must have length between 1 and 768")
    if compliance not in COMPLIANCE_TYPES:
        raise _validation(
            f"Value '{compliance}' at '{where}.complianceType' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(COMPLIANCE_TYPES)}]"
        )
    if compliance not in COMPLIANCE_TYPES_FOR_PUT:
        raise _invalid_parameter(
            f"The compliance type {compliance} is not valid for PutEvaluations; "
            "use COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE"
        )
    if annotation is not None and (not isinstance(annotation, str) or not 1 <= len(annotation) <= 256):
        raise _validation(
            f"Value at '{where}.annotation' failed to satisfy constraint: "
            "Member must have length less than or equal to 256 and greater than or equal to 1"
        )
    if "OrderingTimestamp" not in evaluation:
        raise _validation(f"Value null at '{where}.orderingTimestamp' failed to satisfy constraint")
    ordering = _timestamp(evaluation["OrderingTimestamp"], f"{where}.orderingTimestamp")
    return _Evaluation(resource_type, resource_id, compliance, annotation, ordering)


# --- the WSGI layer ------------------------------------------------------------------------------


def _json_response(start_response: StartResponse, status: int, document: dict[str, Any]) -> list[bytes]:
    body = json.dumps(document, separators=(",", ":")).encode()
    reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}.get(status, "Error")
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", JSON_CONTENT_TYPE),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", secrets.token_hex(16)),
        ],
    )
    return [body]


class ConfigLayer:
    """WSGI: Config actions are answered here; everything else goes to moto, under one state lock."""

    def __init__(self, app: WSGIApp, service: ConfigService, lock: threading.RLock) -> None:
        self._app = app
        self._service = service
        self._lock = lock

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        request = read_request(environ)
        if (request.target or "").startswith(TARGET_PREFIX) and request.operation in self._service.operations:
            return self._serve_config(environ, start_response, request)
        with self._lock:
            # Materialise the body under the lock: moto's responses read shared state lazily.
            body = list(self._app(environ, start_response))
            if not _is_read(request.service, request.operation, environ.get("REQUEST_METHOD", "GET")):
                self._service.recorder.mark_changed(acting_account(request, account_for_access_key))
        return body

    def _serve_config(self, environ: WSGIEnviron, start_response: StartResponse, request: AwsRequest) -> list[bytes]:
        try:
            document = json.loads(request_body(environ) or b"{}")
        except ValueError:
            document = None
        if not isinstance(document, dict):
            return _json_response(
                start_response, 400, {"__type": "SerializationException", "message": "the body is not a JSON object"}
            )
        with self._lock:
            scope = RequestScope(acting_account(request, account_for_access_key), request.region or "us-east-1")
            try:
                response = self._service.operations[str(request.operation)](scope, document)
            except ConfigApiError as error:
                return _json_response(start_response, error.status, {"__type": error.code, "message": error.message})
            except ClientError as error:
                # The recorder could not read moto: report it as AWS reports its own failures.
                message = f"the emulator could not read resource state: {error}"
                return _json_response(start_response, 500, {"__type": "InternalFailure", "message": message})
            except Exception as error:
                # A bug of ours must still answer in the protocol, never with werkzeug's HTML page.
                log.exception("config layer failed", operation=request.operation)
                message = f"{type(error).__name__}: {error}"
                return _json_response(start_response, 500, {"__type": "InternalFailure", "message": message})
            return _json_response(start_response, 200, response)


def _is_read(service: str | None, operation: str | None, method: str) -> bool:
    if service == "sts":
        return True
    if operation is not None:
        return operation.startswith(_READ_PREFIXES) or operation in _UNRECORDED_WRITES
    return method in ("GET", "HEAD")
