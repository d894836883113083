"""What a scan is asked to do: which accounts (`AccountSource`), regions and checks, under which limits, with
which destinations (`ScanRequest`); and how region names are read."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.session
import structlog

from scanner.aws.clients import Credentials
from scanner.aws.config_evaluations import ResultTokens
from scanner.aws.credentials import DEFAULT_SESSION_SECONDS
from scanner.aws.limits import RateLimits
from scanner.errors import UsageError
from scanner.outputs.reports import OutputSpec
from scanner.registry import SelectedCheck
from scanner.results import (
    FailOn,
)
from scanner.retrying import RetryPolicy
from scanner.scan.targets import Account

if TYPE_CHECKING:
    from scanner.mutelist import Mutelist

log = structlog.get_logger("cloudsweep.scan")


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


DEFAULT_GLOBAL_REGION = "us-east-1"


ALL_REGIONS = "all"


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore knows, in every partition: the names an explicit --regions may use."""
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in ("aws", "aws-cn", "aws-us-gov")
        for region in session.get_available_regions("ec2", partition_name=partition)
    )


def parse_regions(value: str | None) -> tuple[str, ...] | None:
    """Region names, or None for `all` (each account's enabled regions)."""
    if not value:
        ambient = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_GLOBAL_REGION
        return (ambient,)
    if value.strip() == ALL_REGIONS:
        return None
    regions = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    known = known_regions()
    invalid = [region for region in regions if not _REGION.match(region) or region not in known]
    if invalid or not regions:
        raise UsageError(
            f"--regions: not region names: {', '.join(invalid) or value!r} (e.g. us-east-1,eu-west-1 or all)"
        )
    return regions


def default_global_region(region: str) -> str:
    """Where AWS Config records global resources (IAM) unless told otherwise: the partition's home region."""
    if region.startswith("cn-"):
        return "cn-north-1"
    if region.startswith("us-gov-"):
        return "us-gov-west-1"
    return DEFAULT_GLOBAL_REGION


def global_region_of(request: ScanRequest) -> str:
    """Where a scan reads global resources: `--global-region`, else the home region's partition's."""
    home_region = (request.regions or (request.home_region,))[0]
    return request.global_region or default_global_region(home_region)


@dataclass(frozen=True)
class AccountSource:
    """Which accounts to scan: the caller's alone by default."""

    accounts: tuple[Account, ...] = ()
    organization: bool = False
    ou: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    exclude: frozenset[str] = frozenset()
    shard: tuple[int, int] | None = None

    @property
    def caller_only(self) -> bool:
        return not self.accounts and not self.organization


@dataclass(frozen=True)
class Access:
    """How the scan reaches AWS: the credentials it starts from, the role it assumes, the endpoint it calls."""

    role_name: str | None = None
    external_id: str | None = field(default=None, repr=False)
    session_seconds: int = DEFAULT_SESSION_SECONDS
    # None: the ambient credentials (environment, profile, instance role).
    credentials: Credentials | None = field(default=None, repr=False)
    endpoint_url: str | None = None
    # Seconds before expiry to refresh assumed roles; None: scaled to the session length.
    refresh_before: float | None = None
    # botocore event handlers (event name, handler) on every AWS session: see every real call (tests, audits).
    # In this process only: a scan with workers > 1 refuses them.
    event_hooks: tuple[tuple[str, Callable[..., Any]], ...] = ()


@dataclass(frozen=True)
class ScanLimits:
    """How hard the scan may push: calls in flight, targets at once, pacing, retries, time per target."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rates: RateLimits = field(default_factory=RateLimits)
    max_concurrency: int = 64
    target_concurrency: int = 8
    max_targets: int = 16
    # Seconds one target may take before it is abandoned as a failure (None: no limit).
    target_timeout: float | None = 900.0


@dataclass(frozen=True)
class Destinations:
    """Where the results go, and how they are marked (mutelist) and judged (exit code): the runner's concern."""

    # JSON lines of every evaluation.
    output: Path | None = None
    output_dir: Path | None = None
    # `--output [FORMAT:]PATH` reports (scanner.outputs.reports).
    reports: tuple[OutputSpec, ...] = ()
    # PutEvaluations into each scanned account with these rules' result tokens; empty: put nothing.
    result_tokens: ResultTokens = field(default_factory=ResultTokens)
    # `--security-hub`: import findings (scanner.aws.security_hub); into this account alone when set.
    security_hub: bool = False
    security_hub_account: str | None = None
    # Suppressions (`--mutelist`): marked in every output, ignored by --fail-on.
    mutelist: Mutelist | None = None
    fail_on: FailOn = FailOn.NONCOMPLIANT


@dataclass(frozen=True)
class RunControl:
    """How this run is carried out: its id and clock, its processes, its state file and its signals."""

    # The run's id in every report and Security Hub finding (run_scan sets one; workers inherit it).
    scan_id: str | None = None
    # The scan's clock: evaluation times and the state file's run (None: now, when the scan starts).
    now: datetime | None = None
    # Processes the accounts are dealt to (`scanner.scan.workers`); 1: this process alone.
    workers: int = 1
    # `--checks-dir` directories the checks came from: workers load them again before reading their job.
    checks_dirs: tuple[Path, ...] = ()
    # `--state FILE`: finished targets recorded durably; a rerun resumes (scanner.scan.state). Not with workers.
    state_file: Path | None = None
    # SIGINT/SIGTERM: stop starting targets, give those in flight this long, then cancel them (CLI scans only).
    handle_signals: bool = False
    stop_grace_seconds: float = 10.0


@dataclass(frozen=True)
class ScanRequest:
    """What to scan (checks, regions, accounts), and how: access, limits, destinations and the run's control."""

    checks: tuple[SelectedCheck, ...]
    regions: tuple[str, ...] | None = ("us-east-1",)  # None: every region enabled for each account
    source: AccountSource = field(default_factory=AccountSource)
    # Where global resources are read; scanned for them alone when not among an account's regions.
    global_region: str | None = None
    # With `regions=None` (all): where the caller's own calls go (identity, AssumeRole, Organizations).
    home_region: str = DEFAULT_GLOBAL_REGION
    access: Access = field(default_factory=Access)
    limits: ScanLimits = field(default_factory=ScanLimits)
    destinations: Destinations = field(default_factory=Destinations)
    run: RunControl = field(default_factory=RunControl)
