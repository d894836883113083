"""One rule runtime, whatever the cloud: event -> check -> parameters -> NOT_APPLICABLE decisions -> evaluate ->
batched put -> summary. `run_rule` does all of it through a `RuleBackend`, what one cloud supplies (as anyio's
`AsyncBackend` keeps trio and asyncio apart): how its event reads, how it enters the account, the evaluations of a
periodic pass or of a pushed item, any stale ones, and the put. `scanner.rules.aws_config` is AWS Config's (Lambda),
`scanner.rules.alibaba_config` Alibaba Cloud Config's (Function Compute). This module imports neither cloud
(`tests/test_layers.py`).

Every problem with the event or the function's configuration is an EventError naming the field or the variable; a
cloud call that failed for good is a RuleRuntimeError naming the call and its code, never the message's account
internals; the result token is logged as `token_for_logs` has it, never in full.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

import structlog

from scanner.errors import AlibabaError, AwsError, EventError, RuleRuntimeError, token_for_logs
from scanner.model import Compliance, ConfigurationItem, Evaluation
from scanner.plugins import CHECKS_DIR_ENVIRONMENT, CheckLoadError, checks_dirs_from, load_registry
from scanner.registry import Check, CheckScope, Cloud, ParameterError, ParameterValues, Registry, Result

log = structlog.get_logger("cloudsweep.rule")

# The check a rule function runs (an AWS Config event's rule name stands in when it is not set).
CHECK_ENVIRONMENT = "CLOUDSWEEP_CHECK"
T = TypeVar("T")


class ParsedEvent(Protocol):
    """What the runtime reads of one cloud's rule event, once the backend has read it."""

    @property
    def periodic(self) -> bool:
        """No item pushed: the periodic pass over the account."""
        ...

    @property
    def rule_name(self) -> str | None:
        """The rule's name: the check to run when CLOUDSWEEP_CHECK names none (None: the event names no rule)."""
        ...

    @property
    def rule_parameters(self) -> Mapping[str, Any]: ...

    @property
    def result_token(self) -> str: ...


E = TypeVar("E", bound=ParsedEvent)


class Rule(NamedTuple, Generic[E]):
    """One invocation: its event, the check it runs and the check's parameters."""

    event: E
    check: Check
    params: ParameterValues


class PushedItem(NamedTuple):
    """The item an event carries (or the summary standing for it), and what the event says of it: enough to decide
    applicability before anything else is read."""

    summary: ConfigurationItem
    deleted: str | None = None  # why the resource is gone, when it is
    left_scope: bool = False


class RuleBackend(Protocol[E]):
    """What one cloud supplies to `run_rule`. The runtime decides what is evaluated and what is NOT_APPLICABLE; the
    backend reads the event and the cloud, runs the check on what it read, and writes the evaluations back."""

    cloud: Cloud  # whose registry the check comes from
    reserved_parameters: frozenset[str]  # rule parameters that steer the runtime, never the check
    batch_size: int  # evaluations per `put`

    @property
    def failures(self) -> Sequence[str]:
        """What could not be evaluated ("what: reason"): the evaluations made are put, then the invocation fails."""
        ...

    def parse(self, event: Any, environment: Mapping[str, str]) -> E:
        """The event as the cloud sends it, read: every problem an EventError naming the field."""
        ...

    def missing_check(self, wanted: str | None, from_environment: bool) -> str:
        """Why no check runs (`wanted` is not one of the cloud's, or nothing names one), and what to set."""
        ...

    def prepare(self, rule: Rule[E], environment: Mapping[str, str]) -> Mapping[str, Any]:
        """Ready to run `rule`, before any call: the backend's own settings (an EventError names the variable).
        Returns what "rule invoked" logs of the event, besides the check and the token."""
        ...

    def connect(self, rule: Rule[E]) -> AbstractAsyncContextManager[object]:
        """The invocation's clients, open, and the event's account entered, for as long as the block runs."""
        ...

    async def evaluate_account(self, rule: Rule[E]) -> list[Evaluation]:
        """The periodic pass: the check over every resource it evaluates in the event's account."""
        ...

    def pushed_item(self, rule: Rule[E]) -> PushedItem:
        """The event's item, read (an EventError when it is not one)."""
        ...

    def record(self, rule: Rule[E], item: ConfigurationItem, result: Result) -> Evaluation:
        """`result` for `item`, as this cloud evaluates it (account, region, ordering)."""
        ...

    async def evaluate_item(self, rule: Rule[E], summary: ConfigurationItem) -> Evaluation:
        """The check's verdict on the pushed item, read in full where the event left it out."""
        ...

    async def stale(self, rule: Rule[E], evaluated: Sequence[Evaluation]) -> list[Evaluation]:
        """After a periodic pass: NOT_APPLICABLE for what the rule evaluated before and no longer finds."""
        ...

    async def put(self, rule: Rule[E], batch: Sequence[Evaluation]) -> None:
        """One batch of at most `batch_size` evaluations back to the cloud, with the event's result token."""
        ...

    def summary(self, stale: Sequence[Evaluation]) -> dict[str, Any]:
        """What the function's result says besides the check, the evaluations and their counts."""
        ...


