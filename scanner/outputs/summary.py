"""The human summary: per check, how many resources were compliant, non-compliant, not applicable."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table

from scanner.model import Compliance
from scanner.orchestrator import Failure
from scanner.outputs.jsonl import CountingSink
from scanner.registry import Check, Severity

_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(reversed(Severity))}


def summary_table(counts: CountingSink, checks: Iterable[Check], title: str = "Evaluations per check") -> Table:
    """Per check: its severity, then how many resources were compliant, non-compliant (suppressed apart), n/a."""
    table = Table(title=title)
    table.add_column("check")
    table.add_column("severity")
    table.add_column("compliant", justify="right", style="green")
    table.add_column("non-compliant", justify="right", style="red")
    table.add_column("suppressed", justify="right")
    table.add_column("not applicable", justify="right")
    ordered = sorted(checks, key=lambda check: (_SEVERITY_RANK[check.severity], check.id))
    for check in ordered:
        suppressed = counts.suppressed[check.id]
        table.add_row(
            check.id,
            check.severity.value,
            str(counts.counts[(check.id, Compliance.COMPLIANT)]),
            str(counts.counts[(check.id, Compliance.NON_COMPLIANT)] - suppressed),
            str(suppressed),
            str(counts.counts[(check.id, Compliance.NOT_APPLICABLE)]),
        )
    return table


def account_table(counts: CountingSink, title: str = "Evaluations per account") -> Table:
    table = Table(title=title)
    table.add_column("account")
    table.add_column("compliant", justify="right", style="green")
    table.add_column("non-compliant", justify="right", style="red")
    table.add_column("suppressed", justify="right")
    table.add_column("not applicable", justify="right")
    for account in sorted({account for account, _ in counts.by_account}):
        suppressed = counts.suppressed_by_account[account]
        table.add_row(
            account,
            str(counts.by_account[(account, Compliance.COMPLIANT)]),
            str(counts.by_account[(account, Compliance.NON_COMPLIANT)] - suppressed),
            str(suppressed),
            str(counts.by_account[(account, Compliance.NOT_APPLICABLE)]),
        )
    return table


def failures_table(failures: Iterable[Failure]) -> Table:
    table = Table(title="Could not read or evaluate (no result was reported for these)")
    for column in ("account", "region", "what", "error", "affects"):
        table.add_column(column)
    for failure in failures:
        table.add_row(
            failure.account_id,
            failure.region,
            failure.what,
            f"{failure.code}: {failure.message}",
            ", ".join(failure.affects),
        )
    return table
