"""The `cloudsweep` command."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import structlog
from rich.console import Console

from scanner.errors import AwsError, UsageError
from scanner.logs import configure_logging
from scanner.registry import Cloud

if TYPE_CHECKING:
    from scanner.registry import Check, Registry
    from scanner.scan.options import ScanOption

log = structlog.get_logger("cloudsweep")

EXIT_USAGE = 2
EXIT_INCOMPLETE = 3

F = TypeVar("F", bound=Callable[..., Any])


def checks_dir_option(command: F) -> F:
    """`--checks-dir DIR`, repeatable; without it, CLOUDSWEEP_CHECKS_DIR (directories separated by the path
    separator; empty parts are ignored, never read as the current directory). The scan table's own entry."""
    from scanner.scan.options import SCAN_OPTIONS

    (option,) = [option for option in SCAN_OPTIONS if option.flag == "--checks-dir"]
    return _click_option(option)(command)


def scan_options(command: F) -> F:
    """`cloudsweep scan`'s options, from the table the Lambda parses too (scanner.scan.options)."""
    from scanner.scan.options import SCAN_OPTIONS

    for option in reversed(SCAN_OPTIONS):
        command = _click_option(option)(command)
    return command


def _click_option(option: ScanOption) -> Callable[[F], F]:
    """One row of the scan option table as a click option."""
    from scanner.scan.options import Kind

    settings: dict[str, Any] = {"help": option.help, "multiple": option.multiple}
    if option.metavar:
        settings["metavar"] = option.metavar
    if option.kind is Kind.FLAG:
        settings["is_flag"] = True
    elif option.kind in (Kind.INT, Kind.FLOAT):
        if option.bounds is None:
            settings["type"] = int if option.kind is Kind.INT else float
        elif option.kind is Kind.INT:
            settings["type"] = click.IntRange(int(option.bounds[0]), int(option.bounds[1]))
        else:
            settings["type"] = click.FloatRange(*option.bounds)
    elif option.kind is Kind.PATH:
        settings["type"] = click.Path(path_type=Path, file_okay=option.file_okay, dir_okay=option.dir_okay)
    elif option.kind is Kind.CHOICE:
        settings["type"] = click.Choice(option.choices)
    if option.default is not None:
        settings.update(default=option.default, show_default=True)
    decorator: Callable[[F], F] = click.option(option.flag, option.dest, **settings)
    return decorator


def _emulator_module(name: str) -> Any:
    """A module of the emulator distribution (cloudsweep-emulator), or a usage error saying how to install it."""
    import importlib

    try:
        return importlib.import_module(f"cloudsweep_emulator.{name}")
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in ("cloudsweep_emulator", "moto"):
            raise
        raise click.UsageError(
            "the emulator is not installed: it is a distribution of its own, for demos and tests "
            "(pip install ./emulator from a clone; make demo does it)"
        ) from exc


def checks_dirs_given(checks_dirs: tuple[Path, ...]) -> tuple[Path, ...]:
    from scanner.plugins import checks_dirs_from

    return checks_dirs or checks_dirs_from(os.environ)


def cloud_option(command: Any) -> Any:
    return click.option(
        "--cloud",
        type=click.Choice([cloud.value for cloud in Cloud]),
        default=Cloud.AWS.value,
        show_default=True,
        callback=lambda _context, _parameter, value: Cloud(value),
        help="Whose Config rules: AWS Config (Lambda) or Alibaba Cloud Config (Function Compute).",
    )(command)


