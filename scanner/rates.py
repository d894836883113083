"""Client-side rate limits, cloud-neutral: an adaptive token bucket, the one both clouds' seams put their calls
through (AWS per account, region and API, `scanner.aws.limits`; Alibaba Cloud per API, `scanner.alibaba`).

A bucket with no rate is adaptive: it lets calls through unlimited until the first throttle, then limits itself to
half the rate it was sending at over the last second, and from there probes upwards with no ceiling, as TCP does:
it gains 5% of that measured rate (at least 0.1 call/s) per second of successes, and a throttle halves it (once for
a burst of throttles of calls sent before the last decrease). It never goes below one call a second. A configured
bucket starts full (its burst, one second's worth), refills continuously at its rate, and adapts below it: a
throttle halves the rate (never below a floor), each success adds back 5% of the configured rate. Over any stretch
of T seconds a configured bucket lets through at most `burst + rate * T` calls.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

import anyio

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# An adaptive bucket's first limit comes from the calls it let through in this many seconds before a throttle.
MEASURE_SECONDS = 1.0
# ... and is never below this many calls per second; its additive step never below ADAPTIVE_MIN_STEP.
ADAPTIVE_FIRST_FLOOR = 1.0
ADAPTIVE_MIN_STEP = 0.1
DEFAULT_MIN_RATE = 0.1
DEFAULT_RECOVERY_STEP = 0.05
# Float refills land a hair short of a whole token: without slack a waiter would sleep again for nothing.
_EPSILON = 1e-9


class TokenBucket:
    """Waits out `acquire()` until a token is there; the rate adapts to throttles and successes.

    `rate=None` makes the bucket adaptive: no limit until `on_throttle`, which sets the rate to half the rate
    measured over the last second (at least ADAPTIVE_FIRST_FLOOR); it then probes upwards with no ceiling.
    """

    def __init__(
        self,
        rate: float | None,
        burst: float | None = None,
        *,
        min_rate: float = DEFAULT_MIN_RATE,
        recovery_step: float = DEFAULT_RECOVERY_STEP,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        if rate is not None and not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive number, got {rate}")
        capacity = max(1.0, rate or 1.0) if burst is None else burst
        if not (math.isfinite(capacity) and capacity >= 1):
            raise ValueError(f"burst must be at least 1, got {burst}")
        if not (min_rate > 0 and 0 < recovery_step <= 1):
            raise ValueError(f"min_rate must be positive and recovery_step in (0, 1], got {min_rate}, {recovery_step}")
        # While unlimited (adaptive, never throttled) the rate and its ceiling are infinite.
        self.configured_rate = math.inf if rate is None else rate
        self.burst = capacity
        # A configured rate below the floor is the floor.
        self.min_rate = min(min_rate, self.configured_rate)
        self.recovery_step = recovery_step
        self.throttles = 0
        self._rate = self.configured_rate
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._updated = clock()
        self._lock = anyio.Lock()
        self._recent: deque[float] = deque()
        self._step = recovery_step * self.configured_rate
        # Bumped at each decrease: throttles of calls sent before it are not counted again.
        self.epoch = 0

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def unlimited(self) -> bool:
        return math.isinf(self._rate)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    async def acquire(self) -> int:
        """Wait for a token; returns the bucket's epoch, to hand back to `on_throttle` if the call is throttled."""
        if self.unlimited:
            now = self._clock()
            self._recent.append(now)
            while self._recent[0] < now - MEASURE_SECONDS:
                self._recent.popleft()
            return self.epoch
        # Waiters queue on the (first-come, first-served) lock; only its holder sleeps, once per token.
        async with self._lock:
            self._refill()
            while self._tokens < 1 - _EPSILON:
                await self._sleep((1 - self._tokens) / self._rate)
                # The rate may have dropped while this task slept: check again.
                self._refill()
            self._tokens -= 1
            return self.epoch

    def on_throttle(self, epoch: int | None = None) -> None:
        """Multiplicative decrease: halve the rate, down to `min_rate`; an unlimited bucket gets its first limit.

        `epoch` is what `acquire` returned for the throttled call: calls sent before the last decrease were sent
        too fast for the old rate, not the new one, so a burst of their throttles decreases the rate once.
        """
        self.throttles += 1
        if epoch is not None and epoch < self.epoch:
            return
        self.epoch += 1
        if self.unlimited:
            now = self._clock()
            measured = sum(1 for moment in self._recent if moment >= now - MEASURE_SECONDS) / MEASURE_SECONDS
            self._recent.clear()
            # No ceiling: AWS's limit is unknown, so the rate keeps probing upwards until the next throttle.
            self.configured_rate = math.inf
            # Below a call a second, the retry policy's backoff does the rest of the waiting.
            self.min_rate = max(self.min_rate, ADAPTIVE_FIRST_FLOOR)
            self._rate = max(self.min_rate, measured / 2)
            self._step = max(ADAPTIVE_MIN_STEP, self.recovery_step * measured)
            self.burst = max(1.0, self._rate)
            # Calls already in flight were sent too fast: start empty.
            self._tokens = 0.0
            self._updated = now
            return
        self._refill()
        self._rate = max(self.min_rate, self._rate / 2)

    def on_success(self) -> None:
        """Additive increase, up to the ceiling. An adaptive bucket (no ceiling) gains its step per second, not per
        call: `rate` successes a second of step/rate each, or its growth would compound."""
        if self._rate < self.configured_rate:
            self._refill()
            if math.isinf(self.configured_rate):
                self._rate += self._step / max(self._rate, 1.0)
            else:
                self._rate = min(self.configured_rate, self._rate + self._step)