async def run_rule(backend: RuleBackend[E], event: Any, environment: Mapping[str, str]) -> dict[str, Any]:
    """Evaluate one rule event and put its evaluations; the summary is the function's result."""
    parsed = backend.parse(event, environment)
    check = select_check(backend, parsed.rule_name, environment)
    rule = Rule(parsed, check, rule_parameters(check, parsed.rule_parameters, backend.reserved_parameters))
    fields = backend.prepare(rule, environment)
    log.info("rule invoked", check=check.id, **fields, result_token=token_for_logs(parsed.result_token))
    async with backend.connect(rule):
        try:
            if parsed.periodic:
                evaluations = await backend.evaluate_account(rule)
                stale = await backend.stale(rule, evaluations)
            else:
                evaluations = [await _evaluate_pushed(backend, rule)]
                stale = []
            await put_in_batches([*evaluations, *stale], backend.batch_size, functools.partial(backend.put, rule))
        except (AwsError, AlibabaError) as error:
            # Like AWS's sample: the code and the call, none of the message's account internals.
            raise RuleRuntimeError(f"{error.service}:{error.operation} failed with {error.code}") from error
    summary = {
        "check": check.id,
        "evaluations": len(evaluations),
        **backend.summary(stale),
        **compliance_counts(evaluations),
    }
    log.info("rule evaluated", **summary)
    failures = backend.failures
    if failures:
        shown = "; ".join(failures[:5])
        raise RuleRuntimeError(
            f"incomplete, {len(failures)} failures (the {len(evaluations)} evaluations made were put): {shown}"
        )
    return summary


async def _evaluate_pushed(backend: RuleBackend[E], rule: Rule[E]) -> Evaluation:
    """Decided on the item the event carries: a deleted or out-of-scope item is not read further (an oversized
    one's history may be gone). An account-scope check evaluates the account, whatever item changed."""
    pushed = backend.pushed_item(rule)
    if rule.check.scope is not CheckScope.ACCOUNT:
        reason = not_applicable_reason(rule.check, pushed.summary, deleted=pushed.deleted, left_scope=pushed.left_scope)
        if reason is not None:
            return backend.record(rule, pushed.summary, Result(Compliance.NOT_APPLICABLE, reason))
    return await backend.evaluate_item(rule, pushed.summary)


@functools.cache
def rule_registry(checks_dirs: tuple[Path, ...], cloud: Cloud) -> Registry:
    """One cloud's checks, built-in and from entry points and `checks_dirs`: once per warm function instance, not
    per invocation (listing entry points scans every installed distribution)."""
    return load_registry(checks_dirs, cloud=cloud)


def select_check(backend: RuleBackend[E], rule_name: str | None, environment: Mapping[str, str]) -> Check:
    """The check CLOUDSWEEP_CHECK names, else the rule's name: built-in, from an entry point or a checks dir."""
    try:
        registry = rule_registry(checks_dirs_from(environment), backend.cloud)
    except CheckLoadError as exc:
        raise EventError(CHECKS_DIR_ENVIRONMENT, str(exc)) from exc
    wanted = environment.get(CHECK_ENVIRONMENT) or rule_name
    if wanted and wanted in registry:
        return registry.get(wanted)
    known = ", ".join(check.id for check in registry)
    raise EventError(
        CHECK_ENVIRONMENT,
        f"{backend.missing_check(wanted, bool(environment.get(CHECK_ENVIRONMENT)))} to one of: {known} "
        f"(your own checks load from the directories in {CHECKS_DIR_ENVIRONMENT})",
    )


def rule_parameters(check: Check, raw: Mapping[str, Any], reserved: Iterable[str] = ()) -> ParameterValues:
    """The check's parameters from the event's ruleParameters, the runtime's own (`reserved`) left out."""
    skipped = frozenset(reserved)
    try:
        return check.parameters.parse(check.id, {k: v for k, v in raw.items() if k not in skipped})
    except ParameterError as exc:
        raise EventError(f"ruleParameters.{exc.parameter}" if exc.parameter else "ruleParameters", str(exc)) from exc


def not_applicable_reason(
    check: Check, item: ConfigurationItem, *, deleted: str | None = None, left_scope: bool = False
) -> str | None:
    """Why the check is not run on `item` (it is NOT_APPLICABLE), or None: `deleted` says why the resource is gone."""
    if deleted is not None:
        return deleted
    if left_scope:
        return "the resource left the rule's scope"
    if item.resource_type not in check.resource_types:
        return f"{check.id} does not evaluate {item.resource_type}"
    return None


async def put_in_batches(items: Sequence[T], batch: int, put: Callable[[Sequence[T]], Awaitable[None]]) -> None:
    """`put` each slice of at most `batch` items, in order (both clouds' PutEvaluations take 100 at a time)."""
    for start in range(0, len(items), batch):
        await put(items[start : start + batch])


def compliance_counts(evaluations: Iterable[Evaluation]) -> dict[str, int]:
    """Evaluations per compliance value, every value present: the summary a rule function returns."""
    counts = {compliance.value: 0 for compliance in Compliance}
    for evaluation in evaluations:
        counts[evaluation.compliance.value] += 1
    return counts
