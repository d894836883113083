"""The benchmark endpoint (bench/endpoint.py) in its own process, driven by boto3 as the scanners' clients would."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT_SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "endpoint.py"
MANAGEMENT_ACCOUNT = "999999999999"
MEMBERS = ["100000000000", "100000000001", "100000000002"]
NO_RETRIES = Config(retries={"total_max_attempts": 1})

Start = Callable[..., str]


@pytest.fixture
def start_endpoint() -> Iterator[Start]:
    processes: list[subprocess.Popen[str]] = []

    def start(*options: str) -> str:
        process = subprocess.Popen(
            [
                sys.executable,
                str(ENDPOINT_SCRIPT),
                "--accounts",
                "3",
                "--resources",
                "250",
                "--latency-ms",
                "0",
                *options,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("endpoint: "), line
        return line.removeprefix("endpoint: ").strip()

    try:
        yield start
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


def client(url: str, service: str, credentials: dict[str, str] | None = None, config: Config | None = None) -> Any:
    keys = credentials or {"aws_access_key_id": "AKIABENCHTESTKEY0000", "aws_secret_access_key": "dummy"}
    return boto3.client(service, region_name="us-east-1", endpoint_url=url, config=config, **keys)


def assume(url: str, account: str) -> dict[str, str]:
    credentials = client(url, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="test"
    )["Credentials"]
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_bench/stats", timeout=10) as response:
        result: dict[str, Any] = json.load(response)
    return result


def list_all(config_client: Any, resource_type: str) -> tuple[list[dict[str, Any]], int]:
    identifiers: list[dict[str, Any]] = []
    pages = 0
    kwargs: dict[str, Any] = {"resourceType": resource_type, "limit": 100}
    while True:
        page = config_client.list_discovered_resources(**kwargs)
        pages += 1
        identifiers.extend(page["resourceIdentifiers"])
        if "nextToken" not in page:
            return identifiers, pages
        kwargs["nextToken"] = page["nextToken"]


def test_identity_organization_and_assumed_scope(start_endpoint: Start) -> None:
    url = start_endpoint()
    assert client(url, "sts").get_caller_identity()["Account"] == MANAGEMENT_ACCOUNT

    accounts = [
        account
        for page in client(url, "organizations").get_paginator("list_accounts").paginate()
        for account in page["Accounts"]
    ]
    assert sorted(account["Id"] for account in accounts) == MEMBERS
    assert {account["Status"] for account in accounts} == {"ACTIVE"}

    credentials = assume(url, MEMBERS[1])
    assert credentials["aws_access_key_id"].startswith(f"ASIA{MEMBERS[1]}")
    assert client(url, "sts", credentials).get_caller_identity()["Account"] == MEMBERS[1]

    config = client(url, "config", credentials)
    instances, pages = list_all(config, "AWS::EC2::Instance")
    assert (len(instances), pages) == (63, 1)
    assert len({item["resourceId"] for item in instances}) == 63

    keys = [{"resourceType": item["resourceType"], "resourceId": item["resourceId"]} for item in instances]
    items = config.batch_get_resource_config(resourceKeys=keys)["baseConfigurationItems"]
    assert len(items) == 63
    assert {item["accountId"] for item in items} == {MEMBERS[1]}
    assert {item["awsRegion"] for item in items} == {"us-east-1"}
    types = {json.loads(item["configuration"])["instanceType"] for item in items}
    assert len(types) > 1

    buckets, _ = list_all(config, "AWS::S3::Bucket")
    assert all(item.get("resourceName") == item["resourceId"] for item in buckets)

    history = config.get_resource_config_history(
        resourceType="AWS::EC2::Instance", resourceId=instances[0]["resourceId"], limit=1
    )["configurationItems"]
    assert len(history) == 1
    assert history[0]["accountId"] == MEMBERS[1]
    assert history[0]["configurationItemStatus"] == "OK"
    assert "securityGroups" in json.loads(history[0]["configuration"])

    with pytest.raises(ClientError) as missing:
        config.get_resource_config_history(resourceType="AWS::EC2::Instance", resourceId="i-missing")
    assert missing.value.response["Error"]["Code"] == "ResourceNotDiscoveredException"

    with pytest.raises(ClientError) as denied:
        assume(url, "123456789012")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_paging_batch_get_history_and_evaluations(start_endpoint: Start) -> None:
    url = start_endpoint("--huge", "0:AWS::EC2::Instance:250")
    config = client(url, "config", assume(url, MEMBERS[0]))

    instances, pages = list_all(config, "AWS::EC2::Instance")
    assert (len(instances), pages) == (250, 3)
    assert len({item["resourceId"] for item in instances}) == 250
    volumes, _ = list_all(config, "AWS::EC2::Volume")
    assert len(volumes) == 63
    # Other accounts keep the even mix.
    other, _ = list_all(client(url, "config", assume(url, MEMBERS[2])), "AWS::EC2::Instance")
    assert len(other) == 63

    keys = [{"resourceType": "AWS::EC2::Instance", "resourceId": item["resourceId"]} for item in instances[:100]]
    response = config.batch_get_resource_config(resourceKeys=keys)
    items = response["baseConfigurationItems"]
    assert len(items) == 100
    assert response["unprocessedResourceKeys"] == []
    configurations = [json.loads(item["configuration"]) for item in items]
    assert {configuration["instanceType"] for configuration in configurations} == {"t3.micro", "t3.small", "m5.large"}
    assert all(configuration["securityGroups"] for configuration in configurations)
    assert {item["accountId"] for item in items} == {MEMBERS[0]}

    history = config.get_resource_config_history(
        resourceType="AWS::EC2::Instance", resourceId=instances[-1]["resourceId"], limit=1
    )["configurationItems"]
    assert [item["resourceId"] for item in history] == [instances[-1]["resourceId"]]

    evaluations = [
        {
            "ComplianceResourceType": "AWS::EC2::Instance",
            "ComplianceResourceId": item["resourceId"],
            "ComplianceType": "COMPLIANT",
            "OrderingTimestamp": item["configurationItemCaptureTime"],
        }
        for item in items
    ]
    assert config.put_evaluations(Evaluations=evaluations, ResultToken="token")["FailedEvaluations"] == []
    counted = stats(url)
    assert counted["evaluations_put"] == 100
    assert counted["evaluations_by_scope"] == {f"{MEMBERS[0]}/us-east-1": 100}
    assert counted["by_operation"]["PutEvaluations"] == 1
    assert counted["cpu_seconds"] > 0

    urllib.request.urlopen(urllib.request.Request(f"{url}/_bench/reset", method="POST"), timeout=10).close()
    assert stats(url)["requests"] == 0


def test_rate_limit_throttles(start_endpoint: Start) -> None:
    url = start_endpoint("--rate", "2")
    config = client(url, "config", assume(url, MEMBERS[0]), NO_RETRIES)
    codes: list[str] = []
    for _ in range(10):
        try:
            config.list_discovered_resources(resourceType="AWS::EC2::Volume")
            codes.append("ok")
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])
    assert codes.count("ThrottlingException") >= 5
    assert set(codes) == {"ok", "ThrottlingException"}
    counted = stats(url)
    assert counted["throttles"] == codes.count("ThrottlingException")
    # Buckets are per (account, region, API): another API of the same account still has its burst.
    assert config.batch_get_resource_config(resourceKeys=[{"resourceType": "AWS::S3::Bucket", "resourceId": "x"}])

    sts = client(url, "sts", config=NO_RETRIES)
    sts_codes: list[str] = []
    for _ in range(6):
        try:
            sts.get_caller_identity()
            sts_codes.append("ok")
        except ClientError as error:
            sts_codes.append(error.response["Error"]["Code"])
    assert "Throttling" in sts_codes
