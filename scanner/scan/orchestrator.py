"""Scanning targets: read what the selected checks need, run them, stream evaluations to a sink.

Per target (one account in one region): the types checks only look things up in, the counts and the
extra data are read first, concurrently; then every evaluated type is streamed page by page, and each
item is evaluated as soon as it arrives. A read that fails fails only the checks that needed it: they
produce no evaluation (never a COMPLIANT for data that was not read) and the failure is recorded.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
import structlog

from scanner.aws.clients import AwsClients, CallContext
from scanner.errors import AwsError
from scanner.model import ACCOUNT_RESOURCE_TYPE, ConfigurationItem, Evaluation, Target
from scanner.registry import CheckScope, ExtraData, Result, SelectedCheck, Snapshot
from scanner.results import EvaluationSink, Failure, TargetOutcome
from scanner.scan.inventory import EXTRA_DATA_READERS, ConfigInventory, FetchedItems, ItemFailure
from scanner.scan.pacing import LoopPacer

log = structlog.get_logger("cloudsweep.scan")

GLOBAL_TYPE_PREFIXES = ("AWS::IAM::",)


def is_global_type(resource_type: str) -> bool:
    return resource_type.startswith(GLOBAL_TYPE_PREFIXES)


@dataclass(frozen=True)
class _Plan:
    """What one target needs read, given the selected checks (global types only in the global region)."""

    lookup_types: frozenset[str]
    evaluated_types: frozenset[str]
    count_types: frozenset[str]
    extra: frozenset[ExtraData]
    resource_checks: tuple[SelectedCheck, ...]
    account_checks: tuple[SelectedCheck, ...]


def _in_region(resource_type: str, in_global_region: bool) -> bool:
    return in_global_region or not is_global_type(resource_type)


def plan_target(selected: Sequence[SelectedCheck], in_global_region: bool, regional: bool = True) -> _Plan:
    """What to read in one target. `regional=False`: a region scanned only for global resources."""
    lookups: set[str] = set()
    evaluated: set[str] = set()
    counted: set[str] = set()
    extra: set[ExtraData] = set()
    resource_checks = []
    account_checks = []
    for choice in selected:
        needs = choice.check.needs(choice.params)
        # A check runs where all it reads is recorded: one reading global types runs in the global region only.
        types = set(choice.check.resource_types) | set(choice.check.lookup_types) | needs.count_types
        global_extra = any(data.is_global for data in needs.extra)
        if not all(_in_region(resource_type, in_global_region) for resource_type in types):
            continue
        # An account check of global data alone (the root user's report row) runs once, in the global region.
        if global_extra and not types and not in_global_region:
            continue
        if not regional and not (global_extra or any(is_global_type(resource_type) for resource_type in types)):
            continue
        if choice.check.scope is CheckScope.RESOURCE:
            resource_checks.append(choice)
            evaluated.update(choice.check.resource_types)
        else:
            account_checks.append(choice)
        lookups.update(choice.check.lookup_types)
        counted.update(needs.count_types)
        extra.update(needs.extra)
    return _Plan(
        lookup_types=frozenset(lookups),
        evaluated_types=frozenset(evaluated - lookups),
        count_types=frozenset(counted),
        extra=frozenset(extra),
        resource_checks=tuple(resource_checks),
        account_checks=tuple(account_checks),
    )


class TargetScan:
    """One target's scan. Holds its snapshot only while it runs."""

    def __init__(
        self,
        target: Target,
        plan: _Plan,
        clients: AwsClients,
        sink: EvaluationSink,
        now: datetime,
        pacer: LoopPacer | None = None,
    ) -> None:
        self.target = target
        self.pacer = pacer
        self.plan = plan
        self.clients = clients
        self.sink = sink
        self.now = now
        self.outcome = TargetOutcome(target)
        self.context = CallContext(target.account_id, target.region, self.outcome.stats)
        self._items: dict[str, tuple[ConfigurationItem, ...]] = {}
        self._counts: dict[str, int] = {}
        self._extra: dict[ExtraData, Any] = {}

    async def run(self) -> TargetOutcome:
        started = time.perf_counter()
        try:
            await self._run()
        finally:
            self.outcome.seconds = time.perf_counter() - started
        return self.outcome

    async def _run(self) -> None:
        inventory = await ConfigInventory.open(self.clients, self.target, self.outcome.stats)
        async with anyio.create_task_group() as group:
            for resource_type in self.plan.lookup_types:
                group.start_soon(self._read_lookup, inventory, resource_type)
            for resource_type in self.plan.count_types:
                group.start_soon(self._read_count, inventory, resource_type)
            for data in self.plan.extra:
                group.start_soon(self._read_extra, data)
        snapshot = Snapshot(
            self.target.account_id, self.target.region, self.now, self._items, self._counts, self._extra
        )
        async with anyio.create_task_group() as group:
            for resource_type in self.plan.evaluated_types:
                group.start_soon(self._evaluate_stream, inventory, resource_type, snapshot)
            for resource_type in self.plan.lookup_types:
                if resource_type in self._items:
                    group.start_soon(self._evaluate_items, resource_type, self._items[resource_type], snapshot)
            for choice in self.plan.account_checks:
                group.start_soon(self._evaluate_account, choice, snapshot)

    def _fail(self, what: str, error: AwsError, affects: Iterable[str]) -> None:
        failure = Failure(
            self.target.account_id, self.target.region, what, error.code, error.message, tuple(sorted(affects))
        )
        self.outcome.failures.append(failure)
        log.warning(
            "read failed",
            account_id=failure.account_id,
            region=failure.region,
            what=what,
            error_code=failure.code,
            error=failure.message,
            affects=list(failure.affects),
        )

    def _checks_needing_items(self, resource_type: str) -> list[str]:
        return [
            choice.check.id
            for choice in (*self.plan.resource_checks, *self.plan.account_checks)
            if resource_type in choice.check.needs(choice.params).item_types
        ]

    def _checks_needing_count(self, resource_type: str) -> list[str]:
        return [
            choice.check.id
            for choice in (*self.plan.resource_checks, *self.plan.account_checks)
            if resource_type in choice.check.needs(choice.params).count_types
        ]

    async def _read_lookup(self, inventory: ConfigInventory, resource_type: str) -> None:
        try:
            fetched = await inventory.all_items(resource_type)
        except AwsError as error:
            self._fail(resource_type, error, self._checks_needing_items(resource_type))
            return
        self._record_item_failures(fetched.failures)
        self._items[resource_type] = fetched.items

    async def _read_count(self, inventory: ConfigInventory, resource_type: str) -> None:
        try:
            self._counts[resource_type] = await inventory.count(resource_type)
        except AwsError as error:
            self._fail(f"{resource_type} count", error, self._checks_needing_count(resource_type))

    async def _read_extra(self, data: ExtraData) -> None:
        try:
            self._extra[data] = await EXTRA_DATA_READERS[data](self.clients, self.context)
        except AwsError as error:
            affected = [
                choice.check.id
                for choice in (*self.plan.resource_checks, *self.plan.account_checks)
                if data in choice.check.needs(choice.params).extra
            ]
            self._fail(data.value, error, affected)

    def _record_item_failures(self, failures: Iterable[ItemFailure]) -> None:
        for failure in failures:
            self._fail(
                f"{failure.resource_type} {failure.resource_id}",
                AwsError("config", "batch_get_resource_config", failure.code, failure.message),
                self._checks_needing_items(failure.resource_type),
            )

    def _ready(self, choice: SelectedCheck) -> bool:
        """Everything the check looks up was read: its lookup types, counts and extra data."""
        needs = choice.check.needs(choice.params)
        lookups_read = all(t in self._items for t in choice.check.lookup_types)
        counts_read = all(t in self._counts for t in needs.count_types)
        return lookups_read and counts_read and all(data in self._extra for data in needs.extra)

    async def _evaluate_stream(self, inventory: ConfigInventory, resource_type: str, snapshot: Snapshot) -> None:
        async def evaluate_page(fetched: FetchedItems) -> None:
            self._record_item_failures(fetched.failures)
            await self._evaluate_items(resource_type, fetched.items, snapshot)

        try:
            await inventory.for_each_page(
                resource_type, evaluate_page, gate=self.pacer.admitted if self.pacer is not None else None
            )
        except AwsError as error:
            self._fail(resource_type, error, self._checks_needing_items(resource_type))

    async def _evaluate_items(self, resource_type: str, items: Iterable[ConfigurationItem], snapshot: Snapshot) -> None:
        checks = [
            choice
            for choice in self.plan.resource_checks
            if resource_type in choice.check.resource_types and self._ready(choice)
        ]
        for item in items:
            for choice in checks:
                evaluate = choice.check.run_resource
                result = self._guarded(choice, item.resource_id, evaluate, item, choice.params, snapshot)
                if result is not None:
                    await self._emit(choice, item.resource_type, item.resource_id, result, item.tags)

    async def _evaluate_account(self, choice: SelectedCheck, snapshot: Snapshot) -> None:
        if not self._ready(choice):
            return
        result = self._guarded(choice, self.target.account_id, choice.check.run_account, snapshot, choice.params)
        if result is not None:
            await self._emit(choice, ACCOUNT_RESOURCE_TYPE, self.target.account_id, result)

    def _guarded(self, choice: SelectedCheck, resource_id: str, evaluate: Any, *arguments: Any) -> Result | None:
        try:
            result: Result = evaluate(*arguments)
        except Exception as exc:  # noqa: BLE001  (a faulty check fails its own evaluation, not the scan)
            error = AwsError("cloudsweep", choice.check.id, "CheckFailed", f"{type(exc).__name__}: {exc}")
            self._fail(f"{choice.check.id} on {resource_id}", error, (choice.check.id,))
            return None
        return result

    async def _emit(
        self,
        choice: SelectedCheck,
        resource_type: str,
        resource_id: str,
        result: Result,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        evaluation = Evaluation(
            account_id=self.target.account_id,
            region=self.target.region,
            check=choice.check.id,
            resource_type=resource_type,
            resource_id=resource_id,
            compliance=result.compliance,
            annotation=result.annotation,
            ordering_timestamp=self.now,
            resource_tags=tags if tags is not None else {},
        )
        self.outcome.counts[(choice.check.id, result.compliance)] += 1
        await self.sink.put(evaluation)


async def scan_target(
    target: Target,
    selected: Sequence[SelectedCheck],
    clients: AwsClients,
    sink: EvaluationSink,
    now: datetime,
    *,
    in_global_region: bool,
    regional: bool = True,
    pacer: LoopPacer | None = None,
) -> TargetOutcome:
    """Scan one target. Global resource types are read in the global region only; `regional=False` reads
    nothing else (a region scanned only because AWS Config records the global resources there)."""
    plan = plan_target(selected, in_global_region=in_global_region, regional=regional)
    log.debug("target started", account_id=target.account_id, region=target.region)
    try:
        outcome = await TargetScan(target, plan, clients, sink, now, pacer).run()
    except AwsError as error:
        outcome = TargetOutcome(target)
        outcome.failures.append(
            Failure(target.account_id, target.region, "target", error.code, error.message, ("every check",))
        )
    log.debug(
        "target finished",
        account_id=target.account_id,
        region=target.region,
        status=outcome.status.value,
        evaluations=sum(outcome.counts.values()),
        api_calls=outcome.stats.calls,
        seconds=round(outcome.seconds, 3),
    )
    return outcome
