"""resource-count-max: one account-level evaluation per region from the scanner's count over all pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import resource_count_max
from checks.aws.resource_count_max import MissingCountError
from scanner.model import Compliance
from scanner.registry import CheckScope, ParameterError, ParameterValues, Result, Snapshot

CHECK = resource_count_max.CHECK
INSTANCE = "AWS::EC2::Instance"


def params(raw: dict[str, Any] | str) -> ParameterValues:
    return CHECK.parameters.parse(CHECK.id, raw)


def run(counts: dict[str, int], raw: dict[str, Any] | str) -> Result:
    assert CHECK.evaluate_account is not None
    snapshot = Snapshot("111122223333", "eu-west-1", datetime(2026, 1, 1, tzinfo=UTC), counts=counts)
    return CHECK.evaluate_account(snapshot, params(raw))


def test_the_check_is_account_scoped_and_counts_the_parameter_type() -> None:
    assert CHECK.scope is CheckScope.ACCOUNT
    assert CHECK.resource_types == ()
    assert CHECK.evaluate_resource is None
    needs = CHECK.needs(params({"applicableResourceType": "AWS::S3::Bucket"}))
    assert needs.count_types == frozenset({"AWS::S3::Bucket"})
    assert needs.item_types == frozenset()


def test_more_than_max_count_is_not_compliant() -> None:
    result = run({INSTANCE: 105}, {"applicableResourceType": INSTANCE, "maxCount": "100"})
    assert result == Result(Compliance.NON_COMPLIANT, "found 105 AWS::EC2::Instance, more than maxCount 100")


def test_exactly_max_count_is_compliant() -> None:
    result = run({INSTANCE: 100}, {"applicableResourceType": INSTANCE, "maxCount": "100"})
    assert result == Result(Compliance.COMPLIANT, "found 100 AWS::EC2::Instance, within maxCount 100")


def test_one_over_max_count_is_not_compliant() -> None:
    result = run({INSTANCE: 101}, {"applicableResourceType": INSTANCE, "maxCount": 100})
    assert result.compliance is Compliance.NON_COMPLIANT


def test_max_count_defaults_to_zero_as_in_the_sample() -> None:
    assert run({INSTANCE: 0}, {"applicableResourceType": INSTANCE}) == Result(
        Compliance.COMPLIANT, "found 0 AWS::EC2::Instance, within maxCount 0"
    )
    assert run({INSTANCE: 1}, {"applicableResourceType": INSTANCE}) == Result(
        Compliance.NON_COMPLIANT, "found 1 AWS::EC2::Instance, more than maxCount 0"
    )


def test_other_types_counts_do_not_matter() -> None:
    result = run({INSTANCE: 3, "AWS::S3::Bucket": 500}, {"applicableResourceType": INSTANCE, "maxCount": "5"})
    assert result.compliance is Compliance.COMPLIANT


def test_parameters_arrive_as_an_aws_config_json_string() -> None:
    raw = json.dumps({"applicableResourceType": INSTANCE, "maxCount": "100"})
    assert run({INSTANCE: 105}, raw).compliance is Compliance.NON_COMPLIANT


def test_a_type_the_scanner_did_not_count_is_an_error_not_compliance() -> None:
    with pytest.raises(MissingCountError, match=r"resource-count-max: .* has no count of AWS::EC2::Instance"):
        run({"AWS::S3::Bucket": 1}, {"applicableResourceType": INSTANCE, "maxCount": "100"})
    assert issubclass(MissingCountError, KeyError)


def test_resource_type_is_required() -> None:
    with pytest.raises(
        ParameterError, match="resource-count-max, parameter applicableResourceType: is required"
    ) as info:
        params({"maxCount": "100"})
    assert (info.value.check_id, info.value.parameter) == ("resource-count-max", "applicableResourceType")


@pytest.mark.parametrize("value", ["EC2::Instance", "AWS::EC2", "aws::ec2::instance", "AWS::EC2::Instance ::", "x"])
def test_a_resource_type_that_does_not_look_like_one_is_rejected(value: str) -> None:
    with pytest.raises(ParameterError, match="parameter applicableResourceType: expected a resource type like") as info:
        params({"applicableResourceType": value})
    assert info.value.parameter == "applicableResourceType"


def test_an_empty_resource_type_is_rejected() -> None:
    with pytest.raises(ParameterError, match="applicableResourceType: expected a resource type like"):
        params({"applicableResourceType": "  "})


@pytest.mark.parametrize(("value", "message"), [("-1", "must be at least 0"), ("many", "expected an integer")])
def test_a_malformed_max_count_is_rejected(value: str, message: str) -> None:
    with pytest.raises(ParameterError, match=f"resource-count-max, parameter maxCount: {message}"):
        params({"applicableResourceType": INSTANCE, "maxCount": value})


def test_the_resource_type_is_trimmed() -> None:
    assert params({"applicableResourceType": " AWS::S3::Bucket "})["applicableResourceType"] == "AWS::S3::Bucket"


def test_the_demo_parameters_parse() -> None:
    parsed = params(dict(CHECK.demo_parameters))
    assert dict(parsed) == {"applicableResourceType": INSTANCE, "maxCount": 100}
