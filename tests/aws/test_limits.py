"""Adaptive token buckets per (account, region, API), on a fake clock; rates from `--rate` options."""

from __future__ import annotations

import math
import time

import anyio
import anyio.lowlevel
import pytest

from scanner.aws.limits import DEFAULT_RATE, RateLimiter, RateLimits
from scanner.errors import UsageError
from scanner.rates import TokenBucket
from tests.support import FakeTime

# Float sums of 0.2 s steps land a hair either side of the exact times.
SLACK = 1e-9


def bucket_on(fake: FakeTime, rate: float, burst: float | None = None, **options: float) -> TokenBucket:
    return TokenBucket(rate, burst, clock=fake.clock, sleep=fake.sleep, **options)


async def acquisitions_within(bucket: TokenBucket, fake: FakeTime, seconds: float) -> list[float]:
    """The times of the acquisitions that complete within `seconds` (inclusive), from a full bucket."""
    times: list[float] = []
    while True:
        await bucket.acquire()
        if fake.now > seconds + SLACK:
            return times
        times.append(fake.now)


@pytest.mark.anyio
async def test_ten_seconds_at_five_per_second_with_burst_five_allow_55() -> None:
    fake = FakeTime()
    bucket = bucket_on(fake, 5, burst=5)

    times = await acquisitions_within(bucket, fake, 10.0)

    # burst + rate * T = 5 + 5 * 10: five at once, then one every 0.2 s up to and including t = 10.
    assert len(times) == 55
    assert times[:5] == [0.0] * 5
    assert times[5:] == pytest.approx([0.2 * step for step in range(1, 51)])


@pytest.mark.anyio
async def test_exact_count_and_one_sleep_per_wait() -> None:
    fake = FakeTime()
    bucket = bucket_on(fake, 4, burst=2)

    times = await acquisitions_within(bucket, fake, 10.0)

    assert len(times) == 2 + 4 * 10
    # No busy loop: every acquisition that had to wait slept exactly once, for exactly one token's time.
    assert fake.sleeps == [0.25] * (len(times) - 2 + 1)


@pytest.mark.anyio
async def test_idle_time_refills_up_to_the_burst_only() -> None:
    fake = FakeTime()
    bucket = bucket_on(fake, 5, burst=3)
    for _ in range(3):
        await bucket.acquire()
    fake.now = 100.0

    for _ in range(3):
        await bucket.acquire()
    assert fake.now == 100.0
    await bucket.acquire()
    assert fake.now == pytest.approx(100.2)


def test_default_burst_is_one_seconds_worth() -> None:
    assert TokenBucket(10).burst == 10
    assert TokenBucket(0.5).burst == 1


@pytest.mark.parametrize(("rate", "burst"), [(0, None), (-1, None), (float("inf"), None), (5, 0.5), (5, 0)])
def test_bucket_rejects_impossible_settings(rate: float, burst: float | None) -> None:
    with pytest.raises(ValueError, match="must be"):
        TokenBucket(rate, burst)


def test_throttles_halve_the_rate_down_to_the_floor() -> None:
    bucket = TokenBucket(10, min_rate=0.1)
    seen = []
    for _ in range(9):
        bucket.on_throttle()
        seen.append(bucket.rate)

    assert seen == [5.0, 2.5, 1.25, 0.625, 0.3125, 0.15625, 0.1, 0.1, 0.1]
    assert bucket.throttles == 9
    assert bucket.configured_rate == 10


def test_a_rate_below_the_floor_is_its_own_floor() -> None:
    bucket = TokenBucket(0.05, min_rate=0.1)
    bucket.on_throttle()

    assert bucket.rate == 0.05


def test_successes_recover_additively_to_the_configured_rate_and_no_further() -> None:
    bucket = TokenBucket(10, min_rate=0.1)
    for _ in range(10):
        bucket.on_throttle()
    assert bucket.rate == 0.1

    seen = []
    for _ in range(25):
        bucket.on_success()
        seen.append(bucket.rate)

    # 5% of the configured 10/s per success: +0.5/s each, capped at 10/s.
    assert seen[:19] == pytest.approx([0.1 + 0.5 * step for step in range(1, 20)])
    assert seen[19:] == [10.0] * 6


def test_successes_at_the_configured_rate_change_nothing() -> None:
    bucket = TokenBucket(10)
    bucket.on_success()

    assert bucket.rate == 10
    assert bucket.throttles == 0


@pytest.mark.anyio
async def test_a_throttled_bucket_spaces_calls_further_apart() -> None:
    fake = FakeTime()
    bucket = bucket_on(fake, 10, burst=1)
    await bucket.acquire()

    bucket.on_throttle()
    bucket.on_throttle()
    await bucket.acquire()
    assert fake.now == pytest.approx(0.4)

    bucket.on_success()
    await bucket.acquire()
    assert fake.now == pytest.approx(0.4 + 1 / 3.0)


