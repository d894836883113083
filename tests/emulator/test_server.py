"""Starting the emulator: loopback only, one per process, and the `cloudsweep emulator` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from cloudsweep_emulator.server import Emulator, EmulatorError, EmulatorOptions


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "example.com"])
def test_refuses_to_listen_beyond_loopback(host: str) -> None:
    with pytest.raises(EmulatorError, match="loopback"):
        Emulator(EmulatorOptions(host=host))


def test_one_emulator_per_process(emulator: Emulator) -> None:
    with pytest.raises(EmulatorError, match="already running"):
        Emulator().start()


def test_endpoint_is_on_loopback(emulator: Emulator) -> None:
    assert emulator.endpoint_url.startswith("http://127.0.0.1:")


@pytest.mark.slow
def test_the_command_prints_its_endpoint_first_and_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner", "emulator", "--seed", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline().strip()
        assert first_line.startswith("endpoint: http://127.0.0.1:")
        endpoint = first_line.removeprefix("endpoint: ")
        sts = boto3.client(
            "sts",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="secret",
        )
        assert sts.get_caller_identity()["Account"] == "123456789012"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "emulator stopped" in stderr


def test_the_command_refuses_a_public_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scanner", "emulator", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_command_line_faults_apply_after_the_demo_seed() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner", "emulator", "--seed", "demo", "--throttle-rate", "1.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().strip().removeprefix("endpoint: ")
        assert endpoint.startswith("http://127.0.0.1:")
        config = boto3.client(
            "config",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="secret",
            config=BotoConfig(retries={"total_max_attempts": 1}),
        )
        with pytest.raises(ClientError) as excinfo:
            config.list_discovered_resources(resourceType="AWS::EC2::Instance")
        assert excinfo.value.response["Error"]["Code"] == "ThrottlingException"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
