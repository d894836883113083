"""The emulated configuration recorder: configuration items per recorded change, per account.

AWS Config records a new configuration item whenever a resource changes. The emulator records lazily:
before any Config read it re-reads the services whose account changed since the last read (every
request forwarded to moto for an account bumps that account's generation), and appends an item for
each resource that appeared, changed or disappeared.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudsweep_emulator.collectors import (
    COLLECTOR_FOR_TYPE,
    COLLECTORS,
    GLOBAL_REGION,
    Collector,
    ResourceState,
)
from cloudsweep_emulator.moto_app import InProcessMoto

Clock = Callable[[], datetime]

STATUS_DISCOVERED = "ResourceDiscovered"
STATUS_OK = "OK"
STATUS_DELETED = "ResourceDeleted"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RecordedItem:
    """One configuration item, kept in the API model (what GetResourceConfigHistory returns)."""

    resource_type: str
    resource_id: str
    resource_name: str | None
    aws_region: str
    status: str
    capture_time: datetime
    digest: str
    item: dict[str, Any]

    @property
    def deleted(self) -> bool:
        return self.status == STATUS_DELETED


def _digest(state: ResourceState) -> str:
    document = {
        "configuration": state.configuration,
        "tags": state.tags,
        "relationships": state.relationships,
        "supplementary": state.supplementary,
        "region": state.aws_region,
    }
    return hashlib.md5(json.dumps(document, sort_keys=True, default=str).encode(), usedforsecurity=False).hexdigest()


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _item(account_id: str, state: ResourceState, status: str, capture_time: datetime, digest: str) -> dict[str, Any]:
    deleted = status == STATUS_DELETED
    item: dict[str, Any] = {
        "version": "1.3",
        "accountId": account_id,
        "configurationItemCaptureTime": capture_time.timestamp(),
        "configurationItemStatus": status,
        "configurationStateId": str(int(capture_time.timestamp() * 1000)),
        "configurationItemMD5Hash": digest,
        "arn": state.arn,
        "resourceType": state.resource_type,
        "resourceId": state.resource_id,
        "awsRegion": state.aws_region,
        "availabilityZone": state.availability_zone,
        "tags": {} if deleted else dict(state.tags),
        "relatedEvents": [],
        "relationships": [] if deleted else [dict(item) for item in state.relationships],
        "configuration": None if deleted else json.dumps(state.configuration, separators=(",", ":")),
        "supplementaryConfiguration": {}
        if deleted
        else {
            key: value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            for key, value in state.supplementary.items()
        },
        "recordingFrequency": "Continuous",
    }
    if state.resource_name is not None:
        item["resourceName"] = state.resource_name
    if state.creation_time is not None:
        item["resourceCreationTime"] = _epoch(state.creation_time)
    return item


class Recorder:
    def __init__(self, moto: InProcessMoto, *, global_resource_region: str, clock: Clock = utc_now) -> None:
        self._moto = moto
        self._clock = clock
        self.global_resource_region = global_resource_region
        self._histories: dict[tuple[str, str], dict[str, list[RecordedItem]]] = {}
        self._states: dict[tuple[str, str], dict[str, ResourceState]] = {}
        self._generations: dict[str, int] = {}
        self._seen: dict[tuple[str, str, str], int] = {}

    def saved(self) -> Any:
        """What `restore` takes back: a deep copy of everything recorded."""
        return copy.deepcopy((self._histories, self._states, self._generations, self._seen))

    def restore(self, saved: Any) -> None:
        self._histories, self._states, self._generations, self._seen = copy.deepcopy(saved)

    def reset(self) -> None:
        self._histories.clear()
        self._states.clear()
        self._generations.clear()
        self._seen.clear()

    def mark_changed(self, account_id: str) -> None:
        self._generations[account_id] = self._generations.get(account_id, 0) + 1

    def visible_in(self, aws_region: str, region: str) -> bool:
        return aws_region == region or (aws_region == GLOBAL_REGION and region == self.global_resource_region)

    def refresh(self, account_id: str, region: str, resource_type: str) -> None:
        collector = COLLECTOR_FOR_TYPE.get(resource_type)
        if collector is not None:
            self._refresh(account_id, region, collector)

    def record(self, account_id: str, region: str) -> None:
        """Records every resource type of an account in a region now, as a recorder that has caught up has."""
        for collector in COLLECTORS:
            self._refresh(account_id, region, collector)

    def _refresh(self, account_id: str, region: str, collector: Collector) -> None:
        scope = region if collector.regional else GLOBAL_REGION
        generation = self._generations.get(account_id, 0)
        if self._seen.get((account_id, collector.name, scope)) == generation:
            return
        self._moto.acting_account = account_id
        states = collector.collect(self._moto, account_id, region)
        self._record(account_id, collector, scope, states)
        self._seen[(account_id, collector.name, scope)] = generation

    def _next_capture_time(self, history: list[RecordedItem]) -> datetime:
        now = self._clock()
        if history and now <= history[-1].capture_time:
            # Keep each resource's history strictly ordered even when the clock is coarse.
            now = history[-1].capture_time + timedelta(milliseconds=1)
        return now

    def _append(self, account_id: str, state: ResourceState, status: str, digest: str) -> None:
        history = self._histories.setdefault((account_id, state.resource_type), {}).setdefault(state.resource_id, [])
        capture_time = self._next_capture_time(history)
        history.append(
            RecordedItem(
                resource_type=state.resource_type,
                resource_id=state.resource_id,
                resource_name=state.resource_name,
                aws_region=state.aws_region,
                status=status,
                capture_time=capture_time,
                digest=digest,
                item=_item(account_id, state, status, capture_time, digest),
            )
        )

    def _record(self, account_id: str, collector: Collector, scope: str, states: list[ResourceState]) -> None:
        present: set[tuple[str, str]] = set()
        for state in states:
            present.add((state.resource_type, state.resource_id))
            history = self._histories.get((account_id, state.resource_type), {}).get(state.resource_id, [])
            digest = _digest(state)
            if not history or history[-1].deleted:
                self._append(account_id, state, STATUS_DISCOVERED, digest)
            elif history[-1].digest != digest:
                self._append(account_id, state, STATUS_OK, digest)
            self._states.setdefault((account_id, state.resource_type), {})[state.resource_id] = state
        for resource_type in collector.resource_types:
            for resource_id, history in self._histories.get((account_id, resource_type), {}).items():
                last = history[-1]
                in_scope = not collector.regional or last.aws_region == scope
                if in_scope and not last.deleted and (resource_type, resource_id) not in present:
                    state = self._states[(account_id, resource_type)][resource_id]
                    self._append(account_id, state, STATUS_DELETED, "")

    def latest(self, account_id: str, region: str, resource_type: str) -> Iterator[RecordedItem]:
        """The newest item of every resource of a type visible in a region, deleted ones included."""
        for history in self._histories.get((account_id, resource_type), {}).values():
            if self.visible_in(history[-1].aws_region, region):
                yield history[-1]

    def history(self, account_id: str, region: str, resource_type: str, resource_id: str) -> list[RecordedItem]:
        history = self._histories.get((account_id, resource_type), {}).get(resource_id, [])
        if history and not self.visible_in(history[-1].aws_region, region):
            return []
        return list(history)
