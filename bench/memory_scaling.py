"""Peak RSS of `cloudsweep scan` over a few accounts and over many: memory should stay flat (not a timed test).

Run: `.venv/bin/python bench/memory_scaling.py [--small 5] [--large 50] [--resources 40] [--users 2] [--max-targets N]`

It starts `cloudsweep emulator --seed none` in its own process, seeds `--large` member accounts through the
real APIs (AssumeRole into each, the role CloudSweepAudit, `--resources` EC2 instances in us-east-1, half
t3.micro and half m5.large, and `--users` IAM users), then scans the first `--small` accounts, all `--large`
accounts, and the small set again, each in a fresh `python -m scanner scan` process whose peak RSS comes from
os.wait4 (ru_maxrss, KiB on Linux). Every scan must exit 0 and its summary.json must list each account once,
status ok, with resources + users evaluations (resources / 2 of them NON_COMPLIANT: the m5.large instances).

Peak RSS includes the interpreter and its imports (aioboto3, botocore...), so the ratio large/small is the
headline (target < 1.3x) and the growth in MiB says how much the extra accounts cost. With the scanner's
default --max-targets 16 the small scan runs fewer targets at once than the large one, so part of the growth
is concurrency, bounded by --max-targets rather than by the number of accounts: `--max-targets 5` (passed to
every scan) makes both scans run equally many targets at once and isolates what the extra accounts cost.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
MANAGEMENT_ACCOUNT_ID = "123456789012"  # moto's default account: any key it did not issue acts here
MANAGEMENT_KEY_ID = "AKIACLOUDSWEEPBENCH0"
MANAGEMENT_SECRET = "cloudsweep-bench-management-secret"
ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole"
AUDIT_ROLE = "CloudSweepAudit"
AMI_ID = "ami-0123456789abcdef0"  # moto only checks ImageId when MOTO_ENABLE_AMI_VALIDATION is set
FIRST_ACCOUNT_ID = 100_000_000_000
CHECKS = ("desired-instance-type", "iam-inactive-user")
TARGET_RATIO = 1.3
SCANNER_DEFAULT_MAX_TARGETS = 16
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=4)


@dataclass(frozen=True)
class RunResult:
    label: str
    accounts: int
    evaluations: int
    peak_rss_kib: int
    seconds: float

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss_kib / 1024


def account_ids(count: int) -> list[str]:
    return [str(FIRST_ACCOUNT_ID + index) for index in range(1, count + 1)]


def clean_environment() -> dict[str, str]:
    """The environment for the emulator and the scans: static management keys, no profile or config files."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(
        AWS_ACCESS_KEY_ID=MANAGEMENT_KEY_ID,
        AWS_SECRET_ACCESS_KEY=MANAGEMENT_SECRET,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return environment


@contextmanager
def emulator() -> Iterator[str]:
    """`python -m scanner emulator --seed none` in its own process; yields its endpoint URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner", "emulator", "--seed", "none"],
        cwd=ROOT,
        env=clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("endpoint: "):
            raise SystemExit(f"the emulator did not print its endpoint: {line!r}")
        yield line.removeprefix("endpoint: ").strip()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- seeding ---------------------------------------------------------------------------------------------------


def boto3_session() -> boto3.Session:
    # One session for every client: it caches the service models, the expensive part of making a client.
    # Cut off from the user's profile and config files.
    core = botocore.session.Session(
        session_vars={
            "profile": (None, None, None, None),
            "config_file": (None, None, os.devnull, None),
            "credentials_file": (None, None, os.devnull, None),
        }
    )
    return boto3.Session(botocore_session=core, region_name=REGION)


def trust_management_account() -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT_ACCOUNT_ID}:root"},
        "Action": "sts:AssumeRole",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed_account(session: boto3.Session, sts: Any, endpoint: str, account_id: str, resources: int, users: int) -> None:
    """Role, instances and users in one member account, through the account's own assumed-role credentials."""
    response = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ORGANIZATION_ACCESS_ROLE}", RoleSessionName="bench"
    )
    credentials = response["Credentials"]
    keys = {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }

    def client(service: str) -> Any:
        return session.client(service, region_name=REGION, endpoint_url=endpoint, config=CLIENT_CONFIG, **keys)

    iam, ec2, config = client("iam"), client("ec2"), client("config")
    identity_account = client("sts").get_caller_identity()["Account"]
    if identity_account != account_id:
        raise SystemExit(f"assumed role acts in {identity_account}, expected {account_id}")
    iam.create_role(RoleName=AUDIT_ROLE, AssumeRolePolicyDocument=trust_management_account())
    for index in range(users):
        iam.create_user(UserName=f"bench-user-{index}")
    compliant = (resources + 1) // 2
    for instance_type, count in (("t3.micro", compliant), ("m5.large", resources - compliant)):
        if count:
            ec2.run_instances(ImageId=AMI_ID, InstanceType=instance_type, MinCount=count, MaxCount=count)
    # The emulator records an account lazily, on its next Config read: do it now, so no scan pays for it.
    config.list_discovered_resources(resourceType="AWS::EC2::Instance", limit=1)


