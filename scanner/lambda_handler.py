"""The Lambda entry point, `scanner.lambda_handler.handler(event, context)`: an AWS Config rule event, or a whole
scheduled scan.

- A rule event (its `invokingEvent`) runs the rule runtime's AWS backend (`scanner.rules.aws_config`).
- An EventBridge schedule (`detail-type: Scheduled Event`) or a Step Functions Distributed Map item (`accounts`)
  runs a whole `cloudsweep scan`, configured by CLOUDSWEEP_SCAN_ARGS, its outputs written under CLOUDSWEEP_OUTPUT_S3
  (`scanner.runner.scan_to_s3`). That path imports the runner and the options on its first call only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import anyio

from scanner.aws.clients import AwsSettings
from scanner.errors import EventError, RuleRuntimeError, UsageError
from scanner.logs import configure_function_logging
from scanner.plugins import checks_dirs_from
from scanner.registry import Cloud
from scanner.rules.aws_config import handle
from scanner.rules.runtime import rule_registry

SCAN_ARGUMENTS_ENVIRONMENT = "CLOUDSWEEP_SCAN_ARGS"
OUTPUT_ENVIRONMENT = "CLOUDSWEEP_OUTPUT_S3"


def is_scan_event(event: Any) -> bool:
    return isinstance(event, Mapping) and (event.get("detail-type") == "Scheduled Event" or "accounts" in event)


def _s3_location(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or len(url) <= len("s3://"):
        raise EventError(OUTPUT_ENVIRONMENT, f"must be s3://bucket/prefix, got {url!r}")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    return bucket, prefix.strip("/")


def _accounts_payload(event: Mapping[str, Any]) -> tuple[Any, ...]:
    from scanner.scan.targets import Account

    raw = event.get("accounts")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise EventError("accounts", "must be a non-empty list of account ids or {account_id, role, ...} objects")
    accounts = []
    for index, entry in enumerate(raw):
        try:
            if isinstance(entry, str):
                accounts.append(Account(entry))
            elif isinstance(entry, Mapping):
                accounts.append(
                    Account(
                        str(entry.get("account_id") or entry.get("Id") or ""),
                        name=entry.get("name") or entry.get("Name"),
                        role=entry.get("role"),
                        external_id=entry.get("external_id"),
                    )
                )
            else:
                raise EventError(f"accounts[{index}]", "must be an account id or an object")
        except UsageError as exc:
            raise EventError(f"accounts[{index}]", str(exc)) from exc
    return tuple(accounts)


async def run_scheduled_scan(event: Mapping[str, Any], environment: Mapping[str, str]) -> dict[str, Any]:
    """A whole `cloudsweep scan` configured by CLOUDSWEEP_SCAN_ARGS, its outputs written to CLOUDSWEEP_OUTPUT_S3."""
    import dataclasses
    import shlex

    from scanner.runner import scan_to_s3
    from scanner.scan.options import build_request, parse_scan_args

    output = environment.get(OUTPUT_ENVIRONMENT)
    if not output:
        raise EventError(OUTPUT_ENVIRONMENT, "is not set: a scheduled scan writes its results to S3")
    bucket, prefix = _s3_location(output)
    try:
        options = parse_scan_args(shlex.split(environment.get(SCAN_ARGUMENTS_ENVIRONMENT, "")))
        checks_dirs = tuple(options.get("checks_dirs") or ()) or checks_dirs_from(environment)
        options["checks_dirs"] = checks_dirs
        request = build_request(rule_registry(tuple(checks_dirs), Cloud.AWS), options, environment)
    except (UsageError, KeyError, ValueError) as exc:
        raise EventError(SCAN_ARGUMENTS_ENVIRONMENT, str(exc) or type(exc).__name__) from exc
    accounts = _accounts_payload(event)
    if accounts:
        request = dataclasses.replace(
            request, source=dataclasses.replace(request.source, accounts=accounts, organization=False)
        )
    settings = AwsSettings(endpoint_url=environment.get("AWS_ENDPOINT_URL"))
    report, url = await scan_to_s3(request, bucket, prefix, settings, environment.get("AWS_REGION") or "us-east-1")
    if report.all_failures:
        # Written, but incomplete: fail the invocation so the schedule's alarms and retries see it.
        first = report.all_failures[0]
        raise RuleRuntimeError(
            f"scan incomplete ({len(report.all_failures)} failures, first: {first.account_id} {first.region} "
            f"{first.what}: {first.code}); results so far in {url}"
        )
    return {
        "output": url,
        "evaluations": report.counts.total,
        "targets": len(report.outcomes),
        "failures": len(report.all_failures),
    }


def handler(event: Any, context: Any) -> dict[str, Any]:
    """The Lambda entry point: a Config rule event, or a scheduled scan (EventBridge, Step Functions)."""
    configure_function_logging(os.environ)
    if is_scan_event(event):
        return anyio.run(run_scheduled_scan, event, dict(os.environ))
    return anyio.run(handle, event)
