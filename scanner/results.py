"""What a scan produces, for every layer above the model: where evaluations go (sinks), what each target cost and
could not do, the scan's report and its exit code. Outputs read these; none of it runs a scan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Protocol, runtime_checkable

from scanner.model import Compliance, Evaluation, Target
from scanner.registry import Severity


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


@dataclass
class CallStats:
    """What one target's calls cost."""

    calls: int = 0
    retries: int = 0
    throttles: int = 0


class EvaluationSink(Protocol):
    async def put(self, evaluation: Evaluation) -> None: ...


@runtime_checkable
class TargetSink(EvaluationSink, Protocol):
    """A sink that acts when a target is done (puts what it batched) and says what it could not do."""

    async def finish_target(self, target: Target) -> list[Failure]: ...


class TargetStatus(Enum):
    OK = "ok"
    ERROR = "error"


@dataclass(frozen=True)
class Failure:
    """Something that could not be read or evaluated; what it cost is in `affects`."""

    account_id: str
    region: str
    what: str
    code: str
    message: str
    affects: tuple[str, ...] = ()


@dataclass
class TargetOutcome:
    target: Target
    failures: list[Failure] = field(default_factory=list)
    counts: Counter[tuple[str, Compliance]] = field(default_factory=Counter)
    stats: CallStats = field(default_factory=CallStats)
    seconds: float = 0.0

    @property
    def status(self) -> TargetStatus:
        return TargetStatus.ERROR if self.failures else TargetStatus.OK


EXIT_OK = 0


EXIT_NON_COMPLIANT = 1


EXIT_USAGE = 2


EXIT_INCOMPLETE = 3


class FailOn(Enum):
    """What makes a scan exit 1 (a scan that could not read everything exits 3 whatever this says)."""

    NONCOMPLIANT = "noncompliant"  # any NON_COMPLIANT a mutelist does not suppress
    CRITICAL = "critical"  # ... of a critical check
    HIGH = "high"  # ... of a high or critical check
    ERROR = "error"  # none: only failures fail (exit 3)
    NEVER = "never"  # the same as error, kept for earlier scripts

    def fails(self, failing_checks: Iterable[str], severities: Mapping[str, Severity]) -> bool:
        if self is FailOn.NONCOMPLIANT:
            return any(True for _ in failing_checks)
        if self in (FailOn.CRITICAL, FailOn.HIGH):
            wanted = {Severity.CRITICAL} if self is FailOn.CRITICAL else {Severity.CRITICAL, Severity.HIGH}
            return any(severities.get(check) in wanted for check in failing_checks)
        return False


@dataclass
class ScanReport:
    caller_account: str | None
    started: datetime
    # The signal that stopped the scan (SIGINT, SIGTERM), if one did.
    interrupted: int | None = None
    outcomes: list[TargetOutcome] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    counts: CountingSink = field(default_factory=CountingSink)
    api_calls: int = 0
    retries: int = 0
    throttles: int = 0
    targets_total: int = 0

    @property
    def account_id(self) -> str | None:
        return self.caller_account

    @property
    def read_nothing(self) -> bool:
        """The scan failed before any target: the caller's identity, the organization, no account to scan."""
        return bool(self.failures) and not self.outcomes and self.counts.total == 0

    @property
    def all_failures(self) -> list[Failure]:
        return self.failures + [failure for outcome in self.outcomes for failure in outcome.failures]

    def exit_code(self, fail_on: FailOn, severities: Mapping[str, Severity] | None = None) -> int:
        """3 when something could not be read; 1 when `fail_on` finds an unsuppressed NON_COMPLIANT; else 0.

        `severities` (check id -> severity) is needed for --fail-on critical and high. A scan stopped by a signal
        exits 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), whatever it found.
        """
        if self.interrupted is not None:
            return 128 + self.interrupted
        if self.all_failures:
            return EXIT_INCOMPLETE
        if fail_on.fails(self.counts.failing_checks(), severities or {}):
            return EXIT_NON_COMPLIANT
        return EXIT_OK
