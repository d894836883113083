"""--state, signals and the per-target deadline: a scan killed with SIGKILL or stopped with SIGTERM resumes to the
outputs an uninterrupted run writes; a hung target is abandoned on time. Real processes against the emulator."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.pytest_plugin import Estates
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.registry import SelectedCheck
from scanner.runner import run_scan
from scanner.scan.request import Access, AccountSource, Destinations, RunControl, ScanLimits, ScanRequest
from scanner.scan.targets import Account
from tests.support import organization_with_instances

ROLE = "OrganizationAccountAccessRole"
REGIONS = "us-east-1,eu-west-1"


@pytest.fixture
def members(aws_env: Emulator, boto_session: Any, estates: Estates) -> list[str]:
    """Four member accounts with instances (two types) in both regions."""
    return organization_with_instances(
        boto_session,
        aws_env.endpoint_url,
        4,
        REGIONS.split(","),
        [("t3.micro", 2), ("m5.large", 1)],
        role=ROLE,
        estates=estates,
    )


def command(aws_env: Emulator, members: list[str], directory: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "scanner", "scan",
        "--checks", "desired-instance-type,restricted-ssh",
        "--param", "desired-instance-type.desiredInstanceType=t3.micro",
        "--accounts", ",".join(members), "--role-name", ROLE, "--regions", REGIONS,
        "--max-targets", "1", "--endpoint-url", aws_env.endpoint_url,
        "--output", str(directory / "out.jsonl"), "--output", str(directory / "out.json"),
        *extra,
    ]  # fmt: skip


def target_lines(state: Path) -> int:
    if not state.exists():
        return 0
    return sum(1 for line in state.read_bytes().split(b"\n")[1:] if line.startswith(b'{"kind":"target"'))


def wait_for_targets(process: subprocess.Popen[bytes], state: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while target_lines(state) < count:
        assert process.poll() is None, f"the scan ended before {count} targets were recorded"
        assert time.monotonic() < deadline, f"{count} targets were not recorded within {timeout} s"
        time.sleep(0.05)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def without_time(lines: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(sorted((k, v) for k, v in record.items() if k != "ordering_timestamp")) for record in lines)


def uninterrupted(aws_env: Emulator, members: list[str], tmp_path: Path) -> list[dict[str, Any]]:
    directory = tmp_path / "whole"
    directory.mkdir()
    done = subprocess.run(command(aws_env, members, directory), capture_output=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr.decode()[-2000:]
    return records(directory / "out.jsonl")


@pytest.mark.slow
def test_a_killed_scan_resumes_to_what_an_uninterrupted_run_writes(
    aws_env: Emulator, members: list[str], tmp_path: Path
) -> None:
    expected = uninterrupted(aws_env, members, tmp_path)
    assert len(expected) == 4 * 2 * (3 + 1)  # instances and the default security group, per account and region
    aws_env.faults.install(FaultRule.latency(60))
    state = tmp_path / "scan.state"
    process = subprocess.Popen(command(aws_env, members, tmp_path, "--state", str(state)), stderr=subprocess.PIPE)
    try:
        wait_for_targets(process, state, 2)
    except AssertionError:
        raise AssertionError(process.communicate()[1].decode()[-3000:]) from None
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    killed_at = target_lines(state)
    assert 2 <= killed_at < 8
    assert not (tmp_path / "out.jsonl").exists(), "nothing half-written under the final name"

    resumed = subprocess.run(
        command(aws_env, members, tmp_path, "--state", str(state)), capture_output=True, timeout=120, check=False
    )
    assert resumed.returncode == 1, resumed.stderr.decode()[-2000:]
    assert b"scan resumed" in resumed.stderr
    lines = records(tmp_path / "out.jsonl")
    assert without_time(lines) == without_time(expected), "no duplicate, no missing evaluation"
    # One scan, resumed: every evaluation carries the first run's start.
    assert len({line["ordering_timestamp"] for line in lines}) == 1
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert len(document["evaluations"]) == len(lines)
    assert document["summary"]["failures"] == []
    assert target_lines(state) == 8


@pytest.mark.slow
@pytest.mark.parametrize(("stop", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_flushes_and_resumes(
    aws_env: Emulator, members: list[str], tmp_path: Path, stop: signal.Signals, code: int
) -> None:
    expected = uninterrupted(aws_env, members, tmp_path)
    aws_env.faults.install(FaultRule.latency(60))
    state = tmp_path / "scan.state"
    process = subprocess.Popen(command(aws_env, members, tmp_path, "--state", str(state)), stderr=subprocess.PIPE)
    wait_for_targets(process, state, 1)
    stopped_at = time.monotonic()
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr.decode()[-2000:]
    assert time.monotonic() - stopped_at < 20, "in-flight work is finished or abandoned within the grace period"
    assert b"scan stopping" in stderr
    partial = records(tmp_path / "out.jsonl")
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert len(document["evaluations"]) == len(partial) > 0
    assert any(failure["code"] == "Interrupted" for failure in document["summary"]["failures"])

    resumed = subprocess.run(
        command(aws_env, members, tmp_path, "--state", str(state)), capture_output=True, timeout=120, check=False
    )
    assert resumed.returncode == 1, resumed.stderr.decode()[-2000:]
    assert without_time(records(tmp_path / "out.jsonl")) == without_time(expected)


@pytest.mark.slow
def test_a_state_file_of_another_scan_or_with_a_torn_line(
    aws_env: Emulator, members: list[str], tmp_path: Path
) -> None:
    state = tmp_path / "scan.state"
    first = subprocess.run(
        command(aws_env, members[:1], tmp_path, "--state", str(state)), capture_output=True, timeout=120, check=False
    )
    assert first.returncode == 1, first.stderr.decode()[-2000:]
    assert target_lines(state) == 2
    # Complete: the next run with this file is a new scan, not a replay of these results.
    assert state.read_bytes().endswith(b'{"kind":"complete"}\n')
    fresh = subprocess.run(
        command(aws_env, members[:1], tmp_path, "--state", str(state)), capture_output=True, timeout=120, check=False
    )
    assert fresh.returncode == 1, fresh.stderr.decode()[-2000:]
    assert b"scan resumed" not in fresh.stderr

    def unfinished() -> None:
        """As if killed: the completion line gone, half a target line written."""
        whole = state.read_bytes().removesuffix(b'{"kind":"complete"}\n')
        state.write_bytes(whole + b'{"kind":"target","account_id":"1')

    unfinished()
    again = subprocess.run(
        command(aws_env, members[:1], tmp_path, "--state", str(state)), capture_output=True, timeout=120, check=False
    )
    assert again.returncode == 1, again.stderr.decode()[-2000:]
    assert b"scan resumed" in again.stderr
    assert len(records(tmp_path / "out.jsonl")) == 8
    assert state.read_bytes().endswith(b"\n")
    unfinished()
    other = subprocess.run(
        command(aws_env, members[:2], tmp_path, "--state", str(state)), capture_output=True, timeout=120, check=False
    )
    assert other.returncode == 2
    assert b"belongs to another scan" in other.stderr


@pytest.mark.slow
def test_a_hung_target_is_abandoned_at_its_deadline(aws_env: Emulator, members: list[str], tmp_path: Path) -> None:
    slow = members[0]
    aws_env.faults.install(FaultRule.latency(3000, account=slow, operation="ListDiscoveredResources"))
    desired = BUILTIN.get("desired-instance-type")
    request = ScanRequest(
        checks=(SelectedCheck(desired, desired.parameters.parse(desired.id, {"desiredInstanceType": "t3.micro"})),),
        regions=("us-east-1",),
        source=AccountSource(accounts=tuple(Account(account) for account in members)),
        access=Access(role_name=ROLE, endpoint_url=aws_env.endpoint_url),
        destinations=Destinations(output=tmp_path / "out.jsonl"),
        limits=ScanLimits(target_timeout=1.0),
    )
    started = time.monotonic()
    report = run_scan(request)
    assert time.monotonic() - started < 15
    (failure,) = report.all_failures
    assert (failure.account_id, failure.code) == (slow, "TargetTimeout")
    assert failure.message == "the target did not finish within 1 s; its results are partial"
    evaluated = {record["account_id"] for record in records(tmp_path / "out.jsonl")}
    assert evaluated == set(members[1:])
    assert report.exit_code(request.destinations.fail_on) == 3


def test_state_does_not_go_with_workers(aws_env: Emulator, members: list[str], tmp_path: Path) -> None:
    refused = subprocess.run(
        command(aws_env, members, tmp_path, "--state", str(tmp_path / "s"), "--workers", "2", "--max-targets", "2"),
        capture_output=True, timeout=60, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert refused.returncode == 2
    assert b"--state records one process's targets: it does not go with --workers" in refused.stderr


def test_a_resumed_scan_puts_nothing_again_to_aws_config(aws_env: Emulator, members: list[str], tmp_path: Path) -> None:
    """The first run put its evaluations; a replay feeds only the local outputs (no role is assumed yet then)."""
    from scanner.aws.config_evaluations import ResultTokens

    desired = BUILTIN.get("desired-instance-type")
    puts: list[str] = []

    def record(event_name: str, **_: Any) -> None:
        puts.append(event_name)

    def run() -> Any:
        return run_scan(
            ScanRequest(
                checks=(
                    SelectedCheck(desired, desired.parameters.parse(desired.id, {"desiredInstanceType": "t3.micro"})),
                ),
                regions=("us-east-1",),
                source=AccountSource(accounts=tuple(Account(account) for account in members[:2])),
                access=Access(
                    role_name=ROLE,
                    endpoint_url=aws_env.endpoint_url,
                    event_hooks=(("before-send.config-service.PutEvaluations", record),),
                ),
                destinations=Destinations(
                    output=tmp_path / "out.jsonl", result_tokens=ResultTokens(default="TESTMODE", test_mode=True)
                ),
                run=RunControl(state_file=tmp_path / "scan.state"),
            )
        )

    first = run()
    assert (first.all_failures, len(puts)) == ([], 2)
    state = tmp_path / "scan.state"
    state.write_bytes(state.read_bytes().removesuffix(b'{"kind":"complete"}\n'))  # as if killed at the very end
    puts.clear()
    resumed = run()
    assert resumed.all_failures == []
    assert puts == []
    assert len(records(tmp_path / "out.jsonl")) == 2 * 3  # three instances in each account


# --- a state file is input: every replayed line verified ----------------------------------------------------------


def state_lines(state: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header, *rest = (json.loads(line) for line in state.read_text(encoding="utf-8").splitlines())
    return header, [line for line in rest if line.get("kind") == "target"]


def rewrite(state: Path, header: dict[str, Any], targets: list[dict[str, Any]], *, sign: bool) -> None:
    """The file as an interrupted run leaves it (no completion line); `sign`: checksums recomputed, as a forger
    who read this module would."""
    from scanner.scan.state import line_digest

    for line in targets:
        if sign:
            body = {key: value for key, value in line.items() if key != "sha256"}
            line["sha256"] = line_digest(header["fingerprint"], header["scan_id"], body)
    text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in (header, *targets))
    state.write_text(text, encoding="utf-8")


# The interrupted scan's files, by the members it scanned: the scan runs once per session, each test edits a copy.
_INTERRUPTED: dict[tuple[str, ...], Path] = {}


@pytest.fixture
def interrupted(
    aws_env: Emulator, members: list[str], tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A state file of a one-account scan whose two targets finished, as if killed before its end, beside the
    outputs that scan wrote."""
    state = tmp_path / "scan.state"
    if tuple(members) in _INTERRUPTED:
        shutil.copytree(_INTERRUPTED[tuple(members)], tmp_path, dirs_exist_ok=True)
        return state
    first = subprocess.run(
        command(aws_env, members[:1], tmp_path, "--state", str(state)), capture_output=True, timeout=120, check=False
    )
    assert first.returncode == 1, first.stderr.decode()[-2000:]
    header, targets = state_lines(state)
    assert sorted((line["account_id"], line["region"]) for line in targets) == [
        (members[0], "eu-west-1"),
        (members[0], "us-east-1"),
    ]
    assert all(len(line["sha256"]) == 64 for line in targets)
    rewrite(state, header, targets, sign=False)
    kept = tmp_path_factory.mktemp("interrupted")
    shutil.copytree(tmp_path, kept, dirs_exist_ok=True)
    _INTERRUPTED[tuple(members)] = kept
    return state


