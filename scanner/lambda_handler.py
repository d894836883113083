"""AWS Config custom rules on Lambda: `scanner.lambda_handler.handler(event, context)`.

Routed on `invokingEvent.messageType`:
- ScheduledNotification: evaluate the rule's check over the event's account and region (every page), put the
  evaluations, and mark what was evaluated before but is gone now NOT_APPLICABLE.
- ConfigurationItemChangeNotification / OversizedConfigurationItemChangeNotification: evaluate one item (the
  oversized one is fetched with GetResourceConfigHistory).
The check runs unchanged: the same registry, parameters, inventory and retry policy as `cloudsweep scan`.
"""

from __future__ import annotations

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

from scanner.aws.clients import AwsClients, AwsSettings, CallContext, sts_fetcher
from scanner.aws.config_evaluations import FAILED_EVALUATION_ROUNDS, PUT_BATCH, put_evaluation_batch
from scanner.aws.credentials import CredentialBroker, RoleSpec
from scanner.errors import AwsError, EventError, RuleRuntimeError, UsageError, token_for_logs
from scanner.events import event_document, event_enum, event_object
from scanner.logs import configure_function_logging
from scanner.model import ACCOUNT_RESOURCE_TYPE, Compliance, ConfigurationItem, Evaluation, ItemError, Target
from scanner.plugins import CHECKS_DIR_ENVIRONMENT, CheckLoadError, checks_dirs_from, load_registry
from scanner.registry import Check, CheckScope, ExtraData, Registry, Result, SelectedCheck, Snapshot
from scanner.rule_runtime import (
    CHECK_ENVIRONMENT,
    compliance_counts,
    not_applicable_reason,
    put_in_batches,
    rule_parameters,
)
from scanner.scan.inventory import EXTRA_DATA_READERS, ConfigInventory
from scanner.scan.orchestrator import scan_target

log = structlog.get_logger("cloudsweep.lambda")

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
    def test_mode(self) -> bool:
        return self.result_token == TEST_MODE_TOKEN

    @property
    def token_for_logs(self) -> str:
        return token_for_logs(self.result_token)


@functools.cache
def _registry(checks_dirs: tuple[Path, ...]) -> Registry:
    # Once per warm container, not per invocation: listing entry points scans every installed distribution.
    return load_registry(checks_dirs)


def select_check(event: RuleEvent, environment: Mapping[str, str]) -> Check:
    """The check named by CLOUDSWEEP_CHECK or the rule name: built-in, from an entry point or CLOUDSWEEP_CHECKS_DIR."""
    try:
        registry = _registry(checks_dirs_from(environment))
    except CheckLoadError as exc:
        raise EventError(CHECKS_DIR_ENVIRONMENT, str(exc)) from exc
    wanted = environment.get(CHECK_ENVIRONMENT) or event.rule_name
    if wanted and wanted in registry:
        return registry.get(wanted)
    source = f"{CHECK_ENVIRONMENT}={wanted!r}" if environment.get(CHECK_ENVIRONMENT) else f"configRuleName={wanted!r}"
    known = ", ".join(check.id for check in registry)
    raise EventError(
        CHECK_ENVIRONMENT,
        f"no check to run ({source} is not a check id); set {CHECK_ENVIRONMENT} to one of: {known} "
        f"(your own checks load from the directories in {CHECKS_DIR_ENVIRONMENT})",
    )


