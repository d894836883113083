"""Evaluation sinks: JSON lines to a stream, counts per check, and a tee over several."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from scanner.model import Compliance, Evaluation, Target
from scanner.orchestrator import EvaluationSink, Failure, TargetSink


class JsonLinesSink:
    """One JSON object per line, written as evaluations arrive (nothing is held back in memory)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.written = 0

    async def put(self, evaluation: Evaluation) -> None:
        self._stream.write(evaluation.to_json_line() + "\n")
        self.written += 1


class CountingSink:
    """Evaluations counted per (check, compliance): what the summary table shows."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, Compliance]] = Counter()

    async def put(self, evaluation: Evaluation) -> None:
        self.counts[(evaluation.check, evaluation.compliance)] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def any_non_compliant(self) -> bool:
        return any(compliance is Compliance.NON_COMPLIANT for _, compliance in self.counts)


class TeeSink:
    """Every evaluation to each sink; a target's end to the sinks that act on it (they return what failed)."""

    def __init__(self, sinks: Sequence[EvaluationSink]) -> None:
        self._sinks = tuple(sinks)

    async def put(self, evaluation: Evaluation) -> None:
        for sink in self._sinks:
            await sink.put(evaluation)

    async def finish_target(self, target: Target) -> list[Failure]:
        failures: list[Failure] = []
        for sink in self._sinks:
            if isinstance(sink, TargetSink):
                failures.extend(await sink.finish_target(target))
        return failures
