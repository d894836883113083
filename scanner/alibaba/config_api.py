"""The one seam for Alibaba Cloud Config calls: the official SDK (`alibabacloud_config20200907`, async), with
cloudsweep's retry policy, rate limits and error translation in front of it.

The SDK's own retries are off (it sleeps with `time.sleep` inside its async calls, blocking the event loop); ours
retry throttling, 5xx and connection errors with tenacity, bounded in attempts and time, and translate whatever is
left into `AlibabaError` once, here. Tests point `endpoint` at a local HTTP server (cloudsweep_emulator.alibaba_config).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import structlog

try:
    from alibabacloud_config20200907 import models
    from alibabacloud_config20200907.client import Client
    from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
    from alibabacloud_tea_openapi.utils_models import Config
    from darabonba.exceptions import ValidateException as DaraValidateException
    from darabonba.runtime import RuntimeOptions
    from Tea.exceptions import RequiredArgumentException, TeaException, UnretryableException, ValidateException
except ImportError as exc:  # pragma: no cover  (the test environment has the extra)
    raise ImportError(f"Alibaba Cloud Config support needs its SDK: pip install 'cloudsweep[alibaba]' ({exc})") from exc
from tenacity import (
    RetryCallState,
)

from scanner.errors import AlibabaError, CloudSweepError, UsageError
from scanner.rates import TokenBucket
from scanner.retrying import RetryPolicy

# darabonba-core sets its logger to DEBUG when imported (and logs request headers, the STS token among them, when
# DEBUG is set in the environment): back to warnings, whenever this module is imported after logging was set up.
for _name in ("darabonba-core", "credentials"):
    logging.getLogger(_name).setLevel(max(logging.getLogger(_name).level, logging.WARNING))

log = structlog.get_logger("cloudsweep.alibaba")

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

SERVICE = "config"
API_VERSION = "2020-09-07"
# Cloud Config answers in two places: the China site's and the international site's endpoint.
CHINA_REGION = "cn-shanghai"
INTERNATIONAL_REGION = "ap-southeast-1"
ENDPOINT_ENVIRONMENT = "CLOUDSWEEP_ALIBABA_ENDPOINT"  # http(s)://host[:port], for a local endpoint
CONFIG_REGION_ENVIRONMENT = "CLOUDSWEEP_ALIBABA_CONFIG_REGION"
# ListDiscoveredResources takes 1..100 a page.
PAGE_SIZE = 100
# Cloud Config's limits per region and API as cloudsweep's reference notes give them (published, they say; not found
# again in Alibaba Cloud's current API reference): ListDiscoveredResources 600 and PutEvaluations 5000 calls per 60 s.
# The rest adapt (unlimited until the first throttle).
PUBLISHED_RATES: Mapping[str, float] = {"ListDiscoveredResources": 10.0, "PutEvaluations": 5000 / 60}
THROTTLING_STATUS = 429


class UnexpectedAnswer(CloudSweepError):
    """A 200 whose body is not what the action answers (the SDK hands back no body for one it cannot read):
    retried like a 5xx, then an AlibabaError with this code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class EvaluationsNotAccepted(UnexpectedAnswer):
    """PutEvaluations answered without `"Result": true`."""

    def __init__(self, result: object) -> None:
        super().__init__("EvaluationsNotAccepted", f"PutEvaluations returned Result={result!r}")


_SDK_ERRORS = (TeaException, UnexpectedAnswer, OSError, asyncio.TimeoutError)
# Raised by the SDK before anything is sent: a missing or invalid argument, not a transient failure. (Not TypeError
# and the like: the SDK raises those for an error answer it cannot read, which is worth another try.)
_CALLER_ERRORS = (RequiredArgumentException, ValidateException, DaraValidateException)


