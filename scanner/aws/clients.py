"""The AWS seam: sessions per account, clients per (account, region, service), every call through one policy.

Tests and the demo point `endpoint_url` at the emulator; nothing else changes. botocore's own retries are
off (`total_max_attempts=1`): `RetryPolicy` makes every retry decision. Each call waits for a token of its
(account, region, API) bucket, then for a slot under the global cap and its target's cap.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import aioboto3
import anyio
import botocore.session
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import ClientError
from botocore.utils import parse_timestamp

from scanner.aws.credentials import AssumedRoleCredentials
from scanner.aws.http import HttpPool, pooled_session_class
from scanner.aws.limits import RateLimiter, RateLimits
from scanner.aws.retry import RetryPolicy, is_throttle

# The caller's own account, with the ambient credentials (env, profile, instance role).
AMBIENT = "ambient"
# The caller's clients for the control plane (STS, Organizations): shared by every account, closed at the end.
CONTROL = "control"


@dataclass(frozen=True)
class Credentials:
    """Static credentials (the demo's, or a user's)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


@dataclass
class CallStats:
    """What one target's calls cost."""

    calls: int = 0
    retries: int = 0
    throttles: int = 0


@dataclass(frozen=True)
class CallContext:
    """Who a call is for: the account and region it acts in (for logs, errors and limits) and its stats."""

    account_id: str | None
    region: str | None
    stats: CallStats | None = None


@dataclass(frozen=True)
class AwsSettings:
    endpoint_url: str | None = None
    max_concurrency: int = 64  # API calls in flight, all targets together
    target_concurrency: int = 8  # API calls in flight for one account-region
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rates: RateLimits = field(default_factory=RateLimits)

    def botocore_config(self, pool: HttpPool | None = None) -> AioConfig:
        options: dict[str, Any] = {}
        if pool is not None:
            # Every client shares the pool's connections: as many as calls may be in flight.
            options = {"http_session_cls": pooled_session_class(pool), "max_pool_connections": self.max_concurrency}
        return AioConfig(
            retries={"total_max_attempts": 1},
            # Requests are built by this code, not typed by users; AWS still validates them. Client-side validation
            # cost a third of the CPU of putting 100 evaluations.
            parameter_validation=False,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            **({"max_pool_connections": self.target_concurrency} | options),
        )


@dataclass
class _OpenClient:
    client: Any
    context_manager: Any


@contextlib.asynccontextmanager
async def _slot(limiter: anyio.CapacityLimiter) -> AsyncIterator[None]:
    """A limiter's token; a free one is taken without yielding to the event loop. anyio's `acquire` always yields
    (twice), which puts each call's task behind every ready one: a chain of dependent calls (pages) pays that
    queueing on each of its calls when the loop is busy."""
    try:
        limiter.acquire_nowait()
    except anyio.WouldBlock:
        await limiter.acquire()
    try:
        yield
    finally:
        limiter.release()


def utc_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser, but epoch numbers (what JSON APIs like Config return) become UTC datetimes
    directly: the default converts every one through dateutil's local time zone, a tenth of a scan's CPU."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    parsed: datetime = parse_timestamp(value)
    return parsed


def tune_session(session: botocore.session.Session) -> None:
    """What every session the scanner signs with gets: the fast timestamp parser."""
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=utc_timestamp)


