"""Placeholder until the fault layer lands."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FaultRule:
    @classmethod
    def latency(cls, ms: int, **scope: Any) -> FaultRule:
        return cls()

    @classmethod
    def throttle(cls, probability: float = 1.0, **scope: Any) -> FaultRule:
        return cls()


class FaultPlan:
    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def add(self, rule: FaultRule) -> FaultRule:
        return rule

    def clear(self) -> None:
        return None


class FaultLayer:
    def __init__(self, app: Any, plan: FaultPlan, resolve_account: Callable[[str], str]) -> None:
        self._app = app

    def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        result: Iterable[bytes] = self._app(environ, start_response)
        return result