def _timestamp(value: Any, field_name: str) -> datetime:
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise EventError(field_name, f"is not an ISO-8601 time: {value!r}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise EventError(field_name, "is missing")


def _is_true(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


@dataclass
class Invocation:
    """One handler call: its event, check, parameters, clients and the evaluations it makes."""

    event: RuleEvent
    check: Check
    clients: AwsClients
    selected: SelectedCheck
    evaluations: list[Evaluation] = field(default_factory=list)

    async def put(self, evaluation: Evaluation) -> None:
        self.evaluations.append(evaluation)

    @property
    def target(self) -> Target:
        return Target(self.event.account_id, self.event.region)

    @property
    def context(self) -> CallContext:
        return CallContext(self.event.account_id, self.event.region)


async def _enter_account(clients: AwsClients, event: RuleEvent) -> None:
    """rdklib's assume-role mode: act through executionRoleArn, or ExecutionRoleName in the event's account."""
    parameters = event.rule_parameters
    if not _is_true(parameters.get("AssumeRoleMode")):
        return
    role_name = parameters.get("ExecutionRoleName")
    role_arn = f"arn:aws:iam::{event.account_id}:role/{role_name}" if role_name else event.execution_role_arn
    if not role_arn:
        raise EventError("executionRoleArn", "AssumeRoleMode is on but the event names no role")
    sts_region = str(parameters.get("ExecutionRoleRegion") or event.region)

    broker = CredentialBroker(sts_fetcher(clients, sts_region, CallContext(None, sts_region)))
    try:
        credentials = await broker.credentials(event.account_id, RoleSpec(role_arn, "cloudsweep-config-rule"))
    except AwsError as error:
        if error.code in ("AccessDenied", "AccessDeniedException"):
            raise RuleRuntimeError(ACCESS_DENIED_MESSAGE) from error
        raise
    clients.use_credentials(event.account_id, credentials)


async def _evaluate_periodic(invocation: Invocation) -> datetime:
    ordering = _timestamp(invocation.event.invoking_event.get("notificationCreationTime"), "notificationCreationTime")
    outcome = await scan_target(
        invocation.target,
        [invocation.selected],
        invocation.clients,
        invocation,
        ordering,
        in_global_region=True,
    )
    if outcome.failures:
        first = outcome.failures[0]
        raise RuleRuntimeError(f"could not read what {invocation.check.id} needs: {first.what}: {first.code}")
    return ordering


def _parse_item(raw: Any, field_name: str) -> ConfigurationItem:
    if not isinstance(raw, Mapping):
        raise EventError(field_name, "must be a JSON object")
    try:
        return ConfigurationItem.parse(raw)
    except (ItemError, AttributeError, TypeError) as exc:
        raise EventError(field_name, f"is not a configuration item: {exc}") from exc


def _summary(invocation: Invocation) -> ConfigurationItem:
    """The event's item (change) or the summary standing for it (oversized): enough to decide applicability."""
    event = invocation.event
    if event.message_type is MessageType.CHANGE:
        return _parse_item(event.invoking_event.get("configurationItem"), "invokingEvent.configurationItem")
    return _parse_item(event.invoking_event.get("configurationItemSummary"), "invokingEvent.configurationItemSummary")


async def _full_item(invocation: Invocation, summary: ConfigurationItem) -> ConfigurationItem:
    if invocation.event.message_type is MessageType.CHANGE:
        return summary
    if summary.capture_time is None:
        raise EventError("invokingEvent.configurationItemSummary.configurationItemCaptureTime", "is missing")
    config = await invocation.clients.client("config", invocation.event.region, account=invocation.event.account_id)
    response = await invocation.clients.call(
        config,
        "get_resource_config_history",
        context=invocation.context,
        resourceType=summary.resource_type,
        resourceId=summary.resource_id,
        laterTime=summary.capture_time,
        limit=1,
    )
    items = response.get("configurationItems", [])
    if not items:
        raise RuleRuntimeError(f"the oversized item {summary.resource_id} is not in its configuration history")
    return _parse_item(items[0], "GetResourceConfigHistory item")


async def _snapshot_for(invocation: Invocation, now: datetime) -> Snapshot:
    """What the check looks things up in, read with the scanner's own inventory code."""
    needs = invocation.check.needs(invocation.selected.params)
    inventory = await ConfigInventory.open(invocation.clients, invocation.target)
    items = {}
    for resource_type in invocation.check.lookup_types:
        fetched = await inventory.all_items(resource_type)
        if fetched.failures:
            failure = fetched.failures[0]
            raise RuleRuntimeError(f"could not read {failure.resource_type} {failure.resource_id}: {failure.code}")
        items[resource_type] = fetched.items
    counts = {resource_type: await inventory.count(resource_type) for resource_type in needs.count_types}
    extra: dict[ExtraData, Any] = {
        data: await EXTRA_DATA_READERS[data](invocation.clients, invocation.context)
        for data in sorted(needs.extra, key=lambda data: data.value)
    }
    return Snapshot(invocation.event.account_id, invocation.event.region, now, items, counts, extra)


async def _evaluate_change(invocation: Invocation) -> None:
    event = invocation.event
    summary = _summary(invocation)
    ordering = summary.capture_time or datetime.now(UTC)
    check = invocation.check

    def emit(resource_type: str, resource_id: str, result: Result) -> Evaluation:
        return Evaluation(
            event.account_id,
            event.region,
            check.id,
            resource_type,
            resource_id,
            result.compliance,
            result.annotation,
            ordering,
        )

    if check.scope is CheckScope.ACCOUNT:
        snapshot = await _snapshot_for(invocation, ordering)
        result = check.run_account(snapshot, invocation.selected.params)
        await invocation.put(emit(ACCOUNT_RESOURCE_TYPE, event.account_id, result))
        return
    # Decided on the summary: a deleted or out-of-scope oversized item is not fetched (its history may be gone).
    deleted = summary.status in DELETED_STATUSES
    reason = not_applicable_reason(
        check,
        summary,
        deleted=f"the resource's configuration item status is {summary.status}" if deleted else None,
        left_scope=event.event_left_scope,
    )
    if reason is not None:
        await invocation.put(
            emit(summary.resource_type, summary.resource_id, Result(Compliance.NOT_APPLICABLE, reason))
        )
        return
    item = await _full_item(invocation, summary)
    snapshot = await _snapshot_for(invocation, ordering)
    result = check.run_resource(item, invocation.selected.params, snapshot)
    await invocation.put(emit(item.resource_type, item.resource_id, result))


async def _stale(invocation: Invocation, ordering: datetime) -> list[Evaluation]:
    """NOT_APPLICABLE for each (type, id) this rule evaluated before but did not evaluate now (every page)."""
    event = invocation.event
    if not event.rule_name or event.test_mode:
        return []
    config = await invocation.clients.client("config", event.region, account=event.account_id)
    current = {(e.resource_type, e.resource_id) for e in invocation.evaluations}
    previous: set[tuple[str, str]] = set()
    token: str | None = None
    while True:
        paging: dict[str, Any] = {"NextToken": token} if token else {}
        page = await invocation.clients.call(
            config,
            "get_compliance_details_by_config_rule",
            context=invocation.context,
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
    return [
        Evaluation(
            event.account_id,
            event.region,
            invocation.check.id,
            resource_type,
            resource_id,
            Compliance.NOT_APPLICABLE,
            "no longer found in this account and region",
            ordering,
        )
        for resource_type, resource_id in sorted(previous - current)
    ]


async def put_evaluations(invocation: Invocation, evaluations: list[Evaluation]) -> None:
    """PutEvaluations in batches of 100; FailedEvaluations are retried, then the invocation fails loudly."""
    event = invocation.event

    async def put(batch: Sequence[Evaluation]) -> None:
        refused = await put_evaluation_batch(
            invocation.clients, invocation.context, list(batch), event.result_token, test_mode=event.test_mode
        )
        if refused:
            ids = ", ".join(evaluation.resource_id for evaluation in refused[:5])
            raise RuleRuntimeError(
                f"AWS Config refused {len(refused)} evaluations after {FAILED_EVALUATION_ROUNDS} tries: {ids}"
            )

    await put_in_batches(evaluations, PUT_BATCH, put)


async def handle(event: Any, environment: Mapping[str, str] | None = None) -> dict[str, Any]:
    environment = os.environ if environment is None else environment
    rule_event = RuleEvent.parse(event, environment)
    check = select_check(rule_event, environment)
    params = rule_parameters(check, rule_event.rule_parameters, RESERVED_PARAMETERS)
    log.info(
        "rule invoked",
        check=check.id,
        message_type=rule_event.message_type.value,
        account_id=rule_event.account_id,
        region=rule_event.region,
        result_token=rule_event.token_for_logs,
    )
    async with AwsClients(AwsSettings(endpoint_url=environment.get("AWS_ENDPOINT_URL"))) as clients:
        try:
            await _enter_account(clients, rule_event)
        except AwsError as error:
            raise RuleRuntimeError(f"sts:assume_role failed with {error.code}") from error
        invocation = Invocation(rule_event, check, clients, SelectedCheck(check, params))
        try:
            if rule_event.message_type is MessageType.SCHEDULED:
                ordering = await _evaluate_periodic(invocation)
                stale = await _stale(invocation, ordering)
            else:
                await _evaluate_change(invocation)
                stale = []
            await put_evaluations(invocation, invocation.evaluations + stale)
        except AwsError as error:
            # Like AWS's sample: the code and the call, none of the message's account internals.
            raise RuleRuntimeError(f"{error.service}:{error.operation} failed with {error.code}") from error
    counts = compliance_counts(invocation.evaluations)
    log.info("rule evaluated", check=check.id, evaluations=len(invocation.evaluations), stale=len(stale), **counts)
    return {"check": check.id, "evaluations": len(invocation.evaluations), "stale": len(stale), **counts}


# --- whole scans from a schedule (EventBridge) or a Step Functions Distributed Map item ------------------

SCAN_ARGUMENTS_ENVIRONMENT = "CLOUDSWEEP_SCAN_ARGS"
OUTPUT_ENVIRONMENT = "CLOUDSWEEP_OUTPUT_S3"


def is_scan_event(event: Any) -> bool:
    return isinstance(event, Mapping) and (event.get("detail-type") == "Scheduled Event" or "accounts" in event)


def _s3_location(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or len(url) <= len("s3://"):
        raise EventError(OUTPUT_ENVIRONMENT, f"must be s3://bucket/prefix, got {url!r}")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    return bucket, prefix.strip("/")


def _accounts_payload(event: Mapping[str, Any]) -> tuple[Any, ...]:
    from scanner.scan.targets import Account

    raw = event.get("accounts")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise EventError("accounts", "must be a non-empty list of account ids or {account_id, role, ...} objects")
    accounts = []
    for index, entry in enumerate(raw):
        try:
            if isinstance(entry, str):
                accounts.append(Account(entry))
            elif isinstance(entry, Mapping):
                accounts.append(
                    Account(
                        str(entry.get("account_id") or entry.get("Id") or ""),
                        name=entry.get("name") or entry.get("Name"),
                        role=entry.get("role"),
                        external_id=entry.get("external_id"),
                    )
                )
            else:
                raise EventError(f"accounts[{index}]", "must be an account id or an object")
        except UsageError as exc:
            raise EventError(f"accounts[{index}]", str(exc)) from exc
    return tuple(accounts)


async def run_scheduled_scan(event: Mapping[str, Any], environment: Mapping[str, str]) -> dict[str, Any]:
    """A whole `cloudsweep scan` configured by CLOUDSWEEP_SCAN_ARGS, its outputs written to CLOUDSWEEP_OUTPUT_S3."""
    import dataclasses
    import shlex
    import tempfile
    from pathlib import Path

    from scanner.runner import scan_to_directory
    from scanner.scan.options import build_request, parse_scan_args

    output = environment.get(OUTPUT_ENVIRONMENT)
    if not output:
        raise EventError(OUTPUT_ENVIRONMENT, "is not set: a scheduled scan writes its results to S3")
    bucket, prefix = _s3_location(output)
    try:
        options = parse_scan_args(shlex.split(environment.get(SCAN_ARGUMENTS_ENVIRONMENT, "")))
        checks_dirs = tuple(options.get("checks_dirs") or ()) or checks_dirs_from(environment)
        options["checks_dirs"] = checks_dirs
        request = build_request(_registry(tuple(checks_dirs)), options, environment)
    except (UsageError, KeyError, ValueError) as exc:
        raise EventError(SCAN_ARGUMENTS_ENVIRONMENT, str(exc) or type(exc).__name__) from exc
    accounts = _accounts_payload(event)
    if accounts:
        request = dataclasses.replace(
            request, source=dataclasses.replace(request.source, accounts=accounts, organization=False)
        )
    started = datetime.now(UTC)
    run_prefix = "/".join(part for part in (prefix, started.strftime("%Y-%m-%dT%H-%M-%SZ")) if part)
    with tempfile.TemporaryDirectory(prefix="cloudsweep-") as directory:
        folder = Path(directory)
        report = await scan_to_directory(dataclasses.replace(request, now=started), folder)
        async with AwsClients(AwsSettings(endpoint_url=environment.get("AWS_ENDPOINT_URL"))) as clients:
            s3 = await clients.client("s3", environment.get("AWS_REGION") or "us-east-1")
            try:
                await _upload(clients, s3, folder, bucket, run_prefix)
            except AwsError as error:
                raise RuleRuntimeError(
                    f"writing the results to s3://{bucket}/{run_prefix}/ failed with {error.code}"
                ) from error
    log.info("scheduled scan written", bucket=bucket, prefix=run_prefix, evaluations=report.counts.total)
    if report.all_failures:
        # Written, but incomplete: fail the invocation so the schedule's alarms and retries see it.
        first = report.all_failures[0]
        raise RuleRuntimeError(
            f"scan incomplete ({len(report.all_failures)} failures, first: {first.account_id} {first.region} "
            f"{first.what}: {first.code}); results so far in s3://{bucket}/{run_prefix}/"
        )
    return {
        "output": f"s3://{bucket}/{run_prefix}/",
        "evaluations": report.counts.total,
        "targets": len(report.outcomes),
        "failures": len(report.all_failures),
    }


async def _upload(clients: AwsClients, s3: Any, folder: Any, bucket: str, run_prefix: str) -> None:
    for path in sorted(folder.iterdir()):
        await clients.call(
            s3,
            "put_object",
            context=CallContext(None, None),
            Bucket=bucket,
            Key=f"{run_prefix}/{path.name}",
            Body=path.read_bytes(),
            ContentType="application/json" if path.suffix == ".json" else "application/x-ndjson",
        )


def handler(event: Any, context: Any) -> dict[str, Any]:
    """The Lambda entry point: a Config rule event, or a scheduled scan (EventBridge, Step Functions)."""
    configure_function_logging(os.environ)
    if is_scan_event(event):
        return anyio.run(run_scheduled_scan, event, dict(os.environ))
    return anyio.run(handle, event)
