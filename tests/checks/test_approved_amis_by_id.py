"""approved-amis-by-id: an instance's imageId must be exactly one of amiIds, never a substring of one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import approved_amis_by_id
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = approved_amis_by_id.CHECK
SNAPSHOT = Snapshot("681361479661", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
REFERENCE_AMI = "ami-22ce4934"
MISSING = object()


def instance(image_id: Any = REFERENCE_AMI) -> ConfigurationItem:
    raw = json.loads((REFERENCE / "AWS_EC2_Instance.json").read_text())
    if image_id is MISSING:
        del raw["configuration"]["imageId"]
    else:
        raw["configuration"]["imageId"] = image_id
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, params: dict[str, Any] | str) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def test_the_check_evaluates_instances_and_needs_ami_ids() -> None:
    assert CHECK.id == "approved-amis-by-id"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::EC2::Instance",)
    assert CHECK.parameters.has_required()
    assert CHECK.remediation_cli == (
        "aws ec2 run-instances --image-id APPROVED_AMI_ID --instance-type INSTANCE_TYPE --subnet-id SUBNET_ID "
        "--security-group-ids SECURITY_GROUP_ID"
    )


def test_the_reference_instance_is_compliant_with_its_own_ami() -> None:
    assert run(instance(), {"amiIds": REFERENCE_AMI}) == Result(Compliance.COMPLIANT, "image ami-22ce4934 is approved")


def test_any_listed_ami_is_approved_and_blanks_are_ignored() -> None:
    result = run(instance(), {"amiIds": " ami-0123456789abcdef0 , ,ami-22ce4934 "})
    assert result == Result(Compliance.COMPLIANT, "image ami-22ce4934 is approved")


def test_an_unlisted_ami_is_not_compliant() -> None:
    result = run(instance("ami-0badbadbadbadbad0"), {"amiIds": "ami-22ce4934,ami-0123456789abcdef0"})
    assert result == Result(
        Compliance.NON_COMPLIANT, "image ami-0badbadbadbadbad0 is not one of ami-22ce4934, ami-0123456789abcdef0"
    )


@pytest.mark.parametrize("actual", ["ami-22ce493", "ami-22ce49345", "AMI-22CE4934", "22ce4934"])
def test_a_substring_superstring_or_other_case_is_not_approved(actual: str) -> None:
    result = run(instance(actual), {"amiIds": REFERENCE_AMI})
    assert result == Result(Compliance.NON_COMPLIANT, f"image {actual} is not one of {REFERENCE_AMI}")


@pytest.mark.parametrize("value", [MISSING, None, "", 42])
def test_an_instance_without_image_id_is_not_compliant(value: Any) -> None:
    result = run(instance(value), {"amiIds": REFERENCE_AMI})
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no imageId")


def test_an_item_without_configuration_is_not_compliant() -> None:
    raw = json.loads((REFERENCE / "AWS_EC2_Instance.json").read_text())
    raw["configuration"] = None
    result = run(ConfigurationItem.parse(raw), {"amiIds": REFERENCE_AMI})
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")


def test_parameters_arrive_as_an_aws_config_json_string() -> None:
    result = run(instance(), json.dumps({"amiIds": "ami-0123456789abcdef0"}))
    assert result.compliance is Compliance.NON_COMPLIANT


def test_a_list_of_ids_from_a_parameters_file_is_accepted() -> None:
    assert run(instance(), {"amiIds": ["ami-0123456789abcdef0", REFERENCE_AMI]}).compliance is Compliance.COMPLIANT


def test_ami_ids_is_required() -> None:
    with pytest.raises(ParameterError, match="approved-amis-by-id, parameter amiIds: is required"):
        CHECK.parameters.parse(CHECK.id, {})


@pytest.mark.parametrize("value", ["", " , ,", []])
def test_empty_ami_ids_are_rejected(value: Any) -> None:
    with pytest.raises(ParameterError, match="approved-amis-by-id, parameter amiIds: expected a comma-separated list"):
        CHECK.parameters.parse(CHECK.id, {"amiIds": value})


def test_not_applicable_cannot_occur() -> None:
    """Every recorded instance is judged on its imageId, as the managed rule does: never NOT_APPLICABLE."""
    results = {run(instance(image), {"amiIds": REFERENCE_AMI}).compliance for image in (REFERENCE_AMI, "x", MISSING)}
    assert results == {Compliance.COMPLIANT, Compliance.NON_COMPLIANT}


def test_the_demo_parameters_parse() -> None:
    params = CHECK.parameters.parse(CHECK.id, dict(CHECK.demo_parameters))
    assert params["amiIds"] == ("ami-0c02fb55956c7d316", "ami-0d71ea30463e0ff8d")
