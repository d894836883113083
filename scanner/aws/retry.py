"""AWS calls under the one retry policy (`scanner.retrying`; botocore's own retries are off), and error translation.

Retried: throttling, 5xx, connection errors and timeouts, with exponential backoff and full jitter,
bounded in attempts and total time. Not retried: AccessDenied, validation errors and the like.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from tenacity import RetryCallState

from scanner.errors import AwsError, UsageError
from scanner.retrying import RetryPolicy

log = structlog.get_logger("cloudsweep.aws")

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
    }
)
EXPIRED_TOKEN_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
TRANSIENT_CODES = frozenset(
    {
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "Unavailable",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_TRANSPORT_ERRORS = (
    ConnectionClosedError,
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    HTTPClientError,
    asyncio.TimeoutError,
    ConnectionError,
)


_CONFIGURATION_ERRORS = (NoCredentialsError, PartialCredentialsError, ProfileNotFound, NoRegionError)


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(
            exc.response.get("Error", {}).get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        )
    return type(exc).__name__


def is_throttle(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in THROTTLING_CODES


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error_code(exc) in THROTTLING_CODES | TRANSIENT_CODES or (isinstance(status, int) and status >= 500)
    return isinstance(exc, _TRANSPORT_ERRORS)


async def call_with_retries(
    policy: RetryPolicy,
    function: Callable[..., Awaitable[T]],
    *,
    service: str,
    operation: str,
    context: dict[str, Any],
    on_retry: Callable[[], None] | None = None,
    on_expired: Callable[[], Awaitable[None]] | None = None,
    **kwargs: Any,
) -> T:
    """Call `function(**kwargs)` under `policy`, retrying what is worth retrying; AwsError when it fails for good.

    An expired token is not retried as such; with `on_expired` (a credential refresh), the first one
    refreshes the credentials and repeats the call once.
    """
    refreshed = False

    async def once(**arguments: Any) -> T:
        nonlocal refreshed
        try:
            return await function(**arguments)
        except ClientError as exc:
            if on_expired is None or refreshed or error_code(exc) not in EXPIRED_TOKEN_CODES:
                raise
            refreshed = True
            log.info("credentials refreshed after an expired token", operation=operation, **context)
            await on_expired()
            return await function(**arguments)

    def before_sleep(state: RetryCallState) -> None:
        _log_retry(state, service, operation, context)
        if on_retry is not None:
            on_retry()

    retrying = policy.retrying(is_retryable, before_sleep)
    try:
        async for attempt in retrying:
            with attempt:
                return await once(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise AwsError(service, operation, error_code(exc), str(error.get("Message", exc)), **context) from exc
    except _TRANSPORT_ERRORS as exc:
        raise AwsError(service, operation, type(exc).__name__, str(exc), **context) from exc
    except _CONFIGURATION_ERRORS as exc:
        # No credentials or no such profile: nothing to retry, the user has to set them up.
        raise UsageError(f"AWS credentials or configuration: {exc}") from exc
    except BotoCoreError as exc:
        raise AwsError(service, operation, type(exc).__name__, str(exc), **context) from exc
    raise AssertionError("tenacity neither returned nor raised")  # pragma: no cover


def _log_retry(state: RetryCallState, service: str, operation: str, context: dict[str, Any]) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.info(
        "aws call retried",
        service=service,
        operation=operation,
        attempt=state.attempt_number,
        sleep=round(state.upcoming_sleep, 3),
        error_code=error_code(exc) if exc else None,
        throttled=bool(exc and is_throttle(exc)),
        **context,
    )