@dataclass(frozen=True)
class AlibabaCredentials:
    """Function Compute's `context.credentials`, or an AccessKey pair from the environment. Never printed."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_context(cls, context: Any) -> AlibabaCredentials:
        credentials = getattr(context, "credentials", None)
        key_id = getattr(credentials, "access_key_id", None) or getattr(credentials, "accessKeyId", None)
        secret = getattr(credentials, "access_key_secret", None) or getattr(credentials, "accessKeySecret", None)
        token = getattr(credentials, "security_token", None) or getattr(credentials, "securityToken", None)
        if not isinstance(key_id, str) or not key_id or not isinstance(secret, str) or not secret:
            raise UsageError(
                "context.credentials has no access_key_id and access_key_secret: give the function a role "
                "(Function Compute passes its temporary credentials in the context)"
            )
        return cls(key_id, secret, token if isinstance(token, str) and token else None)

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> AlibabaCredentials:
        key_id = environment.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
        secret = environment.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
        if not key_id or not secret:
            raise UsageError("set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        return cls(key_id, secret, environment.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None)


def config_region(function_region: str | None, environment: Mapping[str, str]) -> str:
    """Cloud Config's API region: the override, else the China site's for cn-* functions, else the international."""
    override = environment.get(CONFIG_REGION_ENVIRONMENT)
    if override:
        return override
    return CHINA_REGION if (function_region or CHINA_REGION).startswith("cn-") else INTERNATIONAL_REGION


# The one retry policy (scanner.retrying), with Cloud Config's budget: a rule invocation has minutes, not hours.
ALIBABA_RETRY = RetryPolicy(max_seconds=60.0, max_backoff_seconds=10.0)


@dataclass(frozen=True)
class AlibabaSettings:
    region: str
    endpoint: str | None = None  # scheme://host[:port]; None: the SDK's endpoint for `region`
    retry: RetryPolicy = ALIBABA_RETRY
    rates: Mapping[str, float] = field(default_factory=lambda: dict(PUBLISHED_RATES))
    connect_timeout_ms: int = 5_000
    read_timeout_ms: int = 30_000

    @classmethod
    def from_environment(
        cls, function_region: str | None, environment: Mapping[str, str] | None = None
    ) -> AlibabaSettings:
        environment = os.environ if environment is None else environment
        return cls(region=config_region(function_region, environment), endpoint=environment.get(ENDPOINT_ENVIRONMENT))


def error_code(exc: BaseException) -> str:
    if isinstance(exc, AlibabaCloudException | UnexpectedAnswer) and exc.code and exc.code != "None":
        return str(exc.code)
    return type(exc).__name__


def is_throttle(exc: BaseException) -> bool:
    if isinstance(exc, ThrottlingException):
        return True
    code = error_code(exc)
    return code.startswith("Throttling") or getattr(exc, "status_code", None) == THROTTLING_STATUS


def is_retryable(exc: BaseException) -> bool:
    if is_throttle(exc) or isinstance(exc, UnexpectedAnswer):
        return True
    if isinstance(exc, AlibabaCloudException):
        status = exc.status_code if isinstance(exc.status_code, int) else 0
        return status >= 500 or error_code(exc) in ("ServiceUnavailable", "InternalError")
    # Transport failures (refused, reset, timed out, an unreadable answer): the SDK wraps them in
    # UnretryableException, which only means that it did not retry them itself. It wraps its own argument errors
    # the same way: those would fail again.
    if isinstance(exc, UnretryableException):
        return not isinstance(getattr(exc, "inner_exception", None), _CALLER_ERRORS)
    return isinstance(exc, OSError | asyncio.TimeoutError)


def _message(exc: BaseException) -> str:
    if isinstance(exc, AlibabaCloudException):
        return str(exc.message or exc)
    inner = getattr(exc, "inner_exception", None)
    text = str(exc) or type(exc).__name__
    return text + (f" ({type(inner).__name__}: {inner})" if inner is not None else "")


def _backoff(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    """Full-jitter exponential backoff, but never shorter than a throttle's `x-acs-retry-after` (milliseconds), which
    is honoured whole: the stop condition gives up instead when it does not fit the policy's time budget."""
    jitter = policy.jitter()

    def wait(state: RetryCallState) -> float:
        seconds = float(jitter(state))
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after", None)
        if isinstance(asked, int) and not isinstance(asked, bool) and asked > 0:
            return max(seconds, asked / 1000)
        return seconds

    return wait


def _endpoint_parts(endpoint: str) -> tuple[str, str]:
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{ENDPOINT_ENVIRONMENT}: expected http(s)://host[:port], got {endpoint!r}")
    return parts.scheme, parts.netloc


