"""`ConfigInventory.for_each_page`: pages fetched and handled concurrently while listing goes on.

Against the emulator, whose ListDiscoveredResources pages hold 100 ids in id order. Latency rules on one operation
slow it down (so the order of events is fixed) and count its calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aioboto3
import anyio
import pytest
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.pytest_plugin import Estates
from cloudsweep_emulator.server import Emulator

from scanner.aws.clients import AwsClients, AwsSettings
from scanner.errors import AwsError
from scanner.model import Target
from scanner.retrying import RetryPolicy
from scanner.scan.inventory import PAGES_IN_FLIGHT, ConfigInventory, FetchedItems
from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import client

AMI = "ami-0123456789abcdef0"
INSTANCE = "AWS::EC2::Instance"
TARGET = Target(MANAGEMENT_ACCOUNT, "us-east-1")


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def instances(emulator: Emulator, boto_session: Any, estates: Estates) -> list[str]:
    """450 instances: five pages (100, 100, 100, 100, 50)."""

    def build() -> list[str]:
        ec2 = client(boto_session, "ec2", emulator.endpoint_url)
        found: list[str] = []
        for _ in range(3):
            reservation = ec2.run_instances(ImageId=AMI, MinCount=150, MaxCount=150, InstanceType="t3.micro")
            found += [instance["InstanceId"] for instance in reservation["Instances"]]
        return sorted(found)

    return estates.get(("450 instances", AMI), build, record=lambda _: [(TARGET.account_id, TARGET.region)])


@pytest.fixture
async def inventory(emulator: Emulator) -> AsyncIterator[ConfigInventory]:
    ambient = aioboto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )
    settings = AwsSettings(endpoint_url=emulator.endpoint_url, retry=RetryPolicy(sleep=no_sleep))
    async with AwsClients(settings, ambient) as clients:
        yield await ConfigInventory.open(clients, TARGET)


def counter(emulator: Emulator, operation: str, ms: int = 1) -> int:
    """A latency rule on one Config operation: it slows the calls by `ms` and counts them."""
    return emulator.faults.install(FaultRule.latency(ms, service="config", operation=operation)).id


def counted(emulator: Emulator, rule_id: int) -> int:
    return next(active.injected for active in emulator.faults.rules() if active.id == rule_id)


class Pages:
    """A `handle` that records the pages it was given."""

    def __init__(self) -> None:
        self.pages: list[list[str]] = []

    async def __call__(self, fetched: FetchedItems) -> None:
        assert fetched.failures == ()
        self.pages.append([item.resource_id for item in fetched.items])

    @property
    def ids(self) -> list[str]:
        return [resource_id for page in self.pages for resource_id in page]


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.parametrize("pages_in_flight", [1, 2, PAGES_IN_FLIGHT, 16])
async def test_every_item_of_every_page_is_handled_exactly_once(
    emulator: Emulator, instances: list[str], inventory: ConfigInventory, pages_in_flight: int
) -> None:
    batch_gets = counter(emulator, "BatchGetResourceConfig")
    handle = Pages()

    await inventory.for_each_page(INSTANCE, handle, pages_in_flight=pages_in_flight)

    assert sorted(handle.ids) == instances
    assert len(handle.ids) == len(set(handle.ids)) == 450
    # Each handled page is one listed page: 100 ids in id order, the last one 50.
    assert sorted(handle.pages) == [instances[start : start + 100] for start in range(0, 450, 100)]
    assert counted(emulator, batch_gets) == 5


@pytest.mark.slow
@pytest.mark.anyio
async def test_all_items_collects_every_page(
    emulator: Emulator, instances: list[str], inventory: ConfigInventory
) -> None:
    fetched = await inventory.all_items(INSTANCE)

    assert sorted(item.resource_id for item in fetched.items) == instances
    assert len(fetched.items) == 450
    assert fetched.failures == ()


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.parametrize("pages_in_flight", [2, 3])
async def test_pages_are_handled_concurrently_up_to_pages_in_flight(
    emulator: Emulator, instances: list[str], inventory: ConfigInventory, pages_in_flight: int
) -> None:
    active = 0
    most = 0
    full = anyio.Event()
    handle = Pages()

    async def slow_handle(fetched: FetchedItems) -> None:
        nonlocal active, most
        active += 1
        most = max(most, active)
        if active == pages_in_flight:
            full.set()
        # The first pages wait for each other: only pages handled at the same time can get past this.
        await full.wait()
        # Linger, so a page beyond the cap would be caught overlapping.
        await anyio.sleep(0.1)
        await handle(fetched)
        active -= 1

    with anyio.fail_after(20):
        await inventory.for_each_page(INSTANCE, slow_handle, pages_in_flight=pages_in_flight)

    assert most == pages_in_flight
    assert sorted(handle.ids) == instances


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.parametrize("pages_in_flight", [1, PAGES_IN_FLIGHT])
async def test_a_failing_handle_is_raised_as_itself_and_no_further_page_is_fetched(
    emulator: Emulator, instances: list[str], inventory: ConfigInventory, pages_in_flight: int
) -> None:
    # Every fetch takes 200 ms: the pages in flight are all fetching when the first one fails.
    batch_gets = counter(emulator, "BatchGetResourceConfig", ms=200)
    handled: list[int] = []

    class Refused(Exception):
        pass

    async def handle(fetched: FetchedItems) -> None:
        handled.append(len(fetched.items))
        if len(handled) == 1:
            raise Refused("this page cannot be handled")

    with pytest.raises(Refused) as excinfo:
        await inventory.for_each_page(INSTANCE, handle, pages_in_flight=pages_in_flight)

    assert excinfo.type is Refused
    assert str(excinfo.value) == "this page cannot be handled"
    # No page beyond those already in flight was fetched. (A page in flight whose items had arrived by the time
    # of the failure may still be handled: a task is not interrupted once what it awaited is done.)
    assert counted(emulator, batch_gets) == pages_in_flight
    assert handled == [100] * len(handled)
    assert 1 <= len(handled) <= pages_in_flight


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_failing_fetch_is_raised_as_the_aws_error(
    emulator: Emulator, instances: list[str], inventory: ConfigInventory
) -> None:
    emulator.faults.add(FaultRule.access_denied(operation="BatchGetResourceConfig"))
    handle = Pages()

    with pytest.raises(AwsError) as excinfo:
        await inventory.for_each_page(INSTANCE, handle)

    assert excinfo.type is AwsError
    assert (excinfo.value.code, excinfo.value.operation) == ("AccessDeniedException", "batch_get_resource_config")
    assert handle.pages == []


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_listing_error_after_some_pages_is_raised_and_the_listed_pages_are_still_handled(
    emulator: Emulator, instances: list[str], inventory: ConfigInventory
) -> None:
    # The first two listings take 200 ms each. The first page's handle breaks listing 60 ms in: after the second
    # listing was answered by the emulator (sent as the first came back), long before the third is sent.
    emulator.faults.add(FaultRule.latency(200, operation="ListDiscoveredResources", count=2))
    listings = counter(emulator, "ListDiscoveredResources")
    handle = Pages()

    async def handle_then_break_listing(fetched: FetchedItems) -> None:
        if not handle.pages:
            await anyio.sleep(0.06)
            emulator.faults.add(FaultRule.server_error(status=503, operation="ListDiscoveredResources"))
        await handle(fetched)

    with pytest.raises(AwsError) as excinfo:
        await inventory.for_each_page(INSTANCE, handle_then_break_listing)

    assert excinfo.type is AwsError
    assert (excinfo.value.code, excinfo.value.operation) == ("ServiceUnavailable", "list_discovered_resources")
    # Both listed pages were fetched and handled, nothing more.
    assert sorted(handle.pages) == [instances[:100], instances[100:200]]
    # Two listings, then the third tried as often as the retry policy allows.
    assert counted(emulator, listings) == 2 + RetryPolicy().max_attempts
