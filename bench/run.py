"""Three scanners, the same work, the same synthetic endpoint, one run: `make bench`.

    python bench/run.py                       # workloads a, b, c and the memory pair (about 5 minutes)
    python bench/run.py --workloads smoke     # seconds: what `make test` runs so this never rots
    python bench/run.py --workloads custom --accounts 5 --resources 400 --huge 0:AWS::EC2::Instance:5000 --rate 10

Workloads (parameters in WORKLOADS below; `custom` takes them from the command line):
- a: 20 accounts x 2 regions x 2,000 resources over 4 types; account 0 holds 20,000 instances in its first region.
- b: 200 accounts x 2 regions x 50 resources.
- c: a, with the endpoint allowing 10 requests/s per (account, region, API): the threaded scanner's serial
  paging (25 requests/s at 40 ms) runs into it, and so would any unthrottled scanner.
- d: 40 accounts x 2 regions x (250 instances + 50 security groups), checks desired-instance-type and
  ec2-exposed-instance (which looks up each instance's security groups): 40,000 evaluations, CPU-heavy.
- e: one account, one region, 8,000 instances + 50 security groups, the same two checks: a chain of 80 list pages.
- memory pair: cloudsweep alone over 5 accounts x 2 regions x 1,000 resources (10k) and x 10,000 (100k).

Each scanner runs in its own process, one after the other against one endpoint process whose counters are reset in
between: CPU from `os.wait4` (the process and its workers), peak RSS sampled every 50 ms over its process tree.
All use cloudsweep's four checks, one per resource type, so every resource gets one evaluation, and all put their
evaluations with PutEvaluations the way their design does. The threaded scanner's and cloudsweep's evaluations
must be identical (asserted, sorted JSON lines).

sample-style is strictly sequential, so its wall time is the sum of its calls: it runs on a slice (the
first `--sample-slice` resources of each type in one account-region, its evaluations asserted to be exactly the
reference's for those resources) and its full wall time is extrapolated from that slice by the number of calls the
full run makes (marked `~`). `--sample-slice 0` runs it in full (hours on a).

Lower bound: max(longest chain of dependent calls x latency, calls x latency / concurrency cap, the slowest
(account, region, API)'s calls beyond its burst / the rate, the CPU floor), counting the fewest calls the work needs:
AssumeRole per account, ListDiscoveredResources and BatchGetResourceConfig per 100 resources of a type read,
PutEvaluations per 100 evaluations of an account-region. The chain is AssumeRole, every page of the largest type, its
last batch, the last put. The CPU floor is measured in the same run: one stdlib `json.loads` of every list and batch
response body the work needs (the endpoint's own bytes) and of every item's `configuration`.

Start-up is measured too: `start s` is from a scanner's process start to its first API call (the endpoint's first
request), `total s` from process start to exit; the start-up floor is the best of three runs of a process that only
imports botocore and loads Config's service model. `x bound+start` is total s / (lower bound + start-up floor): the
figure the targets of issue 20 are stated in. `x lower bound` is wall s (after the scanner's imports) / lower bound, as
the earlier runs in docs/benchmarks.md give it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.endpoint import FIRST_MEMBER_ACCOUNT, PAGE_SIZE, RESOURCE_TYPES, parse_huge
from bench.endpoint import Workload as Inventory

# One check per resource type the endpoint serves: every resource gets exactly one evaluation.
CHECKS: dict[str, dict[str, str]] = {
    "desired-instance-type": {"desiredInstanceType": "t3.micro"},
    "encrypted-volumes": {},
    "restricted-ssh": {},
    "s3-bucket-versioning-enabled": {},
    "ec2-exposed-instance": {"ssh": "22", "rdp": "3389"},
}
# Workloads a, b, c and the memory pair: one check per resource type the endpoint serves.
ONE_PER_TYPE = ("desired-instance-type", "encrypted-volumes", "restricted-ssh", "s3-bucket-versioning-enabled")
INSTANCE_CHECKS = ("desired-instance-type", "ec2-exposed-instance")
# cloudsweep-wN: `--workers N`, the accounts dealt to N processes (one core each) under the same caps.
SCANNERS = ("sample", "threaded", "cloudsweep", "cloudsweep-w2")
# cloudsweep writing every report format too (json, csv, ocsf, asff, html): what streaming them costs.
WITH_REPORTS = "cloudsweep-reports"
CONCURRENCY_CAP = 64
HUGE_INSTANCES = (0, "AWS::EC2::Instance", 20_000)


@dataclass(frozen=True)
class Workload:
    name: str
    accounts: int
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1")
    resources: int = 2_000
    huge: tuple[tuple[int, str, int], ...] = ()
    latency_ms: float = 40.0
    rate: float = 0.0  # requests/s per (account, region, API) at the endpoint; 0: unlimited
    scanners: tuple[str, ...] = SCANNERS
    sample_slice: int | None = 50  # resources per type sample-style reads; None: all of them
    checks: tuple[str, ...] = ONE_PER_TYPE
    # Resources per type per account-region, in place of `resources` spread over the four types.
    mix: tuple[tuple[str, int], ...] = ()

    @property
    def inventory(self) -> Inventory:
        return Inventory(self.accounts, self.regions, self.resources, self.huge, mix=self.mix)

    def endpoint_arguments(self) -> list[str]:
        arguments = ["--accounts", str(self.accounts), "--regions", ",".join(self.regions)]
        arguments += ["--resources", str(self.resources), "--latency-ms", str(self.latency_ms)]
        arguments += ["--rate", str(self.rate)]
        for index, resource_type, count in self.huge:
            arguments += ["--huge", f"{index}:{resource_type}:{count}"]
        for resource_type, count in self.mix:
            arguments += ["--mix", f"{resource_type}={count}"]
        return arguments


WORKLOADS = {
    "a": Workload("a", 20, huge=(HUGE_INSTANCES,)),
    "b": Workload("b", 200, resources=50),
    "c": Workload("c", 20, huge=(HUGE_INSTANCES,), rate=10.0),
    "mem-10k": Workload("mem-10k", 5, resources=1_000, scanners=("cloudsweep", WITH_REPORTS)),
    "mem-100k": Workload("mem-100k", 5, resources=10_000, scanners=("cloudsweep", WITH_REPORTS)),
    "d": Workload(
        "d", 40, mix=(("AWS::EC2::Instance", 250), ("AWS::EC2::SecurityGroup", 50)), checks=INSTANCE_CHECKS,
        scanners=("threaded", "cloudsweep", "cloudsweep-w2"),
    ),
    "e": Workload(
        "e", 1, regions=("us-east-1",), mix=(("AWS::EC2::Instance", 8_000), ("AWS::EC2::SecurityGroup", 50)),
        checks=INSTANCE_CHECKS, scanners=("threaded", "cloudsweep"),
    ),
    "smoke": Workload("smoke", 2, resources=120, latency_ms=5.0, huge=((0, "AWS::EC2::Volume", 450),), sample_slice=20),
    "smoke-lookups": Workload(
        "smoke-lookups", 2, latency_ms=5.0, mix=(("AWS::EC2::Instance", 130), ("AWS::EC2::SecurityGroup", 7)),
        checks=INSTANCE_CHECKS, scanners=("threaded", "cloudsweep"),
    ),
}  # fmt: skip
DEFAULT_WORKLOADS = ("a", "b", "c", "d", "e", "mem-10k", "mem-100k")


# --- the work, counted -------------------------------------------------------------------------------------------


def _pages(count: int) -> int:
    return max(1, math.ceil(count / PAGE_SIZE))


def _batches(count: int) -> int:
    return math.ceil(count / PAGE_SIZE)


def _targets(workload: Workload) -> list[tuple[str, str]]:
    return [(account, region) for account in workload.inventory.member_accounts() for region in workload.regions]


def _counts(workload: Workload, account: str, region: str) -> dict[str, int]:
    inventory = workload.inventory
    return {resource_type: inventory.count(account, region, resource_type) for resource_type in RESOURCE_TYPES}


def _check_types(workload: Workload) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """The types each check judges, and every type the work reads (judged or looked up)."""
    from checks import BUILTIN

    judged = {check_id: tuple(BUILTIN.get(check_id).resource_types) for check_id in workload.checks}
    looked_up = {resource_type for check_id in workload.checks for resource_type in BUILTIN.get(check_id).lookup_types}
    return judged, frozenset(looked_up | {resource_type for types in judged.values() for resource_type in types})


def _evaluations(judged: dict[str, tuple[str, ...]], counts: dict[str, int]) -> int:
    return sum(counts.get(resource_type, 0) for types in judged.values() for resource_type in types)


@dataclass(frozen=True)
class LowerBound:
    calls: int
    chain_seconds: float
    concurrency_seconds: float
    rate_seconds: float
    cpu_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        return max(self.chain_seconds, self.concurrency_seconds, self.rate_seconds, self.cpu_seconds)


def lower_bound(workload: Workload, cap: int = CONCURRENCY_CAP, cpu_seconds: float = 0.0) -> LowerBound:
    latency = workload.latency_ms / 1000
    judged, read = _check_types(workload)
    calls = workload.accounts  # AssumeRole
    longest_chain = 0
    busiest = 0  # calls of the busiest (account, region, API)
    for account, region in _targets(workload):
        counts = {
            resource_type: count
            for resource_type, count in _counts(workload, account, region).items()
            if resource_type in read
        }
        lists = sum(_pages(count) for count in counts.values())
        batches = sum(_batches(count) for count in counts.values())
        puts = _batches(_evaluations(judged, counts))
        calls += lists + batches + puts
        busiest = max(busiest, lists, batches, puts)
        biggest = max(counts.values(), default=0)
        longest_chain = max(longest_chain, 1 + _pages(biggest) + (1 if biggest else 0) + (1 if biggest else 0))
    rate_seconds = max(0.0, busiest - workload.rate) / workload.rate if workload.rate else 0.0
    return LowerBound(calls, longest_chain * latency, calls * latency / cap, rate_seconds, cpu_seconds)


def cpu_floor(workload: Workload) -> float:
    """CPU seconds of one stdlib json.loads of every list and batch body the work needs, and of every configuration.

    The bodies are the endpoint's own bytes (its generator, in this process); the fastest of three passes.
    """
    from bench.endpoint import Generator

    _, read = _check_types(workload)
    generator = Generator(workload.inventory)
    bodies: list[bytes] = []
    for account, region in _targets(workload):
        for resource_type in sorted(read):
            inventory = generator.inventory(account, region, resource_type)
            if not inventory.ids:
                continue
            bodies += inventory.pages
            items = [inventory.base_items[resource_id] for resource_id in inventory.ids]
            bodies += [
                b'{"baseConfigurationItems":['
                + b",".join(items[start : start + PAGE_SIZE])
                + b'],"unprocessedResourceKeys":[]}'
                for start in range(0, len(items), PAGE_SIZE)
            ]
    best = math.inf
    for _ in range(3):
        started = time.process_time()
        for body in bodies:
            document = json.loads(body)
            for item in document.get("baseConfigurationItems", ()):
                json.loads(item["configuration"])
        best = min(best, time.process_time() - started)
    return best


def startup_floor(runs: int = 3) -> float:
    """Wall seconds, best of `runs`, of a process that imports botocore and loads Config's service model: what any
    Python scanner on botocore pays before its first call."""
    probe = "import botocore.session; botocore.session.get_session().get_service_model('config')"
    best = math.inf
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", probe], check=True)
        best = min(best, time.monotonic() - started)
    return best


@contextlib.contextmanager
def _endpoint(arguments: Sequence[str]) -> Iterator[str]:
    """bench/endpoint.py in its own process with these arguments: its URL, until the block ends."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("endpoint.py")), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().split()[1]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def command_startup(output: Path, runs: int = 3) -> tuple[float, float]:
    """Best of `runs`: seconds from starting `python -m scanner scan` to its first API call (one account, one
    instance, an endpoint of its own), and seconds to import the Lambda handler in a fresh process."""
    from bench.baselines import MANAGEMENT_KEYS, ROLE_NAME

    first_call = math.inf
    with _endpoint(["--accounts", "1", "--latency-ms", "0", "--mix", "AWS::EC2::Instance=1"]) as endpoint:
        environment = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": MANAGEMENT_KEYS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": MANAGEMENT_KEYS["aws_secret_access_key"],
        }
        command = [
            sys.executable, "-m", "scanner", "scan", "--accounts", str(FIRST_MEMBER_ACCOUNT), "--role-name", ROLE_NAME,
            "--regions", "us-east-1", "--checks", "desired-instance-type",
            "--param", "desired-instance-type.desiredInstanceType=t3.micro", "--endpoint-url", endpoint,
            "--output", str(output),
        ]  # fmt: skip
        for _ in range(runs):
            _get(endpoint, "/_bench/reset", "POST")
            spawned = time.monotonic()
            subprocess.run(command, env=environment, capture_output=True, check=False, timeout=120)
            started = _get(endpoint, "/_bench/stats")["first_request_at"]
            if started is None:
                raise SystemExit("cloudsweep scan made no API call")
            first_call = min(first_call, started - spawned)
    probe = "import time; t = time.perf_counter(); import scanner.lambda_handler; print(time.perf_counter() - t)"
    handler_import = min(
        float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    )
    return first_call, handler_import