def refused(aws_env: Emulator, members: list[str], tmp_path: Path, state: Path) -> str:
    """Resume with `state`: refused (exit 2), the state file and the previous outputs untouched. The message."""
    before = {path: path.read_bytes() for path in (state, tmp_path / "out.jsonl", tmp_path / "out.json")}
    done = subprocess.run(
        command(aws_env, members[:1], tmp_path, "--state", str(state)), capture_output=True, timeout=120, check=False
    )
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr[-2000:]
    assert "Traceback" not in stderr
    assert "scan resumed" not in stderr
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path.name} changed"
    assert not list(tmp_path.glob("*.partial"))
    return stderr


@pytest.mark.slow
def test_a_line_edited_without_its_checksum_is_refused(
    aws_env: Emulator, members: list[str], tmp_path: Path, interrupted: Path
) -> None:
    header, targets = state_lines(interrupted)
    flipped = next(record for record in targets[1]["evaluations"] if record["compliance"] == "NON_COMPLIANT")
    flipped["compliance"] = "COMPLIANT"
    rewrite(interrupted, header, targets, sign=False)
    stderr = refused(aws_env, members, tmp_path, interrupted)
    assert f"--state {interrupted}: line 3 does not match its checksum" in stderr


def _other_account(targets: list[dict[str, Any]]) -> None:
    for line in targets:
        line["account_id"] = "999999999999"
        for record in line["evaluations"]:
            record["account_id"] = "999999999999"


