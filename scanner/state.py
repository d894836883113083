"""`--state FILE`: a scan that can be resumed after it was killed, even with `kill -9`.

The file is JSON lines, appended and fsync'ed as the scan goes:

- first a header: `{"kind": "scan", "fingerprint": ..., "now": ..., "scan_id": ...}`. The fingerprint covers what
  decides the evaluations (checks and their parameters, regions, accounts and how they are chosen, the global
  region); `now` is the scan's start, every evaluation's ordering timestamp;
- then one line per target that finished cleanly: `{"kind": "target", "account_id", "region", "evaluations":
  [records]}`, written only once the target is done, so a target is in the file whole or not at all. A target
  that failed is not recorded: a resumed scan tries it again.

Rerun with the same `--state` and the same options: the finished targets' evaluations are replayed into every
output (in the order they were recorded), only the others are scanned, and with the recorded start time, so the
final outputs hold exactly what an uninterrupted run writes. A torn last line (the kill came mid-write) is
ignored. A state file of another scan (another fingerprint) is an error, never silently mixed in. A scan whose
every target finished (exit 0 or 1) ends its file with `{"kind": "complete"}`: the next run with that file is a
new scan, not a replay of the old results. A scan with failures (exit 3) stays resumable: its failed targets are
scanned again.

Memory: one target's evaluation records until it finishes. Not with `--workers` (one process writes the file).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from scanner.errors import UsageError
from scanner.model import Evaluation, Target
from scanner.outputs.atomic import fresh_partial, open_for_append, read_bytes

STATE_VERSION = 1


@dataclass(frozen=True)
class FinishedTarget:
    target: Target
    records: tuple[dict[str, Any], ...]

    def evaluations(self) -> Iterator[Evaluation]:
        return (Evaluation.from_record(record) for record in self.records)


@dataclass
class ScanState:
    """What an earlier, interrupted run of the same scan finished, and the file the new run appends to."""

    path: Path
    fingerprint: str
    now: datetime
    scan_id: str
    finished: dict[Target, FinishedTarget] = field(default_factory=dict)
    _stream: IO[str] | None = field(default=None, repr=False)
    _pending: dict[Target, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, path: Path, fingerprint: str, now: datetime, scan_id: str) -> ScanState:
        """Resume from `path` when it holds this scan, or start it there."""
        if path.is_symlink():
            raise UsageError(f"--state {path} is a symbolic link (refused: state is never written through links)")
        state = cls._read(path, fingerprint) if path.exists() and path.stat().st_size else None
        if state is None:
            state = cls(path, fingerprint, now, scan_id)
            state._start()
        else:
            # The torn end of an interrupted write goes, so the next line starts clean.
            state._truncate_to_last_line()
            state._stream = _open_append(path)
        return state

    @classmethod
    def _read(cls, path: Path, fingerprint: str) -> ScanState | None:
        lines = _whole_lines(path)
        if not lines:
            return None
        header = _json(lines[0], path, 1)
        if header.get("kind") != "scan" or header.get("version") != STATE_VERSION:
            raise UsageError(f"--state {path}: not a cloudsweep state file (line 1)")
        if header.get("fingerprint") != fingerprint:
            raise UsageError(
                f"--state {path} belongs to another scan (other checks, parameters, accounts or regions): "
                "use another file, or delete it to start afresh"
            )
        state = cls(path, fingerprint, datetime.fromisoformat(header["now"]), str(header["scan_id"]))
        for number, line in enumerate(lines[1:], start=2):
            entry = _json(line, path, number)
            if entry.get("kind") == "complete":
                # That scan ran to its end: this one is a new run, not a resumption.
                return None
            if entry.get("kind") != "target":
                raise UsageError(f"--state {path}: line {number} is not a target")
            target = Target(str(entry["account_id"]), str(entry["region"]))
            state.finished[target] = FinishedTarget(target, tuple(entry["evaluations"]))
        return state

    def _start(self) -> None:
        # Made exclusively under a fresh name, then renamed into place: no planted file or link is opened.
        descriptor, partial = fresh_partial(self.path, "--state")
        self._stream = open(descriptor, "w", encoding="utf-8")  # noqa: SIM115  (closed by close())
        try:
            os.replace(partial, self.path)
        except OSError as exc:
            self.close()
            partial.unlink(missing_ok=True)
            raise UsageError(f"cannot write --state {self.path}: {exc.strerror}") from exc
        header = {
            "kind": "scan",
            "version": STATE_VERSION,
            "fingerprint": self.fingerprint,
            "now": self.now.isoformat(),
            "scan_id": self.scan_id,
        }
        self._append(header)

    def _truncate_to_last_line(self) -> None:
        with self.path.open("rb+") as stream:
            data = stream.read()
            stream.truncate(data.rfind(b"\n") + 1)

    def _append(self, document: Mapping[str, Any]) -> None:
        if self._stream is None:
            raise RuntimeError(f"--state {self.path} is closed")
        self._stream.write(json.dumps(document, separators=(",", ":")) + "\n")
        self._stream.flush()
        os.fsync(self._stream.fileno())

    # --- as the scan goes ----------------------------------------------------------------------------------------

    async def put(self, evaluation: Evaluation) -> None:
        target = Target(evaluation.account_id, evaluation.region)
        self._pending.setdefault(target, []).append(evaluation.to_record())

    def target_done(self, target: Target, ok: bool) -> None:
        """Record a cleanly finished target durably; forget a failed one's evaluations (it is scanned again)."""
        records = self._pending.pop(target, [])
        if ok and target not in self.finished:
            self._append(
                {"kind": "target", "account_id": target.account_id, "region": target.region, "evaluations": records}
            )

    def complete(self) -> None:
        """The scan ended with every target done: a later run with this file starts afresh."""
        self._append({"kind": "complete"})

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def fingerprint(parts: Sequence[Any]) -> str:
    """A digest of what decides a scan's evaluations (JSON of `parts`, keys sorted)."""
    text = json.dumps(list(parts), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _whole_lines(path: Path) -> list[str]:
    data = read_bytes(path, "--state")
    whole = data[: data.rfind(b"\n") + 1]
    try:
        return whole.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise UsageError(f"--state {path}: not UTF-8 text") from exc


def _json(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        document = json.loads(line)
    except ValueError as exc:
        raise UsageError(f"--state {path}: line {number} is not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise UsageError(f"--state {path}: line {number} is not a JSON object")
    return document


def _open_append(path: Path) -> IO[str]:
    return open_for_append(path, "--state")
