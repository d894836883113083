"""An Alibaba Cloud Config custom rule: the event in, evaluations out through PutEvaluations.

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
import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import anyio
import structlog

from scanner.alibaba.config_api import AlibabaCredentials, AlibabaSettings, ConfigApi
from scanner.alibaba.items import GLOBAL_REGION, GLOBAL_TYPE_PREFIXES, account_number, epoch_milliseconds, parse_item
from scanner.documents import load_json
from scanner.errors import AlibabaError, EventError, RuleRuntimeError, UsageError, token_for_logs
from scanner.events import event_document, event_enum, event_object
from scanner.logs import configure_function_logging
from scanner.model import Compliance, ConfigurationItem, Evaluation, ItemError
from scanner.plugins import CHECKS_DIR_ENVIRONMENT, CheckLoadError, checks_dirs_from, load_registry
from scanner.registry import Check, Cloud, ParameterValues, Registry, Result, Snapshot
from scanner.rule_runtime import (
    CHECK_ENVIRONMENT,
    compliance_counts,
    not_applicable_reason,
    put_in_batches,
    rule_parameters,
)

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


@functools.cache
def _registry(checks_dirs: tuple[Path, ...]) -> Registry:
    # Once per warm instance, not per invocation.
    return load_registry(checks_dirs, cloud=Cloud.ALIBABA)


def select_check(environment: Mapping[str, str]) -> Check:
    """The check CLOUDSWEEP_CHECK names (an Alibaba Cloud event names no rule): built-in or CLOUDSWEEP_CHECKS_DIR's."""
    try:
        registry = _registry(checks_dirs_from(environment))
    except CheckLoadError as exc:
        raise EventError(CHECKS_DIR_ENVIRONMENT, str(exc)) from exc
    wanted = environment.get(CHECK_ENVIRONMENT)
    if wanted and wanted in registry:
        return registry.get(wanted)
    known = ", ".join(check.id for check in registry)
    problem = f"{wanted!r} is not an Alibaba Cloud check" if wanted else "is not set"
    raise EventError(
        CHECK_ENVIRONMENT,
        f"{problem}; set it in the function's environment to one of: {known} "
        f"(your own checks load from the directories in {CHECKS_DIR_ENVIRONMENT})",
    )


def _concurrency(environment: Mapping[str, str]) -> int:
    raw = environment.get(CONCURRENCY_ENVIRONMENT, str(DEFAULT_CONCURRENCY))
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise EventError(CONCURRENCY_ENVIRONMENT, f"must be a whole number from 1 to 64, got {raw!r}")
    return int(raw)


@dataclass
class Invocation:
    """One function call: its event, check, parameters, API and what it evaluated."""

    event: AlibabaRuleEvent
    check: Check
    params: ParameterValues
    api: ConfigApi
    evaluations: list[Evaluation] = field(default_factory=list)
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def record(self, item: ConfigurationItem, result: Result) -> None:
        self.evaluations.append(
            Evaluation(
                item.account_id or str(self.event.account_id),
                item.region,
                self.check.id,
                item.resource_type,
                item.resource_id,
                result.compliance,
                result.annotation,
                self.event.ordering,
            )
        )
        if item.resource_name:
            self.names[(item.resource_type, item.resource_id)] = item.resource_name

    def evaluate(self, item: ConfigurationItem) -> None:
        """The check's verdict on a live item; a deleted one is NOT_APPLICABLE without asking the check."""
        if item.deleted:
            self.record(item, Result(Compliance.NOT_APPLICABLE, "the resource is deleted"))
            return
        snapshot = Snapshot(item.account_id, item.region, self.event.ordering, {item.resource_type: [item]})
        result = self.check.run_resource(item, self.params, snapshot)
        if not isinstance(result, Result) or not isinstance(result.compliance, Compliance):
            raise TypeError(f"returned {result!r}, not a Result with a Compliance")
        self.record(item, result)

    def fail(self, what: str, reason: str) -> None:
        self.failures.append(f"{what}: {reason}")
        log.warning("not evaluated", what=what, reason=reason)


def _not_applicable_reason(check: Check, item: ConfigurationItem, configuration_type: ConfigurationType) -> str | None:
    deleted = item.deleted or configuration_type is ConfigurationType.NONE
    gone = "the resource is deleted (Cloud Config holds no configuration for it)" if deleted else None
    return not_applicable_reason(check, item, deleted=gone)


async def _evaluate_pushed_item(invocation: Invocation, raw_item: Mapping[str, Any]) -> None:
    event = invocation.event
    try:
        summary = parse_item(raw_item, configuration_required=False)
    except ItemError as exc:
        raise EventError("invokingEvent.configurationItem", f"is not a configuration item: {exc}") from exc
    reason = _not_applicable_reason(invocation.check, summary, event.configuration_type)
    if reason is not None:
        invocation.record(summary, Result(Compliance.NOT_APPLICABLE, reason))
        return
    item = summary
    # OVERSIZE leaves the configuration out on purpose; an empty one says nothing either: read it, never judge "{}".
    if event.configuration_type is ConfigurationType.OVERSIZE or not summary.configuration:
        # Read where the event says the resource is (a RAM user's item names a region, evaluated as "global").
        region = str(raw_item.get("regionId") or summary.region)
        detail = await invocation.api.get_resource(summary.resource_id, summary.resource_type, region)
        try:
            item = parse_item(detail)
        except ItemError as exc:
            raise RuleRuntimeError(f"GetDiscoveredResource's {summary.resource_id} is not readable: {exc}") from exc
    try:
        invocation.evaluate(item)
    except CHECK_FAILURES as exc:  # a check's bug, said plainly (re-raised), as the AWS scanner's _guarded does
        raise RuleRuntimeError(
            f"{invocation.check.id} raised {type(exc).__name__} on {item.resource_id}: {exc}"
        ) from exc


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