class AwsClients:
    """Clients created lazily and reused per (account, region, service); closed per target or at the end."""

    def __init__(self, settings: AwsSettings | None = None, ambient: aioboto3.Session | None = None) -> None:
        self.settings = settings or AwsSettings()
        self._ambient = ambient or aioboto3.Session()
        tune_session(self._ambient._session)
        self._pool = HttpPool()
        self._config = self.settings.botocore_config(self._pool)
        self._sessions: dict[str, aioboto3.Session] = {AMBIENT: self._ambient}
        self._credentials: dict[str, AssumedRoleCredentials] = {}
        self._clients: dict[tuple[str, str, str], _OpenClient] = {}
        self._lock = anyio.Lock()
        self._global = anyio.CapacityLimiter(self.settings.max_concurrency)
        self._per_target: dict[tuple[str, str], anyio.CapacityLimiter] = {}
        self.rate_limiter = RateLimiter(self.settings.rates)
        self.calls = 0
        self.retries = 0
        self.throttles = 0

    async def __aenter__(self) -> AwsClients:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._close(list(self._clients))
        finally:
            await self._pool.aclose()

    # --- sessions and clients ---------------------------------------------------------------------

    def use_credentials(self, account_id: str, credentials: AssumedRoleCredentials) -> None:
        """Calls for `account_id` sign with these (refreshable) credentials from now on."""
        botocore_session = AioSession()
        # One service-model loader for every account: loading models is the expensive part of a client.
        botocore_session.register_component("data_loader", self._ambient._session.get_component("data_loader"))
        # No public setter takes a refreshable credential object; botocore reads this attribute on each signing.
        botocore_session._credentials = credentials
        tune_session(botocore_session)
        self._sessions[account_id] = aioboto3.Session(botocore_session=botocore_session)
        self._credentials[account_id] = credentials

    def use_static_credentials(self, account_id: str, credentials: Credentials) -> None:
        session = aioboto3.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
        )
        tune_session(session._session)
        self._sessions[account_id] = session

    async def forget_account(self, account_id: str) -> None:
        """Close the account's clients and drop its session: memory must not grow with accounts."""
        with anyio.CancelScope(shield=True):
            await self._close([key for key in self._clients if key[0] == account_id])
        if account_id != AMBIENT:
            self._sessions.pop(account_id, None)
            self._credentials.pop(account_id, None)
        self.rate_limiter.forget_account(account_id)
        for key in [key for key in self._per_target if key[0] == account_id]:
            del self._per_target[key]

    def _session_key(self, account: str) -> str:
        # An account with no credentials of its own is the caller's: the ambient session signs for it.
        return account if account in self._sessions else AMBIENT

    async def client(self, service: str, region: str, account: str = AMBIENT) -> Any:
        return await self._client(
            (self._session_key(account), region, service), self._sessions[self._session_key(account)]
        )

    async def control_client(self, service: str, region: str) -> Any:
        """The caller's client for control-plane calls (AssumeRole, Organizations); never closed with a target."""
        return await self._client((CONTROL, region, service), self._ambient)

    async def _client(self, key: tuple[str, str, str], session: aioboto3.Session) -> Any:
        async with self._lock:
            if key not in self._clients:
                context_manager = session.client(
                    key[2],
                    region_name=key[1],
                    endpoint_url=self.settings.endpoint_url,
                    config=self._config,
                )
                self._clients[key] = _OpenClient(await context_manager.__aenter__(), context_manager)
            return self._clients[key].client

    async def close_target(self, account_id: str, region: str) -> None:
        """A target is done: close its clients, drop its rate buckets and its concurrency cap."""
        session = self._session_key(account_id)
        with anyio.CancelScope(shield=True):
            await self._close([key for key in self._clients if key[0] == session and key[1] == region])
        self.rate_limiter.forget(account_id, region)
        self._per_target.pop((account_id, region), None)

    async def _close(self, keys: list[tuple[str, str, str]]) -> None:
        for key in keys:
            opened = self._clients.get(key)
            if opened is not None:
                await opened.context_manager.__aexit__(None, None, None)
                self._clients.pop(key, None)

    # --- calls ------------------------------------------------------------------------------------

    def _target_limiter(self, account_id: str | None, region: str | None) -> anyio.CapacityLimiter:
        key = (account_id or AMBIENT, region or "")
        if key not in self._per_target:
            self._per_target[key] = anyio.CapacityLimiter(self.settings.target_concurrency)
        return self._per_target[key]

    async def call(
        self, client: Any, operation: str, *, context: CallContext, limited: bool = True, **kwargs: Any
    ) -> Any:
        """One API call, e.g. `call(config, "list_discovered_resources", context=...)`, under every policy.

        `limited=False` is for the control plane (AssumeRole when credentials refresh): it must not wait for a
        concurrency slot, since the call that needed fresh credentials may be holding one.
        """
        service = client.meta.service_model.service_name
        bucket = self.rate_limiter.bucket(context.account_id or AMBIENT, context.region or "", service, operation)
        target_limiter = self._target_limiter(context.account_id, context.region)
        credentials = self._credentials.get(context.account_id or AMBIENT)
        stats = context.stats

        async def attempt(**arguments: Any) -> Any:
            await bucket.acquire()
            if credentials is not None:
                # Refresh before taking a slot: botocore would otherwise refresh while signing, inside it.
                await credentials.ensure_fresh()
            async with contextlib.AsyncExitStack() as slots:
                if limited:
                    # The target's own cap first: a busy target must not sit on global slots while it waits.
                    await slots.enter_async_context(_slot(target_limiter))
                    await slots.enter_async_context(_slot(self._global))
                self.calls += 1
                if stats is not None:
                    stats.calls += 1
                try:
                    result = await getattr(client, operation)(**arguments)
                except ClientError as exc:
                    if is_throttle(exc):
                        bucket.on_throttle()
                        self.throttles += 1
                        if stats is not None:
                            stats.throttles += 1
                    raise
            bucket.on_success()
            return result

        def retried() -> None:
            self.retries += 1
            if stats is not None:
                stats.retries += 1

        return await self.settings.retry.call(
            attempt,
            service=service,
            operation=operation,
            context={"account_id": context.account_id, "region": context.region},
            on_retry=retried,
            on_expired=credentials.force_refresh if credentials is not None else None,
            **kwargs,
        )
