"""Integer parameters are bounded where they are parsed. A day count past its maximum is a usage error naming the
check and the parameter, raised before any call, in a scan, in the rule tools and in the Lambda rule alike. And no
value the parser accepts makes a check overflow."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner, Result

from checks import BUILTIN
from scanner.cli import cli
from scanner.errors import EventError
from scanner.registry import Check, ParameterError, ParameterType
from scanner.rules.aws_config import handle
from scanner.testing import scheduled_event
from tests.property.check_seeds import SEEDS
from tests.property.test_mangled_fields import original

HUGE = "1" + "0" * 26  # 1e26 spelled out: an integer, and far past timedelta's 999999999 days
REFUSED = f"check iam-inactive-user, parameter maxInactiveDays: must be at most 36500, got {HUGE}"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:cloudsweep"


@pytest.fixture
def unreachable_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Credentials, and an endpoint that refuses every connection: a scan that calls AWS at all exits 3."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        url = f"http://127.0.0.1:{bound.getsockname()[1]}"
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        yield url


def _scan(days: str, output: Path) -> Result:
    arguments = ["scan", "--checks", "iam-inactive-user", "--param", f"iam-inactive-user.maxInactiveDays={days}"]
    return CliRunner().invoke(cli, [*arguments, "--output", str(output)])


@pytest.mark.slow
def test_a_day_count_past_its_maximum_exits_2_before_any_call(unreachable_aws: str, tmp_path: Path) -> None:
    output = tmp_path / "never.jsonl"
    refused = _scan(HUGE, output)
    assert refused.exit_code == 2, refused.output
    assert REFUSED in refused.output
    assert not output.exists()
    # In bounds, the same scan calls AWS, whose endpoint refuses it: exit 3. Exit 2 above is the parameter alone.
    reached = _scan("36500", output)
    assert reached.exit_code == 3, reached.output
    assert "EndpointConnectionError" in reached.output


@pytest.mark.parametrize(
    "command",
    [
        ["event", "scheduled", "--check", "iam-inactive-user"],
        ["rule-json", "--check", "iam-inactive-user", "--function-arn", FUNCTION, "--periodic", "TwentyFour_Hours"],
    ],
    ids=["event", "rule-json"],
)
def test_the_rule_tools_refuse_it_too(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--param", f"maxInactiveDays={HUGE}"])
    assert result.exit_code == 2, result.output
    assert REFUSED in result.output


def test_the_lambda_rule_refuses_it_naming_the_rule_parameter() -> None:
    event = scheduled_event(BUILTIN.get("iam-inactive-user"), {"maxInactiveDays": HUGE})
    with pytest.raises(EventError) as raised:
        anyio.run(handle, event, {})
    assert raised.value.field == "ruleParameters.maxInactiveDays"
    assert str(raised.value) == f"ruleParameters.maxInactiveDays: {REFUSED}"


def _largest_accepted(check: Check, name: str, others: Mapping[str, Any]) -> int:
    """The largest power of ten the parser takes for the parameter, beside the `others` given."""
    for exponent in range(40, -1, -1):
        value: int = 10**exponent
        try:
            check.parameters.parse(check.id, {**others, name: str(value)})
        except ParameterError:
            continue
        return value
    raise AssertionError(f"{check.id} accepts no power of ten for {name}")


INTEGER_PARAMETERS = [
    (check, parameter.name)
    for check in BUILTIN
    for parameter in check.parameters.parameters
    if parameter.type is ParameterType.INTEGER
]


@pytest.mark.parametrize(
    ("check", "name"), INTEGER_PARAMETERS, ids=[f"{check.id}.{name}" for check, name in INTEGER_PARAMETERS]
)
def test_no_accepted_value_makes_a_check_overflow(check: Check, name: str) -> None:
    seeds = [seed for seed in SEEDS if seed.check is check]
    assert seeds
    parameter = next(parameter for parameter in check.parameters.parameters if parameter.name == name)
    for value in (_largest_accepted(check, name, seeds[0].params), *parameter.integer_bounds):
        for seed in seeds:
            outcome = original(dataclasses.replace(seed, params={**seed.params, name: str(value)}))
            assert outcome.result is not None, f"{seed} with {name}={value}: {outcome.bad_item}"
