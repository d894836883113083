"""A periodic Alibaba Cloud Config rule over one account: cloudsweep's handler against a sample-style baseline.

Both run the official SDK against the local Cloud Config endpoint (cloudsweep_emulator.alibaba_config), which holds
every answer for `--latency` seconds, as a remote API would. The baseline does what Alibaba Cloud's sample does for
each resource, one after the other: read its configuration, evaluate, put its one evaluation. cloudsweep lists every
page, reads CLOUDSWEEP_ALIBABA_CONCURRENCY resources at a time and puts 100 evaluations a call. The lower bound is
the latency the calls cannot avoid: each listed page in turn, the reads in waves of the concurrency, each batch put.

    python bench/alibaba_periodic.py [--resources 300] [--latency 0.03] [--concurrency 8]

Absolute times on a shared machine are noise; the ratios, taken in one run, are the result.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

import anyio
from cloudsweep_emulator.alibaba_config import AlibabaConfigEndpoint, DiscoveredResource

from checks.alibaba import BUILTIN
from scanner.alibaba.config_api import AlibabaCredentials, AlibabaSettings, ConfigApi
from scanner.alibaba.items import parse_item
from scanner.logs import configure_logging
from scanner.model import Evaluation
from scanner.registry import Snapshot
from scanner.rules.alibaba_config import PUT_BATCH, handle, wire_evaluation
from scanner.testing.alibaba import DEFAULT_ACCOUNT, scheduled_event

KEY_ID = "LTAI5tBenchKey000000001"
SECRET = "Bn0Ch9Mk8Lj7Hg6Fd5Sa4Qw3Er2Ty1"
APPROVED = "m-bp1approvedimage001"
PAGE = 100


def estate(count: int) -> list[DiscoveredResource]:
    return [
        DiscoveredResource(
            DEFAULT_ACCOUNT,
            "cn-hangzhou",
            "ACS::ECS::Instance",
            f"i-bench{n:05d}",
            {"InstanceId": f"i-bench{n:05d}", "ImageId": APPROVED if n % 4 else "m-other", "Status": "Running"},
        )
        for n in range(count)
    ]


async def sample_style(api: ConfigApi, token: str) -> int:
    """One resource at a time: read, evaluate, put (the sample's shape, with every page listed)."""
    check = BUILTIN.get("ecs-instance-image-approved")
    params = check.parameters.parse(check.id, {"imageIds": APPROVED})
    put = 0
    profiles = [profile async for profile in api.list_resources(check.resource_types)]
    for profile in profiles:
        detail = await api.get_resource(profile["ResourceId"], profile["ResourceType"], profile["Region"])
        item = parse_item(detail)
        snapshot = Snapshot(item.account_id, item.region, item.capture_time or _now(), {item.resource_type: [item]})
        result = check.run_resource(item, params, snapshot)
        evaluation = Evaluation(
            item.account_id, item.region, check.id, item.resource_type, item.resource_id,
            result.compliance, result.annotation, _now(),
        )  # fmt: skip
        await api.put_evaluations(token, [wire_evaluation(evaluation)])
        put += 1
    return put


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--resources", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    count, latency, concurrency = args.resources, args.latency, args.concurrency
    configure_logging("warning")
    credentials = AlibabaCredentials(KEY_ID, SECRET)
    with AlibabaConfigEndpoint({KEY_ID: (SECRET, None)}, resources=estate(count), latency=latency) as endpoint:
        settings = AlibabaSettings(region="cn-shanghai", endpoint=endpoint.url)

        baseline_token = "bench-baseline"
        endpoint.result_tokens.add(baseline_token)
        started = time.perf_counter()
        baseline_put = anyio.run(sample_style, ConfigApi(credentials, settings), baseline_token)
        baseline = time.perf_counter() - started

        event = scheduled_event({"imageIds": APPROVED})
        endpoint.result_tokens.add(event["resultToken"])
        environment = {
            "CLOUDSWEEP_CHECK": "ecs-instance-image-approved",
            "CLOUDSWEEP_ALIBABA_CONCURRENCY": str(concurrency),
        }
        raw = json.dumps(event).encode()
        started = time.perf_counter()
        summary = anyio.run(lambda: handle(raw, credentials, "cn-hangzhou", environment, settings=settings))
        ours = time.perf_counter() - started

    pages = max(1, math.ceil(count / PAGE))
    # Live pages in turn, one listing of deleted resources, reads in waves, the batches put one after the other.
    lower_bound = (pages + 1 + math.ceil(count / concurrency) + math.ceil(count / PUT_BATCH)) * latency
    if baseline_put != count or summary["evaluations"] != count:
        raise SystemExit(f"wrong evaluation counts: baseline {baseline_put}, cloudsweep {summary['evaluations']}")
    print(f"{count} resources, {latency * 1000:.0f} ms per call, concurrency {concurrency}")
    print(f"  sample-style (sequential, one put each): {baseline:6.2f} s  calls {2 * count + pages}")
    print(f"  cloudsweep handler:                      {ours:6.2f} s  calls {sum(summary['calls'].values())}")
    print(f"  lower bound (unavoidable latency):       {lower_bound:6.2f} s")
    print(f"  baseline / cloudsweep = {baseline / ours:.1f}x;  cloudsweep / lower bound = {ours / lower_bound:.2f}x")


if __name__ == "__main__":
    main()
