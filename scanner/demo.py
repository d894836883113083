"""`cloudsweep demo`: the emulator's demo organization, seen through AWS Config."""

from __future__ import annotations

from collections import Counter
from typing import Any

import aioboto3
import anyio
import structlog
from rich.console import Console
from rich.table import Table

log = structlog.get_logger("cloudsweep.demo")

DEMO_RESOURCE_TYPES = (
    "AWS::EC2::Instance",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Volume",
    "AWS::IAM::User",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::S3::Bucket",
)
# Static credentials for the emulator's management account; the emulator accepts any.
DEMO_CREDENTIALS = {"aws_access_key_id": "AKIADEMOMANAGEMENT00", "aws_secret_access_key": "demo-secret"}


async def _assume(session: aioboto3.Session, endpoint_url: str, role_arn: str) -> aioboto3.Session:
    async with session.client("sts", endpoint_url=endpoint_url) as sts:
        credentials = (await sts.assume_role(RoleArn=role_arn, RoleSessionName="cloudsweep-demo"))["Credentials"]
    return aioboto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=session.region_name,
    )


async def _count_region(
    session: aioboto3.Session, endpoint_url: str, region: str, counts: Counter[tuple[str, str, str]], account_id: str
) -> None:
    async with session.client("config", endpoint_url=endpoint_url, region_name=region) as config:
        paginator = config.get_paginator("list_discovered_resources")
        for resource_type in DEMO_RESOURCE_TYPES:
            async for page in paginator.paginate(resourceType=resource_type):
                counts[(account_id, region, resource_type)] += len(page["resourceIdentifiers"])


async def inventory(endpoint_url: str, organization: Any) -> Counter[tuple[str, str, str]]:
    """Resources AWS Config lists per (account, region, type), read through each account's audit role."""
    counts: Counter[tuple[str, str, str]] = Counter()
    management = aioboto3.Session(**DEMO_CREDENTIALS, region_name="us-east-1")
    async with anyio.create_task_group() as group:
        for account in organization.accounts:
            session = await _assume(management, endpoint_url, account.audit_role_arn)
            for region in organization.regions:
                group.start_soon(_count_region, session, endpoint_url, region, counts, account.account_id)
    return counts


def run_demo(console: Console | None = None) -> None:
    from scanner.emulator.server import Emulator, EmulatorOptions

    console = console or Console()
    with console.status("Starting the emulator and seeding the demo organization..."):
        emulator = Emulator(EmulatorOptions(seed="demo")).start()
    try:
        organization = emulator.demo
        assert organization is not None, "a demo-seeded emulator has its organization"
        console.print(f"Emulator at [bold]{emulator.endpoint_url}[/bold]: organization {organization.organization_id}")
        counts = anyio.run(inventory, emulator.endpoint_url, organization)
        table = Table(title="What AWS Config lists in the demo organization")
        table.add_column("account")
        table.add_column("region")
        for resource_type in DEMO_RESOURCE_TYPES:
            table.add_column(resource_type.rsplit("::", 1)[-1], justify="right")
        for account in organization.accounts:
            for region in organization.regions:
                row = [
                    str(counts[(account.account_id, region, resource_type)]) for resource_type in DEMO_RESOURCE_TYPES
                ]
                table.add_row(f"{account.account_id} {account.name}", region, *row)
        console.print(table)
        log.info("demo inventory read", resources=sum(counts.values()), accounts=len(organization.accounts))
    finally:
        emulator.stop()
