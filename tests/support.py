"""Helpers for tests: real boto3 clients against the emulator."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import anyio.lowlevel
import boto3
import botocore.loaders
from botocore.config import Config as BotoConfig
from cloudsweep_emulator.pytest_plugin import Estates
from cloudsweep_emulator.seed import DemoOrganization

from scanner import testing
from scanner.aws.limits import RateLimits
from scanner.retrying import RetryPolicy
from scanner.scan.request import ScanLimits

AMI = "ami-0123456789abcdef0"


@functools.cache
def _service_models() -> Any:
    return botocore.loaders.create_loader()


def client(session: Any, service: str, endpoint_url: str, region: str = "us-east-1") -> Any:
    """A boto3 client against the emulator that surfaces every error at once (no retries). Service models are
    parsed once per test process: reading them was a fifth of the suite's CPU."""
    session._session.register_component("data_loader", _service_models())
    return session.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        config=BotoConfig(retries={"total_max_attempts": 1}),
    )


def assumed_session(
    session: Any, endpoint_url: str, account_id: str, role: str = "OrganizationAccountAccessRole"
) -> Any:
    """A boto3 session in another account, through a real AssumeRole."""
    sts = client(session, "sts", endpoint_url)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName="tests")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="us-east-1",
    )


def organization_with_instances(
    session: Any,
    endpoint_url: str,
    accounts: int,
    regions: Sequence[str],
    instances: Sequence[tuple[str, int]],
    prefix: str = "m",
    role: str = "OrganizationAccountAccessRole",
    estates: Estates | None = None,
) -> list[str]:
    """An organization of `accounts` new member accounts, each with `instances` (type, count) in every region; built
    once per session with `estates`."""
    if estates is not None:
        key = ("organization_with_instances", accounts, tuple(regions), tuple(instances), prefix, role)
        return estates.get(
            key,
            lambda: organization_with_instances(session, endpoint_url, accounts, regions, instances, prefix, role),
            record=lambda members: [(member, region) for member in members for region in regions],
        )
    organizations = client(session, "organizations", endpoint_url)
    organizations.create_organization(FeatureSet="ALL")
    members = []
    for index in range(accounts):
        status = organizations.create_account(Email=f"{prefix}{index}@example.com", AccountName=f"{prefix}{index}")
        account = status["CreateAccountStatus"]["AccountId"]
        members.append(account)
        member = assumed_session(session, endpoint_url, account, role)
        for region in regions:
            ec2 = client(member, "ec2", endpoint_url, region)
            for instance_type, count in instances:
                ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, InstanceType=instance_type)
    return members


# AWS Config's example configuration items (awslabs/aws-config-rdk `rdk/template/example_ci/`, Apache-2.0), shipped
# with the package for scanner.testing: the ground truth for item shapes.
REFERENCE_ITEMS = testing.REFERENCE_ITEMS


# Every built-in check, by id: the list `checks list` must show, written out so that a new check is a decision.
BUILTIN_IDS = [
    "access-keys-rotated",
    "approved-amis-by-id",
    "cloudtrail-enabled",
    "desired-instance-type",
    "ec2-exposed-instance",
    "ec2-imdsv2-check",
    "ec2-instance-no-public-ip",
    "ec2-volume-inuse-check",
    "encrypted-volumes",
    "iam-inactive-user",
    "iam-password-policy",
    "iam-policy-no-statements-with-admin-access",
    "iam-root-access-key-check",
    "iam-user-mfa-enabled",
    "iam-user-no-policies-check",
    "iam-user-unused-credentials-check",
    "lambda-function-public-access-prohibited",
    "rds-instance-public-access-check",
    "rds-storage-encrypted",
    "required-tags",
    "resource-count-max",
    "restricted-common-ports",
    "restricted-ssh",
    "root-account-mfa-enabled",
    "s3-bucket-level-public-access-prohibited",
    "s3-bucket-public-read-prohibited",
    "s3-bucket-public-write-prohibited",
    "s3-bucket-server-side-encryption-enabled",
    "s3-bucket-ssl-requests-only",
    "s3-bucket-versioning-enabled",
    "vpc-default-security-group-closed",
]


class FakeTime:
    """A clock that only moves when someone sleeps on it: other tasks run first, then the time passes."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await anyio.lowlevel.checkpoint()
        self.now += seconds


def waitless_limits(**options: Any) -> ScanLimits:
    """A scan's limits that back off and pace every call as a real scan does, in virtual time: nothing waited."""
    time = FakeTime()
    rates = RateLimits(clock=time.clock, sleep=time.sleep)
    return ScanLimits(retry=RetryPolicy(sleep=time.sleep), rates=rates, **options)


def demo_targets(demo: DemoOrganization) -> list[tuple[str, str]]:
    """Every (account, region) of the demo organization: what its estate has recorded before a test reads it."""
    return [(account.account_id, region) for account in demo.accounts for region in demo.regions]
