"""Helpers for testing a check, built-in or your own: items from AWS Config's reference examples, rule events, a
check run the way the scanner runs it, and one assertion over its evaluations.

    from scanner.testing import assert_evaluations, reference_item, run_check

    item = reference_item("AWS::EC2::Instance", configuration={"instanceType": "t3.micro"})
    evaluations = run_check(CHECK, [item], {"desiredInstanceType": "t3.micro"})
    assert_evaluations(evaluations, {item.resource_id: "COMPLIANT"})

Like rdklib's rdklibtest, without mocks: the items are real AWS Config items (with your overrides), parameters are
parsed by the check's own schema (bad ones raise the scanner's `ParameterError`), and a resource check sees a
snapshot holding every item it was given, as in a scan.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner import rule_tools
from scanner.model import ACCOUNT_RESOURCE_TYPE, DELETE, Compliance, ConfigurationItem, Evaluation, ItemError
from scanner.registry import Check, CheckScope, ExtraData, ParameterValues, Result, Snapshot

REFERENCE_ITEMS = Path(__file__).resolve().parent / "reference"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


def reference_types() -> list[str]:
    """The resource types that have a usable reference example (the files that parse as configuration items)."""
    return sorted(_reference_index())


@functools.cache
def _reference_index() -> dict[str, Path]:
    """Each example file by the resourceType inside it (file names spell types several ways: AWS_Cloudtrail_Trail);
    files that are not a parseable item (a few RDK examples hold Python reprs or broken JSON) are left out."""
    index: dict[str, Path] = {}
    for path in sorted(REFERENCE_ITEMS.glob("*.json")):
        try:
            document = _load_example(path)
            ConfigurationItem.parse(document)
        except (ValueError, ItemError):
            continue
        index.setdefault(str(document["resourceType"]), path)
    return index


def _load_example(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    # One RDK example wraps its item in a list.
    if isinstance(document, list) and len(document) == 1:
        document = document[0]
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise ValueError(f"{path.name} is not a configuration item")
    return document


def reference_document(
    resource_type: str, *, configuration: Mapping[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """The reference item of a type as a JSON document (API model), with overrides.

    `configuration` is merged into the example's configuration (nested objects merge; `DELETE` removes a key);
    `fields` replace top-level fields by their AWS names (`resourceId`, `configurationItemStatus`, `tags`, ...).
    """
    path = _reference_index().get(resource_type)
    if path is None:
        raise ValueError(f"no reference item for {resource_type!r} (known: {', '.join(reference_types())})")
    document = _load_example(path)
    if configuration is not None:
        base = document.get("configuration")
        if isinstance(base, str):
            base = json.loads(base)
        document["configuration"] = _merged(base if isinstance(base, Mapping) else {}, configuration)
    document.update(fields)
    return document


def reference_item(
    resource_type: str, *, configuration: Mapping[str, Any] | None = None, **fields: Any
) -> ConfigurationItem:
    """The reference item of a type, with overrides (see `reference_document`), parsed as the scanner parses it."""
    return ConfigurationItem.parse(reference_document(resource_type, configuration=configuration, **fields))


def _merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if value is DELETE:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def change_event(
    check: Check,
    item: Mapping[str, Any],
    parameters: Mapping[str, str] | None = None,
    *,
    rule_name: str | None = None,
    oversized: bool = False,
) -> dict[str, Any]:
    """A ConfigurationItemChangeNotification (or its oversized form) for `item`, a `reference_document`."""
    return rule_tools.change_event(check, rule_name or check.id, dict(parameters or {}), item, oversized=oversized)


def scheduled_event(
    check: Check,
    parameters: Mapping[str, str] | None = None,
    *,
    rule_name: str | None = None,
    account: str = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
) -> dict[str, Any]:
    """A ScheduledNotification event for a periodic rule running `check`."""
    return rule_tools.scheduled_event(check, rule_name or check.id, dict(parameters or {}), account, region)


def snapshot(
    items: Iterable[ConfigurationItem] = (),
    *,
    account_id: str | None = None,
    region: str | None = None,
    now: datetime | None = None,
    counts: Mapping[str, int] | None = None,
    extra: Mapping[ExtraData, Any] | None = None,
) -> Snapshot:
    """What the scanner would have read for one account and region: items by type, counts, extra data.

    The account and region default to the first item's, else DEFAULT_ACCOUNT and DEFAULT_REGION.
    """
    by_type: dict[str, list[ConfigurationItem]] = {}
    first: ConfigurationItem | None = None
    for item in items:
        first = first or item
        by_type.setdefault(item.resource_type, []).append(item)
    return Snapshot(
        account_id or (first.account_id if first and first.account_id else DEFAULT_ACCOUNT),
        region or (first.region if first and first.region else DEFAULT_REGION),
        now or datetime.now(UTC),
        items={resource_type: tuple(found) for resource_type, found in by_type.items()},
        counts=dict(counts or {}),
        extra=dict(extra or {}),
    )


def run_check(
    check: Check,
    subject: Iterable[ConfigurationItem] | Snapshot,
    parameters: Mapping[str, Any] | str | None = None,
    *,
    now: datetime | None = None,
) -> list[Evaluation]:
    """Evaluate as a scan would: a resource check once per item of the types it evaluates, an account check once.

    `subject` is the items (a snapshot of them is built) or a `Snapshot` (for extra data and counts).
    """
    params: ParameterValues = check.parameters.parse(check.id, parameters)
    state = subject if isinstance(subject, Snapshot) else snapshot(subject, now=now)
    moment = now or state.now
    if check.scope is CheckScope.ACCOUNT:
        result = check.run_account(state, params)
        return [_evaluation(check, state, ACCOUNT_RESOURCE_TYPE, state.account_id, result, moment)]
    evaluations = []
    for resource_type in check.resource_types:
        for item in state.items.get(resource_type, ()):
            result = check.run_resource(item, params, state)
            evaluations.append(_evaluation(check, state, item.resource_type, item.resource_id, result, moment))
    return evaluations


def _evaluation(
    check: Check, state: Snapshot, resource_type: str, resource_id: str, result: Result, moment: datetime
) -> Evaluation:
    return Evaluation(
        account_id=state.account_id,
        region=state.region,
        check=check.id,
        resource_type=resource_type,
        resource_id=resource_id,
        compliance=result.compliance,
        annotation=result.annotation,
        ordering_timestamp=moment,
    )


Expected = Compliance | str | tuple[Compliance | str, str | None]


def assert_evaluations(evaluations: Sequence[Evaluation], expected: Mapping[str, Expected]) -> None:
    """Exactly one evaluation per expected resource id, with that compliance (and annotation, when a pair is given).

    Every difference is listed at once: wrong compliance or annotation, missing resources, unexpected ones.
    """
    problems = []
    by_id: dict[str, Evaluation] = {}
    for evaluation in evaluations:
        if evaluation.resource_id in by_id:
            problems.append(f"{evaluation.resource_id}: evaluated more than once")
        by_id[evaluation.resource_id] = evaluation
    for resource_id, wanted in expected.items():
        compliance, annotation = wanted if isinstance(wanted, tuple) else (wanted, ...)
        found = by_id.get(resource_id)
        if found is None:
            problems.append(f"{resource_id}: not evaluated (wanted {Compliance(compliance).value})")
            continue
        if found.compliance is not Compliance(compliance):
            problems.append(
                f"{resource_id}: {found.compliance.value}, wanted {Compliance(compliance).value} "
                f"(annotation: {found.annotation!r})"
            )
        elif annotation is not ... and found.annotation != annotation:
            problems.append(f"{resource_id}: annotation {found.annotation!r}, wanted {annotation!r}")
    problems.extend(
        f"{resource_id}: unexpected {by_id[resource_id].compliance.value}"
        for resource_id in by_id
        if resource_id not in expected
    )
    if problems:
        raise AssertionError("evaluations differ:\n  " + "\n  ".join(problems))
