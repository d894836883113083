"""`cloudsweep demo`: start the emulator with its demo organization and scan it with every built-in check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aioboto3
import anyio
import structlog
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from scanner.aws.clients import Credentials
from scanner.model import Evaluation
from scanner.orchestrator import SelectedCheck
from scanner.outputs.jsonl import CountingSink, JsonLinesSink, TeeSink
from scanner.outputs.summary import failures_table, summary_table
from scanner.scan import ScanReport, ScanRequest, scan_account

log = structlog.get_logger("cloudsweep.demo")

DEMO_OUTPUT = Path("cloudsweep-demo.jsonl")
# Static credentials for the emulator's management account; the emulator accepts any.
DEMO_CREDENTIALS = Credentials("AKIADEMOMANAGEMENT00", "demo-secret")


def demo_checks() -> list[SelectedCheck]:
    from checks import BUILTIN

    return [SelectedCheck(check, check.parameters.parse(check.id, dict(check.demo_parameters))) for check in BUILTIN]


async def assume(endpoint_url: str, role_arn: str) -> Credentials:
    session = aioboto3.Session(
        aws_access_key_id=DEMO_CREDENTIALS.access_key_id,
        aws_secret_access_key=DEMO_CREDENTIALS.secret_access_key,
        region_name="us-east-1",
    )
    async with session.client("sts", endpoint_url=endpoint_url) as sts:
        credentials = (await sts.assume_role(RoleArn=role_arn, RoleSessionName="cloudsweep-demo"))["Credentials"]
    return Credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


class ProgressSink:
    """Counts evaluations into a live progress line per account."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    async def put(self, evaluation: Evaluation) -> None:
        self._progress.advance(self._task)


async def scan_organization(
    endpoint_url: str, organization: object, output: Path, console: Console
) -> tuple[CountingSink, list[ScanReport]]:
    checks = demo_checks()
    now = datetime.now(UTC)
    counts = CountingSink()
    reports: list[ScanReport] = []
    accounts = getattr(organization, "accounts", ())
    regions = tuple(getattr(organization, "regions", ("us-east-1",)))
    with (
        output.open("w", encoding="utf-8") as stream,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("evaluations"),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        writer = JsonLinesSink(stream)
        for account in accounts:
            task = progress.add_task(f"{account.account_id} {account.name:<8}", total=None)
            credentials = await assume(endpoint_url, account.audit_role_arn)
            request = ScanRequest(
                regions=regions, checks=tuple(checks), endpoint_url=endpoint_url, now=now, credentials=credentials
            )
            report = await scan_account(request, TeeSink([writer, counts, ProgressSink(progress, task)]))
            progress.update(task, total=report.counts.total, completed=report.counts.total)
            reports.append(report)
    return counts, reports


def run_demo(console: Console | None = None, output: Path = DEMO_OUTPUT) -> int:
    from scanner.emulator.server import Emulator, EmulatorOptions

    console = console or Console(stderr=True)
    with console.status("Starting the AWS emulator and seeding the demo organization..."):
        emulator = Emulator(EmulatorOptions(seed="demo")).start()
    try:
        organization = emulator.demo
        assert organization is not None, "a demo-seeded emulator has its organization"
        console.print(
            f"Emulator at [bold]{emulator.endpoint_url}[/bold]: organization {organization.organization_id}, "
            f"{len(organization.accounts)} accounts, regions {', '.join(organization.regions)}"
        )
        counts, reports = anyio.run(scan_organization, emulator.endpoint_url, organization, output, console)
    finally:
        emulator.stop()
    check_ids = [choice.check.id for choice in demo_checks()]
    console.print(summary_table(counts, check_ids, title="Demo organization: evaluations per check"))
    failures = [failure for report in reports for failure in report.all_failures]
    if failures:
        console.print(failures_table(failures))
    console.print(f"{counts.total} evaluations written to [bold]{output.resolve()}[/bold]")
    log.info("demo finished", evaluations=counts.total, output=str(output.resolve()), failures=len(failures))
    return 0 if not failures else 3
