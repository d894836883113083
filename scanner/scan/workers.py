"""`cloudsweep scan --workers N`: one scan over N processes, so it uses N cores.

A scan's CPU (parsing responses and items, evaluating, serialising evaluations) runs on one event loop; with
hundreds of thousands of resources that loop, not AWS, becomes the limit. The parent resolves the accounts once
(GetCallerIdentity, the organization, filters and shards), deals them round-robin in account-id order to N worker
processes (`python -m scanner.worker_process`), and merges what they report:

- a worker gets its request (pickled, on stdin) with its own accounts and the parent's ordering timestamp, so
  every evaluation of the scan carries the same one;
- it writes its evaluations' JSON lines to a file of its own, and reports a target done only once that target's
  lines are in the file; once every worker is done the parent reads the files back into every output (JSON lines,
  per-account files, reports) and counts them: a pipe would make a worker's event loop wait for the parent;
- it writes frames on stdout, one per line: `P` + a progress event (targets planned, started, done) and, last,
  `R` + its report (pickled, base64).

A worker that dies (SIGKILL included) costs exactly what it held: the targets it reported done are in the outputs
whole, each other target of its accounts is a named failure (`WorkerFailed`, exit 3), none of their evaluations is
in any output, and the totals are the lines written. The other workers finish.
"""

from __future__ import annotations

import base64
import copyreg
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, TextIO

import anyio
import anyio.abc
import structlog
from anyio.streams.buffered import BufferedByteReceiveStream

from scanner.errors import AwsError, UsageError
from scanner.model import Compliance, Evaluation, Target
from scanner.plugins import CHECKS_DIR_ENVIRONMENT
from scanner.results import EvaluationSink, Failure, ScanReport, TargetOutcome
from scanner.scan.engine import NoAccountsError, resolve_accounts
from scanner.scan.progress import CountsEvaluations, ProgressListener
from scanner.scan.request import AccountSource, ScanRequest, global_region_of
from scanner.scan.targets import Account

log = structlog.get_logger("cloudsweep.scan")

PROGRESS = b"P"
REPORT = b"R"
MAX_FRAME = 64 * 1024 * 1024


class LineSink(Protocol):
    def put_line(self, account_id: str, line: str) -> None: ...


class RoutedOutputs(Protocol):
    """Where the parent routes the workers' lines: the runner's local outputs (`scanner.runner.ScanOutputs`)."""

    @property
    def lines(self) -> TextIO | None: ...

    @property
    def files(self) -> LineSink | None: ...

    @property
    def reports(self) -> EvaluationSink | None: ...


@dataclass(frozen=True)
class WorkerJob:
    index: int
    request: ScanRequest
    evaluations: Path | None
    log_level: str


# --- frames --------------------------------------------------------------------------------------------------------


def read_only(mapping: dict[str, Any]) -> MappingProxyType[str, Any]:
    """How a pickled read-only mapping is rebuilt (the mappingproxy type itself cannot be named in a pickle)."""
    return MappingProxyType(mapping)


def _dumps(value: Any) -> bytes:
    """Pickle (between our own processes only) that also takes the read-only mappings the request holds."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[MappingProxyType] = lambda mapping: (read_only, (dict(mapping),))
    pickler.dump(value)
    return buffer.getvalue()


def _frame(kind: bytes, value: Any) -> bytes:
    return kind + base64.b64encode(_dumps(value)) + b"\n"


def _unframe(line: bytes) -> Any:
    # Frames come from our own worker processes, never from outside.
    return pickle.loads(base64.b64decode(line[1:]))  # noqa: S301  (frames from our own worker processes)


# --- the parent ----------------------------------------------------------------------------------------------------


def deal(accounts: list[Account], workers: int) -> list[list[Account]]:
    """Round-robin in account-id order: each worker gets every N-th account, none twice."""
    ordered = sorted(accounts, key=lambda account: account.account_id)
    return [hand for hand in (ordered[index::workers] for index in range(workers)) if hand]


def share(total: int, parts: int) -> list[int]:
    """`total` split into `parts` whole shares that add up to it, the first ones taking the remainder."""
    return [total // parts + (index < total % parts) for index in range(parts)]


def check_caps(request: ScanRequest, workers: int) -> None:
    """The caps are the scan's, shared among the workers: each needs at least one call and one target."""
    for option, value in (
        ("--max-concurrency", request.limits.max_concurrency),
        ("--max-targets", request.limits.max_targets),
    ):
        if workers > value:
            raise UsageError(
                f"--workers {workers} with {option} {value}: the cap is shared among the workers and each needs at "
                f"least 1; raise {option} to {workers} or use fewer workers"
            )


@dataclass
class _WorkerRun:
    """What the parent learned of one worker: the targets it started and finished, its report if it sent one."""

    job: WorkerJob
    started: set[Target] = field(default_factory=set)
    finished: list[TargetOutcome] = field(default_factory=list)
    report: ScanReport | None = None
    status: int | None = None
    problem: str = ""

    @property
    def healthy(self) -> bool:
        return self.status == 0 and self.report is not None and not self.problem


