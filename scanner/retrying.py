"""The one retry policy both clouds' seams use (AWS: `scanner.aws.retry`; Alibaba Cloud: `scanner.alibaba.config_api`):
bounded in attempts and total time, exponential backoff with full jitter, built from tenacity's stop and wait
objects in one place. What is worth retrying, and how a failure is translated, stays with each seam.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    stop_before_delay,
    wait_random_exponential,
)

Sleep = Callable[[float], Awaitable[None]]
Wait = Callable[[RetryCallState], float]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    max_seconds: float = 120.0
    base_seconds: float = 0.2
    max_backoff_seconds: float = 20.0
    sleep: Sleep = asyncio.sleep

    def jitter(self) -> Wait:
        """Full-jitter exponential backoff: before retry n, a uniform wait in [0, min(max, base * 2**n)]."""
        wait: Wait = wait_random_exponential(multiplier=self.base_seconds, max=self.max_backoff_seconds)
        return wait

    async def backoff(self, attempt: int) -> None:
        """Sleep as the policy would before retry number `attempt` (a seam's own rounds: unprocessed items)."""
        await self.sleep(random.uniform(0, min(self.max_backoff_seconds, self.base_seconds * 2**attempt)))  # noqa: S311  (backoff jitter, not a secret)

    def retrying(
        self,
        retryable: Callable[[BaseException], bool],
        before_sleep: Callable[[RetryCallState], Any],
        *,
        wait: Wait | None = None,
        budget_covers_waits: bool = False,
    ) -> AsyncRetrying:
        """A tenacity loop for one call: `retryable` errors retried after `wait` (the jitter by default), at most
        `max_attempts` tries and `max_seconds` in all; the last error re-raised for the seam to translate.

        `budget_covers_waits`: stop before a wait that would end past the budget (a server asking for a long
        retry-after), rather than after a try that began within it."""
        deadline = stop_before_delay(self.max_seconds) if budget_covers_waits else stop_after_delay(self.max_seconds)
        return AsyncRetrying(
            retry=retry_if_exception(retryable),
            stop=stop_after_attempt(self.max_attempts) | deadline,
            wait=wait or self.jitter(),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
