"""The benchmark's smoke runs (`bench/run.py --workloads smoke,smoke-lookups`), so the full benchmark never rots.

The runner itself exits non-zero when any scanner's evaluations differ from the others', when a scanner made a
different number of evaluations than it put, or when the count is not the workload's; this test checks that it
ran every scanner to the end and that its figures are the ones the workload implies.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.run import WORKLOADS, cpu_floor, evaluations_expected, lower_bound, sample_full_calls  # noqa: E402


def test_the_lower_bound_of_workload_a_is_the_huge_types_chain() -> None:
    bound = lower_bound(WORKLOADS["a"])

    # AssumeRole, 200 pages of the 20,000 instances, the last batch, the last put: 203 calls of 40 ms.
    assert bound.chain_seconds == pytest.approx(203 * 0.040)
    # 20 AssumeRoles; 39 ordinary targets with 4 types x 5 pages, 4 x 5 batches and 20 puts; the huge target
    # with 200 + 15 pages, 200 + 15 batches and 215 puts (21,500 evaluations).
    assert bound.calls == 20 + 39 * 60 + (215 + 215 + 215)
    assert bound.seconds == bound.chain_seconds
    assert bound.rate_seconds == 0


def test_the_rate_bound_of_workload_c_counts_calls_beyond_the_burst() -> None:
    bound = lower_bound(WORKLOADS["c"])

    # The busiest (account, region, API): the huge target's 215 ListDiscoveredResources (or batches, or puts).
    assert bound.rate_seconds == pytest.approx((215 - 10) / 10)
    assert bound.seconds == bound.rate_seconds


def test_workload_counts() -> None:
    assert evaluations_expected(WORKLOADS["a"]) == 20 * 2 * 2000 - 500 + 20_000
    assert evaluations_expected(WORKLOADS["b"]) == 200 * 2 * 50
    # sample-style: per account one AssumeRole; per resource one history read and one put; every page.
    assert sample_full_calls(WORKLOADS["b"]) == 200 + 200 * 2 * (4 + 2 * 50)


def test_workload_d_counts_the_security_groups_its_checks_look_up() -> None:
    # desired-instance-type and ec2-exposed-instance judge the 250 instances of each of 80 targets.
    assert evaluations_expected(WORKLOADS["d"]) == 40 * 2 * 250 * 2
    # Per target: 3 pages and 3 batches of instances, 1 and 1 of security groups (looked up, not judged), 5 puts.
    bound = lower_bound(WORKLOADS["d"])
    assert bound.calls == 40 + 80 * (3 + 3 + 1 + 1 + 5)
    # The chain: AssumeRole, 80 pages of 8,000 instances, the last batch, the last put.
    assert lower_bound(WORKLOADS["e"]).chain_seconds == pytest.approx(83 * 0.040)


def test_the_cpu_floor_parses_every_body_the_work_reads() -> None:
    assert cpu_floor(WORKLOADS["smoke-lookups"]) > 0
    bound = lower_bound(WORKLOADS["smoke-lookups"], cpu_seconds=5.0)
    assert bound.seconds == bound.cpu_seconds == 5.0


@pytest.mark.slow
def test_the_smoke_run_runs_every_scanner_to_the_same_evaluations(tmp_path: Path) -> None:
    figures = tmp_path / "bench.json"

    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--workloads",
            "smoke,smoke-lookups",
            "--json",
            str(figures),
            "--startup-runs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    document = json.loads(figures.read_text())
    rows = {row["scanner"]: row for row in document["rows"] if row["workload"] == "smoke"}
    assert set(rows) == {"sample", "threaded", "cloudsweep", "cloudsweep-w2"}
    expected = evaluations_expected(WORKLOADS["smoke"])
    assert expected == 2 * 2 * 120 - 30 + 450
    for name in ("threaded", "cloudsweep", "cloudsweep-w2"):
        assert rows[name]["evaluations"] == expected
        assert rows[name]["api_calls"] >= lower_bound(WORKLOADS["smoke"]).calls
        assert rows[name]["throttles"] == 0
    # sample-style read 20 resources of each of the 4 types in one account-region, then was extrapolated.
    assert rows["sample"]["evaluations"] == 4 * 20
    assert rows["sample"]["extrapolated"] is True
    assert "x lower bound" in run.stdout
    assert "cloudsweep-w2" in run.stdout
    # The lookups workload: both scanners read the security groups and judge every instance twice, identically
    # (the runner exits non-zero otherwise).
    lookups = {row["scanner"]: row for row in document["rows"] if row["workload"] == "smoke-lookups"}
    assert set(lookups) == {"threaded", "cloudsweep"}
    for row in lookups.values():
        assert row["evaluations"] == evaluations_expected(WORKLOADS["smoke-lookups"]) == 2 * 2 * 130 * 2
        assert row["api_calls"] >= lower_bound(WORKLOADS["smoke-lookups"]).calls == 2 + 4 * (2 + 2 + 1 + 1 + 3)
        assert 0 < row["startup"] < row["total"]
    assert document["startup_floor"] > 0
    assert document["scan_first_call"] > 0
    assert document["lambda_handler_import"] > 0
