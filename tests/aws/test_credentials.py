"""Assumed-role credentials are refreshed before they expire, and on demand after an ExpiredToken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scanner.aws.credentials import AssumedRoleCredentials, CredentialBroker, RoleSpec


class FakeSts:
    """Stands in for AssumeRole: each call hands out new keys expiring `lifetime` from now."""

    def __init__(self, lifetime: timedelta) -> None:
        self.lifetime = lifetime
        self.calls = 0

    async def assume(self) -> dict[str, Any]:
        self.calls += 1
        return {
            "access_key": f"ASIA{self.calls:016d}",
            "secret_key": f"secret-{self.calls}",
            "token": f"token-{self.calls}",
            "expiry_time": (datetime.now(UTC) + self.lifetime).isoformat(),
        }


@pytest.mark.anyio
async def test_a_session_close_to_expiry_is_refreshed_before_use() -> None:
    # 15-minute sessions, 60 s left: inside the mandatory window (a tenth of the session, 90 s).
    sts = FakeSts(timedelta(seconds=60))
    credentials = await AssumedRoleCredentials.assume(sts.assume, session_seconds=900)
    sts.lifetime = timedelta(minutes=15)

    frozen = await credentials.get_frozen_credentials()

    assert sts.calls == 2
    assert frozen.access_key == "ASIA0000000000000002"
    assert credentials.refresh_count == 2


@pytest.mark.anyio
async def test_a_fresh_session_is_not_refreshed_on_every_call() -> None:
    # botocore's fixed 15-minute advisory window would refresh a fresh 15-minute session on every call.
    sts = FakeSts(timedelta(minutes=15))
    credentials = await AssumedRoleCredentials.assume(sts.assume, session_seconds=900)

    for _ in range(5):
        await credentials.get_frozen_credentials()

    assert sts.calls == 1


@pytest.mark.anyio
async def test_force_refresh_assumes_the_role_again() -> None:
    sts = FakeSts(timedelta(hours=1))
    credentials = await AssumedRoleCredentials.assume(sts.assume, session_seconds=3600)

    await credentials.force_refresh()

    assert sts.calls == 2
    assert (await credentials.get_frozen_credentials()).token == "token-2"


@pytest.mark.anyio
async def test_the_broker_assumes_once_per_account_and_forgets() -> None:
    fetchers: list[RoleSpec] = []
    sts = FakeSts(timedelta(hours=1))

    def fetch_for(spec: RoleSpec) -> Any:
        fetchers.append(spec)
        return sts.assume

    broker = CredentialBroker(fetch_for)
    spec = RoleSpec("arn:aws:iam::111111111111:role/CloudSweepAudit", external_id="secret-id")
    first = await broker.credentials("111111111111", spec)
    second = await broker.credentials("111111111111", spec)
    broker.forget("111111111111")
    third = await broker.credentials("111111111111", spec)

    assert first is second
    assert third is not first
    assert sts.calls == 2
    assert "secret-id" not in repr(spec)
