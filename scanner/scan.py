"""A periodic scan: accounts, their regions, checks, outputs and the exit code.

Accounts come from the caller alone, a list, an accounts file or AWS Organizations; each is entered
through an assumed role (the caller's own account needs none). Accounts, and targets within them, run
concurrently under caps; a target's rate buckets and snapshot, and an account's credentials, are released as
soon as they are done, so memory does not grow with the number of accounts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import re
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import aioboto3
import anyio
import botocore.session
import structlog

from scanner.aws.clients import AwsClients, AwsSettings, CallContext, Credentials
from scanner.aws.credentials import DEFAULT_SESSION_SECONDS, CredentialBroker, RoleSpec, sts_fetcher
from scanner.aws.limits import RateLimits
from scanner.aws.retry import RetryPolicy
from scanner.errors import AwsError, CloudSweepError, OutputError, UsageError
from scanner.model import Target
from scanner.orchestrator import EvaluationSink, Failure, SelectedCheck, TargetOutcome, scan_target
from scanner.outputs.atomic import AtomicFile
from scanner.outputs.config_evaluations import ConfigEvaluationsSink, ResultTokens
from scanner.outputs.findings import ScanInfo
from scanner.outputs.jsonl import CountingSink, JsonLinesSink, TeeSink
from scanner.outputs.reports import OutputSpec, ReportsSink
from scanner.pacing import LoopPacer
from scanner.progress import ProgressListener, ScanProgress
from scanner.registry import Check, Severity

if TYPE_CHECKING:
    from scanner.mutelist import Mutelist
from scanner.state import ScanState, fingerprint
from scanner.targets import (
    Account,
    account_tags,
    enabled_regions,
    filter_accounts,
    organization_accounts,
    partition_of_arn,
    role_arn,
    select_shard,
)

log = structlog.get_logger("cloudsweep.scan")

EXIT_OK = 0
EXIT_NON_COMPLIANT = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
DEFAULT_GLOBAL_REGION = "us-east-1"
ALL_REGIONS = "all"


class FailOn(Enum):
    """What makes a scan exit 1 (a scan that could not read everything exits 3 whatever this says)."""

    NONCOMPLIANT = "noncompliant"  # any NON_COMPLIANT a mutelist does not suppress
    CRITICAL = "critical"  # ... of a critical check
    HIGH = "high"  # ... of a high or critical check
    ERROR = "error"  # none: only failures fail (exit 3)
    NEVER = "never"  # the same as error, kept for earlier scripts

    def fails(self, failing_checks: Iterable[str], severities: Mapping[str, Severity]) -> bool:
        if self is FailOn.NONCOMPLIANT:
            return any(True for _ in failing_checks)
        if self in (FailOn.CRITICAL, FailOn.HIGH):
            wanted = {Severity.CRITICAL} if self is FailOn.CRITICAL else {Severity.CRITICAL, Severity.HIGH}
            return any(severities.get(check) in wanted for check in failing_checks)
        return False


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
class ScanRequest:
    checks: tuple[SelectedCheck, ...]
    regions: tuple[str, ...] | None = ("us-east-1",)  # None: every region enabled for each account
    source: AccountSource = field(default_factory=AccountSource)
    role_name: str | None = None
    external_id: str | None = field(default=None, repr=False)
    session_seconds: int = DEFAULT_SESSION_SECONDS
    output: Path | None = None
    output_dir: Path | None = None
    endpoint_url: str | None = None
    fail_on: FailOn = FailOn.NONCOMPLIANT
    now: datetime | None = None
    # None: the ambient credentials (environment, profile, instance role).
    credentials: Credentials | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rates: RateLimits = field(default_factory=RateLimits)
    max_concurrency: int = 64
    target_concurrency: int = 8
    max_targets: int = 16
    # Where global resources are read; scanned for them alone when not among an account's regions.
    global_region: str | None = None
    # With `regions=None` (all): where the caller's own calls go (identity, AssumeRole, Organizations).
    home_region: str = DEFAULT_GLOBAL_REGION
    # Seconds before expiry to refresh assumed roles; None: scaled to the session length.
    refresh_before: float | None = None
    # PutEvaluations into each scanned account with these rules' result tokens; empty: put nothing.
    result_tokens: ResultTokens = field(default_factory=ResultTokens)
    # Processes the accounts are dealt to (`scanner.workers`); 1: this process alone.
    workers: int = 1
    # `--checks-dir` directories the checks came from: workers load them again before reading their job.
    checks_dirs: tuple[Path, ...] = ()
    # botocore event handlers (event name, handler) on every AWS session: see every real call (tests, audits).
    # In this process only: a scan with workers > 1 refuses them.
    event_hooks: tuple[tuple[str, Callable[..., Any]], ...] = ()
    # `--output [FORMAT:]PATH` reports (scanner.outputs.reports), written by run_scan.
    reports: tuple[OutputSpec, ...] = ()
    # Suppressions (`--mutelist`): marked in every output, ignored by --fail-on.
    mutelist: Mutelist | None = None
    # `--security-hub`: import findings (scanner.outputs.security_hub); into this account alone when set.
    security_hub: bool = False
    security_hub_account: str | None = None
    # The run's id in every report and Security Hub finding (run_scan sets one; workers inherit it).
    scan_id: str | None = None
    # `--state FILE`: finished targets recorded durably; a rerun resumes (scanner.state). Not with workers.
    state_file: Path | None = None
    # Seconds one target may take before it is abandoned as a failure (None: no limit).
    target_timeout: float | None = 900.0
    # SIGINT/SIGTERM: stop starting targets, give those in flight this long, then cancel them (CLI scans only).
    handle_signals: bool = False
    stop_grace_seconds: float = 10.0


@dataclass
class ScanReport:
    caller_account: str | None
    started: datetime
    # The signal that stopped the scan (SIGINT, SIGTERM), if one did.
    interrupted: int | None = None
    outcomes: list[TargetOutcome] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    counts: CountingSink = field(default_factory=CountingSink)
    api_calls: int = 0
    retries: int = 0
    throttles: int = 0
    targets_total: int = 0

    @property
    def account_id(self) -> str | None:
        return self.caller_account

    @property
    def read_nothing(self) -> bool:
        """The scan failed before any target: the caller's identity, the organization, no account to scan."""
        return bool(self.failures) and not self.outcomes and self.counts.total == 0

    @property
    def all_failures(self) -> list[Failure]:
        return self.failures + [failure for outcome in self.outcomes for failure in outcome.failures]

    def exit_code(self, fail_on: FailOn, severities: Mapping[str, Severity] | None = None) -> int:
        """3 when something could not be read; 1 when `fail_on` finds an unsuppressed NON_COMPLIANT; else 0.

        `severities` (check id -> severity) is needed for --fail-on critical and high. A scan stopped by a signal
        exits 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), whatever it found.
        """
        if self.interrupted is not None:
            return 128 + self.interrupted
        if self.all_failures:
            return EXIT_INCOMPLETE
        if fail_on.fails(self.counts.failing_checks(), severities or {}):
            return EXIT_NON_COMPLIANT
        return EXIT_OK


