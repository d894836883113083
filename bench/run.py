"""Three scanners, the same work, the same synthetic endpoint, one run (WIP: `make bench`).

    python bench/run.py --accounts 20 --regions us-east-1,eu-west-1 --resources 200 --latency-ms 40

Each scanner runs in its own process (`--scanner NAME`), so its peak RSS and CPU come from `os.wait4`; all must
produce the same evaluations, and all put them with PutEvaluations in the way their design does.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHECK_ID = "desired-instance-type"
PARAMS = {"desiredInstanceType": "t3.micro"}
SCANNERS = ("sample", "threaded", "cloudsweep")


def _job(endpoint: str, accounts: int, regions: tuple[str, ...], now: datetime) -> Any:
    from bench.baselines import Job
    from checks import BUILTIN
    from scanner.orchestrator import SelectedCheck

    check = BUILTIN.get(CHECK_ID)
    account_ids = tuple(str(100000000000 + index) for index in range(accounts))
    return Job(endpoint, account_ids, regions, (SelectedCheck(check, check.parameters.parse(CHECK_ID, PARAMS)),), now)


def _cloudsweep(job: Any) -> list[Any]:
    """cloudsweep's scan, its evaluations put in 100s per account-region as they stream out."""
    import aioboto3
    import anyio

    from bench.baselines import MANAGEMENT_KEYS, RESULT_TOKEN, ROLE_NAME
    from scanner.aws.clients import Credentials
    from scanner.model import Evaluation
    from scanner.scan import AccountSource, ScanRequest, scan
    from scanner.targets import Account

    produced: list[Evaluation] = []

    class PuttingSink:
        def __init__(self) -> None:
            self.pending: dict[tuple[str, str], list[Evaluation]] = {}
            self.clients: dict[tuple[str, str], Any] = {}
            self.sessions: dict[str, aioboto3.Session] = {}

        async def _client(self, account: str, region: str, stack: Any) -> Any:
            if (account, region) not in self.clients:
                if account not in self.sessions:
                    management = aioboto3.Session(**MANAGEMENT_KEYS)
                    async with management.client("sts", region_name="us-east-1", endpoint_url=job.endpoint_url) as sts:
                        role = f"arn:aws:iam::{account}:role/{ROLE_NAME}"
                        keys = (await sts.assume_role(RoleArn=role, RoleSessionName="bench"))["Credentials"]
                    self.sessions[account] = aioboto3.Session(
                        aws_access_key_id=keys["AccessKeyId"],
                        aws_secret_access_key=keys["SecretAccessKey"],
                        aws_session_token=keys["SessionToken"],
                    )
                client = self.sessions[account].client("config", region_name=region, endpoint_url=job.endpoint_url)
                self.clients[(account, region)] = await stack.enter_async_context(client)
            return self.clients[(account, region)]

        async def put(self, evaluation: Evaluation) -> None:
            produced.append(evaluation)
            key = (evaluation.account_id, evaluation.region)
            batch = self.pending.setdefault(key, [])
            batch.append(evaluation)
            if len(batch) == 100:
                await self.flush(key)

        async def flush(self, key: tuple[str, str]) -> None:
            batch = self.pending.pop(key, [])
            if batch:
                client = await self._client(*key, self.stack)
                await client.put_evaluations(
                    Evaluations=[e.to_put_evaluation() for e in batch], ResultToken=RESULT_TOKEN
                )

    async def main() -> None:
        import contextlib

        sink = PuttingSink()
        async with contextlib.AsyncExitStack() as stack:
            sink.stack = stack  # type: ignore[attr-defined]
            request = ScanRequest(
                checks=job.checks,
                regions=job.regions,
                source=AccountSource(accounts=tuple(Account(account) for account in job.accounts)),
                role_name=ROLE_NAME,
                endpoint_url=job.endpoint_url,
                credentials=Credentials(MANAGEMENT_KEYS["aws_access_key_id"], MANAGEMENT_KEYS["aws_secret_access_key"]),
                now=job.now,
                max_concurrency=job.max_concurrency,
                global_region=job.regions[0],
            )
            report = await scan(request, sink)
            for key in list(sink.pending):
                await sink.flush(key)
            if report.all_failures:
                raise SystemExit(f"cloudsweep scan failed: {report.all_failures[:3]}")

    anyio.run(main)
    return produced


