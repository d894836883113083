"""The AWS seam: one aioboto3 session, clients per (account, region, service), every call through one policy.

Tests and the demo point `endpoint_url` at the emulator; nothing else changes. botocore's own retries are
off (`total_max_attempts=1`): `RetryPolicy` makes every retry decision.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aioboto3
import anyio
from aiobotocore.config import AioConfig

from scanner.aws.retry import RetryPolicy

# Ambient credentials (env, profile, instance role) act in the caller's own account.
AMBIENT = "ambient"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AwsSettings:
    endpoint_url: str | None = None
    max_pool_connections: int = 50
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def botocore_config(self) -> AioConfig:
        return AioConfig(
            retries={"total_max_attempts": 1},
            max_pool_connections=self.max_pool_connections,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
        )


class AwsClients:
    """Clients created lazily, reused per (account, region, service), all closed when the scan ends."""

    def __init__(self, settings: AwsSettings | None = None, session: aioboto3.Session | None = None) -> None:
        self.settings = settings or AwsSettings()
        self._session = session or aioboto3.Session()
        self._config = self.settings.botocore_config()
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = anyio.Lock()
        self._stack = contextlib.AsyncExitStack()
        self.calls = 0

    async def __aenter__(self) -> AwsClients:
        await self._stack.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._clients.clear()
        await self._stack.__aexit__(exc_type, exc, tb)

    async def client(
        self, service: str, region: str, credentials: Credentials | None = None, account: str = AMBIENT
    ) -> Any:
        key = (account, region, service)
        async with self._lock:
            if key not in self._clients:
                keys: dict[str, str | None] = {}
                if credentials is not None:
                    keys = {
                        "aws_access_key_id": credentials.access_key_id,
                        "aws_secret_access_key": credentials.secret_access_key,
                        "aws_session_token": credentials.session_token,
                    }
                factory = self._session.client(
                    service,
                    region_name=region,
                    endpoint_url=self.settings.endpoint_url,
                    config=self._config,
                    **keys,
                )
                self._clients[key] = await self._stack.enter_async_context(factory)
            return self._clients[key]

    async def call(
        self, client: Any, operation: str, *, account_id: str | None, region: str | None, **kwargs: Any
    ) -> Any:
        """One API call, e.g. `call(config, "list_discovered_resources", ...)`, under the retry policy."""
        self.calls += 1
        return await self.settings.retry.call(
            getattr(client, operation),
            service=client.meta.service_model.service_name,
            operation=operation,
            context={"account_id": account_id, "region": region},
            **kwargs,
        )
