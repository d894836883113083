"""pytest fixtures for tests against the emulator, registered as a `pytest11` plugin by this distribution: installed,
any test suite has them (the way anyio ships its own plugin).

- `running_emulator`: one emulator per test session on 127.0.0.1;
- `emulator`: that emulator, its state reset before and after the test;
- `aws_env`: the ambient credentials and endpoint a user's shell would have, pointing at it;
- `boto_session`: a boto3 session acting in the management account (moto's default account);
- `estates`: estates built once per test session, each later test that asks for one starting from a copy of it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, TypeVar

import boto3
import pytest
from cloudsweep_emulator.server import Emulator, EmulatorOptions, EmulatorSnapshot

# moto's default account: the account of any access key moto has not issued.
MANAGEMENT_ACCOUNT = "123456789012"
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # noqa: S105  (AWS's documented example key)
T = TypeVar("T")


@pytest.fixture(scope="session")
def running_emulator() -> Iterator[Emulator]:
    with Emulator(EmulatorOptions()) as emulator:
        yield emulator


@pytest.fixture
def emulator(running_emulator: Emulator) -> Iterator[Emulator]:
    running_emulator.reset()
    yield running_emulator
    running_emulator.reset()


@pytest.fixture
def aws_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Ambient credentials and endpoint pointing at the emulator, as a user's shell would have them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
    return emulator


@pytest.fixture
def boto_session(emulator: Emulator) -> Any:
    """A boto3 session acting in the management account (moto's default account)."""
    return boto3.Session(
        aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY, region_name="us-east-1"
    )


class Estates:
    """Estates (a seeded organization, a fleet of instances) built once per session: the first test that asks for
    one builds it on a reset emulator and a snapshot is kept; each later test gets the emulator restored to that
    snapshot and a copy of what the build returned. The key names everything the build depends on.

    `record` gives, from what the build returned, the (account, region) pairs the Config recorder catches up with
    before the snapshot: later copies start with those resources recorded instead of each recording them again.
    """

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._built: dict[Hashable, tuple[EmulatorSnapshot, Any]] = {}

    def get(
        self, key: Hashable, build: Callable[[], T], record: Callable[[T], Iterable[tuple[str, str]]] | None = None
    ) -> T:
        if key in self._built:
            snapshot, value = self._built[key]
            self._emulator.restore(snapshot)
            restored: T = copy.deepcopy(value)
            return restored
        value = build()
        for account_id, region in record(value) if record else ():
            self._emulator.record(account_id, region)
        self._built[key] = (self._emulator.snapshot(), copy.deepcopy(value))
        return value


@pytest.fixture(scope="session")
def estates(running_emulator: Emulator) -> Estates:
    return Estates(running_emulator)