def _other_region(targets: list[dict[str, Any]]) -> None:
    targets[1]["region"] = "ap-south-1"
    for record in targets[1]["evaluations"]:
        record["region"] = "ap-south-1"


def _another_targets_evaluations(targets: list[dict[str, Any]]) -> None:
    targets[0]["evaluations"] = targets[1]["evaluations"]


def _edited_compliance(targets: list[dict[str, Any]]) -> None:
    targets[1]["evaluations"][0]["compliance"] = "PASS"


def _missing_key(targets: list[dict[str, Any]]) -> None:
    del targets[1]["evaluations"][0]["resource_id"]


def _missing_evaluations(targets: list[dict[str, Any]]) -> None:
    del targets[0]["evaluations"]


def _check_not_run(targets: list[dict[str, Any]]) -> None:
    targets[1]["evaluations"][0]["check"] = "root-account-mfa-enabled"


def _other_start(targets: list[dict[str, Any]]) -> None:
    targets[1]["evaluations"][0]["ordering_timestamp"] = "2020-01-01T00:00:00.000Z"


def _target_twice(targets: list[dict[str, Any]]) -> None:
    targets.append(json.loads(json.dumps(targets[0])))


def _not_a_record(targets: list[dict[str, Any]]) -> None:
    targets[1]["evaluations"][0] = ["a", "list"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_other_account, "line 2 records account 999999999999 region us-east-1, an account this scan does not cover"),
        (_other_region, "line 3 records account {account} region ap-south-1, a region this scan does not cover"),
        (_another_targets_evaluations, "line 2, evaluation 1 is of account {account} region eu-west-1, not of the "),
        (_edited_compliance, "line 3, evaluation 1: compliance is not one of COMPLIANT, NON_COMPLIANT, NOT_APPLIC"),
        (_missing_key, "line 3, evaluation 1: lacks resource_id"),
        (_missing_evaluations, "line 2: a target line lacks evaluations"),
        (_check_not_run, "line 3, evaluation 1 is of check 'root-account-mfa-enabled', which this scan does not run"),
        (_other_start, "line 3, evaluation 1: ordering_timestamp '2020-01-01T00:00:00.000Z' is not the scan's start"),
        (_target_twice, "line 4 records account {account} region us-east-1 again (line 2 did)"),
        (_not_a_record, "line 3, evaluation 1 is not an object"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else "",
)
def test_a_forged_line_is_refused_for_what_it_claims(
    aws_env: Emulator,
    members: list[str],
    tmp_path: Path,
    interrupted: Path,
    edit: Any,
    expected: str,
) -> None:
    """Checksums recomputed: only the verification of each line against the scan stands between it and the outputs."""
    header, targets = state_lines(interrupted)
    targets.sort(key=lambda line: line["region"] != "us-east-1")  # line 2: us-east-1, line 3: eu-west-1
    edit(targets)
    rewrite(interrupted, header, targets, sign=True)
    stderr = refused(aws_env, members, tmp_path, interrupted)
    assert f"--state {interrupted}: " + expected.format(account=members[0]) in " ".join(stderr.split())


