"""The AWS seam: credentials per account, one client per (region, service), every call through one policy.

Tests and the demo point `endpoint_url` at the emulator; nothing else changes. botocore's own retries are
off (`total_max_attempts=1`): `RetryPolicy` makes every retry decision. Each call waits for a token of its
(account, region, API) bucket, then for a slot under the global cap and its target's cap.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import aioboto3
import anyio
import botocore.session
from aiobotocore.config import AioConfig
from aiobotocore.credentials import AioCredentials
from aiobotocore.session import AioSession
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.utils import parse_timestamp

from scanner.aws.credentials import AssumedRoleCredentials, FetchMetadata, Metadata, RoleSpec
from scanner.aws.http import HttpPool, pooled_session_class
from scanner.aws.limits import RateLimiter, RateLimits
from scanner.aws.retry import call_with_retries, is_throttle
from scanner.errors import AwsError
from scanner.results import CallStats
from scanner.retrying import RetryPolicy

# The caller's own account, with the ambient credentials (env, profile, instance role).
AMBIENT = "ambient"
# The caller's clients for the control plane (STS, Organizations): shared by every account, closed at the end.
CONTROL = "control"
# The clients every account's calls go through, signing for the account each call names.
SHARED = "shared"


@dataclass(frozen=True)
class Credentials:
    """Static credentials (the demo's, or a user's)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


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
    # botocore event handlers on every session (event name, handler): how a caller observes the real calls.
    event_hooks: tuple[tuple[str, Callable[..., Any]], ...] = ()

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
    """A limiter's token; a free one is taken without yielding to the event loop. anyio's `acquire` always yields,
    which puts each call's task behind every ready one: a chain of dependent calls (pages) pays that queueing on
    each of its calls when the loop is busy."""
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
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return datetime.fromtimestamp(value, UTC)
    # Strings, and epochs out of range: botocore's own parser and its fallbacks.
    parsed: datetime = parse_timestamp(value)
    return parsed


_SERVICE_MODELS: list[Any] = []


def tune_session(session: botocore.session.Session) -> None:
    """What every session the scanner signs with gets: the fast timestamp parser, and one service-model loader per
    process (the first session's), so that each scan, and each warm Lambda invocation, does not parse the JSON
    service models again (EC2's alone is ~60 ms of CPU)."""
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=utc_timestamp)
    if not _SERVICE_MODELS:
        _SERVICE_MODELS.append(session.get_component("data_loader"))
    session.register_component("data_loader", _SERVICE_MODELS[0])


# The credentials the call running in this task signs with (None: the caller's own); set by `AwsClients.call`
# around each call, once it has resolved them, so signing can never disagree with the call about the account.
_SIGNING: ContextVar[tuple[Any, ...] | None] = ContextVar("cloudsweep_signing", default=None)


class AccountCredentials:
    """What a shared client signs with: the credentials of the account the current call is for.

    A botocore client costs ~15 ms of CPU to create and its signer holds one set of credentials, so a scan that
    made a client per (account, region, service) spent most of its CPU on clients when accounts were many and
    small. One client per (region, service) serves every account instead: botocore asks its credentials for
    frozen keys on each signing, and this answers with the keys `AwsClients.call` resolved for the call.
    """

    method = "cloudsweep-per-account"

    def __init__(self, ambient: Callable[[], Awaitable[Any]]) -> None:
        self._ambient = ambient

    async def get_frozen_credentials(self) -> Any:
        signing = _SIGNING.get()
        if signing is None:
            # Never guess: a call outside the seam would otherwise sign as whichever account came last.
            raise RuntimeError("a shared AWS client was called outside AwsClients.call: no account to sign for")
        (credentials,) = signing
        if credentials is None:
            credentials = await self._ambient()
        if credentials is None:
            raise NoCredentialsError()
        return await credentials.get_frozen_credentials()

    def get_deferred_property(self, name: str) -> Callable[[], None]:
        # botocore offers the account id to endpoint rules (DynamoDB's); a shared client has no single one.
        return lambda: None

    async def get_account_id(self) -> None:
        # aiobotocore's async spelling of the same.
        return None


