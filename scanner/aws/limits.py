"""Client-side rate limits per (account, region, service): adaptive token buckets.

AWS throttles per account, per region and per API, so each (account, region, service) gets its own
bucket. A bucket starts full (its burst), refills continuously at its rate, and adapts: a throttle
halves the rate (never below a floor), each success adds back 5% of the configured rate (never above it).
Over any stretch of T seconds a bucket therefore lets through at most `burst + rate * T` calls.

Default rates, in calls per second (burst: one second's worth, at least 1); `--rate SERVICE=N/s` overrides:

    =============  ======
    service        rate/s
    =============  ======
    config         10
    sts            10
    organizations  2
    iam            5
    ec2            20
    s3             50
    anything else  10 (`--rate default=N/s` changes it)
    =============  ======
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import anyio

from scanner.errors import UsageError

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_RATES: Mapping[str, float] = MappingProxyType(
    {"config": 10.0, "sts": 10.0, "organizations": 2.0, "iam": 5.0, "ec2": 20.0, "s3": 50.0}
)
DEFAULT_RATE = 10.0
DEFAULT_MIN_RATE = 0.1
DEFAULT_RECOVERY_STEP = 0.05
# Float refills land a hair short of a whole token: without slack a waiter would sleep again for nothing.
_EPSILON = 1e-9


class TokenBucket:
    """Waits out `acquire()` until a token is there; the rate adapts to throttles and successes."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        min_rate: float = DEFAULT_MIN_RATE,
        recovery_step: float = DEFAULT_RECOVERY_STEP,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive number, got {rate}")
        capacity = max(1.0, rate) if burst is None else burst
        if not (math.isfinite(capacity) and capacity >= 1):
            raise ValueError(f"burst must be at least 1, got {burst}")
        if not (min_rate > 0 and 0 < recovery_step <= 1):
            raise ValueError(f"min_rate must be positive and recovery_step in (0, 1], got {min_rate}, {recovery_step}")
        self.configured_rate = rate
        self.burst = capacity
        # A configured rate below the floor is the floor.
        self.min_rate = min(min_rate, rate)
        self.recovery_step = recovery_step
        self.throttles = 0
        self._rate = rate
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._updated = clock()
        self._lock = anyio.Lock()

    @property
    def rate(self) -> float:
        return self._rate

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    async def acquire(self) -> None:
        # Waiters queue on the (first-come, first-served) lock; only its holder sleeps, once per token.
        async with self._lock:
            self._refill()
            while self._tokens < 1 - _EPSILON:
                await self._sleep((1 - self._tokens) / self._rate)
                # The rate may have dropped while this task slept: check again.
                self._refill()
            self._tokens -= 1

    def on_throttle(self) -> None:
        """Multiplicative decrease: halve the rate, down to `min_rate`."""
        self._refill()
        self.throttles += 1
        self._rate = max(self.min_rate, self._rate / 2)

    def on_success(self) -> None:
        """Additive increase: `recovery_step` of the configured rate back, up to the configured rate."""
        if self._rate < self.configured_rate:
            self._refill()
            self._rate = min(self.configured_rate, self._rate + self.recovery_step * self.configured_rate)


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
    default_rate: float = DEFAULT_RATE

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    @classmethod
    def parse(cls, options: Sequence[str]) -> RateLimits:
        """`--rate SERVICE=N/s` (or `SERVICE=N`), repeated; the last one for a service wins.

        `default=N/s` sets the rate of services without a default of their own.
        """
        overrides: dict[str, float] = {}
        default_rate = DEFAULT_RATE
        for option in options:
            service, rate = _parse_rate(option)
            if service == "default":
                default_rate = rate
            else:
                overrides[service] = rate
        return cls(overrides=overrides, default_rate=default_rate)

    def rate_for(self, service: str) -> float:
        if service in self.overrides:
            return self.overrides[service]
        return DEFAULT_RATES.get(service, self.default_rate)


class RateLimiter:
    """One TokenBucket per (account, region, service), made on first use; `forget` drops a finished target's."""

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
        self._buckets: dict[tuple[str, str], dict[str, TokenBucket]] = {}

    def bucket(self, account: str, region: str, service: str) -> TokenBucket:
        services = self._buckets.setdefault((account, region), {})
        if service not in services:
            services[service] = TokenBucket(
                self.limits.rate_for(service),
                min_rate=self._min_rate,
                recovery_step=self._recovery_step,
                clock=self._clock,
                sleep=self._sleep,
            )
        return services[service]

    def forget(self, account: str, region: str) -> None:
        self._buckets.pop((account, region), None)

    def forget_account(self, account: str) -> None:
        for key in [key for key in self._buckets if key[0] == account]:
            del self._buckets[key]

    def __len__(self) -> int:
        """How many buckets are held."""
        return sum(len(services) for services in self._buckets.values())
