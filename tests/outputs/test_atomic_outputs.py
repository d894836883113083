"""Output files appear whole or not at all: a write error keeps the old file, planted links are never followed."""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cloudsweep_emulator.server import Emulator

from tests.support import client

AMI = "ami-0123456789abcdef0"


@pytest.fixture
def instances(aws_env: Emulator, boto_session: Any) -> None:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url, "us-east-1")
    ec2.run_instances(ImageId=AMI, MinCount=60, MaxCount=60, InstanceType="t3.micro")


def scan(aws_env: Emulator, *extra: str, limit: int | None = None) -> subprocess.CompletedProcess[bytes]:
    def small_files() -> None:
        if limit is not None:
            # A file may not grow past `limit` bytes: writes fail (EFBIG) as on a full disk (Python ignores SIGXFSZ).
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [
        sys.executable, "-m", "scanner", "scan", "--checks", "desired-instance-type",
        "--param", "desired-instance-type.desiredInstanceType=t3.micro", "--endpoint-url", aws_env.endpoint_url,
        *extra,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, timeout=120, check=False, preexec_fn=small_files)


@pytest.mark.slow
def test_a_write_error_keeps_the_previous_file_and_says_so(aws_env: Emulator, instances: None, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"previous": true}\n' * 3)
    summary = tmp_path / "od" / "summary.json"

    done = scan(aws_env, "--output", str(out), "--output-dir", str(tmp_path / "od"), limit=4096)

    assert done.returncode == 3, done.stderr.decode()[-2000:]
    assert out.read_text() == '{"previous": true}\n' * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["od", "out.jsonl"]
    assert not list((tmp_path / "od").glob("*.partial"))
    errors = json.loads(summary.read_text())["errors"]
    # Both files outgrow the limit: each is named, neither is left half written.
    assert [(e["what"], e["code"]) for e in errors] == [("output", "OutputNotWritten")] * 2
    assert {e["message"].split(": ")[0] for e in errors} == {str(out), str(tmp_path / "od" / "123456789012.jsonl")}
    assert all(e["message"].endswith("the previous file is kept") for e in errors)
    assert not (tmp_path / "od" / "123456789012.jsonl").exists()
    assert "OutputNotWritten" in done.stderr.decode()


