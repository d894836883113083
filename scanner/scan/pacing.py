"""Keep the event loop responsive: pace the pages a scan processes by how late the loop runs.

A scan's targets share one event loop. When it is saturated (CPU: parsing responses and items, evaluating,
signing), every ready task waits behind the others, and so does each page of a big type's ListDiscoveredResources
chain: the one sequence nothing can overlap, which then sets the scan's wall time. `LoopPacer` measures the loop's
lag (how late a sleeper wakes) and adapts how many pages may be fetched and evaluated at once, scan-wide, the
way TCP adapts its window: one more each period the lag stays low, 30% fewer when it is high. Listing is never
paced, so chains keep their pace; pages wait their turn, and the loop still does all the work it can.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio

DEFAULT_MAX_LAG = 0.01
DEFAULT_PERIOD = 0.01
MIN_PAGES = 16
MAX_PAGES = 256


class LoopPacer:
    def __init__(
        self,
        max_lag: float = DEFAULT_MAX_LAG,
        period: float = DEFAULT_PERIOD,
        initial_pages: int = 16,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.max_lag = max_lag
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._pages = anyio.CapacityLimiter(initial_pages)
        self.lag = 0.0
        self.decreases = 0

    @property
    def pages(self) -> int:
        """How many pages may be in process at once, now."""
        return int(self._pages.total_tokens)

    def observe(self, late: float) -> None:
        """One lag sample: widen or narrow the window."""
        self.lag = late
        if late > self.max_lag:
            self._pages.total_tokens = max(MIN_PAGES, int(self._pages.total_tokens * 0.7))
            self.decreases += 1
        elif self._pages.borrowed_tokens >= self._pages.total_tokens:
            # Widen only when the window is in use: an idle scan must not grow it without bound.
            self._pages.total_tokens = min(MAX_PAGES, int(self._pages.total_tokens) + 1)

    async def measure(self) -> None:
        """Probe the loop's lag until cancelled (run it in the scan's task group)."""
        while True:
            started = self._clock()
            await self._sleep(self.period)
            self.observe(max(0.0, self._clock() - started - self.period))

    @contextlib.asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        async with self._pages:
            yield
