"""One aiohttp session (connection pool) for every client of an `AwsClients`, closed with it and only with it."""

from __future__ import annotations

import gc
import warnings
from typing import Any

import aioboto3
import aiohttp
import anyio
import pytest
from cloudsweep_emulator.server import Emulator

from scanner.aws.clients import AwsClients, AwsSettings, CallContext, Credentials
from scanner.errors import AwsError
from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import assumed_session, client

MEMBER_ACCOUNT = "210987654321"
AMI = "ami-0123456789abcdef0"
INSTANCE = "AWS::EC2::Instance"


def ambient() -> aioboto3.Session:
    return aioboto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )


def launch(session: Any, endpoint_url: str, region: str) -> str:
    ec2 = client(session, "ec2", endpoint_url, region)
    return str(ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"])


@pytest.fixture
def member_credentials(emulator: Emulator, boto_session: Any) -> Credentials:
    frozen = (
        assumed_session(boto_session, emulator.endpoint_url, MEMBER_ACCOUNT).get_credentials().get_frozen_credentials()
    )
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token)


@pytest.fixture
def instances(emulator: Emulator, boto_session: Any) -> dict[tuple[str, str], str]:
    """One instance in each account and region the tests read: who sees which tells the signing apart."""
    member = assumed_session(boto_session, emulator.endpoint_url, MEMBER_ACCOUNT)
    return {
        (account, region): launch(session, emulator.endpoint_url, region)
        for account, session in ((MANAGEMENT_ACCOUNT, boto_session), (MEMBER_ACCOUNT, member))
        for region in ("us-east-1", "eu-west-1")
    }


def pooled_sessions(clients: AwsClients) -> list[aiohttp.ClientSession]:
    return list(clients._pool._sessions.values())


async def listed(clients: AwsClients, account: str, region: str) -> list[str]:
    config = await clients.client("config", region, account=account)
    page = await clients.call(
        config, "list_discovered_resources", context=CallContext(account, region), resourceType=INSTANCE
    )
    return [identifier["resourceId"] for identifier in page["resourceIdentifiers"]]


@pytest.mark.anyio
async def test_clients_for_every_account_region_and_service_share_one_session(
    emulator: Emulator, instances: dict[tuple[str, str], str], member_credentials: Credentials
) -> None:
    async with AwsClients(AwsSettings(endpoint_url=emulator.endpoint_url), ambient()) as clients:
        clients.use_static_credentials(MEMBER_ACCOUNT, member_credentials)
        assert len(clients._pool) == 0
        seen: dict[tuple[str, str], list[str]] = {}
        opened: list[Any] = []

        async def read(account: str, region: str) -> None:
            seen[(account, region)] = await listed(clients, account, region)
            opened.append(await clients.client("config", region, account=account))
            ec2 = await clients.client("ec2", region, account=account)
            opened.append(ec2)
            await clients.call(ec2, "describe_instances", context=CallContext(account, region))

        async with anyio.create_task_group() as group:
            for account, region in instances:
                for _ in range(3):  # concurrent calls on the same clients, too
                    group.start_soon(read, account, region)
        iam = await clients.client("iam", "us-east-1", account=MEMBER_ACCOUNT)
        users = await clients.call(iam, "list_users", context=CallContext(MEMBER_ACCOUNT, "us-east-1"))
        sts = await clients.control_client("sts", "us-east-1")
        identity = await clients.call(sts, "get_caller_identity", context=CallContext(None, "us-east-1"))

        # Every call was signed for its own account over the shared connections.
        assert seen == {key: [instance] for key, instance in instances.items()}
        assert users["Users"] == []
        assert identity["Account"] == MANAGEMENT_ACCOUNT
        # Config and EC2 clients for two accounts in two regions, IAM, the control plane's STS: one session for all.
        assert len(opened) == 2 * 3 * len(instances)
        assert len(clients._pool) == 1
        (session,) = pooled_sessions(clients)
        assert not session.closed
        assert clients.calls == 3 * 2 * len(instances) + 2

    assert len(clients._pool) == 0
    assert session.closed


