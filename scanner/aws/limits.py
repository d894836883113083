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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import anyio

from scanner.errors import UsageError
from scanner.rates import DEFAULT_MIN_RATE, DEFAULT_RECOVERY_STEP, Clock, Sleep, TokenBucket

DEFAULT_RATES: Mapping[str, float] = MappingProxyType({"organizations": 2.0, "iam": 5.0})
# None: adaptive, unlimited until the first throttle.
DEFAULT_RATE: float | None = None


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
    """Calls per second per service: the defaults above, `overrides`, and `default_rate` for the rest.

    `clock` and `sleep` are the time the buckets pace calls in: real time, or a test's virtual time (the retry
    policy's backoff has its own `sleep`).
    """

    overrides: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    default_rate: float | None = DEFAULT_RATE
    clock: Clock = field(default=time.monotonic, compare=False, repr=False)
    sleep: Sleep = field(default=anyio.sleep, compare=False, repr=False)

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
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.limits = limits or RateLimits()
        self._min_rate = min_rate
        self._recovery_step = recovery_step
        self._clock = clock or self.limits.clock
        self._sleep = sleep or self.limits.sleep
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