def _ambient_session(credentials: Credentials | None) -> aioboto3.Session:
    if credentials is None:
        return aioboto3.Session()
    return aioboto3.Session(
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
    )


class Scan:
    """One scan run: resolves accounts and regions, enters each account, scans its targets.

    At most `max_targets` accounts are entered at once (their roles assumed, their credentials held), and at most
    `max_targets` targets scanned at once: memory follows those caps, not the number of accounts.
    """

    def __init__(
        self,
        request: ScanRequest,
        clients: AwsClients,
        sink: TeeSink,
        report: ScanReport,
        listener: ProgressListener | None = None,
        state: ScanState | None = None,
        replay_sink: EvaluationSink | None = None,
    ) -> None:
        self.request = request
        self.state = state
        # Where a resumed scan's recorded evaluations go: the local outputs and counts only. AWS Config and
        # Security Hub had them from the first run (and no account's role is assumed yet when they replay).
        self.replay_sink = replay_sink
        # Set by a signal: no target starts any more.
        self.stopping = False
        self.listener = listener
        self.clients = clients
        self.sink = sink
        self.report = report
        self.caller = ""
        self.partition = "aws"
        self.home_region = (request.regions or (request.home_region,))[0]
        self.global_region = global_region_of(request)
        self._accounts_at_once = anyio.CapacityLimiter(request.max_targets)
        self._targets = anyio.CapacityLimiter(request.max_targets)
        self._pacer = LoopPacer()
        self._broker = CredentialBroker(
            sts_fetcher(clients, self.global_region, CallContext(None, self.global_region)), request.refresh_before
        )

    @property
    def _caller_context(self) -> CallContext:
        return CallContext(self.caller or None, self.global_region)

    async def identify(self) -> None:
        """Who the caller is: its own account needs no role, and the partition names the roles' ARNs."""
        sts = await self.clients.control_client("sts", self.global_region)
        identity = await self.clients.call(sts, "get_caller_identity", context=CallContext(None, self.global_region))
        self.caller = str(identity["Account"])
        self.partition = partition_of_arn(str(identity["Arn"]))
        self.report.caller_account = self.caller

    async def run(self) -> None:
        await self.identify()
        accounts = await self.accounts()
        if self.state is not None:
            # Before anything is written: a replayed target must be one this scan would have scanned.
            regions_of = {account.account_id: account.regions or self.request.regions for account in accounts}
            self.state.verify_targets(regions_of, self.global_region)
        log.info(
            "scan started",
            account_id=self.caller,
            accounts=len(accounts),
            regions=list(self.request.regions) if self.request.regions else ALL_REGIONS,
            checks=[choice.check.id for choice in self.request.checks],
        )
        await self._replay_finished()
        async with anyio.create_task_group() as pacing:
            pacing.start_soon(self._pacer.measure)
            async with anyio.create_task_group() as group:
                for account in accounts:
                    group.start_soon(self._scan_account, account)
            pacing.cancel_scope.cancel()

    async def _replay_finished(self) -> None:
        """An interrupted run's finished targets, from --state: into the local outputs, in the order they finished."""
        if self.state is None or not self.state.finished or self.replay_sink is None:
            return
        self._planned(len(self.state.finished))
        for finished in self.state.finished.values():
            outcome = TargetOutcome(finished.target)
            for evaluation in finished.evaluations:
                await self.replay_sink.put(evaluation)
                outcome.counts[(evaluation.check, evaluation.compliance)] += 1
            self._finished(outcome)
        log.info("scan resumed", state=str(self.state.path), targets_done=len(self.state.finished))

    def stop(self) -> None:
        self.stopping = True

    async def accounts(self) -> list[Account]:
        """The accounts to scan: listed, or the organization's, filtered and sharded; every role checked."""
        source = self.request.source
        if source.caller_only:
            accounts = [Account(self.caller)]
        elif source.organization:
            accounts = await organization_accounts(self.clients, self._caller_context, source.ou)
        else:
            accounts = list(source.accounts)
        if source.tags and not source.organization and not any(account.tags for account in accounts):
            raise UsageError("--tag filters tagged accounts: use it with --org or an accounts file with tags")
        if source.tags and source.organization:
            accounts = [await account_tags(self.clients, self._caller_context, account) for account in accounts]
        accounts = filter_accounts(accounts, tags=source.tags, exclude=source.exclude)
        # An account listed twice is scanned once (two scans of it would give up its role while the other runs).
        unique = list({account.account_id: account for account in reversed(accounts)}.values())[::-1]
        if len(unique) != len(accounts):
            log.warning("accounts listed more than once are scanned once", listed=len(accounts), unique=len(unique))
            accounts = unique
        if not accounts:
            raise NoAccountsError(no_accounts_failure(source))
        if source.shard is not None:
            # An empty shard is no failure: the other shards hold the accounts.
            accounts = select_shard(accounts, *source.shard)
            if not accounts:
                log.warning("this shard has no account", shard=f"{source.shard[0]}/{source.shard[1]}")
        for account in accounts:
            # Every role must be usable before any account is entered: a bad one is the user's mistake (exit 2).
            self._role_spec(account)
        return accounts

    def _role_spec(self, account: Account) -> RoleSpec | None:
        if account.account_id == self.caller:
            return None
        role = account.role or self.request.role_name
        if not role:
            raise UsageError(
                f"account {account.account_id} needs a role: give --role-name or `role:` in the accounts file"
            )
        return RoleSpec(
            role_arn=role_arn(role, account.account_id, self.partition),
            session_name="cloudsweep",
            external_id=account.external_id or self.request.external_id,
            duration_seconds=self.request.session_seconds,
        )

    async def _enter(self, account: Account) -> None:
        """Make the clients sign for this account: the caller's own needs nothing, the others a role."""
        spec = self._role_spec(account)
        if spec is None:
            return
        credentials = await self._broker.credentials(account.account_id, spec)
        self.clients.use_credentials(account.account_id, credentials)

    def _fail_account(self, account: Account, regions: Sequence[str], what: str, error: AwsError) -> None:
        self._planned(len(regions))
        for region in regions:
            outcome = TargetOutcome(Target(account.account_id, region))
            outcome.failures.append(
                Failure(account.account_id, region, what, error.code, error.message, ("every check",))
            )
            self._finished(outcome)
        log.warning(
            "account failed",
            account_id=account.account_id,
            what=what,
            error_code=error.code,
            error=error.message,
        )

    async def _scan_account(self, account: Account) -> None:
        async with self._accounts_at_once:
            if self.stopping:
                planned = list(account.regions or self.request.regions or (ALL_REGIONS,))
                self._interrupted_before(account.account_id, planned)
                return
            try:
                await self._scan_entered_account(account)
            finally:
                await self._leave(account)

    async def _scan_entered_account(self, account: Account) -> None:
        planned = list(account.regions or self.request.regions or (ALL_REGIONS,))
        try:
            await self._enter(account)
        except AwsError as error:
            self._fail_account(account, planned, "assume role", _role_error(error))
            return
        except Exception as exc:  # noqa: BLE001  (one account's surprise must not end the others' scans)
            self._fail_account(account, planned, "assume role", _unexpected(exc, account.account_id))
            return
        try:
            regions = await self._regions(account)
        except AwsError as error:
            self._fail_account(account, planned, "enabled regions", error)
            return
        targets = [Target(account.account_id, region) for region in regions]
        global_target = Target(account.account_id, self.global_region)
        global_only = frozenset() if global_target in targets else frozenset({global_target})
        targets += list(global_only)
        if self.state is not None:
            # Replayed already (scan resumed): counted and written once.
            targets = [target for target in targets if target not in self.state.finished]
        self._planned(len(targets))
        async with anyio.create_task_group() as group:
            for target in targets:
                group.start_soon(self._scan_target, target, target in global_only)

    async def _leave(self, account: Account) -> None:
        if account.account_id != self.caller:
            await self.clients.forget_account(account.account_id)
            self._broker.forget(account.account_id)

    async def _regions(self, account: Account) -> tuple[str, ...]:
        if account.regions:
            return account.regions
        if self.request.regions is not None:
            return self.request.regions
        context = CallContext(account.account_id, self.global_region)
        return await enabled_regions(self.clients, context, account.account_id)

    def _interrupted_before(self, account_id: str, regions: Sequence[str]) -> None:
        finished = self.state.finished if self.state is not None else {}
        targets = [Target(account_id, region) for region in regions if Target(account_id, region) not in finished]
        self._planned(len(targets))
        for target in targets:
            self._interrupted(target)

    def _interrupted(self, target: Target, message: str = "the scan was stopped before this target started") -> None:
        """A target a signal stopped: a failure of this run (never recorded in --state), scanned by a resumed one."""
        outcome = TargetOutcome(target)
        outcome.failures.append(
            Failure(target.account_id, target.region, "target", "Interrupted", message, ("every check",))
        )
        self._finished(outcome)

    async def _scan_target(self, target: Target, global_only: bool) -> None:
        async with self._targets:
            if self.stopping:
                self._interrupted(target)
                return
            if self.listener is not None:
                self.listener.target_started(target)
            try:
                outcome = await self._scanned(target, global_only)
                # What the target made is put (by sinks that put) before it is closed, even after a failure.
                try:
                    outcome.failures.extend(await self.sink.finish_target(target))
                except Exception as exc:  # noqa: BLE001  (fails this target's outputs only)
                    error = _unexpected(exc, target.account_id)
                    outcome.failures.append(
                        Failure(
                            target.account_id, target.region, "outputs", error.code, error.message, ("every check",)
                        )
                    )
            except anyio.get_cancelled_exc_class():
                if self.stopping:
                    # Cut short by a signal: its results so far are in the outputs; the summary must say so.
                    self._interrupted(
                        target, "the scan was stopped while this target was read: its results are partial"
                    )
                raise
            finally:
                with anyio.CancelScope(shield=True):
                    await self.clients.close_target(target.account_id, target.region)
            self._finished(outcome)

    async def _scanned(self, target: Target, global_only: bool) -> TargetOutcome:
        try:
            # A hung endpoint must not hang the scan: each target has a deadline.
            with anyio.move_on_after(self.request.target_timeout) as deadline:
                return await scan_target(
                    target,
                    self.request.checks,
                    self.clients,
                    self.sink,
                    self.report.started,
                    in_global_region=target.region == self.global_region,
                    regional=not global_only,
                    pacer=self._pacer,
                )
            outcome = TargetOutcome(target)
            message = f"the target did not finish within {self.request.target_timeout:g} s; its results are partial"
            outcome.failures.append(
                Failure(target.account_id, target.region, "target", "TargetTimeout", message, ("every check",))
            )
            log.error(
                "target timed out", account_id=target.account_id, region=target.region, cancelled=deadline.cancel_called
            )
            return outcome
        except Exception as exc:  # noqa: BLE001  (fails this target only; cancellation still propagates)
            outcome = TargetOutcome(target)
            error = _unexpected(exc, target.account_id)
            outcome.failures.append(
                Failure(target.account_id, target.region, "target", error.code, error.message, ("every check",))
            )
            log.error("target failed", account_id=target.account_id, region=target.region, error=error.message)
            return outcome

    def _planned(self, count: int) -> None:
        self.report.targets_total += count
        if self.listener is not None:
            self.listener.targets_planned(count)

    def _finished(self, outcome: TargetOutcome) -> None:
        if self.state is not None:
            self.state.target_done(outcome.target, ok=not outcome.failures)
        self.report.outcomes.append(outcome)
        if self.listener is not None:
            self.listener.target_done(outcome)


