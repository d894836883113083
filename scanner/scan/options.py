"""From `cloudsweep scan` options to a ScanRequest; every mistake is a UsageError before any API call."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scanner.aws.config_evaluations import ResultTokens
from scanner.aws.limits import RateLimits
from scanner.errors import UsageError
from scanner.model import ACCOUNT_RESOURCE_TYPE
from scanner.mutelist import load_mutelist
from scanner.outputs.reports import OutputFormat, OutputSpec
from scanner.registry import CheckScope, Registry
from scanner.results import FailOn
from scanner.scan.orchestrator import SelectedCheck
from scanner.scan.request import AccountSource, ScanRequest, parse_regions
from scanner.scan.targets import Account, load_accounts_file, parse_tag_filter, shard_from_environment
from scanner.selection import load_params_file, merge_params, parse_param_options, select_checks


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
        role_name=options.get("role_name"),
        external_id=options.get("external_id"),
        session_seconds=int(options.get("session_duration") or 3600),
        output=jsonl_output,
        reports=reports,
        mutelist=mutelist,
        security_hub=bool(options.get("security_hub")) or bool(options.get("security_hub_account")),
        security_hub_account=_account_id(options.get("security_hub_account"), "--security-hub-account"),
        output_dir=options.get("output_dir"),
        endpoint_url=options.get("endpoint_url"),
        fail_on=FailOn(options.get("fail_on") or "noncompliant"),
        rates=RateLimits.parse(options.get("rate_options") or ()),
        max_concurrency=int(options.get("max_concurrency") or 64),
        target_concurrency=int(options.get("target_concurrency") or 8),
        max_targets=int(options.get("max_targets") or 16),
        global_region=global_region,
        home_region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        result_tokens=result_tokens,
        workers=int(options.get("workers") or 1),
        checks_dirs=tuple(options.get("checks_dirs") or ()),
        state_file=options.get("state_file"),
        target_timeout=float(options.get("target_timeout") or 900),
    )
    if request.workers > 1:
        from scanner.scan.workers import check_caps

        check_caps(request, request.workers)
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

    files = [("--output", path) for path in [request.output] if path is not None]
    files += [("--output", spec.path) for spec in request.reports]
    if request.state_file is not None:
        files.append(("--state", request.state_file))
    for what, path in files:
        if path.is_dir():
            raise UsageError(f"{what} {path} is a directory: give a file name")
        claim(path, what)
    for given in inputs:
        if given is not None and given.resolve() in outputs:
            raise UsageError(
                f"{outputs[given.resolve()]} {given} is also an input of the scan: it would be overwritten"
            )
    directory = request.output_dir
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
