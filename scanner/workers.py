"""`cloudsweep scan --workers N`: one scan over N processes, so it uses N cores.

A scan's CPU (parsing responses and items, evaluating, serialising evaluations) runs on one event loop; with
hundreds of thousands of resources that loop, not AWS, becomes the limit. The parent resolves the accounts once
(GetCallerIdentity, the organization, filters and shards), deals them round-robin in account-id order to N worker
processes (`python -m scanner.workers`), and merges what they report:

- a worker gets its request (pickled, on stdin) with its own accounts and the parent's ordering timestamp, so
  every evaluation of the scan carries the same one;
- it writes its evaluations' JSON lines to a file of its own (when the parent writes JSON lines), which the parent
  appends to the output once every worker is done: a pipe would make a worker's event loop wait for the parent;
- it writes frames on stdout, one per line: `P` + a progress event and, last, `R` + its report (pickled, base64);
- per-account files (`--output-dir`) are written by the worker that owns the account; `summary.json` by the parent.

A worker that dies is a failure of the scan (exit 3) naming the accounts it held; the others finish.
"""

from __future__ import annotations

import base64
import contextlib
import copyreg
import io
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO

import anyio
import anyio.abc
import structlog
from anyio.streams.buffered import BufferedByteReceiveStream

from scanner.errors import AwsError, UsageError
from scanner.model import Evaluation
from scanner.orchestrator import EvaluationSink, Failure, TargetOutcome
from scanner.outputs.jsonl import TeeSink
from scanner.plugins import CHECKS_DIR_ENVIRONMENT, checks_dirs_from, load_registry
from scanner.progress import ProgressListener, ScanProgress
from scanner.scan import AccountSource, ScanReport, ScanRequest, resolve_accounts
from scanner.targets import Account

log = structlog.get_logger("cloudsweep.scan")

PROGRESS = b"P"
REPORT = b"R"
MAX_FRAME = 64 * 1024 * 1024


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


async def scan_in_workers(
    request: ScanRequest,
    workers: int,
    evaluations: TextIO | None,
    listener: ProgressListener | None,
    log_level: str = "info",
    reports: EvaluationSink | None = None,
) -> ScanReport:
    """The scan of `request` over `workers` processes; JSON lines to `evaluations` when given, and each
    evaluation, read back from the workers' lines, to `reports`."""
    if request.event_hooks:
        # A hook would run in the worker processes, out of its owner's sight.
        raise UsageError("event_hooks observe one process's calls: scan with workers=1 to use them")
    started = request.now or datetime.now(UTC)
    report = ScanReport(caller_account=None, started=started)
    try:
        report.caller_account, accounts, resolve_calls = await resolve_accounts(request)
    except AwsError as error:
        report.failures.append(Failure("unknown", "-", error.operation, error.code, error.message, ("every check",)))
        log.error("scan failed", error_code=error.code, error=error.message)
        return report
    report.api_calls += resolve_calls
    hands = deal(accounts, workers)
    if not hands:
        log.info("scan finished", account_id=report.caller_account, evaluations=0, failures=0, accounts=0)
        return report
    # The caps are the scan's, not each worker's: shared out, at least one each.
    concurrency = [
        request.max_concurrency // len(hands) + (index < request.max_concurrency % len(hands))
        for index in range(len(hands))
    ]
    targets = max(1, math.ceil(request.max_targets / len(hands)))
    log.info("scan started", accounts=len(accounts), workers=len(hands))
    with tempfile.TemporaryDirectory(prefix="cloudsweep-workers-") as scratch:
        parts = [
            Path(scratch) / f"worker-{index}.jsonl" if evaluations is not None or reports is not None else None
            for index in range(len(hands))
        ]
        jobs: list[tuple[WorkerJob, bytes]] = []
        for index, hand in enumerate(hands):
            job = WorkerJob(
                index,
                replace(
                    request,
                    now=started,
                    source=AccountSource(accounts=tuple(hand)),
                    output=None,
                    workers=1,
                    max_concurrency=max(1, concurrency[index]),
                    max_targets=targets,
                ),
                evaluations=parts[index],
                log_level=log_level,
            )
            try:
                jobs.append((job, _dumps(job)))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                raise UsageError(f"--workers: the scan cannot be handed to a worker process: {exc}") from exc
        async with anyio.create_task_group() as group:
            for job, payload in jobs:
                group.start_soon(_run_worker, job, payload, report, listener)
        for part in parts:
            if part is None or not part.exists():
                continue
            with part.open(encoding="utf-8") as lines:
                if reports is None and evaluations is not None:
                    shutil.copyfileobj(lines, evaluations)
                    continue
                for line in lines:
                    if evaluations is not None:
                        evaluations.write(line)
                    if reports is not None:
                        await reports.put(Evaluation.from_record(json.loads(line)))
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