def run_one(name: str, endpoint: str, accounts: int, regions: tuple[str, ...], now: datetime, output: Path) -> None:
    import structlog

    from bench.baselines import sample_style, threaded

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    job = _job(endpoint, accounts, regions, now)
    started = time.perf_counter()
    evaluations = {"sample": sample_style, "threaded": threaded, "cloudsweep": _cloudsweep}[name](job)
    elapsed = time.perf_counter() - started
    lines = sorted(evaluation.to_json_line() for evaluation in evaluations)
    output.write_text(json.dumps({"seconds": elapsed, "evaluations": lines}))


def _stats(endpoint: str) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(f"{endpoint}/_bench/stats", timeout=10) as response:
        stats: dict[str, Any] = json.loads(response.read())
    return stats


def _reset(endpoint: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/_bench/reset", method="POST"), timeout=10).close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=5)
    parser.add_argument("--regions", default="us-east-1,eu-west-1")
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--scanners", default=",".join(SCANNERS))
    parser.add_argument("--scanner", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    options = parser.parse_args()
    regions = tuple(options.regions.split(","))
    if options.scanner:
        run_one(
            options.scanner,
            options.endpoint,
            options.accounts,
            regions,
            datetime.fromisoformat(options.now),
            options.output,
        )
        return
    endpoint_process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("endpoint.py")),
            "--accounts",
            str(options.accounts),
            "--regions",
            options.regions,
            "--resources",
            str(options.resources),
            "--latency-ms",
            str(options.latency_ms),
            "--prewarm",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    rows = []
    reference: list[str] | None = None
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        assert endpoint_process.stdout is not None
        endpoint = endpoint_process.stdout.readline().split()[1]
        for name in options.scanners.split(","):
            _reset(endpoint)
            output = Path(f"/tmp/cloudsweep-bench-{name}.json")
            process = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--scanner",
                    name,
                    "--endpoint",
                    endpoint,
                    "--accounts",
                    str(options.accounts),
                    "--regions",
                    options.regions,
                    "--output",
                    str(output),
                    "--now",
                    now.isoformat(),
                ]
            )
            _, status, usage = os.wait4(process.pid, 0)
            if status != 0:
                raise SystemExit(f"{name} failed with status {status}")
            result = json.loads(output.read_text())
            stats = _stats(endpoint)
            if reference is None:
                reference = result["evaluations"]
            same = result["evaluations"] == reference
            count = len(result["evaluations"])
            cpu = usage.ru_utime + usage.ru_stime
            rows.append(
                (
                    name,
                    result["seconds"],
                    stats["requests"],
                    stats["throttles"],
                    usage.ru_maxrss / 1024,
                    cpu / max(count, 1) * 1000,
                    count,
                    same,
                )
            )
    finally:
        endpoint_process.send_signal(signal.SIGTERM)
        endpoint_process.wait(timeout=30)
    header = f"{'scanner':<12}{'wall s':>9}{'API calls':>11}{'throttles':>11}{'peak MiB':>10}"
    print(header + f"{'CPU s/1k ev':>13}{'evals':>8}  same")
    for name, seconds, calls, throttles, rss, cpu, count, same in rows:
        print(f"{name:<12}{seconds:>9.2f}{calls:>11}{throttles:>11}{rss:>10.1f}{cpu:>13.3f}{count:>8}  {same}")
    baseline = {name: seconds for name, seconds, *_ in rows}
    if "cloudsweep" in baseline:
        for other in ("sample", "threaded"):
            if other in baseline:
                print(f"cloudsweep speed-up over {other}: {baseline[other] / baseline['cloudsweep']:.1f}x")


if __name__ == "__main__":
    main()
