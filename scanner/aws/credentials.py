"""Credentials per account: the caller's own, or an assumed role cached and refreshed before it expires.

rdklib's sessions die after 900 s because nothing refreshes them. Here each assumed role is a botocore
refreshable credential whose refresh calls AssumeRole again, with refresh windows scaled to the session
length (botocore's fixed 15/10 minute windows would refresh a 15-minute session on every call). A call
answered ExpiredToken anyway forces one refresh and is retried once (see `RetryPolicy`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import anyio
import structlog
from aiobotocore.credentials import AioRefreshableCredentials

log = structlog.get_logger("cloudsweep.aws")

ASSUME_ROLE_METHOD = "sts-assume-role"
DEFAULT_SESSION_SECONDS = 3600
MIN_SESSION_SECONDS = 900
MAX_SESSION_SECONDS = 43200
# A forced refresh within this many seconds of another is the same refresh.
FORCED_REFRESH_SETTLE_SECONDS = 5.0


@dataclass(frozen=True)
class RoleSpec:
    role_arn: str
    session_name: str = "cloudsweep"
    external_id: str | None = field(default=None, repr=False)
    duration_seconds: int = DEFAULT_SESSION_SECONDS


Metadata = dict[str, Any]
FetchMetadata = Callable[[], Awaitable[Metadata]]


class AssumedRoleCredentials(AioRefreshableCredentials):  # type: ignore[misc]
    """botocore refreshable credentials with refresh windows that fit the session, and a forced refresh."""

    def __init__(self, *args: Any, session_seconds: int, refresh_before: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Refresh a quarter of the way before expiry (advisory) and at the latest a tenth before (mandatory).
        self._advisory_refresh_timeout = min(15 * 60, session_seconds // 4)
        self._mandatory_refresh_timeout = min(10 * 60, session_seconds // 10)
        if refresh_before is not None:
            self._advisory_refresh_timeout = self._mandatory_refresh_timeout = int(refresh_before)
        self._counted: list[int] = []
        # Time of the last forced refresh; none yet.
        self._refreshed_at = float("-inf")

    @classmethod
    async def assume(
        cls, fetch: FetchMetadata, session_seconds: int, refresh_before: float | None = None
    ) -> AssumedRoleCredentials:
        counted: list[int] = []

        async def refresh() -> Metadata:
            counted.append(1)
            return await fetch()

        metadata = await refresh()
        credentials = cls(
            access_key=metadata["access_key"],
            secret_key=metadata["secret_key"],
            token=metadata["token"],
            expiry_time=cls._expiry_datetime(metadata["expiry_time"]),
            refresh_using=refresh,
            method=ASSUME_ROLE_METHOD,
            session_seconds=session_seconds,
            refresh_before=refresh_before,
        )
        credentials._counted = counted
        return credentials

    @property
    def refresh_count(self) -> int:
        """How many times AssumeRole ran for these credentials, the first time included."""
        return len(self._counted)

    async def force_refresh(self) -> None:
        """Assume the role again now, whatever the expiry says (the service said the token expired).

        Many calls can meet the same expired token at once: the first refreshes, the others find fresh
        credentials and do not assume the role again.
        """
        asked_at = time.monotonic()
        async with self._refresh_lock:
            if self._refreshed_at > asked_at - FORCED_REFRESH_SETTLE_SECONDS:
                return
            await self._protected_refresh(is_mandatory=True)
            self._refreshed_at = time.monotonic()

    async def ensure_fresh(self) -> None:
        """Refresh now if the refresh windows say so: call before taking a concurrency slot, so that the
        AssumeRole of a refresh never waits for a slot its own caller is holding."""
        await self.get_frozen_credentials()

    def expiry(self) -> datetime:
        expiry: datetime = self._expiry_time
        return expiry


class CredentialBroker:
    """Credentials per account, assumed once through the caller's STS client and shared by every region."""

    def __init__(self, fetch_for: Callable[[RoleSpec], FetchMetadata], refresh_before: float | None = None) -> None:
        self._fetch_for = fetch_for
        self._refresh_before = refresh_before
        self._cached: dict[str, AssumedRoleCredentials] = {}
        self._locks: dict[str, anyio.Lock] = {}

    async def credentials(self, account_id: str, spec: RoleSpec) -> AssumedRoleCredentials:
        lock = self._locks.setdefault(account_id, anyio.Lock())
        async with lock:
            if account_id not in self._cached:
                self._cached[account_id] = await AssumedRoleCredentials.assume(
                    self._fetch_for(spec), spec.duration_seconds, self._refresh_before
                )
                log.debug("role assumed", account_id=account_id, role_arn=spec.role_arn)
            return self._cached[account_id]

    def cached(self, account_id: str) -> AssumedRoleCredentials | None:
        return self._cached.get(account_id)

    def forget(self, account_id: str) -> None:
        self._cached.pop(account_id, None)
        self._locks.pop(account_id, None)
