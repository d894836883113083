"""The scan engine: accounts, their regions and targets, run concurrently under caps into assembled sinks.

Accounts come from the caller alone, a list, an accounts file or AWS Organizations; each is entered
through an assumed role (the caller's own account needs none). Accounts, and targets within them, run
concurrently under caps; a target's rate buckets and snapshot, and an account's credentials, are released as
soon as they are done, so memory does not grow with the number of accounts. Sinks (outputs, AWS Config, Security
Hub, --state) are assembled by `scanner.runner`; the engine only puts evaluations into them.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

import aioboto3
import anyio
import structlog

from scanner.aws.clients import AwsClients, AwsSettings, CallContext, Credentials, sts_fetcher
from scanner.aws.credentials import CredentialBroker, RoleSpec
from scanner.errors import AwsError, CloudSweepError, UsageError
from scanner.model import Target
from scanner.outputs.jsonl import TeeSink
from scanner.results import (
    EvaluationSink,
    Failure,
    ScanReport,
    TargetOutcome,
)
from scanner.scan.orchestrator import scan_target
from scanner.scan.pacing import LoopPacer
from scanner.scan.progress import ProgressListener
from scanner.scan.request import ALL_REGIONS, AccountSource, ScanRequest, global_region_of
from scanner.scan.state import ScanState
from scanner.scan.targets import (
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


def ambient_session(credentials: Credentials | None) -> aioboto3.Session:
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
        self._accounts_at_once = anyio.CapacityLimiter(request.limits.max_targets)
        self._targets = anyio.CapacityLimiter(request.limits.max_targets)
        self._pacer = LoopPacer()
        self._broker = CredentialBroker(
            sts_fetcher(clients, self.global_region, CallContext(None, self.global_region)),
            request.access.refresh_before,
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
        role = account.role or self.request.access.role_name
        if not role:
            raise UsageError(
                f"account {account.account_id} needs a role: give --role-name or `role:` in the accounts file"
            )
        return RoleSpec(
            role_arn=role_arn(role, account.account_id, self.partition),
            session_name="cloudsweep",
            external_id=account.external_id or self.request.access.external_id,
            duration_seconds=self.request.access.session_seconds,
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
            with anyio.move_on_after(self.request.limits.target_timeout) as deadline:
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
            message = (
                f"the target did not finish within {self.request.limits.target_timeout:g} s; its results are partial"
            )
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


def aws_settings(request: ScanRequest) -> AwsSettings:
    return AwsSettings(
        endpoint_url=request.access.endpoint_url,
        retry=request.limits.retry,
        rates=request.limits.rates,
        max_concurrency=request.limits.max_concurrency,
        target_concurrency=request.limits.target_concurrency,
        event_hooks=request.access.event_hooks,
    )


async def resolve_accounts(request: ScanRequest) -> tuple[str, list[Account], int]:
    """The caller's account, the accounts a scan of `request` would enter (for splitting among workers), and how
    many API calls it took to know."""
    async with AwsClients(aws_settings(request), ambient_session(request.access.credentials)) as clients:
        resolver = Scan(request, clients, TeeSink([]), ScanReport(caller_account=None, started=datetime.now(UTC)))
        await resolver.identify()
        accounts = await resolver.accounts()
        return resolver.caller, accounts, clients.calls


async def run_engine(run: Scan, clients: AwsClients) -> ScanReport:
    """Run a scan whose sinks are assembled (`scanner.runner`): its report says what could not be done."""
    report = run.report
    request = run.request
    try:
        if request.run.handle_signals and threading.current_thread() is threading.main_thread():
            await _run_until_signalled(run, report, request.run.stop_grace_seconds)
        else:
            await run.run()
    except AwsError as error:
        report.failures.append(Failure("unknown", "-", error.operation, error.code, error.message, ("every check",)))
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
