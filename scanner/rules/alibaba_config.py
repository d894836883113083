"""Alibaba Cloud Config custom rules: the Alibaba Cloud backend of the rule runtime (`scanner.rules.runtime.run_rule`),
which Function Compute's entry point (`scanner.function_compute.handler`) and `cloudsweep invoke --cloud alibaba`
call through `handle`.

Cloud Config invokes the function with one event (bytes of JSON). Routed on `invokingEvent`:
- an event carrying a `configurationItem` (ConfigurationItemChangeNotification, and the per-resource pushes of
  ScheduledNotification): evaluate that one resource. `configurationType: OVERSIZE` means the configuration was
  left out (over 100 KB), so it is read with GetDiscoveredResource; `NONE` or a deleted resource is NOT_APPLICABLE.
- a ScheduledNotification with no item: evaluate every resource of the check's types in the account, all regions,
  listed through ListDiscoveredResources (every page) and read with GetDiscoveredResource, concurrently under a
  CapacityLimiter. Resources Cloud Config lists as deleted get NOT_APPLICABLE, so their old results do not linger.

Evaluations go back in batches with the event's result token. A resource that cannot be read fails the
invocation, after the others' evaluations were put: nothing is lost, and nothing unread passes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import anyio
import structlog

from scanner.alibaba.config_api import AlibabaCredentials, AlibabaSettings, ConfigApi
from scanner.alibaba.items import GLOBAL_REGION, GLOBAL_TYPE_PREFIXES, account_number, epoch_milliseconds, parse_item
from scanner.documents import load_json
from scanner.errors import AlibabaError, EventError, RuleRuntimeError
from scanner.events import event_document, event_enum, event_object
from scanner.model import Compliance, ConfigurationItem, Evaluation, ItemError
from scanner.registry import Cloud, Result, Snapshot
from scanner.rules.runtime import PushedItem, Rule, run_rule

log = structlog.get_logger("cloudsweep.alibaba")

CONCURRENCY_ENVIRONMENT = "CLOUDSWEEP_ALIBABA_CONCURRENCY"
DEFAULT_CONCURRENCY = 8
PUT_BATCH = 100
_EVENT_KEYS = ("invokingEvent", "ruleParameters", "resultToken")
# What a check (synchronous code, no await inside) may raise that is its own failure: anything but the interpreter
# stopping. A CancelledError or GeneratorExit raised by a check is not anyio's: left to fly, it would cancel the
# task group and quietly drop the resources after it.
CHECK_FAILURES = (Exception, asyncio.CancelledError, GeneratorExit)


class MessageType(Enum):
    CHANGE = "ConfigurationItemChangeNotification"
    SCHEDULED = "ScheduledNotification"


class ConfigurationType(Enum):
    """Whether the pushed item carries its configuration: COMMON yes, OVERSIZE no (over 100 KB), NONE none."""

    COMMON = "COMMON"
    OVERSIZE = "OVERSIZE"
    NONE = "NONE"


def _decode(event: Any) -> Mapping[str, Any]:
    if isinstance(event, bytes | bytearray):
        try:
            event = event.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EventError("event", f"is not UTF-8 text: {exc}") from exc
    if isinstance(event, str):
        try:
            # Bounded in depth: a deeply nested event is this EventError, never a RecursionError later.
            event = load_json(event)
        except (ValueError, RecursionError) as exc:
            problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise EventError("event", f"is not valid JSON: {problem}") from None
    if not isinstance(event, Mapping):
        raise EventError("event", f"must be a JSON object, got {type(event).__name__}")
    event_document(event)
    return event


def _milliseconds(value: Any, name: str) -> datetime | None:
    try:
        return epoch_milliseconds(value, name)
    except ItemError as exc:
        raise EventError(name, f"must be a time in epoch milliseconds, got {value!r}") from exc


def _account(value: Any, name: str) -> int:
    text = account_number(value)
    if text is None:
        raise EventError(name, f"must be the account's number, got {value!r}")
    return int(text)


@dataclass(frozen=True)
class AlibabaRuleEvent:
    message_type: MessageType
    rule_parameters: Mapping[str, str]
    result_token: str = field(repr=False)
    account_id: int
    ordering: datetime
    item: Mapping[str, Any] | None
    configuration_type: ConfigurationType

    @classmethod
    def parse(cls, event: Any) -> AlibabaRuleEvent:
        document = _decode(event)
        missing = [key for key in _EVENT_KEYS if key not in document]
        if missing:
            raise EventError(
                missing[0], "is missing (a Cloud Config rule event has invokingEvent, ruleParameters, resultToken)"
            )
        invoking = event_object(document, "invokingEvent", required=True)
        parameters = event_object(document, "ruleParameters", required=False)
        for name, value in parameters.items():
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise EventError(
                    f"ruleParameters.{name}", f"must be a string, as Cloud Config passes it; got {value!r}"
                )
        message_type = event_enum(MessageType, invoking.get("messageType"), "invokingEvent.messageType", "message type")
        token = document.get("resultToken")
        if not isinstance(token, str) or not token:
            raise EventError("resultToken", "must be a non-empty string")
        raw_item = invoking.get("configurationItem")
        if raw_item in (None, "", {}):
            item = None
        elif isinstance(raw_item, Mapping):
            item = dict(raw_item)
        else:
            raise EventError("invokingEvent.configurationItem", f"must be a JSON object, got {type(raw_item).__name__}")
        if item is None and message_type is MessageType.CHANGE:
            raise EventError("invokingEvent.configurationItem", "is missing from a change notification")
        configuration_type = event_enum(
            ConfigurationType,
            invoking.get("configurationType") or ConfigurationType.COMMON.value,
            "invokingEvent.configurationType",
            "configuration type",
        )
        account_source = invoking.get("accountId", (item or {}).get("accountId"))
        if account_source is None:
            raise EventError("invokingEvent.accountId", "is missing (neither the event nor its item names the account)")
        ordering = (
            _milliseconds(document.get("orderingTimestamp"), "orderingTimestamp")
            or _milliseconds(
                invoking.get("notificationCreationTimestamp"), "invokingEvent.notificationCreationTimestamp"
            )
            or _milliseconds((item or {}).get("captureTime"), "invokingEvent.configurationItem.captureTime")
            or datetime.now(UTC)
        )
        return cls(
            message_type=message_type,
            rule_parameters={name: str(value) for name, value in parameters.items()},
            result_token=token,
            account_id=_account(account_source, "invokingEvent.accountId"),
            ordering=ordering,
            item=item,
            configuration_type=configuration_type,
        )

    @property
    def periodic(self) -> bool:
        """No item: the handler lists the account's resources itself."""
        return self.item is None

    @property
    def rule_name(self) -> None:
        """A Cloud Config event names no rule: CLOUDSWEEP_CHECK says which check runs."""
        return None


