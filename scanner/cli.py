"""The `cloudsweep` command."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click
import structlog
from rich.console import Console

from scanner.errors import UsageError
from scanner.logs import configure_logging

log = structlog.get_logger("cloudsweep")

EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warning", "error"]))
@click.version_option(package_name="cloudsweep")
def cli(log_level: str) -> None:
    """cloudsweep: compliance checks for AWS Config, across accounts and regions."""
    configure_logging(log_level)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--seed", default="demo", show_default=True, type=click.Choice(["demo", "none"]))
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(0, 60_000))
@click.option("--throttle-rate", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0))
@click.option("--fault-seed", default=0, show_default=True, type=int)
def emulator(host: str, port: int, seed: str, latency_ms: int, throttle_rate: float, fault_seed: int) -> None:
    """Run the AWS emulator (moto plus cloudsweep's Config and fault layers) in the foreground.

    The first line of standard output is `endpoint: http://HOST:PORT`.
    """
    # Imported here: the scanner itself never imports moto, only the emulator commands do.
    from scanner.emulator.server import Emulator, EmulatorError, EmulatorOptions

    options = EmulatorOptions(
        host=host,
        port=port,
        seed=seed,
        latency_ms=latency_ms,
        throttle_rate=throttle_rate,
        fault_seed=fault_seed,
    )
    try:
        running = Emulator(options).start()
    except EmulatorError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"endpoint: {running.endpoint_url}")
    sys.stdout.flush()
    log.info("emulator started", endpoint=running.endpoint_url, seed=seed)
    stopped = threading.Event()

    def stop(*_: Any) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stopped.wait()
    running.stop()
    log.info("emulator stopped")


@cli.command()
@click.option("--output", type=click.Path(path_type=Path), default=Path("cloudsweep-demo.jsonl"), show_default=True)
def demo(output: Path) -> None:
    """Start the emulator with its demo organization and scan every account with every built-in check."""
    from scanner.demo import run_demo

    sys.exit(run_demo(output=output))


@cli.command()
@click.option(
    "--regions", help="Comma-separated regions, or `all` (each account's enabled regions). Default: AWS_REGION."
)
@click.option(
    "--checks",
    "check_ids",
    help="Comma-separated check ids (default: every check whose required parameters are given).",
)
@click.option(
    "--params", "params_file", type=click.Path(path_type=Path), help="JSON or YAML file: check id -> parameters."
)
@click.option("--param", "param_options", multiple=True, metavar="CHECK.NAME=VALUE", help="A parameter; repeatable.")
@click.option("--accounts", "account_ids", help="Comma-separated account ids to scan (default: the caller's account).")
@click.option(
    "--accounts-file", type=click.Path(path_type=Path), help="c7n-org accounts.yml: accounts, roles, regions, tags."
)
@click.option("--org", "organization", is_flag=True, help="Every ACTIVE account of the AWS Organization.")
@click.option("--ou", help="With --org: only accounts in this organizational unit's subtree (ou-xxxx).")
@click.option(
    "--tag", "tag_filters", multiple=True, metavar="KEY:VALUE", help="Only accounts with this tag; repeatable."
)
@click.option("--exclude-accounts", help="Comma-separated account ids to leave out.")
@click.option("--role-name", help="Role to assume in each account other than the caller's (name or path/name).")
@click.option("--external-id", help="ExternalId for AssumeRole.")
@click.option("--session-duration", type=click.IntRange(900, 43200), default=3600, show_default=True, help="Seconds.")
@click.option(
    "--max-concurrency", type=click.IntRange(1, 1024), default=64, show_default=True, help="API calls in flight."
)
@click.option(
    "--target-concurrency", type=click.IntRange(1, 256), default=8, show_default=True, help="Per account-region."
)
@click.option(
    "--max-targets", type=click.IntRange(1, 1024), default=16, show_default=True, help="Account-regions at once."
)
@click.option(
    "--rate",
    "rate_options",
    multiple=True,
    metavar="SERVICE=N/s",
    help="Calls per second per account, region and service.",
)
@click.option(
    "--shard",
    help="I/N: only shard I (0-based) of N. Also from JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX "
    "with CLOUDSWEEP_SHARD_COUNT.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="All evaluations as JSON lines (default: stdout, unless --output-dir).",
)
@click.option(
    "--output-dir", type=click.Path(path_type=Path), help="DIR/<account_id>.jsonl per account and DIR/summary.json."
)
@click.option("--endpoint-url", help="Send every AWS call here (an emulator); AWS_ENDPOINT_URL works too.")
@click.option(
    "--global-region",
    help="Where AWS Config records global resources (IAM); default us-east-1 (the partition's home region).",
)
@click.option("--fail-on", type=click.Choice(["noncompliant", "never"]), default="noncompliant", show_default=True)
def scan(**options: Any) -> None:
    """Scan accounts (the caller's by default) in their regions with the selected checks.

    Exit codes: 0 complete; 1 a NON_COMPLIANT was found (with --fail-on noncompliant); 2 usage or parameter
    error; 3 incomplete (a role, region or read failed: every result that succeeded is still written).
    """
    from checks import BUILTIN
    from scanner.outputs.summary import failures_table, summary_table
    from scanner.progress import ScanProgress
    from scanner.scan import run_scan
    from scanner.scan_options import build_request

    try:
        request = build_request(BUILTIN, options)
    except (UsageError, KeyError) as exc:
        raise click.UsageError(str(exc).strip("'\"")) from exc
    console = Console(stderr=True)
    try:
        with ScanProgress(console) as progress:
            report = run_scan(request, progress)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from exc
    except Exception as exc:
        log.error("scan aborted", error=f"{type(exc).__name__}: {exc}", exc_info=exc)
        sys.exit(EXIT_INCOMPLETE)
    console.print(summary_table(report.counts, [choice.check.id for choice in request.checks]))
    if report.all_failures:
        console.print(failures_table(report.all_failures))
    sys.exit(report.exit_code(request.fail_on))


@cli.group()
def checks() -> None:
    """The built-in checks."""


@checks.command("list")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def checks_list(output_format: str) -> None:
    """List the checks with their severity, resource types and parameters."""
    from rich.table import Table

    from checks import BUILTIN

    if output_format == "json":
        click.echo(json.dumps([check.describe() for check in BUILTIN], indent=2))
        return
    table = Table(title="cloudsweep checks (cloudsweep checks describe ID for more)")
    table.add_column("id", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("resource types", overflow="fold")
    table.add_column("parameters (* required)", overflow="fold")
    for check in BUILTIN:
        described = check.describe()
        parameters = ", ".join(
            parameter["name"] + ("*" if parameter["required"] else "") for parameter in described["parameters"]
        )
        types = ", ".join(check.resource_types) or "AWS::::Account"
        table.add_row(check.id, check.severity.value, types, parameters)
    Console().print(table)


@checks.command("describe")
@click.argument("check_id")
def checks_describe(check_id: str) -> None:
    """Everything about one check, as JSON."""
    from checks import BUILTIN

    try:
        check = BUILTIN.get(check_id)
    except KeyError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(json.dumps(check.describe(), indent=2))


def main() -> None:
    cli(prog_name="cloudsweep")