async def _evaluate_account(invocation: Invocation, concurrency: int) -> None:
    """Every resource of the check's types in the account: listed (every page), then read and evaluated.

    Nothing here ends the run early: a listing that breaks off, a resource that cannot be read and a check that
    raises are each recorded as a failure, and what was evaluated is put all the same.
    """
    check = invocation.check
    limiter = anyio.CapacityLimiter(concurrency)
    listed: set[tuple[str, str]] = set()

    async def read_and_evaluate(resource_id: str, resource_type: str, region: str) -> None:
        resource = f"{resource_type} {resource_id}"
        async with limiter:
            try:
                item = parse_item(await invocation.api.get_resource(resource_id, resource_type, region))
            except AlibabaError as error:
                invocation.fail(resource, error.code)
                return
            except ItemError as exc:
                invocation.fail(resource, str(exc))
                return
        try:
            invocation.evaluate(item)
        except CHECK_FAILURES as exc:  # one resource's failure, as the AWS scanner's _guarded does
            invocation.fail(resource, f"{check.id} raised {type(exc).__name__}: {exc}")

    async with anyio.create_task_group() as group:
        try:
            async for profile in invocation.api.list_resources(check.resource_types):
                key = _profile_key(profile)
                if key is None:
                    invocation.fail(f"a listed resource {profile!r:.120}", "no ResourceId, ResourceType or Region")
                    continue
                listed.add((key[1], key[0]))
                group.start_soon(read_and_evaluate, *key)
        except AlibabaError as error:
            # The reads already started finish; the resources on later pages are not evaluated, and the run fails.
            invocation.fail("ListDiscoveredResources (live resources)", error.code)
    # Deleted resources: NOT_APPLICABLE from their listing alone, so an old NON_COMPLIANT does not linger.
    try:
        async for profile in invocation.api.list_resources(check.resource_types, deleted=True):
            try:
                item = parse_item(profile, configuration_required=False)
            except ItemError as exc:
                invocation.fail(f"{profile.get('ResourceType')} {profile.get('ResourceId')}", str(exc))
                continue
            if (item.resource_type, item.resource_id) not in listed:
                invocation.record(item, Result(Compliance.NOT_APPLICABLE, "the resource is deleted"))
    except AlibabaError as error:
        invocation.fail("ListDiscoveredResources (deleted resources)", error.code)


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


async def put_evaluations(invocation: Invocation) -> None:
    """PutEvaluations in batches of PUT_BATCH, each retried by the API seam; what still fails fails the call."""
    wire = [
        wire_evaluation(evaluation, invocation.names.get((evaluation.resource_type, evaluation.resource_id)))
        for evaluation in invocation.evaluations
    ]

    async def put(batch: Sequence[dict[str, Any]]) -> None:
        await invocation.api.put_evaluations(invocation.event.result_token, list(batch))

    await put_in_batches(wire, PUT_BATCH, put)


def parse_parameters(check: Check, event: AlibabaRuleEvent) -> ParameterValues:
    return rule_parameters(check, event.rule_parameters)


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
    rule_event = AlibabaRuleEvent.parse(event)
    check = select_check(environment)
    params = parse_parameters(check, rule_event)
    concurrency = _concurrency(environment)
    log.info(
        "rule invoked",
        check=check.id,
        message_type=rule_event.message_type.value,
        account_id=rule_event.account_id,
        with_item=rule_event.item is not None,
        result_token=token_for_logs(rule_event.result_token),
    )
    api = ConfigApi(credentials, settings or AlibabaSettings.from_environment(function_region, environment))
    invocation = Invocation(rule_event, check, params, api)
    try:
        if rule_event.item is not None:
            await _evaluate_pushed_item(invocation, rule_event.item)
        else:
            await _evaluate_account(invocation, concurrency)
        await put_evaluations(invocation)
    except AlibabaError as error:
        raise RuleRuntimeError(f"{error.service}:{error.operation} failed with {error.code}") from error
    counts = compliance_counts(invocation.evaluations)
    summary = {
        "check": check.id,
        "evaluations": len(invocation.evaluations),
        "failures": len(invocation.failures),
        "calls": dict(api.calls),
        **counts,
    }
    log.info("rule evaluated", **summary)
    if invocation.failures:
        shown = "; ".join(invocation.failures[:5])
        raise RuleRuntimeError(
            f"incomplete, {len(invocation.failures)} failures (the {len(invocation.evaluations)} evaluations made "
            f"were put): {shown}"
        )
    return summary


def _credentials(context: Any, environment: Mapping[str, str]) -> AlibabaCredentials:
    # Python 3.9/3.10 runtimes pass the role's keys in context.credentials; the 3.12 runtime only in the environment.
    if getattr(context, "credentials", None) is not None:
        return AlibabaCredentials.from_context(context)
    return AlibabaCredentials.from_environment(environment)


def function_compute_handler(event: Any, context: Any) -> dict[str, Any]:
    environment = dict(os.environ)
    configure_function_logging(environment)
    try:
        credentials = _credentials(context, environment)
    except UsageError as exc:
        raise EventError("context.credentials", str(exc)) from exc
    region = (
        getattr(context, "region", None) or environment.get("ALIBABA_CLOUD_REGION_ID") or environment.get("FC_REGION")
    )
    return anyio.run(handle, event, credentials, region, environment)


__all__: Sequence[str] = ("AlibabaRuleEvent", "MessageType", "function_compute_handler", "handle", "wire_evaluation")