@pytest.mark.anyio
async def test_closing_a_targets_clients_leaves_the_shared_session_open(
    emulator: Emulator, instances: dict[tuple[str, str], str], member_credentials: Credentials
) -> None:
    async with AwsClients(AwsSettings(endpoint_url=emulator.endpoint_url), ambient()) as clients:
        clients.use_static_credentials(MEMBER_ACCOUNT, member_credentials)
        assert await listed(clients, MEMBER_ACCOUNT, "us-east-1") == [instances[(MEMBER_ACCOUNT, "us-east-1")]]
        assert await listed(clients, MANAGEMENT_ACCOUNT, "us-east-1") == [instances[(MANAGEMENT_ACCOUNT, "us-east-1")]]
        (session,) = pooled_sessions(clients)

        await clients.close_target(MEMBER_ACCOUNT, "us-east-1")

        assert not session.closed
        assert len(clients._pool) == 1
        # Another target's client still works over the same session...
        assert await listed(clients, MANAGEMENT_ACCOUNT, "us-east-1") == [instances[(MANAGEMENT_ACCOUNT, "us-east-1")]]
        # ...and so does the closed target's own account and region, whether its client was closed or not.
        assert await listed(clients, MEMBER_ACCOUNT, "us-east-1") == [instances[(MEMBER_ACCOUNT, "us-east-1")]]
        # A client closed outright (aiobotocore's own close) leaves the pool's session to the pool, too.
        sts = await clients.control_client("sts", "eu-west-1")
        await clients.call(sts, "get_caller_identity", context=CallContext(None, "eu-west-1"))
        await sts.close()
        assert not session.closed
        assert await listed(clients, MEMBER_ACCOUNT, "eu-west-1") == [instances[(MEMBER_ACCOUNT, "eu-west-1")]]
        # So does an account the scan is done with.
        await clients.forget_account(MEMBER_ACCOUNT)
        assert await listed(clients, MANAGEMENT_ACCOUNT, "eu-west-1") == [instances[(MANAGEMENT_ACCOUNT, "eu-west-1")]]
        assert pooled_sessions(clients) == [session]
        assert not session.closed

    assert session.closed
    assert len(clients._pool) == 0


@pytest.mark.anyio
async def test_each_aws_clients_has_its_own_pool_and_leaves_nothing_unclosed(
    emulator: Emulator, instances: dict[tuple[str, str], str]
) -> None:
    async with (
        AwsClients(AwsSettings(endpoint_url=emulator.endpoint_url), ambient()) as first,
        AwsClients(AwsSettings(endpoint_url=emulator.endpoint_url), ambient()) as second,
    ):
        assert await listed(first, MANAGEMENT_ACCOUNT, "us-east-1") == await listed(
            second, MANAGEMENT_ACCOUNT, "us-east-1"
        )
        (one,) = pooled_sessions(first)
        (other,) = pooled_sessions(second)
        assert one is not other
        connectors = [one.connector, other.connector]

    assert one.closed
    assert other.closed
    assert all(connector is not None and connector.closed for connector in connectors)
    # An unclosed aiohttp session or connector says so when collected: nothing may.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del one, other, connectors, first, second
        gc.collect()
    assert [str(warning.message) for warning in caught if issubclass(warning.category, ResourceWarning)] == []


@pytest.mark.anyio
async def test_a_forgotten_account_is_refused_never_signed_as_the_caller(
    emulator: Emulator, instances: dict[tuple[str, str], str], member_credentials: Credentials
) -> None:
    async with AwsClients(AwsSettings(endpoint_url=emulator.endpoint_url), ambient()) as clients:
        clients.use_static_credentials(MEMBER_ACCOUNT, member_credentials)
        assert await listed(clients, MEMBER_ACCOUNT, "us-east-1") == [instances[(MEMBER_ACCOUNT, "us-east-1")]]

        await clients.forget_account(MEMBER_ACCOUNT)

        # The caller's credentials would read the caller's instances and report them as the member's.
        with pytest.raises(AwsError) as raised:
            await listed(clients, MEMBER_ACCOUNT, "us-east-1")
        assert raised.value.code == "AccountForgotten"
        # Entered again, it signs as itself again.
        clients.use_static_credentials(MEMBER_ACCOUNT, member_credentials)
        assert await listed(clients, MEMBER_ACCOUNT, "us-east-1") == [instances[(MEMBER_ACCOUNT, "us-east-1")]]


@pytest.mark.anyio
async def test_every_scan_in_a_process_reads_the_service_models_through_one_loader(
    emulator: Emulator, member_credentials: Credentials
) -> None:
    # A warm Lambda invocation or a second scan must not parse botocore's JSON service models again.
    loaders: list[Any] = []
    for _ in range(2):
        async with AwsClients(AwsSettings(endpoint_url=emulator.endpoint_url), ambient()) as clients:
            clients.use_static_credentials(MEMBER_ACCOUNT, member_credentials)
            loaders.append((await clients.client("ec2", "us-east-1", account=MEMBER_ACCOUNT))._loader)
            loaders.append((await clients.control_client("sts", "us-east-1"))._loader)
    assert len(loaders) == 4
    assert all(loader is loaders[0] for loader in loaders)
