"""LoopPacer: the scan-wide window of pages in process, widened while the event loop keeps up, narrowed when late."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from scanner.scan.pacing import MAX_PAGES, MIN_PAGES, LoopPacer


async def wait_for(condition: object) -> None:
    assert callable(condition)
    for _ in range(1000):
        if condition():
            return
        await anyio.lowlevel.checkpoint()
    raise AssertionError("condition never held")


@pytest.mark.anyio
async def test_the_window_bounds_the_pages_in_process() -> None:
    pacer = LoopPacer(initial_pages=MIN_PAGES)
    hold = anyio.Event()
    entered: list[int] = []
    finished: list[int] = []

    async def page(number: int) -> None:
        async with pacer.admitted():
            entered.append(number)
            await hold.wait()
        finished.append(number)

    async with anyio.create_task_group() as group:
        for number in range(MIN_PAGES + 5):
            group.start_soon(page, number)
        await wait_for(lambda: len(entered) == MIN_PAGES)
        # Let every other page try to enter: none may while the window is full.
        for _ in range(50):
            await anyio.lowlevel.checkpoint()
        in_process = len(entered)
        hold.set()

    assert in_process == MIN_PAGES
    assert sorted(finished) == list(range(MIN_PAGES + 5))


@pytest.mark.anyio
async def test_a_late_loop_narrows_the_window_by_thirty_percent_down_to_the_floor() -> None:
    pacer = LoopPacer(max_lag=0.01, initial_pages=100)

    pacer.observe(0.05)
    assert (pacer.pages, pacer.lag, pacer.decreases) == (70, 0.05, 1)
    pacer.observe(0.011)
    assert pacer.pages == 49
    for _ in range(20):
        pacer.observe(1.0)
    assert pacer.pages == MIN_PAGES


@pytest.mark.anyio
async def test_a_prompt_loop_widens_a_full_window_by_one_and_an_idle_one_not_at_all() -> None:
    pacer = LoopPacer(max_lag=0.01, initial_pages=MIN_PAGES)

    # Nobody is using the window: keeping up says nothing about what more pages would do.
    pacer.observe(0.0)
    assert pacer.pages == MIN_PAGES

    hold = anyio.Event()
    entered: list[int] = []
    async with anyio.create_task_group() as group:
        group.start_soon(fill_and_observe, pacer, hold, entered)
    assert pacer.pages == MIN_PAGES + 1


async def fill_and_observe(pacer: LoopPacer, hold: anyio.Event, entered: list[int]) -> None:
    async def page() -> None:
        async with pacer.admitted():
            entered.append(1)
            await hold.wait()

    async with anyio.create_task_group() as group:
        for _ in range(pacer.pages):
            group.start_soon(page)
        await wait_for(lambda: len(entered) == MIN_PAGES)
        pacer.observe(0.001)
        hold.set()


def test_the_window_never_exceeds_its_ceiling() -> None:
    pacer = LoopPacer(initial_pages=MAX_PAGES)

    pacer.observe(0.0)

    assert pacer.pages == MAX_PAGES


class Stop(Exception):
    """Ends `measure` when the scripted sleeps run out."""


@pytest.mark.anyio
async def test_measure_samples_how_late_each_sleep_wakes() -> None:
    now = [0.0]
    lateness = [0.0, 0.002, 0.05, 0.003]

    async def sleep(seconds: float) -> None:
        if not lateness:
            raise Stop
        now[0] += seconds + lateness.pop(0)

    pacer = LoopPacer(max_lag=0.01, period=0.01, initial_pages=100, clock=lambda: now[0], sleep=sleep)

    with pytest.raises(Stop):
        await pacer.measure()

    # Four samples: only the 50 ms one was late enough to narrow the window; the last one is the lag now.
    assert pacer.decreases == 1
    assert pacer.pages == 70
    assert pacer.lag == pytest.approx(0.003)