def evaluations_expected(workload: Workload) -> int:
    judged, _ = _check_types(workload)
    return sum(_evaluations(judged, _counts(workload, account, region)) for account, region in _targets(workload))


def sample_full_calls(workload: Workload) -> int:
    """What sample-style's full run calls: AssumeRole per account, every page, one history read and one put each."""
    calls = workload.accounts
    for account, region in _targets(workload):
        for count in _counts(workload, account, region).values():
            calls += _pages(count) + 2 * count
    return calls


def sample_scope(workload: Workload) -> tuple[str, str, int | None]:
    """The account-region sample-style scans when sliced: the last account's first region (never the huge one)."""
    if workload.sample_slice is None:
        return "", "", None
    return str(FIRST_MEMBER_ACCOUNT + workload.accounts - 1), workload.regions[0], workload.sample_slice


# --- one scanner in its own process -----------------------------------------------------------------------------


def _job(
    endpoint: str,
    accounts: Sequence[str],
    regions: tuple[str, ...],
    now: datetime,
    limit: int | None,
    check_ids: Sequence[str] = ONE_PER_TYPE,
) -> Any:
    from bench.baselines import Job
    from checks import BUILTIN
    from scanner.registry import SelectedCheck

    checks = tuple(
        SelectedCheck(BUILTIN.get(check_id), BUILTIN.get(check_id).parameters.parse(check_id, CHECKS[check_id]))
        for check_id in check_ids
    )
    return Job(endpoint, tuple(accounts), regions, checks, now, CONCURRENCY_CAP, limit)


