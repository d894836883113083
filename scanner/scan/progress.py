"""What the engine tells a progress display as a scan goes (rendering is the entry points' business)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from scanner.model import Target
from scanner.results import EvaluationSink, TargetOutcome


class ProgressListener(Protocol):
    def targets_planned(self, count: int) -> None: ...

    def target_started(self, target: Target) -> None: ...

    def target_done(self, outcome: TargetOutcome) -> None: ...


class ProgressSink(ProgressListener, EvaluationSink, Protocol):
    """A progress display that also counts evaluations as they are made (the CLI's)."""


@runtime_checkable
class CountsEvaluations(Protocol):
    """A display that counts evaluations it is told of in bulk (a worker's target, read back by the parent)."""

    def evaluations_made(self, count: int) -> None: ...
