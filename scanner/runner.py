"""The one place a scan's sinks are assembled: the local outputs (JSON lines, reports, per-account files and their
summary, written atomically, or to an S3 prefix), AWS Config evaluations, Security Hub findings and the --state file,
around the scan engine. The CLI, the Lambda's scheduled scan and each worker process run scans through here."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import anyio
import structlog

from scanner.aws.clients import AwsClients, AwsSettings
from scanner.aws.config_evaluations import ConfigEvaluationsSink
from scanner.errors import AwsError, OutputError, RuleRuntimeError, UsageError
from scanner.outputs.atomic import AtomicFile
from scanner.outputs.findings import ScanInfo
from scanner.outputs.jsonl import JsonLinesSink, TeeSink
from scanner.outputs.reports import ReportsSink
from scanner.registry import Check
from scanner.results import (
    EvaluationSink,
    Failure,
    ScanReport,
)
from scanner.scan.engine import Scan, ambient_session, aws_settings, run_engine
from scanner.scan.progress import ProgressListener, ProgressSink
from scanner.scan.request import AccountSource, Destinations, ScanRequest
from scanner.scan.state import ScanState, fingerprint

log = structlog.get_logger("cloudsweep.scan")


async def scan(
    request: ScanRequest,
    sink: EvaluationSink,
    listener: ProgressListener | None = None,
    state: ScanState | None = None,
) -> ScanReport:
    """Run a scan; evaluations go to `sink` (and to AWS Config, Security Hub and `state` as the request says) as
    they are made, the report says what could not be done.

    With `state` (an open `--state` file), targets an earlier run finished are replayed, not scanned, and each
    target that finishes cleanly is recorded there.
    """
    started = state.now if state is not None else request.run.now or datetime.now(UTC)
    report = ScanReport(caller_account=None, started=started)
    async with AwsClients(aws_settings(request), ambient_session(request.access.credentials)) as clients:
        sinks: list[EvaluationSink] = [sink, report.counts]
        # A replay feeds the local outputs only: AWS Config and Security Hub had these from the first run.
        replay = TeeSink([sink, report.counts]) if state is not None else None
        if state is not None:
            sinks.append(state)
        if request.destinations.result_tokens:
            sinks.append(ConfigEvaluationsSink(clients, request.destinations.result_tokens))
        if request.destinations.security_hub:
            sinks.append(_security_hub_sink(request, clients, started, lambda: report.caller_account))
        mutelist = request.destinations.mutelist
        suppress = (lambda evaluation: mutelist.match(evaluation, evaluation.resource_tags)) if mutelist else None
        run = Scan(request, clients, TeeSink(sinks, suppress), report, listener, state, replay)
        return await run_engine(run, clients)


def _without_local_files(destinations: Destinations) -> Destinations:
    return dataclasses.replace(destinations, output=None, output_dir=None, reports=())


async def scan_to_directory(request: ScanRequest, directory: Path) -> ScanReport:
    """A scan's per-account files and `summary.json` in `directory` and nothing else (the Lambda's scheduled scan,
    which uploads them): the request's own local outputs are ignored."""
    from scanner.outputs.files import AccountFilesSink, write_summary

    with AccountFilesSink(directory) as files:
        report = await scan(
            dataclasses.replace(request, destinations=_without_local_files(request.destinations)), files
        )
        files.ensure_scanned(report.outcomes)
        report.failures += [output_failure(error) for error in files.commit()]
    write_summary(directory / "summary.json", report)
    return report


async def scan_to_s3(
    request: ScanRequest, bucket: str, prefix: str, settings: AwsSettings, region: str
) -> tuple[ScanReport, str]:
    """The Lambda's scheduled scan: `scan_to_directory` into a temporary directory, then each of its files to
    s3://bucket/prefix/<start time>/ (S3 in `region`, on clients of `settings`). Returns the report and that URL.
    Files that cannot be written fail the invocation (RuleRuntimeError); the report's failures are the caller's."""
    import tempfile

    from scanner.aws.s3_objects import put_directory

    started = datetime.now(UTC)
    run_prefix = "/".join(part for part in (prefix, started.strftime("%Y-%m-%dT%H-%M-%SZ")) if part)
    with tempfile.TemporaryDirectory(prefix="cloudsweep-") as directory:
        folder = Path(directory)
        report = await scan_to_directory(
            dataclasses.replace(request, run=dataclasses.replace(request.run, now=started)), folder
        )
        async with AwsClients(settings) as clients:
            try:
                await put_directory(clients, region, folder, bucket, run_prefix)
            except AwsError as error:
                raise RuleRuntimeError(
                    f"writing the results to s3://{bucket}/{run_prefix}/ failed with {error.code}"
                ) from error
    log.info("scheduled scan written", bucket=bucket, prefix=run_prefix, evaluations=report.counts.total)
    return report, f"s3://{bucket}/{run_prefix}/"