def _cloudsweep(job: Any, output: Path, workers: int, reports: bool = False) -> int:
    """cloudsweep's scan as the CLI runs it: JSON lines to a file, evaluations put to AWS Config as they are made."""
    from bench.baselines import MANAGEMENT_KEYS, RESULT_TOKEN, ROLE_NAME
    from scanner.aws.clients import Credentials
    from scanner.aws.config_evaluations import ResultTokens
    from scanner.outputs.reports import OutputFormat, OutputSpec
    from scanner.runner import run_scan
    from scanner.scan.request import Access, AccountSource, Destinations, RunControl, ScanLimits, ScanRequest
    from scanner.scan.targets import Account

    request = ScanRequest(
        checks=job.checks,
        regions=job.regions,
        source=AccountSource(accounts=tuple(Account(account) for account in job.accounts)),
        global_region=job.regions[0],
        access=Access(
            role_name=ROLE_NAME,
            endpoint_url=job.endpoint_url,
            credentials=Credentials(MANAGEMENT_KEYS["aws_access_key_id"], MANAGEMENT_KEYS["aws_secret_access_key"]),
        ),
        run=RunControl(now=job.now, workers=workers),
        limits=ScanLimits(max_concurrency=job.max_concurrency),
        destinations=Destinations(
            result_tokens=ResultTokens(default=RESULT_TOKEN),
            output=output,
            reports=tuple(
                OutputSpec(output_format, output.with_suffix(f".report.{output_format.value}"))
                for output_format in OutputFormat
                if reports and output_format is not OutputFormat.JSONL
            ),
        ),
    )
    report = run_scan(request, log_level="error")
    if report.all_failures:
        raise SystemExit(f"cloudsweep scan failed: {report.all_failures[:3]}")
    return report.counts.total


