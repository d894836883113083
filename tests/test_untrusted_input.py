"""Hostile or broken input to the real `cloudsweep` command (a subprocess): deep documents, alias bombs, long values,
huge shard counts and patterns RE2 cannot run are each one clear usage error (exit 2), short, before any API call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Nothing listens here: a command that called AWS would fail with a connection error (exit 3), not a usage error.
NOWHERE = "http://127.0.0.1:9"
DEPTH = 100_000
LOL = '["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
# Seven levels of nine: 4.8 million values in about 300 bytes.
BOMB = "[" + ", ".join([f"&a0 {LOL}"] + [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 7)]) + "]"


def cloudsweep(*arguments: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "ALIBABA_CLOUD_", "CLOUDSWEEP_", "JOB_COMPLETION_INDEX"))
    }
    env |= {
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": NOWHERE,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tExampleKeyId12345",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "ExampleSecretExampleSecret1234",
        "CLOUDSWEEP_ALIBABA_ENDPOINT": NOWHERE,
    }
    env |= environment or {}
    return subprocess.run(
        [sys.executable, "-m", "scanner", *arguments], capture_output=True, text=True, timeout=60, env=env
    )


def error_of(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return result.stderr


# --- shards ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "environment", "expected"),
    [
        pytest.param(
            ["--shard", "0/99999999999999999999"],
            {},
            "--shard '0/99999999999999999999': expected COUNT <= 10000",
            id="option",
        ),
        pytest.param(["--shard", "0/1000000"], {}, "--shard '0/1000000': expected COUNT <= 10000", id="million"),
        pytest.param(
            [],
            {"JOB_COMPLETION_INDEX": "0", "CLOUDSWEEP_SHARD_COUNT": "99999999999999999"},
            "CLOUDSWEEP_SHARD_COUNT=99999999999999999: expected at most 10000 shards",
            id="kubernetes",
        ),
        pytest.param(
            [],
            {"AWS_BATCH_JOB_ARRAY_INDEX": "5", "CLOUDSWEEP_SHARD_COUNT": "1000000"},
            "CLOUDSWEEP_SHARD_COUNT=1000000: expected at most 10000 shards",
            id="batch",
        ),
    ],
)
def test_a_huge_shard_count_is_refused_at_once(
    arguments: list[str], environment: dict[str, str], expected: str
) -> None:
    started = time.monotonic()
    result = cloudsweep("scan", "--accounts", "111122223333", *arguments, environment=environment)
    assert expected in error_of(result)
    assert time.monotonic() - started < 30


# --- deep documents --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cloud", ["aws", "alibaba"])
def test_a_deeply_nested_event_is_a_usage_error(tmp_path: Path, cloud: str) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"invokingEvent": ' + "[" * DEPTH + "]" * DEPTH + "}", encoding="utf-8")
    result = cloudsweep("invoke", "--event", str(event), "--cloud", cloud, "--check", "required-tags")
    message = error_of(result)
    assert f"{event} is not valid JSON: nested deeper than 100 levels" in message
    assert len(message) < 1000


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("params.json", '{"desired-instance-type": {"desiredInstanceType": ' + "[" * DEPTH + "]" * DEPTH + "}}"),
        ("params.yaml", "desired-instance-type: {desiredInstanceType: " + "[" * DEPTH + "]" * DEPTH + "}\n"),
    ],
)
def test_a_deeply_nested_parameters_file_is_a_usage_error(tmp_path: Path, name: str, text: str) -> None:
    params = tmp_path / name
    params.write_text(text, encoding="utf-8")
    message = error_of(cloudsweep("scan", "--params", str(params)))
    assert f"parameters file {params} is not valid" in message
    assert "nested deeper than 100 levels" in message
    assert len(message) < 1000


# --- alias bombs and long values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "name", "text"),
    [
        ("--params", "params.yaml", f"desired-instance-type: {{desiredInstanceType: {BOMB}}}\n"),
        ("--accounts-file", "accounts.yml", f'accounts:\n- account_id: "111122223333"\n  regions: {BOMB}\n'),
        ("--mutelist", "mutelist.yaml", f"entries:\n  - reason: x\n    resources: [{BOMB}]\n"),
    ],
)
def test_a_yaml_alias_bomb_is_refused_in_a_short_message(tmp_path: Path, option: str, name: str, text: str) -> None:
    assert len(text) < 400
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    message = error_of(cloudsweep("scan", option, str(path)))
    assert "aliases stand for more than 1,000,000 values" in message
    assert len(message) < 1500


def test_a_long_parameter_value_is_quoted_in_a_few_hundred_characters(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"iam-inactive-user": {"maxInactiveDays": "ninety " * 20_000}}), encoding="utf-8")
    message = error_of(cloudsweep("scan", "--params", str(params)))
    assert "iam-inactive-user" in message
    assert "maxInactiveDays" in message
    assert "ninety ninety" in message
    assert len(message) < 1500


def test_an_unknown_check_with_a_long_name_is_quoted_in_a_few_hundred_characters(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"no-such-check-" * 10_000: {}}), encoding="utf-8")
    message = error_of(cloudsweep("scan", "--params", str(params)))
    assert "parameters given for unknown check 'no-such-check-no-such-check-" in message
    assert len(message) < 1500


# --- regexes RE2 cannot run --------------------------------------------------------------------------------------


def test_a_mutelist_regex_with_a_backreference_stops_the_scan_naming_the_entry(tmp_path: Path) -> None:
    mutelist = tmp_path / "mutelist.yaml"
    entries = "".join(f"  - reason: r{index}\n" for index in range(3))
    mutelist.write_text(f"entries:\n{entries}  - reason: x\n    resources: ['(i-[0-9a-f]+)-\\1']\n", encoding="utf-8")
    message = error_of(cloudsweep("scan", "--mutelist", str(mutelist)))
    assert f"mutelist {mutelist}: entries[3].resources[0]: regex '(i-[0-9a-f]+)-\\1' is not supported" in message
    assert "backreferences" in message


@pytest.mark.parametrize(("cloud", "check"), [("aws", "required-tags"), ("alibaba", "ecs-instance-image-approved")])
def test_a_deeply_nested_item_file_for_an_event_is_a_usage_error(tmp_path: Path, cloud: str, check: str) -> None:
    item = tmp_path / "item.json"
    item.write_text('{"configuration": ' + "[" * DEPTH + "]" * DEPTH + "}", encoding="utf-8")
    parameters = ["--param", "imageIds=m-1"] if cloud == "alibaba" else []
    result = cloudsweep("event", "change", "--check", check, "--cloud", cloud, "--item", str(item), *parameters)
    message = error_of(result)
    assert "nested deeper than 100 levels" in message
    assert len(message) < 1000
