"""Shared fixtures: one emulator per test session on 127.0.0.1, its state reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from scanner.emulator.server import Emulator, EmulatorOptions

# moto's default account: the account of any access key moto has not issued.
MANAGEMENT_ACCOUNT = "123456789012"


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
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
    return emulator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def boto_session(emulator: Emulator) -> Any:
    """A boto3 session acting in the management account (moto's default account)."""
    return boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region_name="us-east-1",
    )
