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
@click.option("--regions", help="Comma-separated regions (default: AWS_REGION / AWS_DEFAULT_REGION, else us-east-1).")
@click.option(
    "--checks",
    "check_ids",
    help="Comma-separated check ids (default: every check whose required parameters are given).",
)
@click.option(
    "--params", "params_file", type=click.Path(path_type=Path), help="JSON or YAML file: check id -> parameters."
)
@click.option("--param", "param_options", multiple=True, metavar="CHECK.NAME=VALUE", help="A parameter; repeatable.")
@click.option(
    "--output", type=click.Path(path_type=Path), help="Write evaluations here as JSON lines (default: stdout)."
)
@click.option("--endpoint-url", help="Send every AWS call here (an emulator); AWS_ENDPOINT_URL works too.")
@click.option(
    "--global-region",
    help="Where AWS Config records global resources (IAM); default us-east-1 (the partition's home region).",
)
@click.option("--fail-on", type=click.Choice(["noncompliant", "never"]), default="noncompliant", show_default=True)
def scan(
    regions: str | None,
    check_ids: str | None,
    params_file: Path | None,
    param_options: tuple[str, ...],
    output: Path | None,
    endpoint_url: str | None,
    global_region: str | None,
    fail_on: str,
) -> None:
    """Scan the account of the ambient AWS credentials.

    Exit codes: 0 complete; 1 a NON_COMPLIANT was found (with --fail-on noncompliant); 2 usage or parameter
    error; 3 incomplete (some read failed: every result that succeeded is still written).
    """
    from checks import BUILTIN
    from scanner.outputs.summary import failures_table, summary_table
    from scanner.scan import FailOn, ScanRequest, parse_regions, run_scan
    from scanner.selection import load_params_file, merge_params, parse_param_options, select_checks

    try:
        params = merge_params(
            BUILTIN, load_params_file(params_file) if params_file else {}, parse_param_options(param_options)
        )
        names = [name.strip() for name in check_ids.split(",") if name.strip()] if check_ids else None
        selected = select_checks(BUILTIN, names, params)
        request = ScanRequest(
            regions=parse_regions(regions),
            checks=tuple(selected),
            output=output,
            endpoint_url=endpoint_url,
            fail_on=FailOn(fail_on),
            global_region=parse_regions(global_region)[0] if global_region else None,
        )
    except (UsageError, KeyError) as exc:
        raise click.UsageError(str(exc).strip("'\"")) from exc
    try:
        report = run_scan(request)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from exc
    except Exception as exc:
        log.error("scan aborted", error=f"{type(exc).__name__}: {exc}", exc_info=exc)
        sys.exit(EXIT_INCOMPLETE)
    console = Console(stderr=True)
    console.print(summary_table(report.counts, [choice.check.id for choice in selected]))
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
