"""`--output-dir`: one JSON-lines file per account, and `summary.json` with one entry per target."""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from scanner.errors import UsageError
from scanner.model import Compliance, Evaluation

if TYPE_CHECKING:
    from scanner.orchestrator import TargetOutcome
    from scanner.scan import ScanReport

# Thousands of accounts must not mean thousands of open files: keep the most recent ones open.
MAX_OPEN_FILES = 64


class AccountFilesSink:
    """Evaluations appended to DIR/<account_id>.jsonl as they arrive."""

    def __init__(self, directory: Path, max_open: int = MAX_OPEN_FILES) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create --output-dir {directory}: {exc.strerror}") from exc
        self.directory = directory
        self._max_open = max_open
        self._open: OrderedDict[str, TextIO] = OrderedDict()
        self._started: set[str] = set()

    def __enter__(self) -> AccountFilesSink:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        while self._open:
            _, stream = self._open.popitem()
            stream.close()

    def _stream(self, account_id: str) -> TextIO:
        if account_id in self._open:
            self._open.move_to_end(account_id)
            return self._open[account_id]
        if len(self._open) >= self._max_open:
            _, oldest = self._open.popitem(last=False)
            oldest.close()
        # The first open of a scan replaces an old file; later ones (after eviction) append.
        path = self.directory / f"{account_id}.jsonl"
        stream = path.open("a", encoding="utf-8") if account_id in self._started else path.open("w", encoding="utf-8")
        self._started.add(account_id)
        self._open[account_id] = stream
        return stream

    def ensure(self, account_id: str) -> None:
        """An account scanned without a single evaluation still gets its (empty) file."""
        if account_id not in self._started:
            self._stream(account_id)

    def ensure_scanned(self, outcomes: Iterable[TargetOutcome]) -> None:
        """Every account with a target scanned without failure gets its file, evaluations or not."""
        for outcome in outcomes:
            if not outcome.failures:
                self.ensure(outcome.target.account_id)

    async def put(self, evaluation: Evaluation) -> None:
        self._stream(evaluation.account_id).write(evaluation.to_json_line() + "\n")


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
    """Written beside its name and renamed into place: a reader sees the old summary or the new one, whole."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(summary_document(report), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