def _concurrency(environment: Mapping[str, str]) -> int:
    raw = environment.get(CONCURRENCY_ENVIRONMENT, str(DEFAULT_CONCURRENCY))
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise EventError(CONCURRENCY_ENVIRONMENT, f"must be a whole number from 1 to 64, got {raw!r}")
    return int(raw)


def _profile_key(profile: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(resource id, type, region) of a listed resource, None when the listing's entry lacks one."""
    resource_type = profile.get("ResourceType")
    region = profile.get("Region")
    if not region and isinstance(resource_type, str) and resource_type.startswith(GLOBAL_TYPE_PREFIXES):
        region = GLOBAL_REGION
    values = (profile.get("ResourceId"), resource_type, region)
    if not all(isinstance(value, str) and value for value in values):
        return None
    return str(values[0]), str(values[1]), str(values[2])


def wire_evaluation(evaluation: Evaluation, resource_name: str | None = None) -> dict[str, Any]:
    """One evaluation as PutEvaluations takes it (the documented example's camelCase keys, time in ms)."""
    wire: dict[str, Any] = {
        "accountId": int(evaluation.account_id),
        "complianceResourceId": evaluation.resource_id,
        "complianceResourceType": evaluation.resource_type,
        "complianceRegionId": evaluation.region,
        "complianceType": evaluation.compliance.value,
        "orderingTimestamp": int(evaluation.ordering_timestamp.timestamp() * 1000),
    }
    if evaluation.annotation:
        wire["annotation"] = evaluation.annotation
    if resource_name:
        wire["complianceResourceName"] = resource_name
    return wire


class AlibabaConfigBackend:
    """Alibaba Cloud Config's side of `run_rule`: one per invocation, with the function's credentials."""

    cloud = Cloud.ALIBABA
    reserved_parameters: frozenset[str] = frozenset()
    batch_size = PUT_BATCH

    def __init__(
        self, credentials: AlibabaCredentials, function_region: str | None, settings: AlibabaSettings | None = None
    ) -> None:
        self._credentials = credentials
        self._function_region = function_region
        self._settings = settings
        self._concurrency = DEFAULT_CONCURRENCY
        self._api: ConfigApi | None = None
        self.failures: list[str] = []
        self._names: dict[tuple[str, str], str] = {}

    @property
    def api(self) -> ConfigApi:
        if self._api is None:
            raise RuntimeError("Cloud Config's API is open only inside connect()")
        return self._api

    def parse(self, event: Any, environment: Mapping[str, str]) -> AlibabaRuleEvent:
        return AlibabaRuleEvent.parse(event)

    def missing_check(self, wanted: str | None, from_environment: bool) -> str:
        problem = f"{wanted!r} is not an Alibaba Cloud check" if wanted else "is not set"
        return f"{problem}; set it in the function's environment"

    def prepare(self, rule: Rule[AlibabaRuleEvent], environment: Mapping[str, str]) -> Mapping[str, Any]:
        self._concurrency = _concurrency(environment)
        if self._settings is None:
            self._settings = AlibabaSettings.from_environment(self._function_region, environment)
        event = rule.event
        return {
            "message_type": event.message_type.value,
            "account_id": event.account_id,
            "with_item": event.item is not None,
        }

    @asynccontextmanager
    async def connect(self, rule: Rule[AlibabaRuleEvent]) -> AsyncIterator[ConfigApi]:
        if self._settings is None:
            raise RuntimeError("connect() comes after prepare(), which reads the settings")
        self._api = ConfigApi(self._credentials, self._settings)
        yield self._api

    def record(self, rule: Rule[AlibabaRuleEvent], item: ConfigurationItem, result: Result) -> Evaluation:
        if item.resource_name:
            self._names[(item.resource_type, item.resource_id)] = item.resource_name
        return Evaluation(
            item.account_id or str(rule.event.account_id),
            item.region,
            rule.check.id,
            item.resource_type,
            item.resource_id,
            result.compliance,
            result.annotation,
            rule.event.ordering,
        )

    def _evaluate(self, rule: Rule[AlibabaRuleEvent], item: ConfigurationItem) -> Evaluation:
        """The check's verdict on a live item; a deleted one is NOT_APPLICABLE without asking the check."""
        if item.deleted:
            return self.record(rule, item, Result(Compliance.NOT_APPLICABLE, "the resource is deleted"))
        snapshot = Snapshot(item.account_id, item.region, rule.event.ordering, {item.resource_type: [item]})
        result = rule.check.run_resource(item, rule.params, snapshot)
        if not isinstance(result, Result) or not isinstance(result.compliance, Compliance):
            raise TypeError(f"returned {result!r}, not a Result with a Compliance")
        return self.record(rule, item, result)

    def _fail(self, what: str, reason: str) -> None:
        self.failures.append(f"{what}: {reason}")
        log.warning("not evaluated", what=what, reason=reason)

    def pushed_item(self, rule: Rule[AlibabaRuleEvent]) -> PushedItem:
        try:
            summary = parse_item(rule.event.item or {}, configuration_required=False)
        except ItemError as exc:
            raise EventError("invokingEvent.configurationItem", f"is not a configuration item: {exc}") from exc
        deleted = summary.deleted or rule.event.configuration_type is ConfigurationType.NONE
        return PushedItem(
            summary, deleted="the resource is deleted (Cloud Config holds no configuration for it)" if deleted else None
        )

    async def evaluate_item(self, rule: Rule[AlibabaRuleEvent], summary: ConfigurationItem) -> Evaluation:
        item = summary
        # OVERSIZE leaves the configuration out on purpose; an empty one says nothing either: read it, never judge "{}".
        if rule.event.configuration_type is ConfigurationType.OVERSIZE or not summary.configuration:
            # Read where the event says the resource is (a RAM user's item names a region, evaluated as "global").
            region = str((rule.event.item or {}).get("regionId") or summary.region)
            detail = await self.api.get_resource(summary.resource_id, summary.resource_type, region)
            try:
                item = parse_item(detail)
            except ItemError as exc:
                raise RuleRuntimeError(f"GetDiscoveredResource's {summary.resource_id} is not readable: {exc}") from exc
        try:
            return self._evaluate(rule, item)
        except CHECK_FAILURES as exc:  # a check's bug, said plainly (re-raised), as the AWS scanner's _guarded does
            raise RuleRuntimeError(f"{rule.check.id} raised {type(exc).__name__} on {item.resource_id}: {exc}") from exc

    async def evaluate_account(self, rule: Rule[AlibabaRuleEvent]) -> list[Evaluation]:
        """Every resource of the check's types in the account: listed (every page), then read and evaluated.

        Nothing here ends the run early: a listing that breaks off, a resource that cannot be read and a check that
        raises are each recorded as a failure, and what was evaluated is put all the same.
        """
        check, api = rule.check, self.api
        limiter = anyio.CapacityLimiter(self._concurrency)
        listed: set[tuple[str, str]] = set()
        evaluations: list[Evaluation] = []

        async def read_and_evaluate(resource_id: str, resource_type: str, region: str) -> None:
            resource = f"{resource_type} {resource_id}"
            async with limiter:
                try:
                    item = parse_item(await api.get_resource(resource_id, resource_type, region))
                except AlibabaError as error:
                    self._fail(resource, error.code)
                    return
                except ItemError as exc:
                    self._fail(resource, str(exc))
                    return
            try:
                evaluations.append(self._evaluate(rule, item))
            except CHECK_FAILURES as exc:  # one resource's failure, as the AWS scanner's _guarded does
                self._fail(resource, f"{check.id} raised {type(exc).__name__}: {exc}")

        async with anyio.create_task_group() as group:
            try:
                async for profile in api.list_resources(check.resource_types):
                    key = _profile_key(profile)
                    if key is None:
                        self._fail(f"a listed resource {profile!r:.120}", "no ResourceId, ResourceType or Region")
                        continue
                    listed.add((key[1], key[0]))
                    group.start_soon(read_and_evaluate, *key)
            except AlibabaError as error:
                # The reads already started finish; the resources on later pages are not evaluated, and the run fails.
                self._fail("ListDiscoveredResources (live resources)", error.code)
        # Deleted resources: NOT_APPLICABLE from their listing alone, so an old NON_COMPLIANT does not linger.
        try:
            async for profile in api.list_resources(check.resource_types, deleted=True):
                try:
                    item = parse_item(profile, configuration_required=False)
                except ItemError as exc:
                    self._fail(f"{profile.get('ResourceType')} {profile.get('ResourceId')}", str(exc))
                    continue
                if (item.resource_type, item.resource_id) not in listed:
                    evaluations.append(
                        self.record(rule, item, Result(Compliance.NOT_APPLICABLE, "the resource is deleted"))
                    )
        except AlibabaError as error:
            self._fail("ListDiscoveredResources (deleted resources)", error.code)
        return evaluations

    async def stale(self, rule: Rule[AlibabaRuleEvent], evaluated: Sequence[Evaluation]) -> list[Evaluation]:
        """Nothing: what Cloud Config lists as deleted is already NOT_APPLICABLE in the periodic pass."""
        return []

    async def put(self, rule: Rule[AlibabaRuleEvent], batch: Sequence[Evaluation]) -> None:
        """PutEvaluations, retried by the API seam; what still fails fails the call."""
        wire = [
            wire_evaluation(evaluation, self._names.get((evaluation.resource_type, evaluation.resource_id)))
            for evaluation in batch
        ]
        await self.api.put_evaluations(rule.event.result_token, wire)

    def summary(self, stale: Sequence[Evaluation]) -> dict[str, Any]:
        return {"failures": len(self.failures), "calls": dict(self.api.calls)}


async def handle(
    event: Any,
    credentials: AlibabaCredentials,
    function_region: str | None,
    environment: Mapping[str, str] | None = None,
    *,
    settings: AlibabaSettings | None = None,
) -> dict[str, Any]:
    """Evaluate one Cloud Config rule event and put its evaluations; the summary is the function's result."""
    environment = os.environ if environment is None else environment
    return await run_rule(AlibabaConfigBackend(credentials, function_region, settings), event, environment)


__all__: Sequence[str] = ("AlibabaConfigBackend", "AlibabaRuleEvent", "MessageType", "handle", "wire_evaluation")