class NoAccountsError(CloudSweepError):
    """The selection holds no account: a scan of zero accounts is never a success (exit 3)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def no_accounts_failure(source: AccountSource) -> Failure:
    """A scan of zero accounts is never a success: say which selection left none."""
    filters = ", ".join(
        name
        for name, used in (("--tag", source.tags), ("--exclude-accounts", source.exclude), ("--shard", source.shard))
        if used
    )
    if source.organization:
        where = f"organizational unit {source.ou}" if source.ou else "the organization"
        message = (
            f"no ACTIVE account of {where} is left after {filters}"
            if filters
            else f"{where} has no ACTIVE account, or the caller's account belongs to no organization"
        )
    else:
        message = (
            f"none of the {len(source.accounts)} accounts given is left after {filters}" if filters else "no account"
        )
    log.error("scan failed", error_code="NoAccounts", error=message)
    return Failure("-", "-", "accounts", "NoAccounts", f"nothing scanned: {message}", ("every check",))


def _unexpected(exc: BaseException, account_id: str) -> AwsError:
    detail = exc
    while isinstance(detail, BaseExceptionGroup) and detail.exceptions:
        detail = detail.exceptions[0]
    return AwsError("cloudsweep", "scan", type(detail).__name__, str(detail), account_id=account_id)


def _role_error(error: AwsError) -> AwsError:
    if error.code in ("AccessDenied", "AccessDeniedException"):
        return AwsError(
            error.service,
            error.operation,
            error.code,
            f"cannot assume the scan role: {error.message}",
            account_id=error.account_id,
            region=error.region,
        )
    return error


def _settings(request: ScanRequest) -> AwsSettings:
    return AwsSettings(
        endpoint_url=request.endpoint_url,
        retry=request.retry,
        rates=request.rates,
        max_concurrency=request.max_concurrency,
        target_concurrency=request.target_concurrency,
        event_hooks=request.event_hooks,
    )


async def resolve_accounts(request: ScanRequest) -> tuple[str, list[Account], int]:
    """The caller's account, the accounts a scan of `request` would enter (for splitting among workers), and how
    many API calls it took to know."""
    async with AwsClients(_settings(request), _ambient_session(request.credentials)) as clients:
        resolver = Scan(request, clients, TeeSink([]), ScanReport(caller_account=None, started=datetime.now(UTC)))
        await resolver.identify()
        accounts = await resolver.accounts()
        return resolver.caller, accounts, clients.calls


async def scan(
    request: ScanRequest,
    sink: EvaluationSink,
    listener: ProgressListener | None = None,
    state: ScanState | None = None,
) -> ScanReport:
    """Run a scan; evaluations go to `sink` as they are made, the report says what could not be done.

    With `state` (an open `--state` file), targets an earlier run finished are replayed, not scanned, and each
    target that finishes cleanly is recorded there.
    """
    started = state.now if state is not None else request.now or datetime.now(UTC)
    report = ScanReport(caller_account=None, started=started)
    async with AwsClients(_settings(request), _ambient_session(request.credentials)) as clients:
        try:
            sinks: list[EvaluationSink] = [sink, report.counts]
            replay = TeeSink([sink, report.counts]) if state is not None else None
            if state is not None:
                sinks.append(state)
            if request.result_tokens:
                sinks.append(ConfigEvaluationsSink(clients, request.result_tokens))
            if request.security_hub:
                sinks.append(_security_hub_sink(request, clients, started, lambda: report.caller_account))
            mutelist = request.mutelist
            suppress = (lambda evaluation: mutelist.match(evaluation, evaluation.resource_tags)) if mutelist else None
            run = Scan(request, clients, TeeSink(sinks, suppress), report, listener, state, replay)
            if request.handle_signals and threading.current_thread() is threading.main_thread():
                await _run_until_signalled(run, report, request.stop_grace_seconds)
            else:
                await run.run()
        except AwsError as error:
            report.failures.append(
                Failure("unknown", "-", error.operation, error.code, error.message, ("every check",))
            )
            log.error("scan failed", error_code=error.code, error=error.message)
        except NoAccountsError as error:
            report.failures.append(error.failure)
        finally:
            report.api_calls, report.retries, report.throttles = clients.calls, clients.retries, clients.throttles
    report.outcomes.sort(key=lambda outcome: (outcome.target.account_id, outcome.target.region))
    log.info(
        "scan finished",
        account_id=report.caller_account,
        evaluations=report.counts.total,
        failures=len(report.all_failures),
        api_calls=report.api_calls,
        retries=report.retries,
        throttles=report.throttles,
    )
    return report


async def _run_until_signalled(run: Scan, report: ScanReport, grace_seconds: float) -> None:
    """The scan, stopped by SIGINT or SIGTERM: no target starts after the signal, those in flight get
    `grace_seconds` to finish (their results are kept, and recorded in --state), then they are cancelled. A second
    signal cancels at once."""
    failure: list[Exception] = []
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                async for signum in signals:
                    if report.interrupted is None:
                        report.interrupted = int(signum)
                        run.stop()
                        log.warning(
                            "scan stopping",
                            signal=signal.Signals(signum).name,
                            grace_seconds=grace_seconds,
                        )
                        group.start_soon(cancel_after, grace_seconds)
                    else:
                        group.cancel_scope.cancel()

            async def cancel_after(seconds: float) -> None:
                await anyio.sleep(seconds)
                group.cancel_scope.cancel()

            group.start_soon(watch)
            try:
                await run.run()
            except Exception as exc:  # noqa: BLE001  (re-raised below, unwrapped)
                # Raised here, the scan's own error (a UsageError) would reach the caller wrapped in the task
                # group's ExceptionGroup: carry it out of the group as itself.
                failure.append(exc)
            group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    if report.interrupted is not None:
        done = sum(
            1 for outcome in report.outcomes if not any(failure.code == "Interrupted" for failure in outcome.failures)
        )
        message = f"stopped by {signal.Signals(report.interrupted).name}: {done} of {report.targets_total} targets done"
        report.failures.append(Failure("-", "-", "scan", "Interrupted", message, ("every check",)))


# Kept for callers that scan one account: the same as `scan`.
scan_account = scan


class ScanOutputs:
    """The local outputs of one scan: JSON lines (a file or stdout), the `--output` reports and the per-account
    files. Each file is written under a fresh temporary name; `commit` puts them in place when the scan is done,
    `abandon` (also on leaving the `with` block uncommitted) keeps every previous file as it was."""

    def __init__(self, request: ScanRequest) -> None:
        from scanner.outputs.files import AccountFilesSink

        self._output_dir = request.output_dir
        self._lines_file: AtomicFile | None = None
        self.lines: TextIO | None = None
        self.files: AccountFilesSink | None = None
        self.reports: ReportsSink | None = None
        self._done = False
        try:
            if request.output is not None:
                self._lines_file = AtomicFile(request.output)
                self.lines = self._lines_file.stream
            elif request.output_dir is None and not request.reports:
                self.lines = sys.stdout
            if request.output_dir is not None:
                self.files = AccountFilesSink(request.output_dir)
            if request.reports:
                self.reports = _reports_sink(request)
        except BaseException:
            self.abandon()
            raise

    def __enter__(self) -> ScanOutputs:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.abandon()

    def sinks(self) -> list[EvaluationSink]:
        sinks: list[EvaluationSink] = []
        if self.lines is not None:
            sinks.append(JsonLinesSink(self.lines))
        if self.files is not None:
            sinks.append(self.files)
        if self.reports is not None:
            sinks.append(self.reports)
        return sinks

    def commit(self, report: ScanReport) -> None:
        """Every output in place, the summary last; a file that cannot be written is a failure of the scan
        (named in the reports and the summary that could be written), its previous version kept."""
        self._done = True
        errors: list[OutputError] = []
        if self._lines_file is not None:
            try:
                self._lines_file.commit()
            except OutputError as error:
                errors.append(error)
        if self.files is not None:
            self.files.ensure_scanned(report.outcomes)
            errors += self.files.commit()
        report.failures += [output_failure(error) for error in errors]
        if self.reports is not None:
            failures = [dataclasses.asdict(failure) for failure in report.all_failures]
            report.failures += [output_failure(error) for error in self.reports.close(report.caller_account, failures)]
        if self._output_dir is not None:
            from scanner.outputs.files import write_summary

            try:
                write_summary(self._output_dir / "summary.json", report)
            except OutputError as error:
                report.failures.append(output_failure(error))

    def abandon(self) -> None:
        if self._done:
            return
        self._done = True
        if self._lines_file is not None:
            self._lines_file.abandon()
        if self.files is not None:
            self.files.abandon()
        if self.reports is not None:
            self.reports.abandon()


def output_failure(error: OutputError) -> Failure:
    """An output file the scan could not write, as a failure of the scan (exit 3)."""
    log.error("output not written", path=error.path, error=error.reason)
    return Failure("-", "-", "output", "OutputNotWritten", f"{error.path}: {error.reason}", ("every check",))


def run_scan(request: ScanRequest, progress: ScanProgress | None = None, log_level: str = "info") -> ScanReport:
    """The CLI's scan: JSON lines to `request.output` (stdout when nothing else is asked for), the `--output`
    reports, per-account files and their summary, put in place together at the end.

    A scan that failed before any target (the caller's identity, the organization, no account to scan) leaves
    every previous output file as it was; one that scanned writes its outputs, failures named in them."""
    now, scan_id = request.now or datetime.now(UTC), request.scan_id or str(uuid.uuid4())
    request = dataclasses.replace(request, scan_id=scan_id, now=now)
    state = _open_state(request, now, scan_id)
    if state is not None:
        # A resumed scan is the interrupted one: same start (every ordering timestamp) and id.
        request = dataclasses.replace(request, now=state.now, scan_id=state.scan_id)
    with contextlib.ExitStack() as stack:
        if state is not None:
            stack.callback(state.close)
        outputs = stack.enter_context(ScanOutputs(request))
        if request.workers > 1 and not request.source.caller_only:
            from scanner.workers import scan_in_workers

            report = anyio.run(scan_in_workers, request, request.workers, outputs, progress, log_level)
        else:
            sinks = outputs.sinks() + ([progress] if progress is not None else [])
            report = anyio.run(scan, request, TeeSink(sinks), progress, state)
        if report.read_nothing:
            outputs.abandon()
            kept = [str(path) for path in _output_paths(request)]
            if kept:
                log.warning("outputs left as they were: the scan failed before reading anything", outputs=kept)
        else:
            outputs.commit(report)
        if state is not None and report.interrupted is None and not report.all_failures:
            state.complete()
    return report


def _output_paths(request: ScanRequest) -> list[Path]:
    paths = [path for path in (request.output,) if path is not None] + [spec.path for spec in request.reports]
    if request.output_dir is not None:
        paths.append(request.output_dir)
    return paths


def _source_fingerprint(source: AccountSource) -> list[Any]:
    # Sorted: a frozenset's order changes from one process to the next.
    accounts = sorted(
        (
            [account.account_id, account.role, account.regions, sorted(account.tags.items())]
            for account in source.accounts
        ),
        key=repr,
    )
    return [accounts, source.organization, source.ou, sorted(source.tags), sorted(source.exclude), source.shard]


def _open_state(request: ScanRequest, now: datetime, scan_id: str) -> ScanState | None:
    if request.state_file is None:
        return None
    if request.workers > 1 and not request.source.caller_only:
        raise UsageError("--state records one process's targets: it does not go with --workers")
    # What decides the evaluations; a state file written under anything else is another scan's.
    parts = [
        [
            [choice.check.id, sorted((name, str(value)) for name, value in choice.params.items())]
            for choice in request.checks
        ],
        request.regions,
        _source_fingerprint(request.source),
        request.role_name,
        request.global_region,
        request.home_region,
        # Records are stored suppressed or not: another mutelist is another scan.
        repr(request.mutelist.entries) if request.mutelist is not None else None,
    ]
    checks = [choice.check.id for choice in request.checks]
    return ScanState.open(request.state_file, fingerprint(parts), now, scan_id, checks)


def _scan_info(request: ScanRequest, started: datetime) -> tuple[dict[str, Check], ScanInfo]:
    """What reports and Security Hub findings say of the scan: its checks by id, its id, start and version."""
    from importlib.metadata import version

    checks = {choice.check.id: choice.check for choice in request.checks}
    scan_id = request.scan_id or str(uuid.uuid4())
    return checks, ScanInfo(scan_id=scan_id, started=started, tool_version=version("cloudsweep"))


def _reports_sink(request: ScanRequest) -> ReportsSink:
    checks, info = _scan_info(request, request.now or datetime.now(UTC))
    return ReportsSink(request.reports, checks, info)


def _security_hub_sink(
    request: ScanRequest, clients: AwsClients, started: datetime, caller: Callable[[], str | None]
) -> EvaluationSink:
    from scanner.outputs.security_hub import SecurityHubSink

    checks, info = _scan_info(request, started)
    return SecurityHubSink(clients, checks, info, request.security_hub_account, now=started, caller=caller)