@pytest.mark.anyio
async def test_a_throttle_while_a_task_waits_makes_it_wait_longer() -> None:
    fake = FakeTime()
    bucket = bucket_on(fake, 10, burst=1)
    await bucket.acquire()

    async def throttle() -> None:
        bucket.on_throttle()

    async with anyio.create_task_group() as group:
        group.start_soon(bucket.acquire)
        await anyio.lowlevel.checkpoint()
        # The acquirer now sleeps 0.1 s for its token, but it comes at 5/s: half a token, and a second sleep.
        group.start_soon(throttle)
    assert fake.sleeps == pytest.approx([0.1, 0.1])
    assert fake.now == pytest.approx(0.2)


@pytest.mark.anyio
async def test_concurrent_acquirers_do_not_exceed_the_rate() -> None:
    fake = FakeTime()
    rate, burst, tasks, each = 10.0, 3.0, 20, 5
    bucket = bucket_on(fake, rate, burst=burst)
    times: list[float] = []

    async def worker() -> None:
        for _ in range(each):
            await bucket.acquire()
            times.append(fake.now)

    async with anyio.create_task_group() as group:
        for _ in range(tasks):
            group.start_soon(worker)

    assert len(times) == tasks * each
    times.sort()
    # Over any stretch [t_i, t_j], no more than burst + rate * (t_j - t_i) acquisitions.
    for first in range(len(times)):
        for last in range(first, len(times)):
            assert last - first + 1 <= burst + rate * (times[last] - times[first]) + 1e-6
    # And not slower than the rate either: the last token came when it was due.
    assert times[-1] == pytest.approx((tasks * each - burst) / rate)


@pytest.mark.anyio
async def test_concurrent_acquirers_on_the_real_clock() -> None:
    bucket = TokenBucket(100, burst=1)
    started = time.monotonic()

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(bucket.acquire)

    # 1 token at once, 19 more at 100/s; only a lower bound is safe on a busy machine.
    assert time.monotonic() - started >= 19 / 100 - 0.01


# --- RateLimits ----------------------------------------------------------------------------------------------------


def test_default_rates() -> None:
    limits = RateLimits()

    assert {
        service: limits.rate_for(service) for service in ("config", "sts", "organizations", "iam", "ec2", "s3")
    } == {"config": None, "sts": None, "organizations": 2, "iam": 5, "ec2": None, "s3": None}
    assert limits.rate_for("resourcegroupstaggingapi") is DEFAULT_RATE is None


def test_parse_rates() -> None:
    limits = RateLimits.parse(["config=5/s", "iam=2", "organizations=0.5/s", " Lambda = 7 /s ", "default=3/s"])

    assert limits.rate_for("config") == 5
    assert limits.rate_for("iam") == 2
    assert limits.rate_for("organizations") == 0.5
    assert limits.rate_for("lambda") == 7
    # `default` applies to ec2, which has no rate of its own.
    assert limits.rate_for("ec2") == 3
    # `default` applies to the services without a default of their own.
    assert limits.rate_for("resourcegroupstaggingapi") == 3


def test_parse_no_rates_is_the_defaults() -> None:
    assert RateLimits.parse([]) == RateLimits()


def test_parse_last_rate_for_a_service_wins() -> None:
    assert RateLimits.parse(["config=5", "config=7/s"]).rate_for("config") == 7


@pytest.mark.parametrize(
    "option",
    [
        "config",
        "=5",
        "config=",
        "config=0",
        "config=-1",
        "config=0/s",
        "config=abc",
        "config=5/m",
        "config=inf",
        "s3=nan",
    ],
)
def test_parse_rejects_malformed_or_non_positive_rates(option: str) -> None:
    with pytest.raises(UsageError, match=r"--rate .*expected SERVICE=N/s with N > 0"):
        RateLimits.parse([option])


def test_rate_limits_are_immutable() -> None:
    overrides = {"config": 5.0}
    limits = RateLimits(overrides=overrides)
    overrides["config"] = 50.0

    assert limits.rate_for("config") == 5
    with pytest.raises(TypeError):
        limits.overrides["config"] = 1.0  # type: ignore[index]


# --- RateLimiter -----------------------------------------------------------------------------------------------------


def test_one_bucket_per_account_region_and_api() -> None:
    limiter = RateLimiter(RateLimits.parse(["config=4"]))

    bucket = limiter.bucket("111111111111", "us-east-1", "config", "list_discovered_resources")

    assert limiter.bucket("111111111111", "us-east-1", "config", "list_discovered_resources") is bucket
    assert limiter.bucket("111111111111", "us-east-1", "config", "batch_get_resource_config") is not bucket
    assert limiter.bucket("111111111111", "eu-west-1", "config", "list_discovered_resources") is not bucket
    assert limiter.bucket("222222222222", "us-east-1", "config", "list_discovered_resources") is not bucket
    assert limiter.bucket("111111111111", "us-east-1", "ec2", "describe_instances") is not bucket
    assert bucket.configured_rate == 4
    assert limiter.bucket("111111111111", "us-east-1", "iam", "get_user").configured_rate == 5
    assert limiter.bucket("111111111111", "us-east-1", "ec2", "describe_instances").unlimited
    assert len(limiter) == 6


