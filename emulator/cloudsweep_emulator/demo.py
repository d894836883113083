"""`cloudsweep demo`: start the emulator with its demo organization and scan it with every built-in check."""

from __future__ import annotations

from pathlib import Path

import structlog
from rich.console import Console

from scanner.aws.clients import Credentials
from scanner.outputs.reports import OutputFormat, OutputSpec
from scanner.outputs.summary import failures_table, summary_table
from scanner.progress import ScanProgress
from scanner.registry import SelectedCheck
from scanner.runner import run_scan
from scanner.scan.request import Access, AccountSource, Destinations, ScanRequest

log = structlog.get_logger("cloudsweep.demo")

DEMO_OUTPUT = Path("cloudsweep-demo.jsonl")
# Static credentials for the emulator's management account; the emulator accepts any.
DEMO_CREDENTIALS = Credentials("AKIADEMOMANAGEMENT00", "demo-secret")


def demo_checks() -> list[SelectedCheck]:
    from checks import BUILTIN

    return [SelectedCheck(check, check.parameters.parse(check.id, dict(check.demo_parameters))) for check in BUILTIN]


def run_demo(console: Console | None = None, output: Path = DEMO_OUTPUT) -> int:
    from cloudsweep_emulator.server import Emulator, EmulatorOptions

    console = console or Console(stderr=True)
    html_report = output.with_suffix(".html")
    with console.status("Starting the AWS emulator and seeding the demo organization..."):
        emulator = Emulator(EmulatorOptions(seed="demo")).start()
    try:
        organization = emulator.demo
        if organization is None:
            raise RuntimeError("a demo-seeded emulator has its organization")
        console.print(
            f"Emulator at [bold]{emulator.endpoint_url}[/bold]: organization {organization.organization_id}, "
            f"{len(organization.accounts)} accounts, regions {', '.join(organization.regions)}"
        )
        request = ScanRequest(
            checks=tuple(demo_checks()),
            regions=tuple(organization.regions),
            source=AccountSource(organization=True),
            access=Access(
                role_name=organization.audit_role_name, endpoint_url=emulator.endpoint_url, credentials=DEMO_CREDENTIALS
            ),
            destinations=Destinations(output=output, reports=(OutputSpec(OutputFormat.HTML, html_report),)),
        )
        with ScanProgress(console, interval=2.0) as progress:
            report = run_scan(request, progress)
    finally:
        emulator.stop()
    checks = [choice.check for choice in request.checks]
    console.print(summary_table(report.counts, checks, title="Demo organization: evaluations per check"))
    if report.all_failures:
        console.print(failures_table(report.all_failures))
    accounts = len({outcome.target.account_id for outcome in report.outcomes})
    console.print(
        f"{report.counts.total} evaluations of {accounts} accounts written to [bold]{output.resolve()}[/bold] "
        f"({report.api_calls} API calls, {report.retries} retries); HTML report: [bold]{html_report.resolve()}[/bold]"
    )
    log.info(
        "demo finished",
        evaluations=report.counts.total,
        output=str(output.resolve()),
        html_report=str(html_report.resolve()),
        failures=len(report.all_failures),
    )
    return 0 if not report.all_failures else 3