async def scan_in_workers(
    request: ScanRequest,
    workers: int,
    outputs: RoutedOutputs,
    listener: ProgressListener | None,
    log_level: str = "info",
) -> ScanReport:
    """The scan of `request` over `workers` processes, its evaluations read back from the workers' files into
    `outputs` (JSON lines, per-account files, reports). A worker that dies costs exactly what it held: the targets
    it finished are kept whole, every other target of its accounts is a named failure and none of its
    evaluations is in any output."""
    if request.access.event_hooks:
        # A hook would run in the worker processes, out of its owner's sight.
        raise UsageError("event_hooks observe one process's calls: scan with workers=1 to use them")
    check_caps(request, workers)
    started = request.run.now or datetime.now(UTC)
    report = ScanReport(caller_account=None, started=started)
    try:
        report.caller_account, accounts, resolve_calls = await resolve_accounts(request)
    except AwsError as error:
        report.failures.append(Failure("unknown", "-", error.operation, error.code, error.message, ("every check",)))
        log.error("scan failed", error_code=error.code, error=error.message)
        return report
    except NoAccountsError as error:
        report.failures.append(error.failure)
        return report
    report.api_calls += resolve_calls
    hands = deal(accounts, workers)
    if not hands:
        return report
    concurrency, targets = (
        share(request.limits.max_concurrency, len(hands)),
        share(request.limits.max_targets, len(hands)),
    )
    log.info("scan started", accounts=len(accounts), workers=len(hands))
    with tempfile.TemporaryDirectory(prefix="cloudsweep-workers-") as scratch:
        runs: list[_WorkerRun] = []
        payloads: list[bytes] = []
        for index, hand in enumerate(hands):
            job = WorkerJob(
                index,
                replace(
                    request,
                    source=AccountSource(accounts=tuple(hand)),
                    destinations=replace(request.destinations, output=None, output_dir=None, reports=()),
                    run=replace(request.run, now=started, workers=1),
                    limits=replace(request.limits, max_concurrency=concurrency[index], max_targets=targets[index]),
                ),
                evaluations=Path(scratch) / f"worker-{index}.jsonl",
                log_level=log_level,
            )
            try:
                payloads.append(_dumps(job))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                raise UsageError(f"--workers: the scan cannot be handed to a worker process: {exc}") from exc
            runs.append(_WorkerRun(job))
        async with anyio.create_task_group() as group:
            for run, payload in zip(runs, payloads, strict=True):
                group.start_soon(_run_worker, run, payload, listener)
        for run in runs:
            _account_for(run, request, report)
            await _route(run, report, outputs)
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