class AwsClients:
    """One client per (region, service), shared by every account (see `AccountCredentials`), closed at the end.

    Accounts differ only in the credentials their calls sign with: the caller's own (ambient) unless
    `use_credentials` gave the account an assumed role. Control-plane clients (STS, Organizations) are the
    caller's own.
    """

    def __init__(self, settings: AwsSettings | None = None, ambient: aioboto3.Session | None = None) -> None:
        self.settings = settings or AwsSettings()
        self._ambient = ambient or aioboto3.Session()
        tune_session(self._ambient._session)
        self._hook(self._ambient._session)
        self._ambient_credentials: Any = None
        self._pool = HttpPool()
        self._config = self.settings.botocore_config(self._pool)
        self._credentials: dict[str, AssumedRoleCredentials | AioCredentials] = {}
        self._forgotten: set[str] = set()
        self._shared = self._signing_session()
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

    # --- credentials and clients ------------------------------------------------------------------

    def _signing_session(self) -> aioboto3.Session:
        botocore_session = AioSession()
        # No public setter takes a credentials object; botocore reads this attribute when it makes a client.
        botocore_session._credentials = AccountCredentials(self._ambient_keys)
        tune_session(botocore_session)
        self._hook(botocore_session)
        return aioboto3.Session(botocore_session=botocore_session)

    def _hook(self, session: botocore.session.Session) -> None:
        for event_name, handler in self.settings.event_hooks:
            session.register(event_name, handler)

    async def _ambient_keys(self) -> Any:
        if self._ambient_credentials is None:
            self._ambient_credentials = await self._ambient._session.get_credentials()
        return self._ambient_credentials

    def use_credentials(self, account_id: str, credentials: AssumedRoleCredentials) -> None:
        """Calls for `account_id` sign with these (refreshable) credentials from now on."""
        self._credentials[account_id] = credentials
        self._forgotten.discard(account_id)

    def use_static_credentials(self, account_id: str, credentials: Credentials) -> None:
        self._credentials[account_id] = AioCredentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        )
        self._forgotten.discard(account_id)

    async def forget_account(self, account_id: str) -> None:
        """Drop the account's credentials, rate buckets and caps: memory must not grow with accounts.

        Calls already under way keep the credentials they resolved; a later call for the account is refused.
        """
        if self._credentials.pop(account_id, None) is not None:
            self._forgotten.add(account_id)
        self.rate_limiter.forget_account(account_id)
        for key in [key for key in self._per_target if key[0] == account_id]:
            del self._per_target[key]

    def _signing_credentials(self, account: str | None) -> AssumedRoleCredentials | AioCredentials | None:
        """The account's credentials; None for an account without its own (the caller's: ambient credentials)."""
        if account is not None and account in self._forgotten:
            # Its role was given up: signing as the caller instead would read the wrong account.
            raise AwsError("cloudsweep", "sign", "AccountForgotten", f"no credentials for account {account} any more")
        return self._credentials.get(account) if account is not None else None

    async def client(self, service: str, region: str, account: str = AMBIENT) -> Any:
        """The client for `service` in `region`; whose credentials sign depends on each call's context."""
        return await self._client((SHARED, region, service), self._shared)

    async def control_client(self, service: str, region: str) -> Any:
        """The caller's client for control-plane calls (AssumeRole, Organizations)."""
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
        """A target is done: drop its rate buckets and its concurrency cap (the clients serve other targets)."""
        self.rate_limiter.forget(account_id, region)
        self._per_target.pop((account_id, region), None)

    async def _close(self, keys: list[tuple[str, str, str]]) -> None:
        with anyio.CancelScope(shield=True):
            for key in keys:
                opened = self._clients.pop(key, None)
                if opened is not None:
                    await opened.context_manager.__aexit__(None, None, None)

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
        credentials = self._signing_credentials(context.account_id)
        refreshable = credentials if isinstance(credentials, AssumedRoleCredentials) else None
        stats = context.stats

        async def attempt(**arguments: Any) -> Any:
            epoch = await bucket.acquire()
            if refreshable is not None:
                # Refresh before taking a slot: botocore would otherwise refresh while signing, inside it.
                await refreshable.ensure_fresh()
            async with contextlib.AsyncExitStack() as slots:
                if limited:
                    # The target's own cap first: a busy target must not sit on global slots while it waits.
                    await slots.enter_async_context(_slot(target_limiter))
                    await slots.enter_async_context(_slot(self._global))
                self.calls += 1
                if stats is not None:
                    stats.calls += 1
                signing = _SIGNING.set((credentials,))
                try:
                    result = await getattr(client, operation)(**arguments)
                except ClientError as exc:
                    if is_throttle(exc):
                        bucket.on_throttle(epoch)
                        self.throttles += 1
                        if stats is not None:
                            stats.throttles += 1
                    raise
                finally:
                    _SIGNING.reset(signing)
            bucket.on_success()
            return result

        def retried() -> None:
            self.retries += 1
            if stats is not None:
                stats.retries += 1

        return await call_with_retries(
            self.settings.retry,
            attempt,
            service=service,
            operation=operation,
            context={"account_id": context.account_id, "region": context.region},
            on_retry=retried,
            on_expired=refreshable.force_refresh if refreshable is not None else None,
            **kwargs,
        )


def sts_fetcher(clients: AwsClients, region: str, context: CallContext) -> Callable[[RoleSpec], FetchMetadata]:
    """AssumeRole through the caller's control-plane STS client, as botocore's refresh wants its metadata.

    Unlimited by the concurrency caps: a refresh can happen while its caller holds a slot.
    """

    def fetcher(spec: RoleSpec) -> FetchMetadata:
        async def fetch() -> Metadata:
            sts = await clients.control_client("sts", region)
            arguments: dict[str, Any] = {
                "RoleArn": spec.role_arn,
                "RoleSessionName": spec.session_name,
                "DurationSeconds": spec.duration_seconds,
            }
            if spec.external_id:
                arguments["ExternalId"] = spec.external_id
            response = await clients.call(sts, "assume_role", context=context, limited=False, **arguments)
            credentials = response["Credentials"]
            return {
                "access_key": credentials["AccessKeyId"],
                "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"],
                "expiry_time": credentials["Expiration"].isoformat(),
            }

        return fetch

    return fetcher