@pytest.mark.slow
def test_a_state_file_of_an_older_version_or_with_a_bad_header_is_refused(
    aws_env: Emulator, members: list[str], tmp_path: Path, interrupted: Path
) -> None:
    header, targets = state_lines(interrupted)
    rewrite(interrupted, {**header, "version": 1}, targets, sign=True)
    stderr = refused(aws_env, members, tmp_path, interrupted)
    assert "state file version 1, this cloudsweep reads version 2 only (line 1)" in stderr
    rewrite(interrupted, {key: value for key, value in header.items() if key != "now"}, targets, sign=True)
    stderr = refused(aws_env, members, tmp_path, interrupted)
    assert "line 1 needs `now`" in stderr


@pytest.mark.slow
def test_a_verified_file_resumes_and_only_then_drops_its_torn_end(
    aws_env: Emulator, members: list[str], tmp_path: Path, interrupted: Path
) -> None:
    header, targets = state_lines(interrupted)
    expected = records(tmp_path / "out.jsonl")
    rewrite(interrupted, header, targets[:1], sign=False)
    with interrupted.open("a", encoding="utf-8") as stream:
        stream.write('{"kind":"target","account_id":"1')
    done = subprocess.run(
        command(aws_env, members[:1], tmp_path, "--state", str(interrupted)),
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr.decode()[-2000:]
    assert b"scan resumed" in done.stderr
    assert without_time(records(tmp_path / "out.jsonl")) == without_time(expected)
    _, resumed = state_lines(interrupted)
    assert [line["region"] for line in resumed] == sorted({"us-east-1", "eu-west-1"}, key=targets[0]["region"].__ne__)
    assert interrupted.read_bytes().endswith(b'{"kind":"complete"}\n')
