"""Client-side rate limits per (account, region, API): adaptive token buckets.

AWS throttles per account, per region and per API, so each (account, region, service, operation) gets its own
bucket. AWS does not publish AWS Config's request rates, so by default a bucket is adaptive: it lets calls through
unlimited until the first throttle, then limits itself to half the rate it was sending at over the last second,
and from there probes upwards with no ceiling, as TCP does: it gains 5% of that measured rate (at least 0.1 call/s)
per second of successes, and a throttle halves it (once for a burst of throttles of calls sent before the last
decrease). An adaptive bucket never goes below one call a second: a throttle of a
bucket that was barely sending says more about the account than about it, and the retry policy's backoff
already spaces retries. A configured bucket starts full (its burst, one second's worth), refills continuously at
its rate, and adapts below it: a throttle halves the rate (never below a floor), each success adds back 5% of the
configured rate. Over any stretch of T seconds a configured bucket lets through at most `burst + rate * T` calls.

Rates configured by default, in calls per second per API (services known to throttle early); `--rate SERVICE=N/s`
sets one, `--rate default=N/s` sets every other service's:

    =============  ======
    service        rate/s
    =============  ======
    organizations  2
    iam            5
    anything else  adaptive
    =============  ======
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import anyio

from scanner.errors import UsageError

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_RATES: Mapping[str, float] = MappingProxyType({"organizations": 2.0, "iam": 5.0})
# None: adaptive, unlimited until the first throttle.
DEFAULT_RATE: float | None = None
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


def _parse_rate(option: str) -> tuple[str, float]:
    service, equals, value = option.partition("=")
    service = service.strip().lower()
    number = value.strip().removesuffix("/s").strip()
    try:
        rate = float(number)
    except ValueError:
        rate = math.nan
    if not equals or not service or not math.isfinite(rate) or rate <= 0:
        raise UsageError(f"--rate {option!r}: expected SERVICE=N/s with N > 0, e.g. config=5/s")
    return service, rate


@dataclass(frozen=True)
class RateLimits:
    """Calls per second per service: the defaults above, `overrides`, and `default_rate` for the rest."""

    overrides: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    default_rate: float | None = DEFAULT_RATE

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    @classmethod
    def parse(cls, options: Sequence[str]) -> RateLimits:
        """`--rate SERVICE=N/s` (or `SERVICE=N`), repeated; the last one for a service wins.

        `default=N/s` sets the rate of services without a default of their own.
        """
        overrides: dict[str, float] = {}
        default_rate: float | None = DEFAULT_RATE
        for option in options:
            service, rate = _parse_rate(option)
            if service == "default":
                default_rate = rate
            else:
                overrides[service] = rate
        return cls(overrides=overrides, default_rate=default_rate)

    def rate_for(self, service: str) -> float | None:
        """Calls per second per API of this service; None: adaptive."""
        if service in self.overrides:
            return self.overrides[service]
        return DEFAULT_RATES.get(service, self.default_rate)


class RateLimiter:
    """One TokenBucket per (account, region, service, operation), made on first use; `forget` drops a target's."""

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        min_rate: float = DEFAULT_MIN_RATE,
        recovery_step: float = DEFAULT_RECOVERY_STEP,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self.limits = limits or RateLimits()
        self._min_rate = min_rate
        self._recovery_step = recovery_step
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], dict[tuple[str, str], TokenBucket]] = {}

    def bucket(self, account: str, region: str, service: str, operation: str = "") -> TokenBucket:
        services = self._buckets.setdefault((account, region), {})
        key = (service, operation)
        if key not in services:
            services[key] = TokenBucket(
                self.limits.rate_for(service),
                min_rate=self._min_rate,
                recovery_step=self._recovery_step,
                clock=self._clock,
                sleep=self._sleep,
            )
        return services[key]

    def forget(self, account: str, region: str) -> None:
        self._buckets.pop((account, region), None)

    def forget_account(self, account: str) -> None:
        for key in [key for key in self._buckets if key[0] == account]:
            del self._buckets[key]

    def __len__(self) -> int:
        """How many buckets are held."""
        return sum(len(services) for services in self._buckets.values())
