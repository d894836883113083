"""vpc-default-security-group-closed: a group named default has no rule in or out; other groups do not apply."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import vpc_default_security_group_closed
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = vpc_default_security_group_closed.CHECK
SNAPSHOT = Snapshot("264683526309", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
REFERENCE_GROUP: dict[str, Any] = json.loads((REFERENCE / "AWS_EC2_SecurityGroup.json").read_text())
MISSING = object()
# What AWS puts in a new VPC's default group: all traffic from the group itself, and all traffic out.
FROM_ITSELF = {
    "ipProtocol": "-1",
    "userIdGroupPairs": [{"userId": "264683526309", "groupId": "sg-1d56fc66"}],
    "ipRanges": [],
    "ipv4Ranges": [],
    "ipv6Ranges": [],
    "prefixListIds": [],
}
TO_ANYWHERE = REFERENCE_GROUP["configuration"]["ipPermissionsEgress"][0]
CLOSED = Result(Compliance.COMPLIANT, "the default security group has no inbound or outbound rule")


def default_group(ingress: Any = (), egress: Any = (), **configuration: Any) -> ConfigurationItem:
    """The reference security group renamed default, with its rules replaced (or removed, with MISSING)."""
    raw = copy.deepcopy(REFERENCE_GROUP)
    fields = {"groupName": "default", "ipPermissions": ingress, "ipPermissionsEgress": egress, **configuration}
    for name, value in fields.items():
        if value is MISSING:
            del raw["configuration"][name]
        else:
            raw["configuration"][name] = list(value) if isinstance(value, tuple) else value
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, {}), SNAPSHOT)


def test_the_check_evaluates_security_groups_and_takes_no_parameter() -> None:
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::EC2::SecurityGroup",)
    assert CHECK.lookup_types == ()
    assert CHECK.parameters.parse(CHECK.id, None) == CHECK.parameters.parse(CHECK.id, "{}")
    assert json.loads(json.dumps(CHECK.describe()))["parameters"] == []
    with pytest.raises(ParameterError, match="check vpc-default-security-group-closed, parameter groupName: unknown"):
        CHECK.parameters.parse(CHECK.id, {"groupName": "default"})


def test_the_reference_group_is_not_a_default_group() -> None:
    result = run(ConfigurationItem.parse(REFERENCE_GROUP))
    assert result == Result(Compliance.NOT_APPLICABLE, "security group launch-wizard-7 is not a VPC's default group")


def test_a_non_default_group_does_not_apply_even_when_closed() -> None:
    result = run(default_group(groupName="web"))
    assert result == Result(Compliance.NOT_APPLICABLE, "security group web is not a VPC's default group")


def test_a_default_group_as_aws_creates_it_is_not_compliant() -> None:
    result = run(default_group([FROM_ITSELF], [TO_ANYWHERE]))
    assert result == Result(
        Compliance.NON_COMPLIANT, "the default security group has 1 inbound rule and 1 outbound rule"
    )


def test_a_default_group_with_only_its_egress_rule_is_not_compliant() -> None:
    result = run(default_group([], [TO_ANYWHERE]))
    assert result == Result(Compliance.NON_COMPLIANT, "the default security group has 1 outbound rule")


def test_a_default_group_with_only_an_ingress_rule_is_not_compliant() -> None:
    result = run(default_group([FROM_ITSELF], []))
    assert result == Result(Compliance.NON_COMPLIANT, "the default security group has 1 inbound rule")


def test_every_rule_counts_whatever_its_source() -> None:
    restricted = {**FROM_ITSELF, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "userIdGroupPairs": []}
    restricted["ipRanges"] = ["10.0.0.0/8"]
    result = run(default_group([FROM_ITSELF, restricted], [TO_ANYWHERE, restricted, restricted]))
    assert result == Result(
        Compliance.NON_COMPLIANT, "the default security group has 2 inbound rules and 3 outbound rules"
    )


def test_a_default_group_without_rules_is_compliant() -> None:
    assert run(default_group()) == CLOSED


@pytest.mark.parametrize(
    ("ingress", "egress", "missing"),
    [
        ([], MISSING, "ipPermissionsEgress"),
        (MISSING, [], "ipPermissions"),
        (MISSING, MISSING, "ipPermissions or ipPermissionsEgress"),
        ([], None, "ipPermissionsEgress"),
        ("all", [], "ipPermissions"),
    ],
    ids=["no-egress", "no-ingress", "neither", "null-egress", "malformed-ingress"],
)
def test_a_default_group_with_rules_unrecorded_is_never_compliant(ingress: Any, egress: Any, missing: str) -> None:
    result = run(default_group(ingress, egress))
    assert result == Result(
        Compliance.NON_COMPLIANT, f"the configuration item has no {missing}, so it cannot be judged"
    )


def test_recorded_rules_fail_a_group_even_when_the_other_direction_is_unrecorded() -> None:
    result = run(default_group([FROM_ITSELF], MISSING))
    assert result == Result(Compliance.NON_COMPLIANT, "the default security group has 1 inbound rule")


@pytest.mark.parametrize("name", [MISSING, None, "", 7])
def test_a_group_without_a_name_is_never_compliant(name: Any) -> None:
    result = run(default_group(groupName=name))
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no groupName, so it cannot be judged")


def test_an_item_without_configuration_is_never_compliant() -> None:
    raw = copy.deepcopy(REFERENCE_GROUP)
    raw["configuration"] = None
    result = run(ConfigurationItem.parse(raw))
    assert result == Result(
        Compliance.NON_COMPLIANT, "the configuration item has no configuration, so it cannot be judged"
    )