def load_checks(checks_dirs: tuple[Path, ...], cloud: Cloud = Cloud.AWS) -> Registry:
    """The built-in checks, those of installed `cloudsweep.checks` entry points, and those in `checks_dirs`."""
    from scanner.plugins import load_registry

    try:
        return load_registry(checks_dirs_given(checks_dirs), cloud=cloud)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from exc


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
@cloud_option
def emulator(
    host: str, port: int, seed: str, latency_ms: int, throttle_rate: float, fault_seed: int, cloud: Cloud
) -> None:
    """Run the AWS emulator (moto plus cloudsweep's Config and fault layers) in the foreground; with
    --cloud alibaba, the local Alibaba Cloud Config endpoint and its demo account instead.

    The first line of standard output is `endpoint: http://HOST:PORT`.
    """
    if cloud is Cloud.ALIBABA:
        if host != "127.0.0.1" or throttle_rate or fault_seed:
            raise click.UsageError("--host, --throttle-rate and --fault-seed are the AWS emulator's options")
        _alibaba_endpoint(port, seed, latency_ms)
        return
    # The emulator is a distribution of its own (emulator/), for demos and tests: never a dependency.
    server = _emulator_module("server")

    options = server.EmulatorOptions(
        host=host,
        port=port,
        seed=seed,
        latency_ms=latency_ms,
        throttle_rate=throttle_rate,
        fault_seed=fault_seed,
    )
    try:
        running = server.Emulator(options).start()
    except server.EmulatorError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"endpoint: {running.endpoint_url}")
    sys.stdout.flush()
    log.info("emulator started", endpoint=running.endpoint_url, seed=seed)
    _wait_for_a_signal()
    running.stop()
    log.info("emulator stopped")


def _wait_for_a_signal() -> None:
    stopped = threading.Event()

    def stop(*_: Any) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stopped.wait()


def _alibaba_endpoint(port: int, seed: str, latency_ms: int) -> None:
    alibaba = _emulator_module("alibaba_config")

    endpoint = alibaba.AlibabaConfigEndpoint(
        {alibaba.DEMO_KEY_ID: (alibaba.DEMO_SECRET, None)},
        resources=alibaba.demo_resources() if seed == "demo" else (),
        latency=latency_ms / 1000,
        port=port,
        accept_any_token=True,
    )
    endpoint.start()  # a port in use: werkzeug says so and exits 1
    click.echo(f"endpoint: {endpoint.url}")
    # The demo account's key, made up for this endpoint alone: `invoke --cloud alibaba` reads it from these.
    key_id, secret = alibaba.DEMO_KEY_ID, alibaba.DEMO_SECRET
    click.echo(f"export ALIBABA_CLOUD_ACCESS_KEY_ID={key_id} ALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}")
    sys.stdout.flush()
    log.info("alibaba cloud config endpoint started", endpoint=endpoint.url, resources=len(endpoint.resources))
    try:
        _wait_for_a_signal()
    finally:
        endpoint.stop()
        accepted = sum(len(evaluations) for evaluations in endpoint.evaluations.values())
        log.info("alibaba cloud config endpoint stopped", evaluations_put=accepted)


@cli.command()
@click.option("--output", type=click.Path(path_type=Path), default=Path("cloudsweep-demo.jsonl"), show_default=True)
def demo(output: Path) -> None:
    """Start the emulator with its demo organization and scan every account with every built-in check."""
    sys.exit(_emulator_module("demo").run_demo(output=output))


