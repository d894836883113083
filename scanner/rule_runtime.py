"""What a rule invocation is, whatever the cloud: the check's parameters from the event (every problem an EventError
naming the field), the NOT_APPLICABLE verdicts decided before a check runs (a deleted resource, one that left the
rule's scope, a type the check does not evaluate), the batched put and the summary the function returns. Each
cloud's handler supplies the rest: how its event reads, how items and account data are fetched, how evaluations are
put (`scanner.lambda_handler` for AWS Config, `scanner.alibaba.rule` for Alibaba Cloud Config)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from scanner.errors import EventError
from scanner.model import Compliance, ConfigurationItem, Evaluation
from scanner.registry import Check, ParameterError, ParameterValues

# The check a rule function runs (each handler also names where else it may come from).
CHECK_ENVIRONMENT = "CLOUDSWEEP_CHECK"
T = TypeVar("T")


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
