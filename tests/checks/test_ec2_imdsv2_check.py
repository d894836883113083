"""ec2-imdsv2-check: metadataOptions.httpTokens "required" is compliant; optional is not, endpoint disabled or not."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import ec2_imdsv2_check
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = ec2_imdsv2_check.CHECK
SNAPSHOT = Snapshot("681361479661", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
REFERENCE_INSTANCE: dict[str, Any] = json.loads((REFERENCE / "AWS_EC2_Instance.json").read_text())
MISSING = object()
REQUIRED = Result(Compliance.COMPLIANT, "IMDSv2 is required (httpTokens is required)")
OPTIONAL = Result(Compliance.NON_COMPLIANT, "httpTokens is optional, so IMDSv1 is allowed")
UNJUDGED = Result(
    Compliance.NON_COMPLIANT, "the configuration item has no metadataOptions.httpTokens, so it cannot be judged"
)


def instance(metadata: Any = None, **configuration: Any) -> ConfigurationItem:
    """The reference instance (running, httpTokens optional, endpoint enabled) with metadata options overridden."""
    raw = copy.deepcopy(REFERENCE_INSTANCE)
    config = raw["configuration"]
    if isinstance(metadata, dict):
        config["metadataOptions"].update(metadata)
    elif metadata is MISSING:
        del config["metadataOptions"]
    elif metadata is not None:
        config["metadataOptions"] = metadata
    for name, value in configuration.items():
        if value is MISSING:
            del config[name]
        else:
            config[name] = value
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, {}), SNAPSHOT)


def test_the_check_evaluates_instances_and_takes_no_parameter() -> None:
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::EC2::Instance",)
    assert CHECK.lookup_types == ()
    assert CHECK.parameters.parse(CHECK.id, None) == CHECK.parameters.parse(CHECK.id, "{}")
    assert json.loads(json.dumps(CHECK.describe()))["remediation_cli"] == (
        "aws ec2 modify-instance-metadata-options --instance-id INSTANCE_ID --http-tokens required"
    )
    with pytest.raises(ParameterError, match="check ec2-imdsv2-check, parameter httpTokens: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"httpTokens": "required"})


def test_the_reference_instance_allows_imdsv1() -> None:
    assert run(instance()) == OPTIONAL


def test_required_tokens_are_compliant() -> None:
    assert run(instance({"httpTokens": "required"})) == REQUIRED


def test_required_tokens_with_the_endpoint_disabled_are_compliant() -> None:
    assert run(instance({"httpTokens": "required", "httpEndpoint": "disabled"})) == REQUIRED


def test_a_disabled_endpoint_does_not_excuse_optional_tokens() -> None:
    """The managed rule is NON_COMPLIANT whenever HttpTokens is optional: enabling the endpoint brings IMDSv1 back."""
    result = run(instance({"httpEndpoint": "disabled"}))
    expected = "httpTokens is optional, so IMDSv1 is allowed; the metadata endpoint is disabled"
    assert result == Result(Compliance.NON_COMPLIANT, expected)


def test_tokens_are_compared_exactly() -> None:
    result = run(instance({"httpTokens": "Required"}))
    assert result == Result(Compliance.NON_COMPLIANT, "httpTokens is Required, so IMDSv1 is allowed")


def test_pending_options_are_judged_by_their_tokens() -> None:
    assert run(instance({"state": "pending", "httpTokens": "required"})) == REQUIRED


@pytest.mark.parametrize(
    "metadata",
    [MISSING, {"httpTokens": None}, {"httpTokens": ""}, {"httpTokens": True}, "required", []],
    ids=["no-options", "null-tokens", "empty-tokens", "boolean-tokens", "string-options", "list-options"],
)
def test_missing_or_malformed_tokens_are_never_compliant(metadata: Any) -> None:
    assert run(instance(metadata)) == UNJUDGED


def test_options_without_tokens_are_never_compliant_even_with_the_endpoint_disabled() -> None:
    raw = copy.deepcopy(REFERENCE_INSTANCE)
    raw["configuration"]["metadataOptions"] = {"httpEndpoint": "disabled"}
    assert run(ConfigurationItem.parse(raw)) == UNJUDGED


def test_a_stopped_instance_is_judged() -> None:
    stopped = {"code": 80, "name": "stopped"}
    assert run(instance(state=stopped)) == OPTIONAL
    assert run(instance({"httpTokens": "required"}, state=stopped)) == REQUIRED


@pytest.mark.parametrize("state", [{"code": 32, "name": "shutting-down"}, {"code": 48, "name": "terminated"}])
def test_an_ending_instance_is_not_applicable(state: dict[str, Any]) -> None:
    result = run(instance(state=state))
    assert result == Result(Compliance.NOT_APPLICABLE, f"instance is {state['name']}; AWS Config records it as deleted")


@pytest.mark.parametrize("state", [MISSING, None, {"code": 16}])
def test_an_instance_without_a_readable_state_is_judged_not_skipped(state: Any) -> None:
    assert run(instance(state=state)) == OPTIONAL


def test_an_item_without_configuration_is_never_compliant() -> None:
    raw = copy.deepcopy(REFERENCE_INSTANCE)
    raw["configuration"] = None
    result = run(ConfigurationItem.parse(raw))
    assert result == Result(
        Compliance.NON_COMPLIANT, "the configuration item has no configuration, so it cannot be judged"
    )


@pytest.mark.parametrize(
    ("state", "what"),
    [("running", "state as a string, not an object"), ({"name": ["terminated"]}, "state.name as a list, not a string")],
)
def test_a_state_of_the_wrong_type_is_never_compliant(state: Any, what: str) -> None:
    # Whether the instance has ended, and so whether it is judged at all, cannot be read.
    unjudged = f"the configuration item records {what}, so it cannot be judged"
    assert run(instance({"httpTokens": "required"}, state=state)) == Result(Compliance.NON_COMPLIANT, unjudged)