@cli.command()
@scan_options
def scan(**options: Any) -> None:
    """Scan accounts (the caller's by default) in their regions with the selected checks.

    Exit codes: 0 complete; 1 an unsuppressed NON_COMPLIANT was found (as --fail-on says); 2 usage or parameter
    error; 3 incomplete (a role, region or read failed: every result that succeeded is still written); 130 / 143
    stopped by SIGINT / SIGTERM (outputs and --state written with what was done).
    """
    from scanner.outputs.summary import account_table, failures_table, summary_table, table_console
    from scanner.progress import ScanProgress
    from scanner.runner import run_scan
    from scanner.scan.options import build_request

    options["checks_dirs"] = checks_dirs_given(options["checks_dirs"])
    registry = load_checks(options["checks_dirs"])
    try:
        request = build_request(registry, options)
    except (UsageError, KeyError) as exc:
        raise click.UsageError(str(exc).strip("'\"")) from exc
    # The command line's scan stops cleanly on SIGINT/SIGTERM (outputs, summary and --state written).
    request = dataclasses.replace(request, run=dataclasses.replace(request.run, handle_signals=True))
    console = Console(stderr=True)
    try:
        with ScanProgress(console) as progress:
            report = run_scan(request, progress, click.get_current_context().find_root().params["log_level"])
    except UsageError as exc:
        raise click.UsageError(str(exc)) from exc
    except Exception as exc:
        log.error("scan aborted", error=f"{type(exc).__name__}: {exc}", exc_info=exc)
        sys.exit(EXIT_INCOMPLETE)
    tables = table_console(console)
    tables.print(summary_table(report.counts, [choice.check for choice in request.checks]))
    tables.print(account_table(report.counts))
    if report.all_failures:
        tables.print(failures_table(report.all_failures))
    severities = {choice.check.id: choice.check.severity for choice in request.checks}
    sys.exit(report.exit_code(request.destinations.fail_on, severities))


def _rule_parameters(check: Check, options: tuple[str, ...]) -> dict[str, str]:
    """Parameters as AWS Config passes them (strings): the check's demo ones, overridden by NAME=VALUE options."""
    parameters = dict(check.demo_parameters)
    for option in options:
        name, equals, value = option.partition("=")
        if not equals or not name:
            raise click.UsageError(f"--param {option!r}: expected NAME=VALUE")
        parameters[name] = value
    try:
        check.parameters.parse(check.id, parameters)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    return parameters


def _check_option(check_id: str, checks_dirs: tuple[Path, ...], cloud: Cloud = Cloud.AWS) -> Check:
    try:
        return load_checks(checks_dirs, cloud).get(check_id)
    except KeyError as exc:
        raise click.UsageError(str(exc)) from exc


@cli.command()
@click.argument("kind", type=click.Choice(["scheduled", "change"]))
@click.option("--check", "check_id", required=True, help="The check the rule runs.")
@click.option("--rule-name", help="The rule's name (default: the check id); the result token names it.")
@click.option(
    "--item",
    type=click.Path(path_type=Path),
    help="A configuration item for a change event (AWS: API or invocation model; Alibaba: the event's "
    "configurationItem). Default: an example item of the check's first resource type.",
)
@click.option(
    "--oversized",
    is_flag=True,
    help="AWS: an OversizedConfigurationItemChangeNotification; Alibaba: configurationType OVERSIZE, no configuration.",
)
@click.option("--account", help="Default: 123456789012 (AWS), 1812345678901234 (Alibaba Cloud).")
@click.option("--region", help="Default: us-east-1 (AWS), cn-hangzhou (Alibaba Cloud).")
@click.option("--param", "param_options", multiple=True, metavar="NAME=VALUE", help="A rule parameter; repeatable.")
@cloud_option
@checks_dir_option
def event(
    kind: str,
    check_id: str,
    rule_name: str | None,
    item: Path | None,
    oversized: bool,
    account: str | None,
    region: str | None,
    param_options: tuple[str, ...],
    cloud: Cloud,
    checks_dirs: tuple[Path, ...],
) -> None:
    """Print a realistic Config rule event (as `rdk sample-ci` and test-local would use)."""
    if cloud is Cloud.ALIBABA and rule_name:
        raise click.UsageError("--rule-name: an Alibaba Cloud Config event names no rule (the result token is opaque)")
    check = _check_option(check_id, checks_dirs, cloud)
    parameters = _rule_parameters(check, param_options)
    try:
        if cloud is Cloud.ALIBABA:
            from scanner.alibaba.tools import rule_event

            document = rule_event(kind, check, parameters, item, oversized=oversized, account=account, region=region)
        else:
            document = _aws_event(kind, check, rule_name or check.id, parameters, item, oversized, account, region)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(json.dumps(document, indent=2))