class ScanOutputs:
    """The local outputs of one scan: JSON lines (a file or stdout), the `--output` reports and the per-account
    files. Each file is written under a fresh temporary name; `commit` puts them in place when the scan is done,
    `abandon` (also on leaving the `with` block uncommitted) keeps every previous file as it was."""

    def __init__(self, request: ScanRequest) -> None:
        from scanner.outputs.files import AccountFilesSink

        self._output_dir = request.destinations.output_dir
        self._lines_file: AtomicFile | None = None
        self.lines: TextIO | None = None
        self.files: AccountFilesSink | None = None
        self.reports: ReportsSink | None = None
        self._done = False
        try:
            if request.destinations.output is not None:
                self._lines_file = AtomicFile(request.destinations.output)
                self.lines = self._lines_file.stream
            elif request.destinations.output_dir is None and not request.destinations.reports:
                self.lines = sys.stdout
            if request.destinations.output_dir is not None:
                self.files = AccountFilesSink(request.destinations.output_dir)
            if request.destinations.reports:
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


def run_scan(request: ScanRequest, progress: ProgressSink | None = None, log_level: str = "info") -> ScanReport:
    """The CLI's scan: JSON lines to `destinations.output` (stdout when nothing else is asked for), the `--output`
    reports, per-account files and their summary, put in place together at the end.

    A scan that failed before any target (the caller's identity, the organization, no account to scan) leaves
    every previous output file as it was; one that scanned writes its outputs, failures named in them."""
    now, scan_id = request.run.now or datetime.now(UTC), request.run.scan_id or str(uuid.uuid4())
    request = dataclasses.replace(request, run=dataclasses.replace(request.run, scan_id=scan_id, now=now))
    state = _open_state(request, now, scan_id)
    if state is not None:
        # A resumed scan is the interrupted one: same start (every ordering timestamp) and id.
        request = dataclasses.replace(
            request, run=dataclasses.replace(request.run, now=state.now, scan_id=state.scan_id)
        )
    with contextlib.ExitStack() as stack:
        if state is not None:
            stack.callback(state.close)
        outputs = stack.enter_context(ScanOutputs(request))
        if request.run.workers > 1 and not request.source.caller_only:
            from scanner.scan.workers import scan_in_workers

            report = anyio.run(scan_in_workers, request, request.run.workers, outputs, progress, log_level)
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
    paths = [path for path in (request.destinations.output,) if path is not None] + [
        spec.path for spec in request.destinations.reports
    ]
    if request.destinations.output_dir is not None:
        paths.append(request.destinations.output_dir)
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
    if request.run.state_file is None:
        return None
    if request.run.workers > 1 and not request.source.caller_only:
        raise UsageError("--state records one process's targets: it does not go with --workers")
    # What decides the evaluations; a state file written under anything else is another scan's.
    parts = [
        [
            [choice.check.id, sorted((name, str(value)) for name, value in choice.params.items())]
            for choice in request.checks
        ],
        request.regions,
        _source_fingerprint(request.source),
        request.access.role_name,
        request.global_region,
        request.home_region,
        # Records are stored suppressed or not: another mutelist is another scan.
        repr(request.destinations.mutelist.entries) if request.destinations.mutelist is not None else None,
    ]
    checks = [choice.check.id for choice in request.checks]
    return ScanState.open(request.run.state_file, fingerprint(parts), now, scan_id, checks)


def _scan_info(request: ScanRequest, started: datetime) -> tuple[dict[str, Check], ScanInfo]:
    """What reports and Security Hub findings say of the scan: its checks by id, its id, start and version."""
    from importlib.metadata import version

    checks = {choice.check.id: choice.check for choice in request.checks}
    scan_id = request.run.scan_id or str(uuid.uuid4())
    return checks, ScanInfo(scan_id=scan_id, started=started, tool_version=version("cloudsweep"))


def _reports_sink(request: ScanRequest) -> ReportsSink:
    checks, info = _scan_info(request, request.run.now or datetime.now(UTC))
    return ReportsSink(request.destinations.reports, checks, info)


def _security_hub_sink(
    request: ScanRequest, clients: AwsClients, started: datetime, caller: Callable[[], str | None]
) -> EvaluationSink:
    from scanner.aws.security_hub import SecurityHubSink

    checks, info = _scan_info(request, started)
    return SecurityHubSink(clients, checks, info, request.destinations.security_hub_account, now=started, caller=caller)