async def _run_worker(job: WorkerJob, payload: bytes, report: ScanReport, listener: ProgressListener | None) -> None:
    """One worker to its end; whatever goes wrong with it is a failure of its accounts, never of the others."""
    accounts = [account.account_id for account in job.request.source.accounts]
    finished: list[TargetOutcome] = []
    code: int | None = None
    got_report = False
    problem = ""
    try:
        async with await anyio.open_process(
            [sys.executable, "-m", "scanner.workers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            env=_worker_environment(job.request.checks_dirs),
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
                    if event[0] == "done":
                        finished.append(event[1])
                    _progress(listener, event)
                elif kind == REPORT:
                    _merge(report, _unframe(line))
                    got_report = True
            code = await process.wait()
    except Exception as exc:  # noqa: BLE001  (a broken pipe, a torn frame: this worker's failure alone)
        problem = f"{type(exc).__name__}: {exc}; "
    if code == 0 and got_report and not problem:
        return
    # What the worker reported done still counts; its part file ends at its last whole line.
    for outcome in finished:
        report.outcomes.append(outcome)
        # Suppressions were counted in the worker's own report, which never arrived: these count unsuppressed.
        report.counts.counts.update(outcome.counts)
        for (_, compliance), count in outcome.counts.items():
            report.counts.by_account[(outcome.target.account_id, compliance)] += count
        report.targets_total += 1
    if job.evaluations is not None:
        _cut_to_last_line(job.evaluations)
    done = sorted({outcome.target.account_id for outcome in finished})
    message = (
        f"worker {job.index} exited with status {code}; {problem}targets it finished are reported, its other "
        f"accounts may be incomplete: {', '.join(a for a in accounts if a not in done) or 'none'}"
    )
    report.failures.append(Failure("-", "-", f"worker {job.index}", "WorkerFailed", message, ("every check",)))
    log.error("worker failed", worker=job.index, status=code, accounts=accounts)


def _cut_to_last_line(path: Path) -> None:
    """A worker killed mid-write leaves half a line: drop it, so the concatenated output stays JSON lines."""
    if not path.exists():
        return
    with path.open("rb+") as part:
        data = part.read()
        part.truncate(data.rfind(b"\n") + 1)


def _progress(listener: ProgressListener | None, event: tuple[str, Any]) -> None:
    if listener is None:
        return
    kind, value = event
    if kind == "planned":
        listener.targets_planned(value)
    elif kind == "done":
        listener.target_done(value)
        if isinstance(listener, ScanProgress):
            listener.evaluations_made(sum(value.counts.values()))


def _merge(report: ScanReport, part: ScanReport) -> None:
    report.outcomes += part.outcomes
    report.failures += part.failures
    report.counts.merge(part.counts)
    report.api_calls += part.api_calls
    report.retries += part.retries
    report.throttles += part.throttles
    report.targets_total += part.targets_total


# --- a worker ------------------------------------------------------------------------------------------------------


class _FrameWriter:
    """A worker's stdout: progress events and its report, as frames."""

    def __init__(self, stream: io.BufferedWriter) -> None:
        self._stream = stream

    def targets_planned(self, count: int) -> None:
        self._stream.write(_frame(PROGRESS, ("planned", count)))
        self._stream.flush()

    def target_done(self, outcome: TargetOutcome) -> None:
        self._stream.write(_frame(PROGRESS, ("done", outcome)))
        self._stream.flush()

    def report(self, report: ScanReport) -> None:
        self._stream.write(_frame(REPORT, report))
        self._stream.flush()


@contextlib.contextmanager
def _account_files(directory: Path | None) -> Iterator[Any]:
    if directory is None:
        yield None
        return
    from scanner.outputs.files import AccountFilesSink

    with AccountFilesSink(directory) as files:
        yield files


def _die_with_parent() -> None:
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


def work(job: WorkerJob, stdout: io.BufferedWriter) -> None:
    from scanner.logs import configure_logging
    from scanner.outputs.jsonl import JsonLinesSink
    from scanner.scan import scan

    configure_logging(job.log_level)
    structlog.contextvars.bind_contextvars(worker=job.index)
    frames = _FrameWriter(stdout)
    with contextlib.ExitStack() as stack:
        sinks: list[EvaluationSink] = []
        if job.evaluations is not None:
            sinks.append(JsonLinesSink(stack.enter_context(job.evaluations.open("w", encoding="utf-8"))))
        files = stack.enter_context(_account_files(job.request.output_dir))
        if files is not None:
            sinks.append(files)
        report = anyio.run(scan, job.request, TeeSink(sinks), frames)
        if files is not None:
            files.ensure_scanned(report.outcomes)
    frames.report(report)


def _worker_environment(checks_dirs: tuple[Path, ...]) -> dict[str, str]:
    environment = dict(os.environ)
    environment[CHECKS_DIR_ENVIRONMENT] = os.pathsep.join(str(directory.resolve()) for directory in checks_dirs)
    return environment


def main() -> None:
    # Run as `python -m scanner.workers`, this file is __main__: the job's classes are the importable module's.
    from scanner import workers

    workers._die_with_parent()
    # The job's checks from --checks-dir files unpickle only once those files are imported under their names.
    load_registry(checks_dirs_from(os.environ))
    # Written by the parent scan process, never from outside.
    job = pickle.loads(sys.stdin.buffer.read())  # noqa: S301  (the job from our own parent process)
    if not isinstance(job, workers.WorkerJob):
        raise SystemExit("scanner.workers: expected a WorkerJob on stdin")
    workers.work(job, sys.stdout.buffer)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
