"""`AwsClients.call` limits each (account, region, service, operation) on its own: a throttled API slows only itself."""

from __future__ import annotations

import math
from typing import Any

import aioboto3
import pytest
from cloudsweep_emulator.faults import FaultKind, FaultRule
from cloudsweep_emulator.server import Emulator

from scanner.aws.clients import AwsClients, AwsSettings, CallContext, Credentials
from scanner.retrying import RetryPolicy
from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import assumed_session, client

MEMBER_ACCOUNT = "210987654321"
AMI = "ami-0123456789abcdef0"
INSTANCE = "AWS::EC2::Instance"
LIST = "list_discovered_resources"
BATCH_GET = "batch_get_resource_config"


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def instance(emulator: Emulator, boto_session: Any) -> str:
    ec2 = client(boto_session, "ec2", emulator.endpoint_url)
    return str(ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"])


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_throttled_operation_lowers_only_its_own_bucket(
    emulator: Emulator, boto_session: Any, instance: str
) -> None:
    frozen = assumed_session(boto_session, emulator.endpoint_url, MEMBER_ACCOUNT).get_credentials()
    frozen = frozen.get_frozen_credentials()
    ambient = aioboto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )
    settings = AwsSettings(endpoint_url=emulator.endpoint_url, retry=RetryPolicy(sleep=no_sleep))
    async with AwsClients(settings, ambient) as clients:
        clients.use_static_credentials(MEMBER_ACCOUNT, Credentials(frozen.access_key, frozen.secret_key, frozen.token))
        here = CallContext(MANAGEMENT_ACCOUNT, "us-east-1")
        config = await clients.client("config", "us-east-1", account=MANAGEMENT_ACCOUNT)

        async def list_and_get(context: CallContext) -> list[dict[str, Any]]:
            config = await clients.client("config", str(context.region), account=str(context.account_id))
            await clients.call(config, LIST, context=context, resourceType=INSTANCE)
            keys = [{"resourceType": INSTANCE, "resourceId": instance}]
            items: list[dict[str, Any]] = (await clients.call(config, BATCH_GET, context=context, resourceKeys=keys))[
                "baseConfigurationItems"
            ]
            return items

        # Some calls first, so the adaptive bucket has a measured rate to start from (and waits little).
        for _ in range(10):
            await list_and_get(here)
        emulator.faults.add(
            FaultRule.throttle(count=1, account=MANAGEMENT_ACCOUNT, operation="ListDiscoveredResources")
        )

        listed = await clients.call(config, LIST, context=here, resourceType=INSTANCE)
        items = await list_and_get(here)
        elsewhere = [
            await list_and_get(CallContext(MANAGEMENT_ACCOUNT, "eu-west-1")),
            await list_and_get(CallContext(MEMBER_ACCOUNT, "us-east-1")),
        ]

        # The throttled call was retried and answered; every other call went straight through.
        assert [identifier["resourceId"] for identifier in listed["resourceIdentifiers"]] == [instance]
        assert [item["resourceId"] for item in items] == [instance]
        assert elsewhere == [[], []]
        injected = emulator.faults.injected()
        assert [(i.kind, i.operation, i.account, count) for i, count in injected.items()] == [
            (FaultKind.THROTTLING, "ListDiscoveredResources", MANAGEMENT_ACCOUNT, 1)
        ]
        assert (clients.throttles, clients.retries) == (1, 1)

        throttled = clients.rate_limiter.bucket(MANAGEMENT_ACCOUNT, "us-east-1", "config", LIST)
        assert throttled.throttles == 1
        assert not throttled.unlimited
        assert math.isfinite(throttled.rate)
        # Adaptive: no ceiling (it probes upwards), a finite rate of at least one call a second.
        assert throttled.configured_rate == math.inf
        assert 1.0 <= throttled.rate < math.inf
        # The same service's other operation, in the same account and region, was not slowed.
        untouched = clients.rate_limiter.bucket(MANAGEMENT_ACCOUNT, "us-east-1", "config", BATCH_GET)
        assert untouched.unlimited
        assert untouched.throttles == 0
        assert untouched.rate == math.inf
        # Nor was the same operation in another region or another account.
        for account, region in ((MANAGEMENT_ACCOUNT, "eu-west-1"), (MEMBER_ACCOUNT, "us-east-1")):
            for operation in (LIST, BATCH_GET):
                bucket = clients.rate_limiter.bucket(account, region, "config", operation)
                assert bucket.unlimited, (account, region, operation)
                assert bucket.throttles == 0
        assert len(clients.rate_limiter) == 6

        # A target that is done drops its buckets: the next scan of it starts unlimited again.
        await clients.close_target(MANAGEMENT_ACCOUNT, "us-east-1")
        assert clients.rate_limiter.bucket(MANAGEMENT_ACCOUNT, "us-east-1", "config", LIST).unlimited
