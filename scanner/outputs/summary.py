"""The human summary: per check, how many resources were compliant, non-compliant, not applicable."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table

from scanner.model import Compliance
from scanner.orchestrator import Failure
from scanner.outputs.jsonl import CountingSink


def summary_table(counts: CountingSink, check_ids: Iterable[str], title: str = "Evaluations") -> Table:
    table = Table(title=title)
    table.add_column("check")
    table.add_column("compliant", justify="right", style="green")
    table.add_column("non-compliant", justify="right", style="red")
    table.add_column("not applicable", justify="right")
    for check_id in check_ids:
        table.add_row(check_id, *(str(counts.counts[(check_id, compliance)]) for compliance in Compliance))
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
