"""Evaluation sinks: JSON lines to a stream, and a tee over several (counts are `scanner.results.CountingSink`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TextIO

from scanner.model import Compliance, Evaluation, Suppression, Target
from scanner.results import EvaluationSink, Failure, TargetSink

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
