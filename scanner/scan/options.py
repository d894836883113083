"""`cloudsweep scan`'s options: one table (`SCAN_OPTIONS`) that the CLI renders with click and `parse_scan_args`
reads with the standard library alone (the Lambda's CLOUDSWEEP_SCAN_ARGS, with no click or rich to import), then
`build_request` from the parsed values to a ScanRequest. Every mistake is a UsageError before any API call."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from scanner.aws.config_evaluations import ResultTokens
from scanner.aws.limits import RateLimits
from scanner.errors import UsageError
from scanner.model import ACCOUNT_RESOURCE_TYPE
from scanner.mutelist import load_mutelist
from scanner.outputs.reports import OutputFormat, OutputSpec
from scanner.registry import CheckScope, Registry, SelectedCheck
from scanner.results import FailOn
from scanner.scan.request import Access, AccountSource, Destinations, RunControl, ScanLimits, ScanRequest, parse_regions
from scanner.scan.targets import Account, load_accounts_file, parse_tag_filter, shard_from_environment
from scanner.selection import load_params_file, merge_params, parse_param_options, select_checks


class Kind(Enum):
    TEXT = "text"
    FLAG = "flag"
    INT = "int"
    FLOAT = "float"
    PATH = "path"
    CHOICE = "choice"


@dataclass(frozen=True)
class ScanOption:
    """One `cloudsweep scan` option: its flag, where its value goes, its type and bounds, its help."""

    flag: str
    dest: str
    help: str
    kind: Kind = Kind.TEXT
    multiple: bool = False
    default: Any = None
    bounds: tuple[float, float] | None = None
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    # For paths: whether an existing file / directory there is accepted.
    file_okay: bool = True
    dir_okay: bool = True


FAIL_ON_CHOICES = ("noncompliant", "critical", "high", "error", "never")

SCAN_OPTIONS: tuple[ScanOption, ...] = (
    ScanOption(
        "--regions",
        "regions",
        "Comma-separated regions, or `all` (each account's enabled regions). Default: AWS_REGION.",
    ),
    ScanOption(
        "--checks", "check_ids", "Comma-separated check ids (default: every check whose required parameters are given)."
    ),
    ScanOption("--params", "params_file", "JSON or YAML file: check id -> parameters.", Kind.PATH),
    ScanOption("--param", "param_options", "A parameter; repeatable.", multiple=True, metavar="CHECK.NAME=VALUE"),
    ScanOption("--accounts", "account_ids", "Comma-separated account ids to scan (default: the caller's account)."),
    ScanOption("--accounts-file", "accounts_file", "c7n-org accounts.yml: accounts, roles, regions, tags.", Kind.PATH),
    ScanOption("--org", "organization", "Every ACTIVE account of the AWS Organization.", Kind.FLAG),
    ScanOption("--ou", "ou", "With --org: only accounts in this organizational unit's subtree (ou-xxxx)."),
    ScanOption("--tag", "tag_filters", "Only accounts with this tag; repeatable.", multiple=True, metavar="KEY:VALUE"),
    ScanOption("--exclude-accounts", "exclude_accounts", "Comma-separated account ids to leave out."),
    ScanOption(
        "--role-name", "role_name", "Role to assume in each account other than the caller's (name or path/name)."
    ),
    ScanOption("--external-id", "external_id", "ExternalId for AssumeRole."),
    ScanOption("--session-duration", "session_duration", "Seconds.", Kind.INT, default=3600, bounds=(900, 43200)),
    ScanOption("--max-concurrency", "max_concurrency", "API calls in flight.", Kind.INT, default=64, bounds=(1, 1024)),
    ScanOption(
        "--target-concurrency", "target_concurrency", "Per account-region.", Kind.INT, default=8, bounds=(1, 256)
    ),
    ScanOption("--max-targets", "max_targets", "Account-regions at once.", Kind.INT, default=16, bounds=(1, 1024)),
    ScanOption(
        "--rate",
        "rate_options",
        "Calls per second per account, region and service.",
        multiple=True,
        metavar="SERVICE=N/s",
    ),
    ScanOption(
        "--shard",
        "shard",
        "I/N: only shard I (0-based) of N. Also from JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX "
        "with CLOUDSWEEP_SHARD_COUNT.",
    ),
    ScanOption(
        "--output",
        "output",
        "A report; repeatable. FORMAT is jsonl, json, csv, ocsf, asff or html, or comes from the suffix (.jsonl, "
        ".json, .csv, .ocsf.json, .asff.json, .html; others: jsonl). Default: JSON lines on stdout, unless "
        "--output-dir.",
        multiple=True,
        metavar="[FORMAT:]PATH",
    ),
    ScanOption(
        "--mutelist",
        "mutelist",
        "YAML suppressions: matching evaluations stay in every output, marked with the reason, and do not count "
        "for --fail-on.",
        Kind.PATH,
        dir_okay=False,
    ),
    ScanOption("--output-dir", "output_dir", "DIR/<account_id>.jsonl per account and DIR/summary.json.", Kind.PATH),
    ScanOption("--endpoint-url", "endpoint_url", "Send every AWS call here (an emulator); AWS_ENDPOINT_URL works too."),
    ScanOption(
        "--global-region",
        "global_region",
        "Where AWS Config records global resources (IAM); default us-east-1 (the partition's home region).",
    ),
    ScanOption(
        "--fail-on",
        "fail_on",
        "Exit 1 for an unsuppressed NON_COMPLIANT (of a critical / high-or-critical check); error, never: only "
        "an incomplete scan fails (exit 3).",
        Kind.CHOICE,
        default="noncompliant",
        choices=FAIL_ON_CHOICES,
    ),
    ScanOption(
        "--result-token",
        "result_tokens",
        "PutEvaluations into each scanned account with this rule's result token (CHECK=TOKEN: that check's "
        "evaluations only); repeatable.",
        multiple=True,
        metavar="[CHECK=]TOKEN",
    ),
    ScanOption(
        "--put-test-mode", "put_test_mode", "PutEvaluations with TestMode: checked by AWS, not recorded.", Kind.FLAG
    ),
    ScanOption(
        "--security-hub",
        "security_hub",
        "Import NON_COMPLIANT findings into each scanned account's Security Hub and resolve earlier ones now "
        "compliant.",
        Kind.FLAG,
    ),
    ScanOption(
        "--security-hub-account",
        "security_hub_account",
        "With --security-hub: import every finding into this (aggregation) account instead, with the caller's "
        "credentials.",
        metavar="ACCOUNT_ID",
    ),
    ScanOption(
        "--workers",
        "workers",
        "Processes the accounts are dealt to (one core each); the caps are shared among them.",
        Kind.INT,
        default=1,
        bounds=(1, 256),
    ),
    ScanOption(
        "--state",
        "state_file",
        "Record finished targets here (fsync'ed); rerun with the same file to resume a killed scan.",
        Kind.PATH,
        dir_okay=False,
    ),
    ScanOption(
        "--target-timeout",
        "target_timeout",
        "Seconds one account-region may take before it is abandoned as a failure.",
        Kind.FLOAT,
        default=900,
        bounds=(1, 86400),
    ),
    ScanOption(
        "--checks-dir",
        "checks_dirs",
        "Also load the checks in this directory's .py files (CHECK or CHECKS in each); repeatable. "
        "Default: CLOUDSWEEP_CHECKS_DIR.",
        Kind.PATH,
        multiple=True,
        file_okay=False,
    ),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print and exit: a usage error is ours to report
        raise UsageError(message)


def _number(option: ScanOption, convert: Callable[[str], float]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {option.kind.value}") from None
        low, high = option.bounds or (float("-inf"), float("inf"))
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not in the range {low:g}<=x<={high:g}")
        return value

    return parse


def _path(option: ScanOption) -> Callable[[str], Path]:
    def parse(text: str) -> Path:
        path = Path(text)
        if path.is_dir() and not option.dir_okay:
            raise argparse.ArgumentTypeError(f"{text!r} is a directory")
        if path.exists() and not path.is_dir() and not option.file_okay:
            raise argparse.ArgumentTypeError(f"{text!r} is a file")
        return path

    return parse


def _converter(option: ScanOption) -> Callable[[str], Any] | None:
    if option.kind is Kind.INT:
        return _number(option, int)
    if option.kind is Kind.FLOAT:
        return _number(option, float)
    if option.kind is Kind.PATH:
        return _path(option)
    return None


def parse_scan_args(argv: Sequence[str]) -> dict[str, Any]:
    """`cloudsweep scan` arguments to the option values the CLI would get (every dest of `SCAN_OPTIONS`); a
    mistake, or asking for help, is a UsageError."""
    parser = _Parser(prog="cloudsweep scan", add_help=False, allow_abbrev=False)
    for option in SCAN_OPTIONS:
        if option.kind is Kind.FLAG:
            parser.add_argument(option.flag, dest=option.dest, action="store_true")
            continue
        arguments: dict[str, Any] = {"dest": option.dest, "type": _converter(option)}
        if option.kind is Kind.CHOICE:
            arguments["choices"] = option.choices
        if option.multiple:
            parser.add_argument(option.flag, action="append", default=[], **arguments)
        else:
            parser.add_argument(option.flag, default=option.default, **arguments)
    if any(argument in ("-h", "--help") for argument in argv):
        raise UsageError("--help: a scan configuration that only asks for help is no configuration")
    values = vars(parser.parse_args(list(argv)))
    return {name: tuple(value) if isinstance(value, list) else value for name, value in values.items()}


def _ids(text: str | None, option: str) -> list[str]:
    ids = [part.strip() for part in (text or "").split(",") if part.strip()]
    for account_id in ids:
        if not (len(account_id) == 12 and account_id.isascii() and account_id.isdigit()):
            raise UsageError(f"{option}: {account_id!r} is not a 12-digit account id")
    return ids


def account_source(options: Mapping[str, Any], environ: Mapping[str, str]) -> AccountSource:
    listed = [Account(account_id) for account_id in _ids(options.get("account_ids"), "--accounts")]
    accounts_file: Path | None = options.get("accounts_file")
    if accounts_file is not None:
        listed += load_accounts_file(accounts_file)
    organization = bool(options.get("organization"))
    if organization and listed:
        raise UsageError("--org cannot be combined with --accounts or --accounts-file")
    if options.get("ou") and not organization:
        raise UsageError("--ou needs --org")
    if len({account.account_id for account in listed}) != len(listed):
        raise UsageError("an account is listed twice (--accounts and --accounts-file)")
    return AccountSource(
        accounts=tuple(listed),
        organization=organization,
        ou=options.get("ou"),
        tags=tuple(parse_tag_filter(text) for text in options.get("tag_filters") or ()),
        exclude=frozenset(_ids(options.get("exclude_accounts"), "--exclude-accounts")),
        shard=shard_from_environment(options.get("shard"), environ),
    )


def _one_rule_per_resource(checks: Sequence[SelectedCheck], tokens: ResultTokens) -> None:
    """A result token is one rule's: two checks putting the same resource under it would overwrite each other."""
    seen: dict[tuple[str, str], str] = {}
    for choice in checks:
        token = tokens.token_for(choice.check.id)
        if token is None:
            continue
        types = choice.check.resource_types if choice.check.scope is CheckScope.RESOURCE else (ACCOUNT_RESOURCE_TYPE,)
        for resource_type in types:
            other = seen.setdefault((token, resource_type), choice.check.id)
            if other != choice.check.id:
                raise UsageError(
                    f"--result-token: {other} and {choice.check.id} would put {resource_type} evaluations under one "
                    f"rule's token: give CHECK=TOKEN for each"
                )


