"""`--output-dir`: one JSON-lines file per account, and `summary.json` with one entry per target."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from scanner.errors import OutputError, UsageError
from scanner.model import Compliance, Evaluation
from scanner.outputs.atomic import (
    GuardedText,
    fresh_partial,
    open_for_append,
    put_in_place,
    refuse_special,
    write_atomically,
)

if TYPE_CHECKING:
    from scanner.results import ScanReport, TargetOutcome

# Thousands of accounts must not mean thousands of open files: keep the most recent ones open.
MAX_OPEN_FILES = 64
_ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)


class AccountFilesSink:
    """Evaluations to DIR/<account_id>.jsonl as they arrive, each file under a fresh temporary name until `commit`
    renames them all into place (`abandon`: none is, the previous files stay)."""

    def __init__(self, directory: Path, max_open: int = MAX_OPEN_FILES) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create --output-dir {directory}: {exc.strerror}") from exc
        # Refused before the scan, not when its file comes to be written.
        for existing in (directory / "summary.json", *directory.glob("*.jsonl")):
            refuse_special(existing, "--output-dir")
        self.directory = directory
        self._max_open = max_open
        self._open: OrderedDict[str, GuardedText] = OrderedDict()
        self._partials: dict[str, Path] = {}
        self._errors: dict[str, OSError] = {}
        self._done = False

    def __enter__(self) -> AccountFilesSink:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.abandon()

    def _stream(self, account_id: str) -> GuardedText:
        if account_id in self._open:
            self._open.move_to_end(account_id)
            return self._open[account_id]
        if len(self._open) >= self._max_open:
            self._close(*self._open.popitem(last=False))
        if not _ACCOUNT_ID.fullmatch(account_id):
            raise OutputError(str(self.directory), f"{account_id!r} is not an account id: no file is named after it")
        partial = self._partials.get(account_id)
        if partial is None:
            descriptor, partial = fresh_partial(self.directory / f"{account_id}.jsonl", "--output-dir")
            self._partials[account_id] = partial
            stream = GuardedText(io.FileIO(descriptor, "w"), encoding="utf-8")
        else:
            # Ours, made exclusively: reopened without following a link put in its place meanwhile.
            stream = open_for_append(partial, "--output-dir")
        self._open[account_id] = stream
        return stream

    def _close(self, account_id: str, stream: GuardedText) -> None:
        try:
            stream.close()
        except OSError as exc:
            stream.error = stream.error or exc
        if stream.error is not None:
            self._errors.setdefault(account_id, stream.error)

    def ensure(self, account_id: str) -> None:
        """An account scanned without a single evaluation still gets its (empty) file."""
        if account_id not in self._partials:
            self._stream(account_id)

    def ensure_scanned(self, outcomes: Iterable[TargetOutcome]) -> None:
        """Every account with a target scanned without failure gets its file, evaluations or not."""
        for outcome in outcomes:
            if not outcome.failures:
                self.ensure(outcome.target.account_id)

    async def put(self, evaluation: Evaluation) -> None:
        self._stream(evaluation.account_id).write(evaluation.to_json_line() + "\n")

    def put_line(self, account_id: str, line: str) -> None:
        """A JSON line already made (a worker's), for its account's file."""
        self._stream(account_id).write(line)

    def commit(self) -> list[OutputError]:
        """Every account file renamed into place; those that could not be written whole keep their old file."""
        if self._done:
            return []
        self._done = True
        while self._open:
            self._close(*self._open.popitem())
        failed: list[OutputError] = []
        for account_id, partial in self._partials.items():
            failure = put_in_place(partial, self.directory / f"{account_id}.jsonl", self._errors.get(account_id))
            if failure is not None:
                failed.append(failure)
        return failed

    def abandon(self) -> None:
        if self._done:
            return
        self._done = True
        while self._open:
            with contextlib.suppress(OSError):
                self._open.popitem()[1].close()
        for partial in self._partials.values():
            partial.unlink(missing_ok=True)


def summary_document(report: ScanReport) -> dict[str, Any]:
    targets = []
    for outcome in report.outcomes:
        first = outcome.failures[0] if outcome.failures else None
        targets.append(
            {
                "account_id": outcome.target.account_id,
                "region": outcome.target.region,
                "status": outcome.status.value,
                "error_code": first.code if first else None,
                "error_message": first.message if first else None,
                "errors": [
                    {
                        "what": failure.what,
                        "code": failure.code,
                        "message": failure.message,
                        "affects": list(failure.affects),
                    }
                    for failure in outcome.failures
                ],
                "evaluations": {
                    compliance.value: sum(
                        count for (_, counted), count in outcome.counts.items() if counted is compliance
                    )
                    for compliance in Compliance
                },
                "api_calls": outcome.stats.calls,
                "retries": outcome.stats.retries,
                "throttles": outcome.stats.throttles,
                "seconds": round(outcome.seconds, 3),
            }
        )
    return {
        "caller_account": report.caller_account,
        "started": report.started.isoformat().replace("+00:00", "Z"),
        "targets": targets,
        "totals": {
            "targets": len(report.outcomes),
            "targets_failed": sum(1 for outcome in report.outcomes if outcome.failures),
            "evaluations": report.counts.total,
            "api_calls": report.api_calls,
            "retries": report.retries,
            "throttles": report.throttles,
        },
        "errors": [
            {"account_id": f.account_id, "region": f.region, "what": f.what, "code": f.code, "message": f.message}
            for f in report.failures
        ],
    }


def write_summary(path: Path, report: ScanReport) -> None:
    """Written beside its name and renamed into place: a reader sees the old summary or the new one, whole (an
    OutputError when it cannot be written, the old one kept)."""
    write_atomically(path, json.dumps(summary_document(report), indent=2) + "\n", "--output-dir")