def _aws_event(
    kind: str,
    check: Check,
    name: str,
    parameters: dict[str, str],
    item: Path | None,
    oversized: bool,
    account: str | None,
    region: str | None,
) -> dict[str, Any]:
    from scanner.rule_tools import (
        DEFAULT_ACCOUNT,
        DEFAULT_REGION,
        change_event,
        load_item,
        sample_item,
        scheduled_event,
    )

    account = account or DEFAULT_ACCOUNT
    region = region or DEFAULT_REGION
    if kind == "scheduled":
        return scheduled_event(check, name, parameters, account, region)
    raw = load_item(item) if item else sample_item(check, account, region)
    return change_event(check, name, parameters, raw, oversized=oversized, account=account, region=region)


@cli.command()
@click.option("--event", "event_file", required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--endpoint-url",
    help="Send every API call here (an emulator). Default: AWS_ENDPOINT_URL (AWS), CLOUDSWEEP_ALIBABA_ENDPOINT "
    "(Alibaba Cloud).",
)
@click.option(
    "--check",
    "check_id",
    help="The check to run, as CLOUDSWEEP_CHECK would name it (AWS default: the rule name; Alibaba: required).",
)
@click.option(
    "--region",
    help="Alibaba Cloud: the function's region (context.region); default ALIBABA_CLOUD_REGION_ID, else cn-hangzhou.",
)
@cloud_option
@checks_dir_option
def invoke(
    event_file: Path,
    endpoint_url: str | None,
    check_id: str | None,
    region: str | None,
    cloud: Cloud,
    checks_dirs: tuple[Path, ...],
) -> None:
    """Run the rule handler (Lambda, or Function Compute with --cloud alibaba) locally on an event file.

    Exit 2: a bad event or rule configuration; 3: the invocation failed. Alibaba Cloud credentials come from
    ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN.
    """
    import anyio

    from scanner.errors import AlibabaError, EventError, RuleRuntimeError

    if region and cloud is not Cloud.ALIBABA:
        raise click.UsageError("--region is the Function Compute function's region: it goes with --cloud alibaba")
    from scanner.documents import load_json

    try:
        raw = event_file.read_bytes()
        # Bounded in depth: a deeply nested event is a usage error, not a RecursionError.
        document = load_json(raw)
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"{event_file} is not valid JSON: {exc}") from exc
    environment = dict(os.environ)
    if check_id:
        environment["CLOUDSWEEP_CHECK"] = check_id
    if checks_dirs:
        environment["CLOUDSWEEP_CHECKS_DIR"] = os.pathsep.join(str(directory) for directory in checks_dirs)
    try:
        if cloud is Cloud.ALIBABA:
            from scanner.alibaba.config_api import ENDPOINT_ENVIRONMENT, AlibabaCredentials
            from scanner.rules.alibaba_config import handle as handle_alibaba

            if endpoint_url:
                environment[ENDPOINT_ENVIRONMENT] = endpoint_url
            credentials = AlibabaCredentials.from_environment(environment)
            function_region = region or environment.get("ALIBABA_CLOUD_REGION_ID") or "cn-hangzhou"
            # Function Compute hands the handler the event's bytes.
            summary = anyio.run(handle_alibaba, raw, credentials, function_region, environment)
        else:
            from scanner.rules.aws_config import handle

            if endpoint_url:
                environment["AWS_ENDPOINT_URL"] = endpoint_url
            summary = anyio.run(handle, document, environment)
    except (EventError, UsageError) as exc:
        raise click.UsageError(str(exc)) from exc
    except (RuleRuntimeError, AwsError, AlibabaError) as exc:
        log.error("invocation failed", error=str(exc))
        sys.exit(EXIT_INCOMPLETE)
    except Exception as exc:
        log.error("invocation crashed", error=f"{type(exc).__name__}: {exc}", exc_info=exc)
        sys.exit(EXIT_INCOMPLETE)
    click.echo(json.dumps(summary, indent=2))


