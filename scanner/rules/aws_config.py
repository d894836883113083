"""AWS Config custom rules: the AWS backend of the rule runtime (`scanner.rules.runtime.run_rule`), which the Lambda
handler (`scanner.lambda_handler.handler`) and `cloudsweep invoke` call through `handle`.

Routed on `invokingEvent.messageType`:
- ScheduledNotification: evaluate the rule's check over the event's account and region (every page), put the
  evaluations, and mark what was evaluated before but is gone now NOT_APPLICABLE.
- ConfigurationItemChangeNotification / OversizedConfigurationItemChangeNotification: evaluate one item (the
  oversized one is fetched with GetResourceConfigHistory).
The check runs unchanged: the same registry, parameters, inventory and retry policy as `cloudsweep scan`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from scanner.aws.clients import AwsClients, AwsSettings, CallContext, sts_fetcher
from scanner.aws.config_evaluations import FAILED_EVALUATION_ROUNDS, PUT_BATCH, put_evaluation_batch
from scanner.aws.credentials import CredentialBroker, RoleSpec
from scanner.errors import AwsError, EventError, RuleRuntimeError, token_for_logs
from scanner.events import event_document, event_enum, event_object
from scanner.model import ACCOUNT_RESOURCE_TYPE, Compliance, ConfigurationItem, Evaluation, ItemError, Target
from scanner.registry import CheckScope, Cloud, ExtraData, Result, SelectedCheck, Snapshot
from scanner.rules.runtime import CHECK_ENVIRONMENT, PushedItem, Rule, run_rule
from scanner.scan.inventory import EXTRA_DATA_READERS, ConfigInventory
from scanner.scan.orchestrator import scan_target

TEST_MODE_TOKEN = "TESTMODE"  # noqa: S105  (AWS's documented test-mode token)
# rdklib's reserved rule parameters: they steer the runtime, never the check.
RESERVED_PARAMETERS = frozenset({"ExecutionRoleName", "ExecutionRoleRegion", "AssumeRoleMode"})
DELETED_STATUSES = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded"})
ACCESS_DENIED_MESSAGE = "AWS Config does not have permission to assume the IAM role."


class MessageType(Enum):
    SCHEDULED = "ScheduledNotification"
    CHANGE = "ConfigurationItemChangeNotification"
    OVERSIZED = "OversizedConfigurationItemChangeNotification"


def _string_field(document: Mapping[str, Any], name: str, prefix: str = "") -> str | None:
    """A string field, None when absent or empty; any other type is an error naming the field."""
    value = document.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise EventError(prefix + name, f"must be a string, got {type(value).__name__}")
    return value


def _region_of(rule_arn: str | None) -> str | None:
    parts = (rule_arn or "").split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else None


@dataclass(frozen=True)
class RuleEvent:
    message_type: MessageType
    invoking_event: Mapping[str, Any]
    rule_parameters: Mapping[str, Any]
    result_token: str = field(repr=False)
    account_id: str
    region: str
    rule_name: str | None
    execution_role_arn: str | None
    event_left_scope: bool

    @classmethod
    def parse(cls, event: Any, environment: Mapping[str, str]) -> RuleEvent:
        if not isinstance(event, Mapping):
            raise EventError("event", f"must be a JSON object, got {type(event).__name__}")
        event_document(event)
        invoking = event_object(event, "invokingEvent", required=True)
        parameters = event_object(event, "ruleParameters", required=False)
        message_type = event_enum(MessageType, invoking.get("messageType"), "invokingEvent.messageType", "message type")
        token = _string_field(event, "resultToken")
        if token is None:
            raise EventError("resultToken", "is missing")
        account = _string_field(event, "accountId") or _string_field(invoking, "awsAccountId", "invokingEvent.")
        if not account and message_type is not MessageType.SCHEDULED:
            key = "configurationItem" if message_type is MessageType.CHANGE else "configurationItemSummary"
            item = invoking.get(key)
            if not isinstance(item, Mapping):
                raise EventError(f"invokingEvent.{key}", "must be a JSON object")
            account = _string_field(item, "awsAccountId", f"invokingEvent.{key}.") or _string_field(
                item, "accountId", f"invokingEvent.{key}."
            )
        if not account:
            raise EventError("accountId", "is missing (neither the event nor the invoking event names the account)")
        rule_arn = _string_field(event, "configRuleArn")
        region = _region_of(rule_arn) or environment.get("AWS_REGION") or environment.get("AWS_DEFAULT_REGION")
        if not region:
            raise EventError("configRuleArn", "names no region, and AWS_REGION is not set")
        left_scope = event.get("eventLeftScope", False)
        for name, value in parameters.items():
            if not isinstance(value, str):
                raise EventError(f"ruleParameters.{name}", f"must be a string, as AWS Config passes it; got {value!r}")
        return cls(
            message_type=message_type,
            invoking_event=invoking,
            rule_parameters=parameters,
            result_token=token,
            account_id=account,
            region=region,
            rule_name=_string_field(event, "configRuleName"),
            execution_role_arn=_string_field(event, "executionRoleArn"),
            event_left_scope=left_scope is True or str(left_scope).lower() == "true",
        )

    @property
    def periodic(self) -> bool:
        return self.message_type is MessageType.SCHEDULED

    @property
    def test_mode(self) -> bool:
        return self.result_token == TEST_MODE_TOKEN

    @property
    def token_for_logs(self) -> str:
        return token_for_logs(self.result_token)

    @property
    def target(self) -> Target:
        return Target(self.account_id, self.region)

    @property
    def context(self) -> CallContext:
        return CallContext(self.account_id, self.region)


def _timestamp(value: Any, field_name: str) -> datetime:
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise EventError(field_name, f"is not an ISO-8601 time: {value!r}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise EventError(field_name, "is missing")


def _notification_time(event: RuleEvent) -> datetime:
    """A periodic run's ordering timestamp: when AWS Config made the notification."""
    return _timestamp(event.invoking_event.get("notificationCreationTime"), "notificationCreationTime")


