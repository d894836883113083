"""desired-instance-type: whole instance type names, never substrings (the AWS sample's bug)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import desired_instance_type
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = desired_instance_type.CHECK
SNAPSHOT = Snapshot("681361479661", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))


def instance(instance_type: Any = "t2.micro") -> ConfigurationItem:
    raw = json.loads((REFERENCE / "AWS_EC2_Instance.json").read_text())
    if instance_type is None:
        del raw["configuration"]["instanceType"]
    else:
        raw["configuration"]["instanceType"] = instance_type
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, params: dict[str, Any] | str) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def test_the_reference_instance_is_compliant_with_its_own_type() -> None:
    result = run(instance(), {"desiredInstanceType": "t2.micro"})
    assert result == Result(Compliance.COMPLIANT, "instance type t2.micro is desired")


@pytest.mark.parametrize("actual", ["t2.micro2", "t2.mic", "t2.micr", "2.micro"])
def test_a_substring_or_superstring_of_a_desired_type_is_not_desired(actual: str) -> None:
    result = run(instance(actual), {"desiredInstanceType": "t2.micro"})
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation == f"instance type {actual} is not one of t2.micro"


def test_the_sample_substring_match_over_the_whole_list_no_longer_passes() -> None:
    # The sample tested `instanceType in "t2.micro,t2.small"`, which "o,t2" or "t2.mic" satisfied.
    result = run(instance("t2.mic"), {"desiredInstanceType": "t2.micro,t2.small"})
    assert result == Result(Compliance.NON_COMPLIANT, "instance type t2.mic is not one of t2.micro, t2.small")


def test_any_listed_type_is_desired_and_blanks_are_ignored() -> None:
    result = run(instance("t3.small"), {"desiredInstanceType": " t3.micro , ,t3.small "})
    assert result == Result(Compliance.COMPLIANT, "instance type t3.small is desired")


def test_the_alias_instance_type_is_accepted() -> None:
    result = run(instance("t3.micro"), {"instanceType": "t3.micro"})
    assert result.compliance is Compliance.COMPLIANT


def test_parameters_arrive_as_an_aws_config_json_string() -> None:
    result = run(instance("m5.large"), json.dumps({"desiredInstanceType": "t3.micro"}))
    assert result == Result(Compliance.NON_COMPLIANT, "instance type m5.large is not one of t3.micro")


def test_an_item_without_instance_type_is_not_compliant() -> None:
    result = run(instance(None), {"desiredInstanceType": "t2.micro"})
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no instanceType")


def test_the_parameter_is_required() -> None:
    with pytest.raises(ParameterError, match="desired-instance-type, parameter desiredInstanceType: is required"):
        CHECK.parameters.parse(CHECK.id, {})


def test_the_demo_parameters_parse() -> None:
    params = CHECK.parameters.parse(CHECK.id, dict(CHECK.demo_parameters))
    assert params["desiredInstanceType"] == ("t3.micro", "t3.small")
