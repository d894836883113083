"""The human summary: per check, how many resources were compliant, non-compliant, not applicable.

Every name and message in these tables is data (`scanner.text.terminal_text`): ids, account names and AWS error
messages are shown as they are, never read as rich markup or sent as terminal control sequences.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from scanner.model import Compliance
from scanner.registry import Check, Severity
from scanner.results import CountingSink, Failure
from scanner.text import terminal_text

_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(reversed(Severity))}
# Off a terminal no one resizes the window: a line as long as the widest row needs, never a cut cell.
_UNLIMITED_WIDTH = 100_000


def table_console(console: Console) -> Console:
    """Where the tables go: `console` itself on a terminal, else (a pipe, a CI log) a console on the same file so
    wide that every cell is written whole, on one line."""
    if console.is_terminal:
        return console
    return Console(file=console.file, width=_UNLIMITED_WIDTH)


def summary_table(counts: CountingSink, checks: Iterable[Check], title: str = "Evaluations per check") -> Table:
    """Per check: its severity, then how many resources were compliant, non-compliant (suppressed apart), n/a."""
    table = Table(title=title)
    # Folded, not cut, on a narrow terminal: an id is only of use whole.
    table.add_column("check", overflow="fold")
    table.add_column("severity")
    table.add_column("compliant", justify="right", style="green")
    table.add_column("non-compliant", justify="right", style="red")
    table.add_column("suppressed", justify="right")
    table.add_column("not applicable", justify="right")
    ordered = sorted(checks, key=lambda check: (_SEVERITY_RANK[check.severity], check.id))
    for check in ordered:
        suppressed = counts.suppressed[check.id]
        table.add_row(
            terminal_text(check.id),
            check.severity.value,
            str(counts.counts[(check.id, Compliance.COMPLIANT)]),
            str(counts.counts[(check.id, Compliance.NON_COMPLIANT)] - suppressed),
            str(suppressed),
            str(counts.counts[(check.id, Compliance.NOT_APPLICABLE)]),
        )
    return table


def account_table(counts: CountingSink, title: str = "Evaluations per account") -> Table:
    table = Table(title=title)
    table.add_column("account", overflow="fold")
    table.add_column("compliant", justify="right", style="green")
    table.add_column("non-compliant", justify="right", style="red")
    table.add_column("suppressed", justify="right")
    table.add_column("not applicable", justify="right")
    for account in sorted({account for account, _ in counts.by_account}):
        suppressed = counts.suppressed_by_account[account]
        table.add_row(
            terminal_text(account),
            str(counts.by_account[(account, Compliance.COMPLIANT)]),
            str(counts.by_account[(account, Compliance.NON_COMPLIANT)] - suppressed),
            str(suppressed),
            str(counts.by_account[(account, Compliance.NOT_APPLICABLE)]),
        )
    return table


def failures_table(failures: Iterable[Failure]) -> Table:
    table = Table(title="Could not read or evaluate (no result was reported for these)")
    for column in ("account", "region", "what", "error", "affects"):
        table.add_column(column, overflow="fold")
    for failure in failures:
        table.add_row(
            terminal_text(failure.account_id),
            terminal_text(failure.region),
            terminal_text(failure.what),
            terminal_text(f"{failure.code}: {failure.message}"),
            terminal_text(", ".join(failure.affects)),
        )
    return table
