"""Reading AWS Config's inventory for one account and region: every page, in batches of 100.

- `list_resource_ids` pages ListDiscoveredResources to the end (AWS's sample read only the first page).
- `fetch_items` gets items with BatchGetResourceConfig, 100 keys a call, retries `unprocessedResourceKeys`,
  and falls back to GetResourceConfigHistory (limit 1) for a key that stays unprocessed.
- `for_each_page` overlaps the two: each page of ids is fetched as soon as it is listed, while listing goes on.
- `credential_report` reads the IAM credential report once per account; `password_policy` its password policy.
  `EXTRA_DATA_READERS` maps each kind of extra data a check may declare to its reader.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import anyio

from scanner.aws.clients import AMBIENT, AwsClients, CallContext
from scanner.errors import AwsError
from scanner.model import ConfigurationItem, ItemError, Target
from scanner.registry import ExtraData
from scanner.results import CallStats

PAGE_LIMIT = 100
BATCH_LIMIT = 100
UNPROCESSED_ROUNDS = 3
HISTORY_FALLBACK_CONCURRENCY = 8
PAGES_IN_FLIGHT = 4
PAGES_LISTED_AHEAD = 1000
HISTORY_FALLBACK_PAGES = 10
CREDENTIAL_REPORT_POLLS = 30


@dataclass(frozen=True)
class ItemFailure:
    """A resource whose item could not be read."""

    resource_type: str
    resource_id: str
    code: str
    message: str


@dataclass(frozen=True)
class FetchedItems:
    items: tuple[ConfigurationItem, ...]
    failures: tuple[ItemFailure, ...] = ()


class ConfigInventory:
    """AWS Config reads for one target, through the shared clients and their retry policy."""

    def __init__(self, clients: AwsClients, config_client: Any, target: Target, stats: CallStats | None = None) -> None:
        self._clients = clients
        self._config = config_client
        self.target = target
        self.context = CallContext(target.account_id, target.region, stats)

    @classmethod
    async def open(cls, clients: AwsClients, target: Target, stats: CallStats | None = None) -> ConfigInventory:
        config = await clients.client("config", target.region, account=target.account_id)
        return cls(clients, config, target, stats)

    async def _call(self, operation: str, **kwargs: Any) -> Any:
        return await self._clients.call(self._config, operation, context=self.context, **kwargs)

    async def list_resource_ids(self, resource_type: str) -> AsyncIterator[list[str]]:
        """Pages of the ids of discovered, not deleted, resources of one type."""
        token: str | None = None
        while True:
            arguments: dict[str, Any] = {"resourceType": resource_type, "limit": PAGE_LIMIT}
            if token:
                arguments["nextToken"] = token
            page = await self._call("list_discovered_resources", **arguments)
            ids = [
                identifier["resourceId"]
                for identifier in page.get("resourceIdentifiers", [])
                if "resourceDeletionTime" not in identifier
            ]
            if ids:
                yield ids
            token = page.get("nextToken")
            if not token:
                return

    async def count(self, resource_type: str) -> int:
        total = 0
        async for ids in self.list_resource_ids(resource_type):
            total += len(ids)
        return total

    async def fetch_items(self, resource_type: str, resource_ids: list[str]) -> FetchedItems:
        items: list[ConfigurationItem] = []
        failures: list[ItemFailure] = []
        for start in range(0, len(resource_ids), BATCH_LIMIT):
            chunk = resource_ids[start : start + BATCH_LIMIT]
            fetched = await self._batch_get(resource_type, chunk)
            items.extend(fetched.items)
            failures.extend(fetched.failures)
        return FetchedItems(tuple(items), tuple(failures))

    async def _batch_get(self, resource_type: str, resource_ids: list[str]) -> FetchedItems:
        items: list[ConfigurationItem] = []
        failures: list[ItemFailure] = []
        pending = list(resource_ids)
        for round_number in range(UNPROCESSED_ROUNDS):
            if round_number:
                # Unprocessed keys mean Config is busy: back off before asking again.
                await self._clients.settings.retry.backoff(round_number)
            response = await self._call(
                "batch_get_resource_config",
                resourceKeys=[{"resourceType": resource_type, "resourceId": resource_id} for resource_id in pending],
            )
            for raw in response.get("baseConfigurationItems", []):
                self._parse_into(raw, items, failures)
            pending = [key["resourceId"] for key in response.get("unprocessedResourceKeys", [])]
            if not pending:
                break
        if pending:
            limiter = anyio.CapacityLimiter(HISTORY_FALLBACK_CONCURRENCY)

            async def fallback(resource_id: str) -> None:
                async with limiter:
                    await self._from_history(resource_type, resource_id, items, failures)

            async with anyio.create_task_group() as group:
                for resource_id in pending:
                    group.start_soon(fallback, resource_id)
        return FetchedItems(tuple(items), tuple(failures))

    async def _from_history(
        self, resource_type: str, resource_id: str, items: list[ConfigurationItem], failures: list[ItemFailure]
    ) -> None:
        """The newest item from GetResourceConfigHistory: pages can be empty yet carry a nextToken (7-day windows)."""
        token: str | None = None
        for _ in range(HISTORY_FALLBACK_PAGES):
            arguments: dict[str, Any] = {"resourceType": resource_type, "resourceId": resource_id, "limit": 1}
            if token:
                arguments["nextToken"] = token
            try:
                response = await self._call("get_resource_config_history", **arguments)
            except AwsError as error:
                failures.append(ItemFailure(resource_type, resource_id, error.code, error.message))
                return
            found = response.get("configurationItems", [])
            if found:
                self._parse_into(found[0], items, failures)
                return
            token = response.get("nextToken")
            if not token:
                break
        failures.append(
            ItemFailure(
                resource_type,
                resource_id,
                "ItemNotFound",
                "left unprocessed by BatchGetResourceConfig and absent from GetResourceConfigHistory",
            )
        )

    @staticmethod
    def _parse_into(raw: Mapping[str, Any], items: list[ConfigurationItem], failures: list[ItemFailure]) -> None:
        try:
            item = ConfigurationItem.parse(raw)
        except ItemError as error:
            failures.append(
                ItemFailure(str(raw.get("resourceType")), str(raw.get("resourceId")), "MalformedItem", str(error))
            )
            return
        if not item.deleted:
            items.append(item)

    async def for_each_page(
        self,
        resource_type: str,
        handle: Callable[[FetchedItems], Awaitable[None]],
        pages_in_flight: int = PAGES_IN_FLIGHT,
        gate: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        """Call `handle` with the items of each page of one type, as soon as that page is fetched.

        Listing never waits for fetching: each listed page is fetched and handled in its own task, at most
        `pages_in_flight` at once (what bounds memory), so a type of 20,000 resources costs its chain of
        ListDiscoveredResources pages and little more. Pages are handled in any order. The first failure (an
        AwsError from listing or fetching, or anything `handle` raises) is raised as itself once every task has
        stopped, not wrapped in an exception group. `gate`, when given, is entered around each page's fetch and
        handling (never around listing): the scan's `LoopPacer` holds pages back while the event loop is behind.
        """
        # Listed ids are small (a page of 100 is ~5 KB): listing runs up to PAGES_LISTED_AHEAD pages ahead of the
        # fetches, which hold items and are bounded by `pages_in_flight`.
        listed = anyio.Semaphore(PAGES_LISTED_AHEAD)
        fetching = anyio.Semaphore(pages_in_flight)
        failures: list[Exception] = []

        async def fetch_and_handle(ids: list[str]) -> None:
            try:
                async with fetching:
                    try:
                        async with gate() if gate is not None else contextlib.nullcontext():
                            await handle(await self.fetch_items(resource_type, ids))
                    except Exception as exc:  # noqa: BLE001  (re-raised below, once the other pages have stopped)
                        failures.append(exc)
                        # Before the fetch slot is released: no waiting page may start after a failure.
                        group.cancel_scope.cancel()
            finally:
                listed.release()

        async with anyio.create_task_group() as group:
            try:
                async for ids in self.list_resource_ids(resource_type):
                    try:
                        # Listing is the chain a big type waits on: take a free slot without yielding the loop.
                        listed.acquire_nowait()
                    except anyio.WouldBlock:
                        await listed.acquire()
                    group.start_soon(fetch_and_handle, ids)
            except AwsError as error:
                # Pages already listed are still fetched and handled: what was read is evaluated.
                failures.append(error)
        if failures:
            raise failures[0]

    async def all_items(self, resource_type: str) -> FetchedItems:
        items: list[ConfigurationItem] = []
        failures: list[ItemFailure] = []

        async def collect(fetched: FetchedItems) -> None:
            items.extend(fetched.items)
            failures.extend(fetched.failures)

        await self.for_each_page(resource_type, collect)
        return FetchedItems(tuple(items), tuple(failures))


async def credential_report(
    clients: AwsClients, context: CallContext, first_poll_seconds: float = 0.1
) -> dict[str, dict[str, str]]:
    """The IAM credential report, one row per user name (one report per account, not one GetUser per user)."""
    account = context.account_id or AMBIENT
    iam = await clients.client("iam", context.region or "us-east-1", account=account)
    wait = first_poll_seconds
    for _ in range(CREDENTIAL_REPORT_POLLS):
        state = await clients.call(iam, "generate_credential_report", context=context)
        if state.get("State") == "COMPLETE":
            break
        await anyio.sleep(wait)
        wait = min(wait * 2, 5.0)
    else:
        raise AwsError(
            "iam",
            "generate_credential_report",
            "ReportNotReady",
            f"the credential report was not ready after {CREDENTIAL_REPORT_POLLS} polls",
            account_id=context.account_id,
            region=context.region,
        )
    report = await clients.call(iam, "get_credential_report", context=context)
    content = report["Content"]
    text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
    return {row["user"]: row for row in csv.DictReader(io.StringIO(text)) if row.get("user")}


async def password_policy(clients: AwsClients, context: CallContext) -> dict[str, Any] | None:
    """The account's IAM password policy, or None when it has none (IAM answers NoSuchEntity then)."""
    account = context.account_id or AMBIENT
    iam = await clients.client("iam", context.region or "us-east-1", account=account)
    try:
        response = await clients.call(iam, "get_account_password_policy", context=context)
    except AwsError as error:
        if error.code == "NoSuchEntity":
            return None
        raise
    policy: dict[str, Any] = response["PasswordPolicy"]
    return policy


async def cloudtrail_trails(clients: AwsClients, context: CallContext) -> list[dict[str, Any]]:
    """The trails that log this region: its own and other regions' multi-region trails (shadow trails), each with
    whether it is logging. AWS Config records a trail in its home region only, so its items cannot say this."""
    account = context.account_id or AMBIENT
    cloudtrail = await clients.client("cloudtrail", context.region or "us-east-1", account=account)
    response = await clients.call(cloudtrail, "describe_trails", context=context, includeShadowTrails=True)
    trails: list[dict[str, Any]] = []
    for trail in response.get("trailList", []):
        status = await clients.call(cloudtrail, "get_trail_status", context=context, Name=trail["TrailARN"])
        trails.append(dict(trail) | {"IsLogging": status.get("IsLogging") is True})
    return trails


EXTRA_DATA_READERS: Mapping[ExtraData, Callable[[AwsClients, CallContext], Awaitable[Any]]] = {
    ExtraData.IAM_CREDENTIAL_REPORT: credential_report,
    ExtraData.IAM_PASSWORD_POLICY: password_policy,
    ExtraData.CLOUDTRAIL_TRAILS: cloudtrail_trails,
}