def test_forget_drops_only_that_targets_buckets() -> None:
    limiter = RateLimiter()
    throttled = limiter.bucket("111111111111", "us-east-1", "config")
    throttled.on_throttle()
    limiter.bucket("111111111111", "us-east-1", "iam")
    kept = limiter.bucket("111111111111", "eu-west-1", "config")

    limiter.forget("111111111111", "us-east-1")
    limiter.forget("999999999999", "us-east-1")

    assert len(limiter) == 1
    assert limiter.bucket("111111111111", "eu-west-1", "config") is kept
    fresh = limiter.bucket("111111111111", "us-east-1", "config")
    assert fresh is not throttled
    assert fresh.unlimited
    assert fresh.rate == fresh.configured_rate == math.inf


@pytest.mark.anyio
async def test_limiter_buckets_use_its_clock() -> None:
    fake = FakeTime()
    limiter = RateLimiter(RateLimits.parse(["organizations=2"]), clock=fake.clock, sleep=fake.sleep)
    bucket = limiter.bucket("111111111111", "us-east-1", "organizations")

    for _ in range(3):
        await bucket.acquire()

    assert fake.now == pytest.approx(0.5)


@pytest.mark.anyio
async def test_the_limits_carry_the_time_their_buckets_pace_in() -> None:
    fake = FakeTime()
    limits = RateLimits(overrides={"organizations": 2.0}, clock=fake.clock, sleep=fake.sleep)
    bucket = RateLimiter(limits).bucket("111111111111", "us-east-1", "organizations")

    for _ in range(5):
        await bucket.acquire()

    # Three calls past the burst of two, at 2/s: 1.5 s of the limits' time, slept on its sleep.
    assert fake.sleeps == pytest.approx([0.5, 0.5, 0.5])
    assert fake.now == pytest.approx(1.5)
    assert limits == RateLimits(overrides={"organizations": 2.0})
    assert RateLimits().sleep is anyio.sleep


# --- adaptive buckets ------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_adaptive_bucket_never_waits_before_its_first_throttle() -> None:
    fake = FakeTime()
    bucket = TokenBucket(None, clock=fake.clock, sleep=fake.sleep)

    for _ in range(1000):
        await bucket.acquire()

    assert fake.sleeps == []
    assert bucket.unlimited


@pytest.mark.anyio
async def test_a_throttle_limits_an_adaptive_bucket_to_half_what_it_sent_in_the_last_second() -> None:
    fake = FakeTime()
    bucket = TokenBucket(None, clock=fake.clock, sleep=fake.sleep)
    # 10 calls at t=0 (forgotten by t=2), then 40 over the last second: the limit comes from those 40.
    for _ in range(10):
        await bucket.acquire()
    fake.now = 1.0
    for step in range(40):
        fake.now = 1.0 + step / 40
        await bucket.acquire()

    bucket.on_throttle()

    assert not bucket.unlimited
    assert bucket.rate == 20
    # It starts empty: the next call waits one token at the halved rate.
    started = fake.now
    await bucket.acquire()
    assert fake.now - started == pytest.approx(1 / 20)


@pytest.mark.anyio
async def test_an_adaptive_bucket_probes_upwards_past_its_first_measure_by_a_step_a_second() -> None:
    fake = FakeTime()
    bucket = TokenBucket(None, clock=fake.clock, sleep=fake.sleep)
    for _ in range(40):
        await bucket.acquire()
    bucket.on_throttle()
    bucket.on_throttle()
    assert bucket.rate == 10

    # A second's worth of successes at 10 calls/s gains about one step (5% of the 40 calls/s measured): 2.
    for _ in range(10):
        bucket.on_success()
    assert 11.6 < bucket.rate < 12
    # No ceiling: it keeps probing past the 40 calls/s it was throttled at.
    for _ in range(2000):
        bucket.on_success()
    assert bucket.rate > 40
    halved = bucket.rate / 2
    bucket.on_throttle()
    assert bucket.rate == pytest.approx(halved)


@pytest.mark.anyio
async def test_a_burst_of_throttles_of_calls_sent_before_a_decrease_decreases_once() -> None:
    fake = FakeTime()
    bucket = TokenBucket(8, clock=fake.clock, sleep=fake.sleep)
    sent_together = [await bucket.acquire() for _ in range(8)]

    for epoch in sent_together:
        bucket.on_throttle(epoch)

    assert bucket.rate == 4
    assert bucket.throttles == 8
    # A call sent after the decrease and throttled again halves it again.
    bucket.on_throttle(await bucket.acquire())
    assert bucket.rate == 2


def test_an_adaptive_bucket_throttled_while_barely_sending_keeps_a_call_a_second() -> None:
    bucket = TokenBucket(None, min_rate=0.5)

    bucket.on_throttle()

    # Nothing was sent in the last second: the throttle is the account's, not this bucket's doing.
    assert bucket.rate == 1.0
    bucket.on_success()
    assert bucket.rate == pytest.approx(1.1)
    bucket.on_throttle()
    bucket.on_throttle()
    # An adaptive bucket never goes below a call a second: the retry backoff spaces what is throttled further.
    assert bucket.rate == 1.0
