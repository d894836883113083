"""required-tags: up to six required tag keys, each with optional allowed values, on the managed rule's types."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import required_tags
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, ParameterValues, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = required_tags.CHECK
SNAPSHOT = Snapshot("681361479661", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))


def reference(name: str) -> dict[str, Any]:
    document = json.loads((REFERENCE / name).read_text())
    return copy.deepcopy(document[0] if isinstance(document, list) else document)


def instance(**tags: str) -> ConfigurationItem:
    """The reference instance with these tags, listed as AWS Config records them (item map and configuration list)."""
    raw = reference("AWS_EC2_Instance.json")
    raw["tags"] = dict(tags)
    raw["configuration"]["tags"] = [{"key": key, "value": value} for key, value in tags.items()]
    return ConfigurationItem.parse(raw)


def params(raw: dict[str, Any] | str | None) -> ParameterValues:
    return CHECK.parameters.parse(CHECK.id, raw)


def run(item: ConfigurationItem, raw: dict[str, Any] | str) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, params(raw), SNAPSHOT)


def test_the_check_evaluates_the_managed_rule_types_this_project_produces() -> None:
    assert CHECK.id == "required-tags"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == (
        "AWS::EC2::Instance",
        "AWS::EC2::Volume",
        "AWS::EC2::SecurityGroup",
        "AWS::S3::Bucket",
        "AWS::RDS::DBInstance",
    )
    # Not in the managed rule's documented scope: lambda-function-tagged is AWS's rule for functions.
    assert "AWS::Lambda::Function" not in CHECK.resource_types
    assert CHECK.parameters.has_required()
    assert [parameter.name for parameter in CHECK.parameters.parameters] == [
        f"tag{slot}{part}" for slot in range(1, 7) for part in ("Key", "Value")
    ]
    assert CHECK.remediation_cli == (
        "aws resourcegroupstaggingapi tag-resources --resource-arn-list RESOURCE_ARN --tags TAG_KEY=TAG_VALUE"
    )


def test_the_reference_instance_has_no_tags() -> None:
    item = ConfigurationItem.parse(reference("AWS_EC2_Instance.json"))
    assert run(item, {"tag1Key": "CostCenter"}) == Result(Compliance.NON_COMPLIANT, "tag CostCenter is missing")


def test_present_keys_with_any_value_are_compliant() -> None:
    result = run(instance(CostCenter="1234", Owner="team-a"), {"tag1Key": "CostCenter", "tag2Key": "Owner"})
    assert result == Result(Compliance.COMPLIANT, "required tags are present with allowed values: CostCenter, Owner")


def test_an_allowed_value_is_compliant_and_another_is_not() -> None:
    rule = {"tag1Key": "Environment", "tag1Value": "production, staging"}
    assert run(instance(Environment="staging"), rule) == Result(
        Compliance.COMPLIANT, "required tags are present with allowed values: Environment"
    )
    assert run(instance(Environment="sandbox"), rule) == Result(
        Compliance.NON_COMPLIANT, "tag Environment is 'sandbox', not one of production, staging"
    )


@pytest.mark.parametrize("actual", ["Production", "production ", "prod", ""])
def test_values_are_compared_exactly(actual: str) -> None:
    result = run(instance(Environment=actual), {"tag1Key": "Environment", "tag1Value": "production"})
    assert result == Result(Compliance.NON_COMPLIANT, f"tag Environment is {actual!r}, not one of production")


def test_keys_are_case_sensitive() -> None:
    result = run(instance(costcenter="1234"), {"tag1Key": "CostCenter"})
    assert result == Result(Compliance.NON_COMPLIANT, "tag CostCenter is missing")


def test_an_empty_value_satisfies_a_key_without_allowed_values() -> None:
    assert run(instance(Owner=""), {"tag1Key": "Owner"}).compliance is Compliance.COMPLIANT


def test_every_problem_is_reported_in_slot_order() -> None:
    rule = {
        "tag1Key": "CostCenter",
        "tag2Key": "Owner",
        "tag3Key": "Environment",
        "tag3Value": "production",
        "tag6Key": "Name",
    }
    result = run(instance(Environment="dev", Name="web-1"), rule)
    assert result == Result(
        Compliance.NON_COMPLIANT,
        "tag CostCenter is missing; tag Owner is missing; tag Environment is 'dev', not one of production",
    )


def test_all_six_slots_are_checked() -> None:
    rule: dict[str, str] = {f"tag{slot}Key": f"k{slot}" for slot in range(1, 7)}
    rule["tag6Value"] = "v6"
    tags = {f"k{slot}": f"v{slot}" for slot in range(1, 7)}
    assert run(instance(**tags), rule).compliance is Compliance.COMPLIANT
    tags["k6"] = "other"
    assert run(instance(**tags), rule) == Result(Compliance.NON_COMPLIANT, "tag k6 is 'other', not one of v6")


def test_many_problems_fit_the_annotation() -> None:
    rule = {f"tag{slot}Key": f"a-rather-long-required-tag-key-number-{slot}" for slot in range(1, 7)}
    result = run(instance(), rule)
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert len(result.annotation) <= ANNOTATION_LIMIT
    assert result.annotation.startswith("tag a-rather-long-required-tag-key-number-1 is missing; ")
    assert result.annotation.endswith(" more")


def test_tags_only_in_the_configuration_list_are_read() -> None:
    # BatchGetResourceConfig items carry no item-level tags; an instance's configuration still lists them.
    raw = reference("AWS_EC2_Instance.json")
    del raw["tags"]
    raw["configuration"]["tags"] = [{"key": "Owner", "value": "team-a"}]
    assert run(ConfigurationItem.parse(raw), {"tag1Key": "Owner"}).compliance is Compliance.COMPLIANT


def test_a_db_instance_tag_from_the_reference_item() -> None:
    item = ConfigurationItem.parse(reference("AWS_RDS_DBInstance.json"))
    rule = {"tag1Key": "workload-type", "tag1Value": "production"}
    assert run(item, rule) == Result(
        Compliance.COMPLIANT, "required tags are present with allowed values: workload-type"
    )


def test_a_db_instance_without_item_tags_falls_back_to_its_supplementary_tags() -> None:
    raw = reference("AWS_RDS_DBInstance.json")
    del raw["tags"]
    item = ConfigurationItem.parse(raw)
    assert item.tags == {}
    rule = {"tag1Key": "workload-type", "tag1Value": "development"}
    assert run(item, rule) == Result(
        Compliance.NON_COMPLIANT, "tag workload-type is 'production', not one of development"
    )


def test_a_bucket_without_item_tags_falls_back_to_its_tagging_configuration() -> None:
    raw = reference("AWS_S3_Bucket.json")
    raw.pop("tags", None)
    raw["supplementaryConfiguration"]["BucketTaggingConfiguration"] = json.dumps(
        {"tagSets": [{"tags": {"Owner": "team-data", "CostCenter": "42"}}]}
    )
    item = ConfigurationItem.parse(raw)
    assert item.tags == {}
    assert run(item, {"tag1Key": "Owner", "tag2Key": "CostCenter", "tag2Value": "41,42"}).compliance is (
        Compliance.COMPLIANT
    )


def test_an_untagged_volume_and_security_group_are_not_compliant() -> None:
    for name in ("AWS_EC2_Volume.json", "AWS_EC2_SecurityGroup.json"):
        raw = reference(name)
        raw["tags"] = {}
        raw["configuration"]["tags"] = []
        raw["supplementaryConfiguration"] = {}
        result = run(ConfigurationItem.parse(raw), {"tag1Key": "Owner"})
        assert result == Result(Compliance.NON_COMPLIANT, "tag Owner is missing"), name


def test_a_type_outside_the_rule_scope_is_not_applicable() -> None:
    item = ConfigurationItem.parse(reference("AWS_LAMBDA_FUNCTION.json"))
    assert item.tags == {"test": "value"}
    assert run(item, {"tag1Key": "test"}) == Result(
        Compliance.NOT_APPLICABLE, "AWS::Lambda::Function is not a type required-tags evaluates"
    )


def test_parameters_arrive_as_an_aws_config_json_string() -> None:
    raw = json.dumps({"tag1Key": "Environment", "tag1Value": "production,staging"})
    assert run(instance(Environment="production"), raw).compliance is Compliance.COMPLIANT


def test_parsed_parameters_keep_every_slot() -> None:
    parsed = params({"tag1Key": " CostCenter ", "tag1Value": " 1234 , ,5678", "tag3Key": "Owner"})
    assert parsed["tag1Key"] == "CostCenter"
    assert parsed["tag1Value"] == ("1234", "5678")
    assert parsed["tag2Key"] is None
    assert parsed["tag3Key"] == "Owner"
    assert parsed["tag3Value"] is None


def test_tag1_key_is_required() -> None:
    with pytest.raises(ParameterError, match="required-tags, parameter tag1Key: is required"):
        params({})
    with pytest.raises(ParameterError, match="required-tags, parameter tag1Key: is required"):
        params({"tag2Key": "Owner"})


@pytest.mark.parametrize(
    ("raw", "slot"),
    [
        ({"tag1Value": "1234"}, 1),
        ({"tag1Key": "CostCenter", "tag2Value": "team-a"}, 2),
        ({"tag1Key": "CostCenter", "tag2Key": "Owner", "tag2Value": "a", "tag3Value": "x"}, 3),
        ({"tag1Key": "CostCenter", "tag6Value": "x"}, 6),
    ],
)
def test_a_value_without_its_key_is_rejected(raw: dict[str, str], slot: int) -> None:
    # tag1Value alone fails on the missing tag1Key first: either way the parameters are refused.
    message = "tag1Key: is required" if slot == 1 else f"tag{slot}Value: is given without tag{slot}Key"
    with pytest.raises(ParameterError, match=f"required-tags, parameter {message}") as info:
        params(raw)
    assert info.value.parameter == (f"tag{slot}Key" if slot == 1 else f"tag{slot}Value")


def test_a_key_required_twice_is_rejected() -> None:
    with pytest.raises(ParameterError, match="required-tags, parameter tag4Key: repeats tag2Key \\('Owner'\\)"):
        params({"tag1Key": "CostCenter", "tag2Key": "Owner", "tag4Key": "Owner"})


@pytest.mark.parametrize("raw", [{"tag1Key": ""}, {"tag1Key": "  "}, {"tag1Key": "CostCenter", "tag1Value": " , "}])
def test_empty_keys_and_value_lists_are_rejected(raw: dict[str, str]) -> None:
    with pytest.raises(ParameterError, match="required-tags, parameter tag1"):
        params(raw)


def test_a_seventh_tag_is_an_unknown_parameter() -> None:
    with pytest.raises(ParameterError, match="required-tags, parameter tag7Key: unknown parameter"):
        params({"tag1Key": "CostCenter", "tag7Key": "Owner"})


def test_the_demo_parameters_parse() -> None:
    parsed = params(dict(CHECK.demo_parameters))
    assert [required.key for required in required_tags.required_tags(parsed)] == ["CostCenter", "Owner"]


@pytest.mark.parametrize(
    ("supplementary", "what"),
    [
        # str(True) was the value "True": a tag with no readable value was present.
        ({"Tags": [{"key": "CostCenter", "value": True}]}, "Tags[0].value as a boolean, not a tag value"),
        ({"Tags": {"CostCenter": ["42"]}}, "Tags.CostCenter as a list, not a tag value"),
        ({"Tags": "CostCenter=42"}, "Tags as a string, not a list or an object of tags"),
        # Iterating true raised TypeError.
        (
            {"BucketTaggingConfiguration": {"tagSets": True}},
            "BucketTaggingConfiguration.tagSets as a boolean, not a list",
        ),
    ],
)
def test_tags_of_the_wrong_type_are_never_compliant(supplementary: dict[str, Any], what: str) -> None:
    raw = reference("AWS_S3_Bucket.json")
    raw["tags"] = {}
    raw["supplementaryConfiguration"] = supplementary
    result = run(ConfigurationItem.parse(raw), {"tag1Key": "CostCenter"})
    assert result == Result(Compliance.NON_COMPLIANT, f"the configuration item records {what}, so it cannot be judged")