def build_request(
    registry: Registry, options: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> ScanRequest:
    environ = os.environ if environ is None else environ
    params_file: Path | None = options.get("params_file")
    params = merge_params(
        registry,
        load_params_file(params_file) if params_file else {},
        parse_param_options(options.get("param_options") or ()),
    )
    check_ids: str | None = options.get("check_ids")
    names = [name.strip() for name in check_ids.split(",") if name.strip()] if check_ids else None
    global_region = options.get("global_region")
    if global_region:
        parsed = parse_regions(global_region)
        if parsed is None or len(parsed) != 1:
            raise UsageError("--global-region takes one region name")
        global_region = parsed[0]
    checks = tuple(select_checks(registry, names, params))
    jsonl_output, reports = _outputs(options.get("output"))
    mutelist_path = options.get("mutelist")
    mutelist = load_mutelist(Path(mutelist_path)) if mutelist_path else None
    result_tokens = ResultTokens.parse(
        options.get("result_tokens") or (),
        [choice.check.id for choice in checks],
        test_mode=bool(options.get("put_test_mode")),
    )
    if options.get("put_test_mode") and not result_tokens:
        raise UsageError("--put-test-mode needs --result-token")
    _one_rule_per_resource(checks, result_tokens)
    request = ScanRequest(
        checks=checks,
        regions=parse_regions(options.get("regions")),
        source=account_source(options, environ),
        global_region=global_region,
        home_region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        access=Access(
            role_name=options.get("role_name"),
            external_id=options.get("external_id"),
            session_seconds=int(options.get("session_duration") or 3600),
            endpoint_url=options.get("endpoint_url"),
        ),
        destinations=Destinations(
            output=jsonl_output,
            reports=reports,
            mutelist=mutelist,
            security_hub=bool(options.get("security_hub")) or bool(options.get("security_hub_account")),
            security_hub_account=_account_id(options.get("security_hub_account"), "--security-hub-account"),
            output_dir=options.get("output_dir"),
            fail_on=FailOn(options.get("fail_on") or "noncompliant"),
            result_tokens=result_tokens,
        ),
        limits=ScanLimits(
            rates=RateLimits.parse(options.get("rate_options") or ()),
            max_concurrency=int(options.get("max_concurrency") or 64),
            target_concurrency=int(options.get("target_concurrency") or 8),
            max_targets=int(options.get("max_targets") or 16),
            target_timeout=float(options.get("target_timeout") or 900),
        ),
        run=RunControl(
            workers=int(options.get("workers") or 1),
            checks_dirs=tuple(options.get("checks_dirs") or ()),
            state_file=options.get("state_file"),
        ),
    )
    if request.run.workers > 1:
        from scanner.scan.workers import check_caps

        check_caps(request, request.run.workers)
    check_paths(request, inputs=[options.get(name) for name in ("params_file", "accounts_file", "mutelist")])
    return request


def check_paths(request: ScanRequest, inputs: Sequence[Path | None] = ()) -> None:
    """Outputs that would overwrite each other, the state file or an input, or that name a directory, are refused
    before any API call."""
    outputs: dict[Path, str] = {}

    def claim(path: Path, what: str) -> None:
        resolved = path.resolve()
        if resolved in outputs:
            raise UsageError(f"{what} {path} is also {outputs[resolved]}: give each its own file")
        outputs[resolved] = what

    files = [("--output", path) for path in [request.destinations.output] if path is not None]
    files += [("--output", spec.path) for spec in request.destinations.reports]
    if request.run.state_file is not None:
        files.append(("--state", request.run.state_file))
    for what, path in files:
        if path.is_dir():
            raise UsageError(f"{what} {path} is a directory: give a file name")
        claim(path, what)
    for given in inputs:
        if given is not None and given.resolve() in outputs:
            raise UsageError(
                f"{outputs[given.resolve()]} {given} is also an input of the scan: it would be overwritten"
            )
    directory = request.destinations.output_dir
    if directory is None:
        return
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--output-dir {directory} is not a directory")
    root = directory.resolve()
    for resolved, what in outputs.items():
        if resolved.parent == root and (
            resolved.name == "summary.json" or re.fullmatch(r"[0-9]{12}\.jsonl", resolved.name)
        ):
            raise UsageError(f"{what} {resolved} is a file --output-dir {directory} writes: name another")


def _outputs(given: Any) -> tuple[Path | None, tuple[OutputSpec, ...]]:
    """The first JSON lines output is streamed as the scan goes (and straight from workers); the rest are reports."""
    if given is None:
        return None, ()
    values = [given] if isinstance(given, str | Path) else list(given)
    specs = [OutputSpec.parse(str(value)) for value in values]
    paths = [spec.path.resolve() for spec in specs]
    if len(set(paths)) != len(paths):
        raise UsageError("--output: the same file is named twice")
    first_jsonl = next((spec for spec in specs if spec.format is OutputFormat.JSONL), None)
    return (first_jsonl.path if first_jsonl else None), tuple(spec for spec in specs if spec is not first_jsonl)


def _account_id(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{12}", value.strip()):
        raise UsageError(f"{option}: {value!r} is not a 12-digit account id")
    return value.strip()
