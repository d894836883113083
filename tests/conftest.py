"""Shared fixtures. The emulator's (`running_emulator`, `emulator`, `aws_env`, `boto_session`) come from the
cloudsweep-emulator distribution's pytest plugin (emulator/cloudsweep_emulator/pytest_plugin.py)."""

from __future__ import annotations

import pytest
from cloudsweep_emulator.pytest_plugin import MANAGEMENT_ACCOUNT

__all__ = ["MANAGEMENT_ACCOUNT"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
