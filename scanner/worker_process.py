"""One worker process of `cloudsweep scan --workers N` (`python -m scanner.worker_process`): reads its job on stdin,
scans its accounts through the runner (so its sinks are assembled where every scan's are) and reports frames on
stdout. The parent side is `scanner.scan.workers`."""

from __future__ import annotations

import io
import os
import pickle
import sys

import anyio
import structlog

from scanner.logs import configure_logging
from scanner.outputs.jsonl import JsonLinesSink, TeeSink
from scanner.plugins import checks_dirs_from, load_registry
from scanner.runner import scan
from scanner.scan.workers import FrameWriter, WorkerJob, die_with_parent


def work(job: WorkerJob, stdout: io.BufferedWriter) -> None:
    configure_logging(job.log_level)
    structlog.contextvars.bind_contextvars(worker=job.index)
    if job.evaluations is None:
        raise SystemExit("scanner.worker_process: the job names no evaluations file")
    with job.evaluations.open("x", encoding="utf-8") as evaluations:
        frames = FrameWriter(stdout, evaluations.flush)
        report = anyio.run(scan, job.request, TeeSink([JsonLinesSink(evaluations)]), frames)
        frames.report(report)


def main() -> None:
    die_with_parent()
    # The job's checks from --checks-dir files unpickle only once those files are imported under their names.
    load_registry(checks_dirs_from(os.environ))
    # Written by the parent scan process, never from outside.
    job = pickle.loads(sys.stdin.buffer.read())  # noqa: S301  (the job from our own parent process)
    # The job's classes are scanner.scan.workers', never this __main__'s.
    if not isinstance(job, WorkerJob):
        raise SystemExit("scanner.worker_process: expected a WorkerJob on stdin")
    work(job, sys.stdout.buffer)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
