"""Scan progress: a `scan progress` event at most every interval when not on a terminal."""

from __future__ import annotations

import io

from rich.console import Console
from structlog.testing import capture_logs

from scanner.model import Target
from scanner.progress import ScanProgress
from scanner.results import CallStats, Failure, TargetOutcome


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def outcome(calls: int, throttles: int, failed: bool = False) -> TargetOutcome:
    result = TargetOutcome(Target("111111111111", "us-east-1"), stats=CallStats(calls=calls, throttles=throttles))
    if failed:
        result.failures.append(Failure("111111111111", "us-east-1", "x", "AccessDenied", "no", ()))
    return result


def test_progress_is_logged_at_most_once_per_interval() -> None:
    clock = Clock()
    console = Console(file=io.StringIO(), force_terminal=False)
    with capture_logs() as logs, ScanProgress(console, interval=10.0, clock=clock) as progress:
        progress.targets_planned(3)
        clock.now = 5.0
        progress.target_done(outcome(calls=4, throttles=1))
        clock.now = 11.0
        progress.target_done(outcome(calls=6, throttles=0, failed=True))
        clock.now = 12.0
        progress.target_done(outcome(calls=1, throttles=0))

    events = [entry for entry in logs if entry["event"] == "scan progress"]
    assert events == [
        {
            "event": "scan progress",
            "log_level": "info",
            "targets_done": 2,
            "targets": 3,
            "evaluations": 0,
            "api_calls": 10,
            "throttles": 1,
            "errors": 1,
        }
    ]
    assert (progress.done, progress.api_calls, progress.errors) == (3, 11, 1)
