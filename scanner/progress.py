"""Live progress of a scan, rendered: a progress bar on a terminal, a `scan progress` log event now and then
otherwise. The protocol it implements is the engine's (`scanner.scan.progress.ProgressListener`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

import structlog
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from scanner.model import Evaluation, Target
from scanner.results import TargetOutcome

log = structlog.get_logger("cloudsweep.scan")


class ScanProgress:
    """Counts targets done of planned, evaluations, API calls, throttles and errors."""

    def __init__(self, console: Console, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._console = console
        self._interval = interval
        self._clock = clock
        self._last_log = clock()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self.planned = 0
        self.done = 0
        self.evaluations = 0
        self.api_calls = 0
        self.throttles = 0
        self.errors = 0

    def __enter__(self) -> ScanProgress:
        if self._console.is_terminal:
            self._bar = Progress(
                TextColumn("targets"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self._console,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._description(), total=None)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._refresh()
            self._bar.stop()

    def _description(self) -> str:
        return (
            f"{self.evaluations} evaluations, {self.api_calls} API calls, "
            f"{self.throttles} throttles, {self.errors} errors"
        )

    def _refresh(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task, total=self.planned or None, completed=self.done, description=self._description()
            )

    def _report(self) -> None:
        self._refresh()
        if self._bar is None and self._clock() - self._last_log >= self._interval:
            self._last_log = self._clock()
            log.info(
                "scan progress",
                targets_done=self.done,
                targets=self.planned,
                evaluations=self.evaluations,
                api_calls=self.api_calls,
                throttles=self.throttles,
                errors=self.errors,
            )

    async def put(self, evaluation: Evaluation) -> None:
        self.evaluations += 1
        if self.evaluations % 100 == 0:
            self._report()

    def evaluations_made(self, count: int) -> None:
        """Evaluations made elsewhere (a worker process) and counted in bulk."""
        self.evaluations += count
        self._report()

    def targets_planned(self, count: int) -> None:
        self.planned += count
        self._report()

    def target_started(self, target: Target) -> None:
        return None

    def target_done(self, outcome: TargetOutcome) -> None:
        self.done += 1
        self.api_calls += outcome.stats.calls
        self.throttles += outcome.stats.throttles
        self.errors += len(outcome.failures)
        self._report()