@cli.command("rule-json")
@click.option("--check", "check_id", required=True)
@click.option(
    "--function-arn",
    required=True,
    help="The Lambda function's ARN (AWS) or the Function Compute function's (acs:fc:...; Alibaba Cloud).",
)
@click.option(
    "--periodic", type=click.Choice(["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"])
)
@click.option("--rule-name", help="Default: the check id.")
@click.option("--param", "param_options", multiple=True, metavar="NAME=VALUE", help="A rule parameter; repeatable.")
@click.option(
    "--command", "as_command", is_flag=True, help="Alibaba Cloud: print an `aliyun config CreateConfigRule` command."
)
@cloud_option
@checks_dir_option
def rule_json(
    check_id: str,
    function_arn: str,
    periodic: str | None,
    rule_name: str | None,
    param_options: tuple[str, ...],
    as_command: bool,
    cloud: Cloud,
    checks_dirs: tuple[Path, ...],
) -> None:
    """Print the rule definition for a check: `aws configservice put-config-rule`'s document, or Alibaba Cloud
    Config's CreateConfigRule parameters (--cloud alibaba)."""
    if as_command and cloud is not Cloud.ALIBABA:
        raise click.UsageError("--command prints an aliyun command: it goes with --cloud alibaba")
    check = _check_option(check_id, checks_dirs, cloud)
    parameters = _rule_parameters(check, param_options)
    if cloud is Cloud.ALIBABA:
        from scanner.alibaba.tools import create_rule_command, rule_request

        try:
            request = rule_request(check, function_arn, parameters, rule_name=rule_name, periodic=periodic)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from exc
        click.echo(create_rule_command(request) if as_command else json.dumps(request, indent=2))
        return
    from scanner.rule_tools import rule_document

    click.echo(
        json.dumps(rule_document(check, function_arn, parameters, rule_name=rule_name, periodic=periodic), indent=2)
    )


@cli.command()
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--fail-on-new", is_flag=True, help="Exit 1 when NEW has a finding OLD did not.")
def diff(old: Path, new: Path, output_format: str, fail_on_new: bool) -> None:
    """What changed between two scans' outputs (JSON lines or JSON documents): new, resolved, gone, unchanged
    and suppressed non-compliant findings, for periodic runs that report only the changes."""
    from scanner.diff import diff_document, diff_files, render_diff_text
    from scanner.text import terminal_safe

    try:
        result = diff_files(old, new)
    except UsageError as exc:
        # The message quotes the file's values.
        raise click.UsageError(terminal_safe(str(exc))) from exc
    if output_format == "json":
        click.echo(json.dumps(diff_document(result), indent=2))
    else:
        click.echo(render_diff_text(result))
    sys.exit(1 if fail_on_new and result.new else 0)


