"""The `cloudsweep` command."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import click
import structlog

from scanner.logs import configure_logging

log = structlog.get_logger("cloudsweep")

EXIT_OK = 0
EXIT_USAGE = 2


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
def demo() -> None:
    """Start the emulator with its demo organization and show what AWS Config sees in it."""
    from scanner.demo import run_demo

    run_demo()


def main() -> None:
    cli(prog_name="cloudsweep")