def seed(endpoint: str, accounts: Sequence[str], resources: int, users: int) -> float:
    started = time.perf_counter()
    session = boto3_session()
    sts = session.client(
        "sts",
        region_name=REGION,
        endpoint_url=endpoint,
        config=CLIENT_CONFIG,
        aws_access_key_id=MANAGEMENT_KEY_ID,
        aws_secret_access_key=MANAGEMENT_SECRET,
    )
    for account_id in accounts:
        seed_account(session, sts, endpoint, account_id, resources, users)
    return time.perf_counter() - started


# --- scanning --------------------------------------------------------------------------------------------------


def write_accounts_file(path: Path, accounts: Sequence[str]) -> None:
    entries = [{"account_id": account_id, "name": f"bench-{account_id}", "role": AUDIT_ROLE} for account_id in accounts]
    # JSON is YAML: quoted ids stay strings.
    path.write_text("accounts:\n" + "".join(f"- {json.dumps(entry)}\n" for entry in entries), encoding="utf-8")


def scan_command(accounts_file: Path, output_dir: Path, endpoint: str, max_targets: int | None) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "scanner",
        "scan",
        "--accounts-file",
        str(accounts_file),
        "--regions",
        REGION,
        "--checks",
        ",".join(CHECKS),
        "--param",
        "desired-instance-type.desiredInstanceType=t3.micro",
        "--output-dir",
        str(output_dir),
        "--endpoint-url",
        endpoint,
        "--fail-on",
        "never",
        "--rate",
        "config=1000/s",
        "--rate",
        "iam=1000/s",
        "--rate",
        "sts=1000/s",
    ]
    if max_targets is not None:
        command += ["--max-targets", str(max_targets)]
    return command


def run_measured(command: Sequence[str], log_path: Path) -> tuple[int, int, float]:
    """(exit code, peak RSS in KiB, wall seconds) of one child process."""
    with log_path.open("w", encoding="utf-8") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, env=clean_environment(), stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    exit_code = os.waitstatus_to_exitcode(status)
    process.returncode = exit_code  # reaped by wait4: Popen must not wait for it again
    return exit_code, usage.ru_maxrss, seconds


