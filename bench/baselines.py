"""The scanners cloudsweep is measured against, on the same endpoint and the same checks.

- `sample_style`: AWS's sample algorithm done correctly: sequential boto3, AssumeRole per account,
  ListDiscoveredResources paged, one GetResourceConfigHistory per resource, one PutEvaluations per evaluation. Like
  AWS's samples it judges each item alone: it does not run on workloads whose checks look up other items.
- `threaded`: how c7n-org and Prowler work: a thread pool over account-regions with a cap on concurrent
  requests, BatchGetResourceConfig in 100s, PutEvaluations in 100s; the items checks look up (security groups)
  read first.

Both evaluate with cloudsweep's own pure check functions, so all three scanners must produce the same
evaluations; what differs is only how they talk to AWS.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from scanner.model import ConfigurationItem, Evaluation
from scanner.registry import SelectedCheck, Snapshot

MANAGEMENT_KEYS = {"aws_access_key_id": "AKIABENCHMANAGEMENT0", "aws_secret_access_key": "bench"}
ROLE_NAME = "CloudSweepAudit"
RESULT_TOKEN = "bench"


@dataclass(frozen=True)
class Job:
    endpoint_url: str
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    checks: tuple[SelectedCheck, ...]
    now: datetime
    max_concurrency: int = 64
    # Sample-style only: stop after this many resources of each type (a slice of a run that would take hours).
    limit_per_type: int | None = None


def _config(max_pool: int = 10) -> BotoConfig:
    # Like the other scanners: botocore's own retries on, standard mode, as a boto3 user would run.
    return BotoConfig(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=max_pool)


def _session_for(job: Job, account: str, sts: Any) -> boto3.Session:
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE_NAME}", RoleSessionName="bench")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def _evaluate(
    job: Job, account: str, region: str, items: Sequence[ConfigurationItem], snapshot: Snapshot | None = None
) -> list[Evaluation]:
    snapshot = snapshot or Snapshot(account, region, job.now)
    evaluations = []
    for item in items:
        for choice in job.checks:
            if item.resource_type in choice.check.resource_types and choice.check.evaluate_resource is not None:
                result = choice.check.evaluate_resource(item, choice.params, snapshot)
                evaluations.append(
                    Evaluation(
                        account,
                        region,
                        choice.check.id,
                        item.resource_type,
                        item.resource_id,
                        result.compliance,
                        result.annotation,
                        job.now,
                    )
                )
    return evaluations


def _types(job: Job) -> list[str]:
    return sorted({resource_type for choice in job.checks for resource_type in choice.check.resource_types})


def _lookup_types(job: Job) -> list[str]:
    """Types the checks look items up in (an instance's security groups), read before the items they judge."""
    return sorted({resource_type for choice in job.checks for resource_type in choice.check.lookup_types})


def _resource_ids(config: Any, resource_type: str, limit: int | None = None) -> Iterator[str]:
    listed = 0
    for page in config.get_paginator("list_discovered_resources").paginate(resourceType=resource_type):
        for identifier in page["resourceIdentifiers"]:
            if limit is not None and listed == limit:
                return
            listed += 1
            yield identifier["resourceId"]


def sample_style(job: Job) -> list[Evaluation]:
    """One account, one region, one type, one resource, one call at a time."""
    management = boto3.Session(**MANAGEMENT_KEYS)
    sts = management.client("sts", region_name="us-east-1", endpoint_url=job.endpoint_url, config=_config())
    produced: list[Evaluation] = []
    for account in job.accounts:
        session = _session_for(job, account, sts)
        for region in job.regions:
            config = session.client("config", region_name=region, endpoint_url=job.endpoint_url, config=_config())
            for resource_type in _types(job):
                for resource_id in _resource_ids(config, resource_type, job.limit_per_type):
                    history = config.get_resource_config_history(
                        resourceType=resource_type, resourceId=resource_id, limit=1
                    )
                    item = ConfigurationItem.parse(history["configurationItems"][0])
                    for evaluation in _evaluate(job, account, region, [item]):
                        config.put_evaluations(Evaluations=[evaluation.to_put_evaluation()], ResultToken=RESULT_TOKEN)
                        produced.append(evaluation)
    return produced


class _Gate:
    """At most `limit` requests in flight across the pool, as the other scanners are capped."""

    def __init__(self, limit: int) -> None:
        self._semaphore = threading.BoundedSemaphore(limit)

    def __call__(self, call: Callable[..., Any], **kwargs: Any) -> Any:
        with self._semaphore:
            return call(**kwargs)


def threaded(job: Job, workers: int | None = None) -> list[Evaluation]:
    """A thread pool over account-regions: batch gets and PutEvaluations in 100s."""
    gate = _Gate(job.max_concurrency)
    management = boto3.Session(**MANAGEMENT_KEYS)
    sts = management.client("sts", region_name="us-east-1", endpoint_url=job.endpoint_url, config=_config())
    sessions = {account: _session_for(job, account, sts) for account in job.accounts}
    lock = threading.Lock()
    produced: list[Evaluation] = []

    def scan_target(account: str, region: str) -> None:
        # boto3 sessions are not thread-safe to create clients from concurrently.
        with lock:
            config = sessions[account].client(
                "config", region_name=region, endpoint_url=job.endpoint_url, config=_config(job.max_concurrency)
            )

        def batches(resource_type: str) -> Iterator[list[ConfigurationItem]]:
            ids = list(_resource_ids(config, resource_type))
            for start in range(0, len(ids), 100):
                keys = [{"resourceType": resource_type, "resourceId": rid} for rid in ids[start : start + 100]]
                response = gate(config.batch_get_resource_config, resourceKeys=keys)
                yield [ConfigurationItem.parse(raw) for raw in response["baseConfigurationItems"]]

        looked_up = {
            resource_type: [item for batch in batches(resource_type) for item in batch]
            for resource_type in _lookup_types(job)
        }
        snapshot = Snapshot(account, region, job.now, items=looked_up)
        evaluations: list[Evaluation] = []
        for resource_type in _types(job):
            for items in [looked_up[resource_type]] if resource_type in looked_up else batches(resource_type):
                evaluations += _evaluate(job, account, region, items, snapshot)
        for start in range(0, len(evaluations), 100):
            batch = [evaluation.to_put_evaluation() for evaluation in evaluations[start : start + 100]]
            gate(config.put_evaluations, Evaluations=batch, ResultToken=RESULT_TOKEN)
        with lock:
            produced.extend(evaluations)

    targets = [(account, region) for account in job.accounts for region in job.regions]
    with ThreadPoolExecutor(max_workers=workers or min(64, len(targets))) as pool:
        for future in [pool.submit(scan_target, account, region) for account, region in targets]:
            future.result()
    return produced
