"""The benchmark's smoke run (`bench/run.py --workloads smoke`), so the full benchmark never rots.

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

from bench.run import WORKLOADS, evaluations_expected, lower_bound, sample_full_calls  # noqa: E402


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


@pytest.mark.slow
def test_the_smoke_run_runs_every_scanner_to_the_same_evaluations(tmp_path: Path) -> None:
    figures = tmp_path / "bench.json"

    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--workloads", "smoke", "--json", str(figures)],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    document = json.loads(figures.read_text())
    rows = {row["scanner"]: row for row in document["rows"]}
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