async def _run_worker(run: _WorkerRun, payload: bytes, listener: ProgressListener | None) -> None:
    """One worker to its end; whatever goes wrong with it is a failure of its accounts, never of the others."""
    try:
        async with await anyio.open_process(
            [sys.executable, "-m", "scanner.worker_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            env=_worker_environment(run.job.request.run.checks_dirs),
        ) as process:
            if process.stdin is None or process.stdout is None:
                raise RuntimeError("the worker process has no pipes")
            await process.stdin.send(payload)
            await process.stdin.aclose()
            frames = BufferedByteReceiveStream(process.stdout)
            while True:
                try:
                    line = await frames.receive_until(b"\n", MAX_FRAME)
                except (anyio.IncompleteRead, anyio.EndOfStream):
                    break
                kind = line[:1]
                if kind == PROGRESS:
                    event = _unframe(line)
                    if event[0] == "started":
                        run.started.add(event[1])
                    elif event[0] == "done":
                        run.finished.append(event[1])
                    _progress(listener, event)
                elif kind == REPORT:
                    run.report = _unframe(line)
            run.status = await process.wait()
    except Exception as exc:  # noqa: BLE001  (a broken pipe, a torn frame: this worker's failure alone)
        run.problem = f"{type(exc).__name__}: {exc}"


def _account_for(run: _WorkerRun, request: ScanRequest, report: ScanReport) -> None:
    """The worker's outcomes into the scan's report; for a worker that died, each target it held and did not
    finish becomes a named failure."""
    if run.healthy and run.report is not None:
        part = run.report
        report.outcomes += part.outcomes
        report.failures += part.failures
        report.api_calls += part.api_calls
        report.retries += part.retries
        report.throttles += part.throttles
        report.targets_total += part.targets_total
        return
    finished = {outcome.target for outcome in run.finished}
    report.outcomes += run.finished
    for outcome in run.finished:
        report.api_calls += outcome.stats.calls
        report.retries += outcome.stats.retries
        report.throttles += outcome.stats.throttles
    death = f"worker {run.job.index} {_death(run)}"
    lost: list[tuple[Target, str]] = [
        (target, f"{death} while this target was read: its evaluations are left out of every output")
        for target in sorted(run.started - finished, key=lambda target: (target.account_id, target.region))
    ]
    for account in run.job.request.source.accounts:
        planned = _planned_targets(account, request)
        touched = {target for target in finished | run.started if target.account_id == account.account_id}
        if planned is None:
            if not touched:
                lost.append((Target(account.account_id, "-"), f"{death} before this account was scanned"))
            else:
                lost.append(
                    (Target(account.account_id, "-"), f"{death}: this account's other regions may not be scanned")
                )
            continue
        lost += [(target, f"{death} before this target was scanned") for target in planned if target not in touched]
    for target, message in lost:
        outcome = TargetOutcome(target)
        outcome.failures.append(
            Failure(target.account_id, target.region, "target", "WorkerFailed", message, ("every check",))
        )
        report.outcomes.append(outcome)
    report.targets_total += len(run.finished) + len(lost)
    summary = (
        f"{death}; {len(run.finished)} targets it finished are reported, "
        f"{len(lost)} it held are failures: {', '.join(f'{t.account_id}/{t.region}' for t, _ in lost) or 'none'}"
    )
    report.failures.append(Failure("-", "-", f"worker {run.job.index}", "WorkerFailed", summary, ("every check",)))
    log.error("worker failed", worker=run.job.index, status=run.status, lost=len(lost))


def _death(run: _WorkerRun) -> str:
    if run.problem:
        return f"failed ({run.problem})"
    if run.status is not None and run.status < 0:
        try:
            return f"was killed by {signal.Signals(-run.status).name}"
        except ValueError:
            return f"was killed by signal {-run.status}"
    if run.status == 0:
        return "exited without its report"
    return f"exited with status {run.status}"


def _planned_targets(account: Account, request: ScanRequest) -> list[Target] | None:
    """The targets a scan of `account` makes, when its regions are known without asking AWS (not `all`)."""
    regions = account.regions or request.regions
    if regions is None:
        return None
    global_region = global_region_of(request)
    names = list(regions) + ([global_region] if global_region not in regions else [])
    return [Target(account.account_id, region) for region in names]


async def _route(run: _WorkerRun, report: ScanReport, outputs: RoutedOutputs) -> None:
    """The worker's evaluation lines into every output and the scan's counts: all of a worker that finished, only
    those of finished targets for one that died (its file may end mid-line)."""
    path = run.job.evaluations
    if path is None or not path.exists():
        return
    keep = None if run.healthy else {outcome.target for outcome in run.finished}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.endswith("\n"):
                break
            record = json.loads(line)
            if keep is not None and Target(record["account_id"], record["region"]) not in keep:
                continue
            account_id = record["account_id"]
            report.counts.add(
                record["check"], account_id, Compliance(record["compliance"]), bool(record.get("suppressed"))
            )
            if outputs.lines is not None:
                outputs.lines.write(line)
            if outputs.files is not None:
                outputs.files.put_line(account_id, line)
            if outputs.reports is not None:
                await outputs.reports.put(Evaluation.from_record(record))


def _progress(listener: ProgressListener | None, event: tuple[str, Any]) -> None:
    if listener is None:
        return
    kind, value = event
    if kind == "planned":
        listener.targets_planned(value)
    elif kind == "done":
        listener.target_done(value)
        if isinstance(listener, CountsEvaluations):
            listener.evaluations_made(sum(value.counts.values()))


# --- a worker ------------------------------------------------------------------------------------------------------


class FrameWriter:
    """A worker's stdout: progress events and its report, as frames. A target is reported done only once its
    evaluations are in the worker's file (`flush`), so what the parent holds as done is there whole."""

    def __init__(self, stream: io.BufferedWriter, flush: Callable[[], None]) -> None:
        self._stream = stream
        self._flush = flush

    def _send(self, kind: bytes, value: Any) -> None:
        self._stream.write(_frame(kind, value))
        self._stream.flush()

    def targets_planned(self, count: int) -> None:
        self._send(PROGRESS, ("planned", count))

    def target_started(self, target: Target) -> None:
        self._send(PROGRESS, ("started", target))

    def target_done(self, outcome: TargetOutcome) -> None:
        self._flush()
        self._send(PROGRESS, ("done", outcome))

    def report(self, report: ScanReport) -> None:
        self._flush()
        self._send(REPORT, report)


def die_with_parent() -> None:
    """Linux: SIGTERM this worker if the parent scan dies (kill -9 included), rather than scan on as an orphan."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    parent = os.getppid()
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:
        # The parent died before the request took effect.
        os.kill(os.getpid(), signal.SIGTERM)


def _worker_environment(checks_dirs: tuple[Path, ...]) -> dict[str, str]:
    environment = dict(os.environ)
    environment[CHECKS_DIR_ENVIRONMENT] = os.pathsep.join(str(directory.resolve()) for directory in checks_dirs)
    return environment