@cli.command("iam-policy")
@click.option("--checks", "check_ids", help="Comma-separated check ids (default: every check).")
@click.option("--role-name", default="CloudSweepAudit", show_default=True, help="The scan role's name.")
@click.option("--external-id", is_flag=True, help="The role's trust policy requires an ExternalId (a parameter).")
@click.option("--all-regions", is_flag=True, help="The scan uses --regions all (ec2:DescribeRegions).")
@click.option("--put-evaluations", is_flag=True, help="The scan uses --result-token (config:PutEvaluations).")
@click.option("--lambda-rule", is_flag=True, help="The checks run as AWS Config rules on Lambda.")
@click.option("--org", "organization", is_flag=True, help="The caller lists the organization's accounts (--org).")
@click.option("--ou", "organizational_unit", is_flag=True, help="The caller walks an OU's subtree (--ou).")
@click.option("--tag", "account_tags", is_flag=True, help="The caller reads account tags (--tag).")
@click.option("--security-hub", is_flag=True, help="The scan imports findings into each account (--security-hub).")
@click.option(
    "--security-hub-aggregation",
    is_flag=True,
    help="The scan imports every finding into the caller's account (--security-hub-account).",
)
@click.option(
    "--session-duration",
    "session_seconds",
    type=click.IntRange(900, 43200),
    default=3600,
    show_default=True,
    help="The scan's --session-duration: the role's MaxSessionDuration allows it.",
)
@click.option(
    "--results-location",
    metavar="s3://BUCKET/PREFIX",
    help="Where a scheduled Lambda scan writes (CLOUDSWEEP_OUTPUT_S3): the caller may put objects there.",
)
@click.option(
    "--output",
    "output",
    type=click.Choice(["all", "policy", "caller", "cloudformation"]),
    default="all",
    show_default=True,
    help="policy: the scan role's policy (JSON); caller: the caller's (JSON); cloudformation: the role (YAML).",
)
@checks_dir_option
def iam_policy(check_ids: str | None, checks_dirs: tuple[Path, ...], output: str, **shape: Any) -> None:
    """Print the least-privilege IAM policies for a scan of these checks, and the scan role as CloudFormation.

    The caller's own account is scanned with the caller's credentials: give the caller the scan role's policy
    too, or leave its account out with --exclude-accounts.
    """
    from scanner.iam_policy import ScanShape, render

    registry = load_checks(checks_dirs)
    names = [name.strip() for name in check_ids.split(",") if name.strip()] if check_ids else None
    try:
        chosen = [registry.get(name) for name in names] if names else list(registry)
    except KeyError as exc:
        raise click.UsageError(str(exc)) from exc
    location = shape.get("results_location")
    if location and not re.fullmatch(r"s3://[^/]+(/.*)?", location):
        raise click.UsageError(f"--results-location: expected s3://BUCKET/PREFIX, got {location!r}")
    click.echo(render(chosen, ScanShape(**shape), output), nl=False)


@cli.group()
def checks() -> None:
    """The checks: built-in, from installed `cloudsweep.checks` entry points and from --checks-dir."""


@checks.command("list")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True
)
@cloud_option
@checks_dir_option
def checks_list(output_format: str, cloud: Cloud, checks_dirs: tuple[Path, ...]) -> None:
    """List the checks: a table, JSON (every field), or the Markdown catalogue docs/checks.md is made of."""
    from rich.table import Table

    from scanner.check_docs import checks_markdown

    registry = load_checks(checks_dirs, cloud)
    if output_format == "json":
        catalogue = [check.describe() | {"source": registry.source(check.id)} for check in registry]
        click.echo(json.dumps(catalogue, indent=2))
        return
    if output_format == "markdown":
        click.echo(checks_markdown(registry, cloud=cloud), nl=False)
        return
    table = Table(title=f"cloudsweep checks: {len(registry)} (cloudsweep checks describe ID for more)")
    table.add_column("id", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("resource types", overflow="fold")
    table.add_column("parameters (* required)", overflow="fold")
    table.add_column("CIS", overflow="fold")
    for check in registry:
        parameters = ", ".join(
            parameter["name"] + ("*" if parameter["required"] else "") for parameter in check.describe()["parameters"]
        )
        types = ", ".join(check.resource_types) or "AWS::::Account"
        table.add_row(check.id, check.severity.value, types, parameters, ", ".join(check.cis))
    Console(width=max(Console().width, 160)).print(table)


@checks.command("describe")
@click.argument("check_id")
@cloud_option
@checks_dir_option
def checks_describe(check_id: str, cloud: Cloud, checks_dirs: tuple[Path, ...]) -> None:
    """Everything about one check, as JSON."""
    check = _check_option(check_id, checks_dirs, cloud)
    click.echo(json.dumps(check.describe(), indent=2))


def main() -> None:
    cli(prog_name="cloudsweep")
