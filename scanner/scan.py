"""A periodic scan of the caller's account: targets, checks, outputs and the exit code."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import TextIO

import aioboto3
import anyio
import structlog

from scanner.aws.clients import AwsClients, AwsSettings, Credentials
from scanner.aws.retry import RetryPolicy
from scanner.errors import AwsError, UsageError
from scanner.model import Target
from scanner.orchestrator import EvaluationSink, Failure, SelectedCheck, TargetOutcome, scan_targets
from scanner.outputs.jsonl import CountingSink, JsonLinesSink, TeeSink

log = structlog.get_logger("cloudsweep.scan")

EXIT_OK = 0
EXIT_NON_COMPLIANT = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
DEFAULT_GLOBAL_REGION = "us-east-1"


class FailOn(Enum):
    NONCOMPLIANT = "noncompliant"
    NEVER = "never"


def parse_regions(value: str | None) -> tuple[str, ...]:
    if not value:
        ambient = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_GLOBAL_REGION
        return (ambient,)
    regions = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    invalid = [region for region in regions if not _REGION.match(region)]
    if invalid or not regions:
        raise UsageError(f"--regions: not region names: {', '.join(invalid) or value!r} (e.g. us-east-1,eu-west-1)")
    return regions


def default_global_region(regions: Sequence[str]) -> str:
    """Where AWS Config records global resources (IAM) unless told otherwise: the partition's home region."""
    first = regions[0]
    if first.startswith("cn-"):
        return "cn-north-1"
    if first.startswith("us-gov-"):
        return "us-gov-west-1"
    return DEFAULT_GLOBAL_REGION


@dataclass(frozen=True)
class ScanRequest:
    regions: tuple[str, ...]
    checks: tuple[SelectedCheck, ...]
    output: Path | None = None
    endpoint_url: str | None = None
    fail_on: FailOn = FailOn.NONCOMPLIANT
    now: datetime | None = None
    # None: the ambient credentials (environment, profile, instance role).
    credentials: Credentials | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Where global resources are read; scanned for them alone when not among `regions`.
    global_region: str | None = None

    @property
    def effective_global_region(self) -> str:
        return self.global_region or default_global_region(self.regions)


@dataclass
class ScanReport:
    account_id: str | None
    started: datetime
    outcomes: list[TargetOutcome] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    counts: CountingSink = field(default_factory=CountingSink)

    @property
    def all_failures(self) -> list[Failure]:
        return self.failures + [failure for outcome in self.outcomes for failure in outcome.failures]

    def exit_code(self, fail_on: FailOn) -> int:
        if self.all_failures:
            return EXIT_INCOMPLETE
        if fail_on is FailOn.NONCOMPLIANT and self.counts.any_non_compliant():
            return EXIT_NON_COMPLIANT
        return EXIT_OK


@contextlib.contextmanager
def _output_stream(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        stream = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write --output {path}: {exc.strerror}") from exc
    with stream:
        yield stream


async def caller_account(clients: AwsClients, region: str) -> str:
    sts = await clients.client("sts", region)
    identity = await clients.call(sts, "get_caller_identity", account_id=None, region=region)
    return str(identity["Account"])


def _session(credentials: Credentials | None) -> aioboto3.Session:
    if credentials is None:
        return aioboto3.Session()
    return aioboto3.Session(
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
    )


async def scan_account(request: ScanRequest, sink: EvaluationSink) -> ScanReport:
    """Scan the account of the credentials (ambient unless given) in every requested region."""
    started = request.now or datetime.now(UTC)
    report = ScanReport(account_id=None, started=started)
    settings = AwsSettings(endpoint_url=request.endpoint_url, retry=request.retry)
    async with AwsClients(settings, _session(request.credentials)) as clients:
        try:
            report.account_id = await caller_account(clients, request.regions[0])
        except AwsError as error:
            report.failures.append(
                Failure("unknown", request.regions[0], "caller identity", error.code, error.message, ("every check",))
            )
            log.error("cannot tell which account the credentials belong to", error_code=error.code, error=error.message)
            return report
        targets = [Target(report.account_id, region) for region in request.regions]
        global_target = Target(report.account_id, request.effective_global_region)
        global_only = frozenset() if global_target in targets else frozenset({global_target})
        targets += list(global_only)
        log.info(
            "scan started",
            account_id=report.account_id,
            regions=list(request.regions),
            checks=[choice.check.id for choice in request.checks],
        )
        report.outcomes = await scan_targets(
            targets,
            request.checks,
            clients,
            TeeSink([sink, report.counts]),
            started,
            global_region=request.effective_global_region,
            global_only=global_only,
        )
        log.info(
            "scan finished",
            account_id=report.account_id,
            evaluations=report.counts.total,
            failures=len(report.all_failures),
            api_calls=clients.calls,
        )
    return report


def run_scan(request: ScanRequest) -> ScanReport:
    """The CLI's scan: evaluations as JSON lines to `request.output` (or stdout), as they are made."""
    with _output_stream(request.output) as stream:
        return anyio.run(scan_account, request, JsonLinesSink(stream))
