"""Snapshots: a restored emulator answers a scan exactly as the estate it was taken from, however often restored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cloudsweep_emulator.demo import DEMO_CREDENTIALS, demo_checks
from cloudsweep_emulator.faults import FaultKind, FaultRule
from cloudsweep_emulator.pytest_plugin import Estates
from cloudsweep_emulator.seed import DemoOrganization, seed_demo
from cloudsweep_emulator.server import Emulator

from scanner.runner import run_scan
from scanner.scan.request import Access, AccountSource, Destinations, RunControl, ScanRequest
from tests.support import client

SCAN_TIME = datetime(2026, 12, 1, tzinfo=UTC)


def scan(emulator: Emulator, organization: DemoOrganization, output: Path) -> list[dict[str, Any]]:
    report = run_scan(
        ScanRequest(
            checks=tuple(demo_checks()),
            regions=tuple(organization.regions),
            source=AccountSource(organization=True),
            access=Access(
                role_name=organization.audit_role_name,
                endpoint_url=emulator.endpoint_url,
                credentials=DEMO_CREDENTIALS,
            ),
            destinations=Destinations(output=output),
            run=RunControl(now=SCAN_TIME, scan_id="snapshot"),
        )
    )
    assert report.all_failures == []
    return sorted((json.loads(line) for line in output.read_text().splitlines()), key=json.dumps)


@pytest.mark.slow
def test_a_restored_demo_scans_exactly_as_the_seeded_one(emulator: Emulator, boto_session: Any, tmp_path: Path) -> None:
    organization = seed_demo(emulator.endpoint_url)
    snapshot = emulator.snapshot()
    fresh = scan(emulator, organization, tmp_path / "fresh.jsonl")
    assert len(fresh) > 1000

    # Change the estate: a restore must not keep any of it, and must not share objects with what it restored.
    iam = client(boto_session, "iam", emulator.endpoint_url)
    iam.create_user(UserName="added-after-the-snapshot")
    client(boto_session, "ec2", emulator.endpoint_url).run_instances(
        ImageId="ami-0123456789abcdef0", MinCount=3, MaxCount=3, InstanceType="m5.large"
    )
    changed = scan(emulator, organization, tmp_path / "changed.jsonl")
    assert changed != fresh

    emulator.restore(snapshot)
    assert scan(emulator, organization, tmp_path / "restored.jsonl") == fresh
    before = {user["UserName"] for user in iam.list_users()["Users"]}
    assert "added-after-the-snapshot" not in before
    # A change after one restore is not in the next: each restore is a fresh copy.
    iam.create_user(UserName="added-after-the-restore")
    emulator.restore(snapshot)
    assert {user["UserName"] for user in iam.list_users()["Users"]} == before


def test_a_restore_clears_faults_like_a_reset(emulator: Emulator, boto_session: Any) -> None:
    client(boto_session, "iam", emulator.endpoint_url).create_user(UserName="kept")
    snapshot = emulator.snapshot()
    emulator.faults.add(FaultRule(FaultKind.THROTTLING, service="iam"))
    emulator.restore(snapshot)
    users = client(boto_session, "iam", emulator.endpoint_url).list_users()["Users"]
    assert [user["UserName"] for user in users] == ["kept"]


def test_estates_build_once_and_hand_each_test_a_copy(emulator: Emulator, boto_session: Any) -> None:
    estates = Estates(emulator)
    builds: list[int] = []

    def build() -> list[str]:
        builds.append(1)
        iam = client(boto_session, "iam", emulator.endpoint_url)
        return [iam.create_user(UserName="built")["User"]["UserName"]]

    first = estates.get("one user", build)
    first.append("changed by a test")
    client(boto_session, "iam", emulator.endpoint_url).delete_user(UserName="built")
    second = estates.get("one user", build)
    assert builds == [1]
    assert second == ["built"]
    users = client(boto_session, "iam", emulator.endpoint_url).list_users()["Users"]
    assert [user["UserName"] for user in users] == ["built"]
    emulator.reset()
    assert estates.get(("another key",), build) == ["built"]
    assert builds == [1, 1]
