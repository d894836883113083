"""Evaluation sinks: JSON lines to a stream, counts per check, and a tee over several."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TextIO

from scanner.model import Compliance, Evaluation, Suppression, Target
from scanner.orchestrator import EvaluationSink, Failure, TargetSink

# A mutelist's verdict on one evaluation (it reads the evaluation's resource_tags too).
Suppressor = Callable[[Evaluation], Suppression | None]


class JsonLinesSink:
    """One JSON object per line, written as evaluations arrive (nothing is held back in memory)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.written = 0

    async def put(self, evaluation: Evaluation) -> None:
        self._stream.write(evaluation.to_json_line() + "\n")
        self.written += 1


class CountingSink:
    """Evaluations counted per (check, compliance) and per (account, compliance), suppressed ones also apart:
    what the summary tables and the exit code are made of."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, Compliance]] = Counter()
        self.by_account: Counter[tuple[str, Compliance]] = Counter()
        # Suppressed evaluations per check and per account (they are counted above too).
        self.suppressed: Counter[str] = Counter()
        self.suppressed_by_account: Counter[str] = Counter()

    async def put(self, evaluation: Evaluation) -> None:
        self.add(evaluation.check, evaluation.account_id, evaluation.compliance, evaluation.suppression is not None)

    def add(self, check: str, account_id: str, compliance: Compliance, suppressed: bool) -> None:
        """One evaluation counted from its parts (a worker's line, read back without rebuilding it)."""
        self.counts[(check, compliance)] += 1
        self.by_account[(account_id, compliance)] += 1
        if suppressed and compliance is Compliance.NON_COMPLIANT:
            self.suppressed[check] += 1
            self.suppressed_by_account[account_id] += 1

    def merge(self, other: CountingSink) -> None:
        self.counts.update(other.counts)
        self.by_account.update(other.by_account)
        self.suppressed.update(other.suppressed)
        self.suppressed_by_account.update(other.suppressed_by_account)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def failing_checks(self) -> set[str]:
        """Checks with a NON_COMPLIANT evaluation that no mutelist entry suppresses."""
        return {
            check
            for (check, compliance), count in self.counts.items()
            if compliance is Compliance.NON_COMPLIANT and count > self.suppressed[check]
        }

    def any_non_compliant(self) -> bool:
        return bool(self.failing_checks())


class TeeSink:
    """Every evaluation to each sink; a target's end to the sinks that act on it (they return what failed)."""

    def __init__(self, sinks: Sequence[EvaluationSink], suppress: Suppressor | None = None) -> None:
        self._sinks = tuple(sinks)
        self._suppress = suppress

    async def put(self, evaluation: Evaluation) -> None:
        # Only a finding is suppressed: a compliant result has nothing to mute.
        if (
            self._suppress is not None
            and evaluation.suppression is None
            and evaluation.compliance is Compliance.NON_COMPLIANT
        ):
            suppression = self._suppress(evaluation)
            if suppression is not None:
                evaluation = replace(evaluation, suppression=suppression)
        for sink in self._sinks:
            await sink.put(evaluation)

    async def finish_target(self, target: Target) -> list[Failure]:
        failures: list[Failure] = []
        for sink in self._sinks:
            if isinstance(sink, TargetSink):
                failures.extend(await sink.finish_target(target))
        return failures