def run_one(name: str, endpoint: str, workload: Workload, now: datetime, output: Path) -> None:
    import structlog

    from bench.baselines import sample_style, threaded
    from scanner import scan  # noqa: F401  (imports are not part of any scanner's wall time)

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    accounts = workload.inventory.member_accounts()
    regions = workload.regions
    limit = None
    if name == "sample":
        account, region, limit = sample_scope(workload)
        if limit is not None:
            accounts, regions = [account], (region,)
    job = _job(endpoint, accounts, regions, now, limit, workload.checks)
    started = time.perf_counter()
    if name == WITH_REPORTS:
        count = _cloudsweep(job, output.with_suffix(".jsonl"), 1, reports=True)
    elif name.startswith("cloudsweep"):
        workers = int(name.partition("-w")[2] or 1)
        count = _cloudsweep(job, output.with_suffix(".jsonl"), workers)
    else:
        evaluations = {"sample": sample_style, "threaded": threaded}[name](job)
        with output.with_suffix(".jsonl").open("w") as stream:
            for evaluation in evaluations:
                stream.write(evaluation.to_json_line() + "\n")
        count = len(evaluations)
    output.write_text(json.dumps({"seconds": time.perf_counter() - started, "evaluations": count}))


# --- the run -------------------------------------------------------------------------------------------------------