@pytest.mark.slow
def test_planted_links_are_never_written_through(aws_env: Emulator, instances: None, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    out = tmp_path / "out.jsonl"
    directory = tmp_path / "od"
    directory.mkdir()
    (tmp_path / "out.jsonl.partial").symlink_to(victim)
    (directory / "summary.json.partial").symlink_to(victim)
    (directory / "123456789012.jsonl").symlink_to(victim)

    done = scan(aws_env, "--output", str(out), "--output-dir", str(directory))

    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert victim.read_text() == "precious\n"
    assert len(out.read_text().splitlines()) == 60
    # The account's file replaced the link itself, not what it pointed to.
    account_file = directory / "123456789012.jsonl"
    assert not account_file.is_symlink()
    assert account_file.read_text() == out.read_text()
    assert json.loads((directory / "summary.json").read_text())["totals"]["evaluations"] == 60


@pytest.mark.parametrize("option", ["--output", "--output-dir"])
def test_a_pipe_at_an_output_is_refused_never_replaced(aws_env: Emulator, tmp_path: Path, option: str) -> None:
    """A device or a pipe at an output's name (`--output /dev/null`) would be replaced by the rename into place:
    refused before any call, and left as it was. A FIFO stands in for /dev/null, which a failing test would break."""
    pipe = tmp_path / "od" / "summary.json" if option == "--output-dir" else tmp_path / "out.jsonl"
    pipe.parent.mkdir(exist_ok=True)
    os.mkfifo(pipe)
    # Nothing listens on port 9: a scan that got as far as an API call would end 3 (connection refused), not 2.
    unreachable = ("--endpoint-url", "http://127.0.0.1:9")

    done = scan(aws_env, *unreachable, option, str(pipe.parent if option == "--output-dir" else pipe))

    assert done.returncode == 2, done.stderr.decode()[-2000:]
    assert f"{pipe} is not a regular file (a device, a pipe or a socket)" in done.stderr.decode()
    assert stat.S_ISFIFO(pipe.lstat().st_mode)


@pytest.mark.slow
def test_the_state_file_is_never_opened_through_a_link(aws_env: Emulator, instances: None, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    state = tmp_path / "state.jsonl"
    state.symlink_to(victim)

    done = scan(aws_env, "--state", str(state), "--output", str(tmp_path / "out.jsonl"))

    assert done.returncode == 2, done.stderr.decode()[-2000:]
    assert "symbolic link" in done.stderr.decode()
    assert victim.read_text() == "precious\n"
    assert os.path.islink(state)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--output", "{d}/x.jsonl", "--state", "{d}/x.jsonl"], "is also --output"),
        (["--output-dir", "{d}/od", "--output", "{d}/od/summary.json"], "a file --output-dir"),
        (["--output-dir", "{d}/od", "--output", "{d}/od/123456789012.jsonl"], "a file --output-dir"),
        (["--output", "{d}/od"], "is a directory"),
        (["--output", "json:{d}/m.yaml", "--mutelist", "{d}/m.yaml"], "is also an input"),
        (["--workers", "3", "--max-concurrency", "2", "--accounts", "111111111111,222222222222"], "shared"),
        (["--workers", "3", "--max-targets", "2", "--accounts", "111111111111,222222222222"], "shared"),
    ],
)
def test_conflicting_outputs_and_caps_are_refused_before_any_call(
    aws_env: Emulator, tmp_path: Path, arguments: list[str], message: str
) -> None:
    (tmp_path / "od").mkdir()
    (tmp_path / "m.yaml").write_text("entries: []\n")
    # Nothing listens on port 9: a scan that got as far as an API call would end 3 (connection refused), not 2.
    unreachable = ("--endpoint-url", "http://127.0.0.1:9")

    done = scan(aws_env, "--role-name", "R", *unreachable, *[argument.format(d=tmp_path) for argument in arguments])

    assert done.returncode == 2, done.stderr.decode()[-2000:]
    assert message in done.stderr.decode()
    assert (tmp_path / "m.yaml").read_text() == "entries: []\n"


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["identity-throttled", "no-organization", "organization-without-accounts"])
def test_a_scan_that_fails_before_reading_anything_leaves_the_outputs_untouched(
    aws_env: Emulator, boto_session: Any, tmp_path: Path, failure: str
) -> None:
    from cloudsweep_emulator.faults import FaultRule

    if failure == "identity-throttled":
        aws_env.faults.add(FaultRule.throttle(operation="GetCallerIdentity"))
    if failure == "organization-without-accounts":
        organizations = client(boto_session, "organizations", aws_env.endpoint_url)
        organizations.create_organization(FeatureSet="ALL")
        organizations.create_account(Email="gone@example.com", AccountName="gone")
        for account in organizations.list_accounts()["Accounts"]:
            if account["Name"] == "gone":
                organizations.close_account(AccountId=account["Id"])
    previous = '{"previous": true}\n' * 50
    outputs = [tmp_path / "out.jsonl", tmp_path / "out.html", tmp_path / "od" / "summary.json"]
    for path in outputs:
        path.parent.mkdir(exist_ok=True)
        path.write_text(previous)
    organization = (
        [] if failure == "identity-throttled" else ["--org", "--role-name", "R", "--exclude-accounts", "123456789012"]
    )

    done = scan(
        aws_env,
        *organization,
        "--output",
        str(outputs[0]),
        "--output",
        str(outputs[1]),
        "--output-dir",
        str(tmp_path / "od"),
    )

    assert done.returncode == 3, done.stderr.decode()[-2000:]
    assert [path.read_text() for path in outputs] == [previous] * 3
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["od", "out.html", "out.jsonl", "summary.json"]
    assert "outputs left as they were" in done.stderr.decode()
