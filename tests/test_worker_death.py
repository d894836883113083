"""A worker SIGKILLed before, during and after its targets: every output holds exactly the evaluations of the
targets reported complete, every target the dead worker held is a named failure, the totals equal the lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.pytest_plugin import Estates
from cloudsweep_emulator.server import Emulator

from tests.support import organization_with_instances

ROLE = "OrganizationAccountAccessRole"
REGIONS = ("us-east-1", "eu-west-1")


@pytest.fixture
def members(aws_env: Emulator, boto_session: Any, estates: Estates) -> list[str]:
    return organization_with_instances(
        boto_session, aws_env.endpoint_url, 4, REGIONS, [("t3.micro", 3)], prefix="w", role=ROLE, estates=estates
    )


def workers_of(parent: int) -> list[int]:
    """The scan's worker processes, oldest first (worker 0 is started first)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"scanner.worker_process" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


def kill_a_worker(process: subprocess.Popen[bytes], after: float) -> None:
    deadline = time.monotonic() + 60
    while len(workers_of(process.pid)) < 2:
        assert process.poll() is None, "the scan ended before its workers started"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(after)
    os.kill(workers_of(process.pid)[-1], signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.0, 2.5, 6.0], ids=["before-its-targets", "during-a-target", "later"])
def test_a_killed_worker_loses_exactly_what_it_held(
    aws_env: Emulator, members: list[str], tmp_path: Path, after: float
) -> None:
    # Every Config call takes 1 s: a kill lands while a target is being read.
    aws_env.faults.add(FaultRule.latency(1000, service="config"))
    out, directory = tmp_path / "out.jsonl", tmp_path / "od"
    command = [
        sys.executable, "-m", "scanner", "scan", "--workers", "2", "--max-targets", "2",
        "--checks", "desired-instance-type", "--param", "desired-instance-type.desiredInstanceType=t3.micro",
        "--accounts", ",".join(members), "--role-name", ROLE, "--regions", ",".join(REGIONS),
        "--endpoint-url", aws_env.endpoint_url, "--output", str(out), "--output", str(tmp_path / "out.json"),
        "--output-dir", str(directory),
    ]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    kill_a_worker(process, after)
    _, stderr = process.communicate(timeout=180)

    assert process.returncode == 3, stderr.decode()[-3000:]
    summary = json.loads((directory / "summary.json").read_text())
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    per_target = Counter((line["account_id"], line["region"]) for line in lines)
    ok = {(t["account_id"], t["region"]): t for t in summary["targets"] if t["status"] == "ok"}
    failed = {(t["account_id"], t["region"]): t for t in summary["targets"] if t["status"] != "ok"}
    # Only complete targets are in the outputs, each whole; every other target is a named failure.
    assert set(per_target) <= set(ok)
    for target, entry in ok.items():
        assert per_target[target] == sum(entry["evaluations"].values()) == 3
    assert failed, "the dead worker's targets are named"
    assert all(entry["error_code"] == "WorkerFailed" for entry in failed.values())
    assert set(ok) | set(failed) == {(account, region) for account in members for region in REGIONS}
    assert summary["totals"]["evaluations"] == len(lines)
    # The other outputs agree with the JSON lines.
    per_account = [json.loads(x) for p in directory.glob("*.jsonl") for x in p.read_text().splitlines()]
    assert sorted(map(json.dumps, per_account)) == sorted(map(json.dumps, lines))
    document = json.loads((tmp_path / "out.json").read_text())
    assert len(document["evaluations"]) == len(lines)
    assert "WorkerFailed" in stderr.decode()