@dataclass
class Row:
    workload: str
    scanner: str
    seconds: float
    api_calls: int
    throttles: int
    peak_mib: float
    cpu_per_1k: float
    evaluations: int
    extrapolated: bool = False
    endpoint_cpu: float = 0.0
    # From the process's start: to its first API call, and to its exit.
    startup: float = 0.0
    total: float = 0.0


def _get(endpoint: str, path: str, method: str = "GET") -> dict[str, Any]:
    import urllib.request

    request = urllib.request.Request(f"{endpoint}{path}", method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body.strip().startswith(b"{") else {}


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants now (a worker pool counts whole)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            total += int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * page
            children = (Path("/proc") / str(pid) / "task" / str(pid) / "children").read_text().split()
        except OSError:
            continue
        stack += [int(child) for child in children]
    return total


def _peak_rss_of_tree(root: int, interval: float = 0.05) -> int:
    """Sample the tree's resident memory until `root` exits (without reaping it); the highest sample.

    Not `ru_maxrss` from wait4: Linux counts in it the RSS of the forked parent (this runner, which holds the
    evaluations it compares) from before the exec, and a worker pool is several processes.
    """
    peak = 0
    while True:
        # WNOWAIT: the exit is seen but the child is left for wait4, which reports its CPU.
        exited = os.waitid(os.P_PID, root, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        peak = max(peak, _tree_rss(root))
        if exited:
            return peak
        time.sleep(interval)


def _sorted_lines(path: Path) -> list[str]:
    with path.open() as stream:
        return sorted(stream)


def run_workload(workload: Workload, now: datetime, scratch: Path) -> tuple[list[Row], LowerBound]:
    rows: list[Row] = []
    reference: list[str] | None = None
    sample_lines: list[str] | None = None
    with _endpoint([*workload.endpoint_arguments(), "--prewarm"]) as endpoint:
        for name in workload.scanners:
            _get(endpoint, "/_bench/reset", "POST")
            output = scratch / f"{workload.name}-{name}.json"
            spawned = time.monotonic()
            process = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--scanner",
                    name,
                    "--endpoint",
                    endpoint,
                    "--workload-json",
                    json.dumps(asdict(workload)),
                    "--output",
                    str(output),
                    "--now",
                    now.isoformat(),
                ]
            )
            peak_bytes = _peak_rss_of_tree(process.pid)
            _, status, usage = os.wait4(process.pid, 0)
            total = time.monotonic() - spawned
            if status != 0:
                raise SystemExit(f"{workload.name}: {name} failed with status {status}")
            result = json.loads(output.read_text())
            stats = _get(endpoint, "/_bench/stats")
            lines = _sorted_lines(output.with_suffix(".jsonl"))
            if name == "sample":
                sample_lines = lines
            elif reference is None:
                reference = lines
            elif lines != reference:
                raise SystemExit(f"{workload.name}: {name}'s evaluations differ from {rows[-1].scanner}'s")
            seconds = result["seconds"]
            extrapolated = name == "sample" and workload.sample_slice is not None
            if extrapolated:
                seconds *= sample_full_calls(workload) / stats["requests"]
            cpu = usage.ru_utime + usage.ru_stime
            rows.append(
                Row(
                    workload.name,
                    name,
                    seconds,
                    stats["requests"],
                    stats["throttles"],
                    peak_bytes / 2**20,
                    cpu / max(result["evaluations"], 1) * 1000,
                    result["evaluations"],
                    extrapolated,
                    stats["cpu_seconds_since_reset"],
                    (stats["first_request_at"] or spawned) - spawned,
                    total,
                )
            )
            if result["evaluations"] != stats["evaluations_put"]:
                raise SystemExit(f"{workload.name}: {name} made {result['evaluations']} evaluations but put {stats}")
    expected = evaluations_expected(workload)
    if reference is not None and len(reference) != expected:
        raise SystemExit(f"{workload.name}: {len(reference)} evaluations, expected {expected}")
    if sample_lines is not None:
        _check_sample(workload, sample_lines, reference)
    return rows, lower_bound(workload, cpu_seconds=cpu_floor(workload))