class ConfigApi:
    """Cloud Config's API for one set of credentials: paged listing, resource details, PutEvaluations."""

    def __init__(self, credentials: AlibabaCredentials, settings: AlibabaSettings) -> None:
        config = Config(
            access_key_id=credentials.access_key_id,
            access_key_secret=credentials.access_key_secret,
            security_token=credentials.security_token,
            region_id=settings.region,
            connect_timeout=settings.connect_timeout_ms,
            read_timeout=settings.read_timeout_ms,
        )
        if settings.endpoint:
            config.protocol, config.endpoint = _endpoint_parts(settings.endpoint)
        self._client = Client(config)
        self._settings = settings
        self._buckets: dict[str, TokenBucket] = {}
        self.calls: dict[str, int] = {}

    def _bucket(self, operation: str) -> TokenBucket:
        bucket = self._buckets.get(operation)
        if bucket is None:
            bucket = self._buckets[operation] = TokenBucket(self._settings.rates.get(operation))
        return bucket

    async def call(self, operation: str, function: Callable[[], Awaitable[T]]) -> T:
        """`function()` (one SDK call) under the operation's rate limit and the retry policy."""
        policy = self._settings.retry
        bucket = self._bucket(operation)

        async def once() -> T:
            epoch = await bucket.acquire()
            self.calls[operation] = self.calls.get(operation, 0) + 1
            try:
                result = await function()
            except Exception as exc:  # the SDK's own exception types, sorted by is_retryable below
                if is_throttle(exc):
                    bucket.on_throttle(epoch)
                raise
            bucket.on_success()
            return result

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.info(
                "alibaba call retried",
                operation=operation,
                attempt=state.attempt_number,
                sleep=round(state.upcoming_sleep, 3),
                error_code=error_code(exc) if exc else None,
                throttled=bool(exc and is_throttle(exc)),
            )

        # Before, not after: a wait that would end past the budget (a long x-acs-retry-after) is not slept.
        retrying = policy.retrying(is_retryable, before_sleep, wait=_backoff(policy), budget_covers_waits=True)
        try:
            async for attempt in retrying:
                with attempt:
                    return await once()
        except _SDK_ERRORS as exc:
            raise AlibabaError(SERVICE, operation, error_code(exc), _message(exc)) from exc
        raise AssertionError("tenacity neither returned nor raised")  # pragma: no cover

    async def list_resources(
        self, resource_types: Sequence[str], *, regions: Sequence[str] = (), deleted: bool = False
    ) -> AsyncIterator[dict[str, Any]]:
        """Every live (or, with `deleted`, every deleted) discovered resource of these types, every page."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            request = models.ListDiscoveredResourcesRequest(
                resource_types=",".join(resource_types),
                regions=",".join(regions) or None,
                # Cloud Config's flag reads "exists": 1 (the default) lists live resources, 0 deleted ones.
                resource_deleted=0 if deleted else 1,
                max_results=PAGE_SIZE,
                next_token=token,
            )
            listing = await self.call("ListDiscoveredResources", functools.partial(self._page, request))
            for profile in listing.get("DiscoveredResourceProfileList") or []:
                yield profile
            token = listing.get("NextToken") or None
            if not token:
                return
            if token in seen:
                # A page asked for again: the listing would never end, and never be complete.
                raise AlibabaError(SERVICE, "ListDiscoveredResources", "RepeatedNextToken", "NextToken came back")
            seen.add(token)

    async def _page(self, request: Any) -> dict[str, Any]:
        response = await self._client.list_discovered_resources_with_options_async(request, _runtime())
        body = response.body.to_map() if response.body is not None else None
        listing = (body or {}).get("DiscoveredResourceProfiles")
        if not isinstance(listing, dict) or not all(
            isinstance(p, dict) for p in listing.get("DiscoveredResourceProfileList") or []
        ):
            # Never an empty page: a listing cut short here would pass for a complete one.
            raise UnexpectedAnswer("MalformedResponse", "ListDiscoveredResources answered no readable page")
        return listing

    async def get_resource(self, resource_id: str, resource_type: str, region: str) -> dict[str, Any]:
        """GetDiscoveredResource's DiscoveredResourceDetail (its Configuration a JSON string)."""
        request = models.GetDiscoveredResourceRequest(
            resource_id=resource_id, resource_type=resource_type, region=region
        )

        async def get() -> dict[str, Any]:
            response = await self._client.get_discovered_resource_with_options_async(request, _runtime())
            body = response.body.to_map() if response.body is not None else {}
            detail = body.get("DiscoveredResourceDetail")
            if not isinstance(detail, dict):
                raise UnexpectedAnswer(
                    "MalformedResponse", f"GetDiscoveredResource answered no detail for {resource_id}"
                )
            return detail

        return await self.call("GetDiscoveredResource", get)

    async def put_evaluations(self, result_token: str, evaluations: Sequence[Mapping[str, Any]]) -> None:
        """One PutEvaluations call; a `Result` other than true is an error (retried like a 5xx)."""
        request = models.PutEvaluationsRequest(
            result_token=result_token, evaluations=json.dumps(list(evaluations), separators=(",", ":"))
        )

        async def put() -> None:
            response = await self._client.put_evaluations_with_options_async(request, _runtime())
            result = response.body.result if response.body is not None else None
            if result is not True:
                raise EvaluationsNotAccepted(result)

        await self.call("PutEvaluations", put)


def _runtime() -> RuntimeOptions:
    # No retry options on the client or here: the SDK makes one attempt, retries are ours (module docstring).
    return RuntimeOptions()