def _is_true(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def _parse_item(raw: Any, field_name: str) -> ConfigurationItem:
    if not isinstance(raw, Mapping):
        raise EventError(field_name, "must be a JSON object")
    try:
        return ConfigurationItem.parse(raw)
    except (ItemError, AttributeError, TypeError) as exc:
        raise EventError(field_name, f"is not a configuration item: {exc}") from exc


class AwsConfigBackend:
    """AWS Config's side of `run_rule`: one per invocation, its clients open while `connect` is."""

    cloud = Cloud.AWS
    reserved_parameters = RESERVED_PARAMETERS
    batch_size = PUT_BATCH
    failures: Sequence[str] = ()  # a periodic pass that cannot read what its check needs fails before any put

    def __init__(self) -> None:
        self._settings = AwsSettings()
        self._clients: AwsClients | None = None

    @property
    def clients(self) -> AwsClients:
        if self._clients is None:
            raise RuntimeError("the AWS clients open in connect()")
        return self._clients

    def parse(self, event: Any, environment: Mapping[str, str]) -> RuleEvent:
        return RuleEvent.parse(event, environment)

    def missing_check(self, wanted: str | None, from_environment: bool) -> str:
        source = f"{CHECK_ENVIRONMENT}={wanted!r}" if from_environment else f"configRuleName={wanted!r}"
        return f"no check to run ({source} is not a check id); set {CHECK_ENVIRONMENT}"

    def prepare(self, rule: Rule[RuleEvent], environment: Mapping[str, str]) -> Mapping[str, Any]:
        self._settings = AwsSettings(endpoint_url=environment.get("AWS_ENDPOINT_URL"))
        event = rule.event
        return {"message_type": event.message_type.value, "account_id": event.account_id, "region": event.region}

    @asynccontextmanager
    async def connect(self, rule: Rule[RuleEvent]) -> AsyncIterator[AwsClients]:
        async with AwsClients(self._settings) as clients:
            self._clients = clients
            try:
                await self._enter_account(rule.event)
            except AwsError as error:
                raise RuleRuntimeError(f"sts:assume_role failed with {error.code}") from error
            yield clients

    async def _enter_account(self, event: RuleEvent) -> None:
        """rdklib's assume-role mode: act through executionRoleArn, or ExecutionRoleName in the event's account."""
        parameters = event.rule_parameters
        if not _is_true(parameters.get("AssumeRoleMode")):
            return
        role_name = parameters.get("ExecutionRoleName")
        role_arn = f"arn:aws:iam::{event.account_id}:role/{role_name}" if role_name else event.execution_role_arn
        if not role_arn:
            raise EventError("executionRoleArn", "AssumeRoleMode is on but the event names no role")
        sts_region = str(parameters.get("ExecutionRoleRegion") or event.region)

        broker = CredentialBroker(sts_fetcher(self.clients, sts_region, CallContext(None, sts_region)))
        try:
            credentials = await broker.credentials(event.account_id, RoleSpec(role_arn, "cloudsweep-config-rule"))
        except AwsError as error:
            if error.code in ("AccessDenied", "AccessDeniedException"):
                raise RuleRuntimeError(ACCESS_DENIED_MESSAGE) from error
            raise
        self.clients.use_credentials(event.account_id, credentials)

    async def evaluate_account(self, rule: Rule[RuleEvent]) -> list[Evaluation]:
        """The engine's own scan of one target, every page; anything it could not read fails the invocation."""
        ordering = _notification_time(rule.event)
        sink = _Collected()
        outcome = await scan_target(
            rule.event.target,
            [SelectedCheck(rule.check, rule.params)],
            self.clients,
            sink,
            ordering,
            in_global_region=True,
        )
        if outcome.failures:
            first = outcome.failures[0]
            raise RuleRuntimeError(f"could not read what {rule.check.id} needs: {first.what}: {first.code}")
        return sink.evaluations

    def pushed_item(self, rule: Rule[RuleEvent]) -> PushedItem:
        """The event's item (change) or the summary standing for it (oversized)."""
        event = rule.event
        if event.message_type is MessageType.CHANGE:
            summary = _parse_item(event.invoking_event.get("configurationItem"), "invokingEvent.configurationItem")
        else:
            summary = _parse_item(
                event.invoking_event.get("configurationItemSummary"), "invokingEvent.configurationItemSummary"
            )
        deleted = summary.status in DELETED_STATUSES
        return PushedItem(
            summary,
            deleted=f"the resource's configuration item status is {summary.status}" if deleted else None,
            left_scope=event.event_left_scope,
        )

    def record(self, rule: Rule[RuleEvent], item: ConfigurationItem, result: Result) -> Evaluation:
        return self._evaluation(rule, item.resource_type, item.resource_id, result, _ordering_of(item))

    def _evaluation(
        self, rule: Rule[RuleEvent], resource_type: str, resource_id: str, result: Result, ordering: datetime
    ) -> Evaluation:
        event = rule.event
        return Evaluation(
            event.account_id,
            event.region,
            rule.check.id,
            resource_type,
            resource_id,
            result.compliance,
            result.annotation,
            ordering,
        )

    async def evaluate_item(self, rule: Rule[RuleEvent], summary: ConfigurationItem) -> Evaluation:
        ordering = _ordering_of(summary)
        check = rule.check
        if check.scope is CheckScope.ACCOUNT:
            snapshot = await self._snapshot(rule, ordering)
            result = check.run_account(snapshot, rule.params)
            return self._evaluation(rule, ACCOUNT_RESOURCE_TYPE, rule.event.account_id, result, ordering)
        item = await self._full_item(rule, summary)
        snapshot = await self._snapshot(rule, ordering)
        result = check.run_resource(item, rule.params, snapshot)
        return self._evaluation(rule, item.resource_type, item.resource_id, result, ordering)

    async def _full_item(self, rule: Rule[RuleEvent], summary: ConfigurationItem) -> ConfigurationItem:
        event = rule.event
        if event.message_type is MessageType.CHANGE:
            return summary
        if summary.capture_time is None:
            raise EventError("invokingEvent.configurationItemSummary.configurationItemCaptureTime", "is missing")
        config = await self.clients.client("config", event.region, account=event.account_id)
        response = await self.clients.call(
            config,
            "get_resource_config_history",
            context=event.context,
            resourceType=summary.resource_type,
            resourceId=summary.resource_id,
            laterTime=summary.capture_time,
            limit=1,
        )
        items = response.get("configurationItems", [])
        if not items:
            raise RuleRuntimeError(f"the oversized item {summary.resource_id} is not in its configuration history")
        return _parse_item(items[0], "GetResourceConfigHistory item")

    async def _snapshot(self, rule: Rule[RuleEvent], now: datetime) -> Snapshot:
        """What the check looks things up in, read with the scanner's own inventory code."""
        check, event = rule.check, rule.event
        needs = check.needs(rule.params)
        inventory = await ConfigInventory.open(self.clients, event.target)
        items = {}
        for resource_type in check.lookup_types:
            fetched = await inventory.all_items(resource_type)
            if fetched.failures:
                failure = fetched.failures[0]
                raise RuleRuntimeError(f"could not read {failure.resource_type} {failure.resource_id}: {failure.code}")
            items[resource_type] = fetched.items
        counts = {resource_type: await inventory.count(resource_type) for resource_type in needs.count_types}
        extra: dict[ExtraData, Any] = {
            data: await EXTRA_DATA_READERS[data](self.clients, event.context)
            for data in sorted(needs.extra, key=lambda data: data.value)
        }
        return Snapshot(event.account_id, event.region, now, items, counts, extra)

    async def stale(self, rule: Rule[RuleEvent], evaluated: Sequence[Evaluation]) -> list[Evaluation]:
        """NOT_APPLICABLE for each (type, id) this rule evaluated before but did not evaluate now (every page)."""
        event = rule.event
        if not event.rule_name or event.test_mode:
            return []
        config = await self.clients.client("config", event.region, account=event.account_id)
        current = {(e.resource_type, e.resource_id) for e in evaluated}
        previous: set[tuple[str, str]] = set()
        token: str | None = None
        while True:
            paging: dict[str, Any] = {"NextToken": token} if token else {}
            page = await self.clients.call(
                config,
                "get_compliance_details_by_config_rule",
                context=event.context,
                ConfigRuleName=event.rule_name,
                Limit=100,
                **paging,
            )
            for result in page.get("EvaluationResults", []):
                qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
                if result.get("ComplianceType") != Compliance.NOT_APPLICABLE.value:
                    previous.add((qualifier["ResourceType"], qualifier["ResourceId"]))
            token = page.get("NextToken")
            if not token:
                break
        gone, ordering = (
            Result(Compliance.NOT_APPLICABLE, "no longer found in this account and region"),
            _notification_time(event),
        )
        return [
            self._evaluation(rule, resource_type, resource_id, gone, ordering)
            for resource_type, resource_id in sorted(previous - current)
        ]

    async def put(self, rule: Rule[RuleEvent], batch: Sequence[Evaluation]) -> None:
        """PutEvaluations; FailedEvaluations are retried, then the invocation fails loudly."""
        event = rule.event
        refused = await put_evaluation_batch(
            self.clients, event.context, list(batch), event.result_token, test_mode=event.test_mode
        )
        if refused:
            ids = ", ".join(evaluation.resource_id for evaluation in refused[:5])
            raise RuleRuntimeError(
                f"AWS Config refused {len(refused)} evaluations after {FAILED_EVALUATION_ROUNDS} tries: {ids}"
            )

    def summary(self, stale: Sequence[Evaluation]) -> dict[str, Any]:
        return {"stale": len(stale)}


class _Collected:
    """The periodic pass's sink: what `scan_target` evaluates, kept for the put."""

    def __init__(self) -> None:
        self.evaluations: list[Evaluation] = []

    async def put(self, evaluation: Evaluation) -> None:
        self.evaluations.append(evaluation)


def _ordering_of(item: ConfigurationItem) -> datetime:
    return item.capture_time or datetime.now(UTC)


async def handle(event: Any, environment: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Evaluate one AWS Config rule event and put its evaluations; the summary is the function's result."""
    return await run_rule(AwsConfigBackend(), event, os.environ if environment is None else environment)
