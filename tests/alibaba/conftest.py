"""A local Cloud Config endpoint per test, credentials it knows, and settings pointing the SDK at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from cloudsweep_emulator.alibaba_config import AlibabaConfigEndpoint

from scanner.alibaba.config_api import ALIBABA_RETRY, AlibabaCredentials, AlibabaSettings

# Shaped like Function Compute's temporary credentials: an STS key id, a 30-character secret, an STS token.
KEY_ID = "STS.NTQ1mMx3oTjVg9k2ExampleKeyId"
SECRET = "Fk3Ld9Qw2Zx8Vb7Nm6Hj5Gt4Rf3Ed1"
SECURITY_TOKEN = "CAIS" + "q8Vz3bT1xYpL0aWmR7sE2nK5gH9dF4cJ6uB" * 4
LONG_TERM_KEY_ID = "LTAI5tQ2k9xExampleKey12"
LONG_TERM_SECRET = "Zp0Oq9Wn8Xm7Yl6Ak5Bj4Ci3Dh2Eg1"


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def credentials() -> AlibabaCredentials:
    return AlibabaCredentials(KEY_ID, SECRET, SECURITY_TOKEN)


@pytest.fixture
def endpoint() -> Iterator[AlibabaConfigEndpoint]:
    with AlibabaConfigEndpoint(
        {KEY_ID: (SECRET, SECURITY_TOKEN), LONG_TERM_KEY_ID: (LONG_TERM_SECRET, None)}
    ) as running:
        yield running


@pytest.fixture
def settings(endpoint: AlibabaConfigEndpoint) -> AlibabaSettings:
    """Retries without waiting (the policy's sleep is injected), the rest as in production."""
    return AlibabaSettings(region="cn-shanghai", endpoint=endpoint.url, retry=replace(ALIBABA_RETRY, sleep=_no_sleep))


@pytest.fixture
def anyio_backend() -> str:
    # The SDK's transport is aiohttp: asyncio only.
    return "asyncio"