def check_summary(summary_path: Path, accounts: Sequence[str], resources: int, users: int) -> int:
    """The scan's evaluation count, once summary.json shows every account scanned, ok, with the right counts."""
    summary: Mapping[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
    targets = summary["targets"]
    listed = sorted(target["account_id"] for target in targets)
    if listed != sorted(accounts):
        raise SystemExit(f"{summary_path}: expected targets for {len(accounts)} accounts, got {len(listed)}")
    expected_non_compliant = resources - (resources + 1) // 2
    for target in targets:
        evaluations = target["evaluations"]
        if target["status"] != "ok":
            raise SystemExit(f"{summary_path}: {target['account_id']} status {target['status']}: {target['errors']}")
        if sum(evaluations.values()) != resources + users:
            raise SystemExit(f"{summary_path}: {target['account_id']} has {evaluations}, expected {resources + users}")
        if evaluations.get("NON_COMPLIANT", 0) != expected_non_compliant:
            raise SystemExit(
                f"{summary_path}: {target['account_id']} has {evaluations}, expected "
                f"{expected_non_compliant} NON_COMPLIANT (the m5.large instances)"
            )
    total = int(summary["totals"]["evaluations"])
    if total != len(accounts) * (resources + users):
        raise SystemExit(f"{summary_path}: {total} evaluations, expected {len(accounts) * (resources + users)}")
    return total


def measure(
    label: str,
    workdir: Path,
    endpoint: str,
    accounts: Sequence[str],
    arguments: argparse.Namespace,
) -> tuple[RunResult, list[str]]:
    resources, users = arguments.resources, arguments.users
    run_dir = workdir / label.replace(" ", "-").replace("#", "")
    run_dir.mkdir()
    accounts_file = run_dir / "accounts.yml"
    write_accounts_file(accounts_file, accounts)
    command = scan_command(accounts_file, run_dir / "out", endpoint, arguments.max_targets)
    exit_code, peak_kib, seconds = run_measured(command, run_dir / "scan.log")
    if exit_code != 0:
        tail = (run_dir / "scan.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{label}: scan exited {exit_code}\n{tail}")
    evaluations = check_summary(run_dir / "out" / "summary.json", accounts, resources, users)
    return RunResult(label, len(accounts), evaluations, peak_kib, seconds), command


# --- report ----------------------------------------------------------------------------------------------------


def print_report(results: Sequence[RunResult], small: Sequence[RunResult], large: RunResult, max_targets: int) -> None:
    print(f"{'run':<10} {'accounts':>8} {'evaluations':>11} {'peak RSS MiB':>12} {'wall s':>7}")
    for result in results:
        print(
            f"{result.label:<10} {result.accounts:>8} {result.evaluations:>11} "
            f"{result.peak_rss_mib:>12.1f} {result.seconds:>7.2f}"
        )
    small_rss = [result.peak_rss_mib for result in small]
    small_mean = sum(small_rss) / len(small_rss)
    spread = max(small_rss) - min(small_rss)
    ratio = large.peak_rss_mib / small_mean
    print(f"small runs spread: {spread:.1f} MiB ({100 * spread / small_mean:.1f}% of their mean {small_mean:.1f} MiB)")
    print(f"growth large - small: {large.peak_rss_mib - small_mean:+.1f} MiB")
    verdict = "flat" if ratio < TARGET_RATIO else "NOT flat"
    print(f"peak RSS large/small: {ratio:.2f}x (target < {TARGET_RATIO}x): {verdict}")
    if small[0].accounts < max_targets:
        print(
            f"note: {small[0].accounts} accounts < --max-targets {max_targets}: the small scan runs fewer targets at "
            f"once, so part of the growth is concurrency (try --max-targets {small[0].accounts})"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--small", type=int, default=5, help="accounts in the small scan (default 5)")
    parser.add_argument("--large", type=int, default=50, help="accounts in the large scan (default 50)")
    parser.add_argument("--resources", type=int, default=40, help="EC2 instances per account (default 40)")
    parser.add_argument("--users", type=int, default=2, help="IAM users per account (default 2)")
    parser.add_argument(
        "--max-targets", type=int, default=None, help="passed to every scan (default: the scanner's own, 16)"
    )
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.small <= arguments.large:
        parser.error("need 1 <= --small <= --large")
    if arguments.resources < 0 or arguments.users < 0:
        parser.error("--resources and --users must be >= 0")
    if arguments.max_targets is not None and arguments.max_targets < 1:
        parser.error("--max-targets must be >= 1")

    started = time.perf_counter()
    accounts = account_ids(arguments.large)
    with emulator() as endpoint, tempfile.TemporaryDirectory(prefix="cloudsweep-memory-") as temporary:
        workdir = Path(temporary)
        seconds = seed(endpoint, accounts, arguments.resources, arguments.users)
        print(
            f"seeded {len(accounts)} accounts x ({arguments.resources} instances + {arguments.users} users) "
            f"in {seconds:.1f} s at {endpoint}",
            flush=True,
        )
        results: list[RunResult] = []
        command: list[str] = []
        # Small, large, small again: the two small runs show the noise, and any drift over the session.
        for label, size in (("small #1", arguments.small), ("large", arguments.large), ("small #2", arguments.small)):
            result, command = measure(label, workdir, endpoint, accounts[:size], arguments)
            results.append(result)
            print(f"  {label}: {result.peak_rss_mib:.1f} MiB, {result.seconds:.2f} s", flush=True)
    print()
    print_report(results, [results[0], results[2]], results[1], arguments.max_targets or SCANNER_DEFAULT_MAX_TARGETS)
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    bench = [python, "bench/memory_scaling.py", *(argv if argv is not None else sys.argv[1:])]
    print(f"bench: {shlex.join(bench)}  ({time.perf_counter() - started:.0f} s in all)")
    shown = [
        "python" if part == sys.executable else Path(part).name if part.startswith(temporary) else part
        for part in command
    ]
    print(f"scan:  {shlex.join(shown)}  (accounts.yml lists the first N accounts; peak RSS from os.wait4)")
    # A benchmark, not a test: the verdict is printed; a non-zero exit only means a scan went wrong.
    return 0


if __name__ == "__main__":
    sys.exit(main())