def _check_sample(workload: Workload, lines: list[str], reference: list[str] | None) -> None:
    account, region, limit = sample_scope(workload)
    if limit is None:
        expected = evaluations_expected(workload)
    else:
        expected = sum(min(limit, count) for count in _counts(workload, account, region).values())
    if len(lines) != expected or len(set(lines)) != len(lines):
        raise SystemExit(f"{workload.name}: sample-style made {len(lines)} evaluations, expected {expected}")
    if reference is not None and not set(lines) <= set(reference):
        raise SystemExit(f"{workload.name}: sample-style's evaluations differ from the other scanners'")


def _format(rows: list[Row], bounds: dict[str, LowerBound], startup_floor: float = 0.0) -> str:
    header = (
        f"{'workload':<15}{'scanner':<15}{'wall s':>10}{'start s':>9}{'total s':>9}{'API calls':>11}{'throttles':>11}"
        f"{'peak MiB':>10}{'CPU s/1k ev':>13}{'evals':>9}{'x lower bound':>15}{'x bound+start':>15}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        bound = bounds[row.workload].seconds
        wall = f"{'~' if row.extrapolated else ''}{row.seconds:.2f}"
        # An extrapolated row ran a slice: its start and total are the slice's, not a full run's.
        with_start = "" if row.extrapolated else f"{row.total / (bound + startup_floor):.2f}"
        lines.append(
            f"{row.workload:<15}{row.scanner:<15}{wall:>10}{row.startup:>9.2f}{row.total:>9.2f}{row.api_calls:>11}"
            f"{row.throttles:>11}{row.peak_mib:>10.1f}{row.cpu_per_1k:>13.3f}{row.evaluations:>9}"
            f"{row.seconds / bound:>15.2f}{with_start:>15}"
        )
    lines.append("")
    lines.append(f"start-up floor {startup_floor:.2f} s (a process importing botocore and loading Config's model)")
    for name, bound in bounds.items():
        by_scanner = {row.scanner: row for row in rows if row.workload == name}
        parts = [
            f"lower bound {bound.seconds:.2f} s = max(chain {bound.chain_seconds:.2f}, "
            f"{bound.calls} calls / {CONCURRENCY_CAP} {bound.concurrency_seconds:.2f}, rate {bound.rate_seconds:.2f}, "
            f"CPU floor {bound.cpu_seconds:.2f})"
        ]
        for scanner, ours in by_scanner.items():
            if scanner.startswith("cloudsweep"):
                for other in ("sample", "threaded"):
                    if other in by_scanner:
                        parts.append(f"{scanner} {by_scanner[other].seconds / ours.seconds:.1f}x over {other}")
        lines.append(f"{name}: " + "; ".join(parts))
    small, large = (
        next((r for r in rows if r.workload == n and r.scanner == "cloudsweep"), None) for n in ("mem-10k", "mem-100k")
    )
    if small is not None and large is not None:
        lines.append(
            f"memory: cloudsweep peak RSS {small.peak_mib:.1f} MiB at 10k resources, {large.peak_mib:.1f} MiB at 100k: "
            f"{large.peak_mib / small.peak_mib:.2f}x"
        )
    lines.append("(~: sample-style extrapolated from a slice by its number of calls; see bench/run.py)")
    return "\n".join(lines)


def _custom(options: argparse.Namespace) -> Workload:
    huge = [parse_huge(value) for value in options.huge]
    return Workload(
        "custom",
        options.accounts,
        tuple(options.regions.split(",")),
        options.resources,
        tuple(huge),
        options.latency_ms,
        options.rate,
        sample_slice=options.sample_slice or None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS), help="comma-separated: a,b,c,mem-10k,...")
    parser.add_argument("--scanners", help="comma-separated subset of sample,threaded,cloudsweep")
    parser.add_argument("--sample-slice", type=int, help="resources per type sample-style reads on a and c; 0: all")
    parser.add_argument("--json", type=Path, help="also write the rows and lower bounds here")
    parser.add_argument("--startup-runs", type=int, default=3, help="fresh processes per start-up figure (best of N)")
    custom = parser.add_argument_group("the custom workload")
    custom.add_argument("--accounts", type=int, default=5)
    custom.add_argument("--regions", default="us-east-1,eu-west-1")
    custom.add_argument("--resources", type=int, default=400)
    custom.add_argument("--huge", action="append", default=[], metavar="ACCOUNT_INDEX:TYPE:COUNT")
    custom.add_argument("--latency-ms", type=float, default=40.0)
    custom.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--scanner", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--workload-json", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.scanner:
        fields = json.loads(options.workload_json)
        fields["regions"] = tuple(fields["regions"])
        fields["huge"] = tuple(tuple(entry) for entry in fields["huge"])
        fields["scanners"] = tuple(fields["scanners"])
        fields["checks"] = tuple(fields["checks"])
        fields["mix"] = tuple(tuple(entry) for entry in fields["mix"])
        now = datetime.fromisoformat(options.now)
        run_one(options.scanner, options.endpoint, Workload(**fields), now, options.output)
        return
    now = datetime.now(UTC).replace(microsecond=0)
    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / f"cloudsweep-bench-{os.getpid()}"
    scratch.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    bounds: dict[str, LowerBound] = {}
    floor = startup_floor(options.startup_runs)
    first_call, handler_import = command_startup(scratch / "startup.jsonl", options.startup_runs)
    for name in options.workloads.split(","):
        workload = _custom(options) if name == "custom" else WORKLOADS[name]
        if options.scanners:
            wanted = options.scanners.split(",")
            workload = replace(workload, scanners=tuple(s for s in workload.scanners if s in wanted))
        if options.sample_slice is not None and workload.sample_slice is not None:
            workload = replace(workload, sample_slice=options.sample_slice or None)
        started = time.perf_counter()
        workload_rows, bounds[name] = run_workload(workload, now, scratch)
        rows += workload_rows
        print(f"workload {name} done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    table = _format(rows, bounds, floor)
    print(table)
    print(
        f"start-up: `cloudsweep scan` to its first API call {first_call:.2f} s (target 0.35); "
        f"importing scanner.lambda_handler {handler_import:.2f} s (target 0.25)"
    )
    if options.json:
        document = {
            "rows": [asdict(row) for row in rows],
            "bounds": {k: asdict(v) for k, v in bounds.items()},
            "startup_floor": floor,
            "scan_first_call": first_call,
            "lambda_handler_import": handler_import,
        }
        options.json.write_text(json.dumps(document, indent=2))
    for path in scratch.iterdir():
        path.unlink()
    scratch.rmdir()


if __name__ == "__main__":
    main()
