"""ec2-exposed-instance: forbidden ports open to 0.0.0.0/0 or ::/0 on an instance's security groups."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import ec2_exposed_instance
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem, Evaluation
from scanner.registry import CheckScope, ParameterError, ParameterValues, PortRange, Result, Snapshot
from tests.checks.ingress import rule
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = ec2_exposed_instance.CHECK
SG = "AWS::EC2::SecurityGroup"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
REFERENCE_INSTANCE: dict[str, Any] = json.loads((REFERENCE / "AWS_EC2_Instance.json").read_text())
REFERENCE_GROUP: dict[str, Any] = json.loads((REFERENCE / "AWS_EC2_SecurityGroup.json").read_text())


def instance(
    *group_ids: str, where: tuple[str, ...] = ("securityGroups", "networkInterfaces", "relationships")
) -> ConfigurationItem:
    """The reference instance with its groups replaced, listed in the chosen places only."""
    raw = copy.deepcopy(REFERENCE_INSTANCE)
    groups = [{"groupName": f"name-{group_id}", "groupId": group_id} for group_id in group_ids]
    raw["configuration"]["securityGroups"] = groups if "securityGroups" in where else []
    for interface in raw["configuration"]["networkInterfaces"]:
        interface["groups"] = groups if "networkInterfaces" in where else []
    raw["relationships"] = [relation for relation in raw["relationships"] if relation["resourceType"] != SG]
    if "relationships" in where:
        raw["relationships"] += [
            {"resourceType": SG, "resourceId": group_id, "relationshipName": "Is associated with SecurityGroup"}
            for group_id in group_ids
        ]
    return ConfigurationItem.parse(raw)


def group(group_id: str, *ingress: dict[str, Any]) -> ConfigurationItem:
    """The reference security group with its id and ingress rules replaced (its egress stays open to all)."""
    raw = copy.deepcopy(REFERENCE_GROUP)
    raw["resourceId"] = raw["configuration"]["groupId"] = group_id
    raw["configuration"]["ipPermissions"] = list(ingress)
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, forbidden: dict[str, Any] | str, *groups: ConfigurationItem) -> Result:
    assert CHECK.evaluate_resource is not None
    snapshot = Snapshot("681361479661", "us-east-1", NOW, items={SG: groups})
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, forbidden), snapshot)


def test_the_check_evaluates_instances_and_looks_up_security_groups() -> None:
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::EC2::Instance",)
    assert CHECK.lookup_types == (SG,)
    assert CHECK.needs(CHECK.parameters.parse(CHECK.id, {"p": "22"})).item_types == {"AWS::EC2::Instance", SG}


def test_the_reference_group_exposes_ssh() -> None:
    # The 2016 reference item carries only flat ipRanges strings, and an egress rule open to all.
    reference_group = ConfigurationItem.parse(REFERENCE_GROUP)
    result = run(instance("sg-1d56fc66"), {"forbiddenPort1": "22"}, reference_group)
    assert result == Result(Compliance.NON_COMPLIANT, "sg-1d56fc66 allows tcp 22 from 0.0.0.0/0 (forbidden 22)")


def test_egress_rules_do_not_count() -> None:
    reference_group = ConfigurationItem.parse(REFERENCE_GROUP)
    result = run(instance("sg-1d56fc66"), {"rdp": "3389"}, reference_group)
    assert result == Result(
        Compliance.COMPLIANT, "no forbidden port (3389) is open to 0.0.0.0/0 or ::/0 in sg-1d56fc66"
    )


@pytest.mark.parametrize("protocol", ["-1", "all"])
def test_all_protocols_open_to_the_world_expose_every_port(protocol: str) -> None:
    result = run(instance("sg-a"), {"high": "65535"}, group("sg-a", rule(protocol, None, "0.0.0.0/0")))
    assert result == Result(Compliance.NON_COMPLIANT, "sg-a allows all traffic from 0.0.0.0/0 (forbidden 65535)")


@pytest.mark.parametrize("protocol", ["icmp", "icmpv6", "1", "58", "ICMP"])
@pytest.mark.parametrize("ports", [(-1, -1), (8, 0), (3, 4), None])
def test_icmp_open_to_the_world_exposes_no_port(protocol: str, ports: tuple[int, int] | None) -> None:
    # ICMP's fromPort/toPort are a type and a code: echo request (8, 0) must not read as ports 0-8.
    icmp = rule(protocol, ports, "0.0.0.0/0", v6=("::/0",))
    result = run(instance("sg-a"), {"all": "0-65535"}, group("sg-a", icmp))
    assert result == Result(Compliance.COMPLIANT, "no forbidden port (0-65535) is open to 0.0.0.0/0 or ::/0 in sg-a")


def test_icmp_beside_an_exposed_port_is_still_not_compliant() -> None:
    rules = (rule("icmp", (-1, -1), "0.0.0.0/0"), rule("tcp", (22, 22), "0.0.0.0/0"))
    result = run(instance("sg-a"), {"ssh": "22"}, group("sg-a", *rules))
    assert result == Result(Compliance.NON_COMPLIANT, "sg-a allows tcp 22 from 0.0.0.0/0 (forbidden 22)")


def test_ipv6_world_range_covering_a_forbidden_port() -> None:
    dev = group("sg-dev", rule("tcp", (8000, 8100), v6=("::/0",)))
    result = run(instance("sg-dev"), {"alt": "8080"}, dev)
    assert result == Result(Compliance.NON_COMPLIANT, "sg-dev allows tcp 8000-8100 from ::/0 (forbidden 8080)")


@pytest.mark.parametrize(
    ("forbidden", "compliance"),
    [
        ("7999", Compliance.COMPLIANT),
        ("8101-9000", Compliance.COMPLIANT),
        ("7000-8000", Compliance.NON_COMPLIANT),
        ("8100", Compliance.NON_COMPLIANT),
        ("1-65535", Compliance.NON_COMPLIANT),
    ],
)
def test_ranges_intersect_at_their_inclusive_ends(forbidden: str, compliance: Compliance) -> None:
    dev = group("sg-dev", rule("tcp", (8000, 8100), v6=("::/0",)))
    assert run(instance("sg-dev"), {"p": forbidden}, dev).compliance is compliance


@pytest.mark.parametrize(
    "ranges",
    [
        {"Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"ipv6Ranges": ["::/0"]},
        {"ipRanges": [{"cidrIp": "0.0.0.0/0"}]},
        {"IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]},
    ],
)
def test_every_spelling_of_source_ranges_is_read(ranges: dict[str, Any]) -> None:
    permission = {"ipProtocol": "tcp", "fromPort": 8000, "toPort": 8100, **ranges}
    result = run(instance("sg-dev"), {"alt": "8080"}, group("sg-dev", permission))
    assert result.compliance is Compliance.NON_COMPLIANT


def test_a_forbidden_range_covering_an_open_port() -> None:
    web = group("sg-web", rule("tcp", (443, 443), "0.0.0.0/0"))
    result = run(instance("sg-web"), {"range": "1-1024"}, web)
    assert result == Result(Compliance.NON_COMPLIANT, "sg-web allows tcp 443 from 0.0.0.0/0 (forbidden 1-1024)")


def test_every_forbidden_entry_hit_is_named_once() -> None:
    web = group("sg-web", rule("tcp", (22, 22), "0.0.0.0/0"))
    result = run(instance("sg-web"), {"ssh": "22", "low": "1-1024", "again": "22"}, web)
    assert result.annotation == "sg-web allows tcp 22 from 0.0.0.0/0 (forbidden 22, 1-1024)"


def test_a_rule_open_only_to_a_private_range_is_compliant() -> None:
    admin = group("sg-admin", rule("tcp", (22, 22), "10.0.0.0/8"), rule("-1", None, v6=("fd00::/8",)))
    result = run(instance("sg-admin"), {"ssh": "22"}, admin)
    assert result == Result(Compliance.COMPLIANT, "no forbidden port (22) is open to 0.0.0.0/0 or ::/0 in sg-admin")


def test_the_world_cidr_is_listed_once_across_flat_and_structured_ranges() -> None:
    both = group("sg-a", rule("tcp", (22, 22), "0.0.0.0/0", v6=("::/0",)))
    result = run(instance("sg-a"), {"ssh": "22"}, both)
    assert result.annotation == "sg-a allows tcp 22 from 0.0.0.0/0, ::/0 (forbidden 22)"


def test_only_the_second_of_two_groups_is_open() -> None:
    closed = group("sg-closed", rule("tcp", (22, 22), "10.0.0.0/8"))
    opened = group("sg-open", rule("tcp", (3389, 3389), "0.0.0.0/0"))
    result = run(instance("sg-closed", "sg-open"), {"ssh": "22", "rdp": "3389"}, closed, opened)
    assert result == Result(Compliance.NON_COMPLIANT, "sg-open allows tcp 3389 from 0.0.0.0/0 (forbidden 3389)")


def test_both_groups_closed_is_compliant_and_names_them() -> None:
    first = group("sg-1", rule("tcp", (443, 443), "0.0.0.0/0"))
    second = group("sg-2")
    result = run(instance("sg-1", "sg-2"), {"ssh": "22"}, first, second)
    assert result == Result(Compliance.COMPLIANT, "no forbidden port (22) is open to 0.0.0.0/0 or ::/0 in sg-1, sg-2")


def test_a_group_missing_from_the_snapshot_is_never_compliant() -> None:
    result = run(instance("sg-gone"), {"ssh": "22"})
    assert result == Result(
        Compliance.NON_COMPLIANT, "data for security group sg-gone is missing, so it cannot be judged"
    )


def test_a_missing_group_beside_a_closed_one_is_not_compliant() -> None:
    closed = group("sg-closed")
    result = run(instance("sg-closed", "sg-gone"), {"ssh": "22"}, closed)
    assert result == Result(
        Compliance.NON_COMPLIANT, "data for security group sg-gone is missing, so it cannot be judged"
    )


def test_an_exposure_and_a_missing_group_are_both_reported() -> None:
    opened = group("sg-open", rule("tcp", (22, 22), "0.0.0.0/0"))
    result = run(instance("sg-open", "sg-gone"), {"ssh": "22"}, opened)
    assert result.annotation == (
        "sg-open allows tcp 22 from 0.0.0.0/0 (forbidden 22); "
        "data for security group sg-gone is missing, so it cannot be judged"
    )


def test_a_group_item_without_ingress_data_counts_as_missing() -> None:
    raw = copy.deepcopy(REFERENCE_GROUP)
    del raw["configuration"]["ipPermissions"]
    result = run(instance("sg-1d56fc66"), {"ssh": "22"}, ConfigurationItem.parse(raw))
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert "sg-1d56fc66 is missing" in result.annotation


def test_an_instance_without_security_groups_is_not_compliant() -> None:
    result = run(instance(), {"ssh": "22"}, group("sg-a"))
    assert result == Result(Compliance.NON_COMPLIANT, "no security group is attached to the instance")


@pytest.mark.parametrize("where", [("securityGroups",), ("networkInterfaces",), ("relationships",)])
def test_groups_are_found_in_each_place_alone(where: tuple[str, ...]) -> None:
    opened = group("sg-open", rule("tcp", (22, 22), "0.0.0.0/0"))
    result = run(instance("sg-open", where=where), {"ssh": "22"}, opened)
    assert result.annotation == "sg-open allows tcp 22 from 0.0.0.0/0 (forbidden 22)"


@pytest.mark.parametrize(
    ("permission", "shown"),
    [
        (rule("tcp", None, "0.0.0.0/0"), "tcp on every port"),
        (rule("6", (20, 23), "0.0.0.0/0"), "tcp 20-23"),
        (rule("udp", (22, 22), "0.0.0.0/0"), "udp 22"),
        (rule("17", (1, 100), "0.0.0.0/0"), "udp 1-100"),
        (rule("50", None, "0.0.0.0/0"), "50 on every port"),
    ],
)
def test_protocols_and_their_ports(permission: dict[str, Any], shown: str) -> None:
    result = run(instance("sg-a"), {"ssh": "22"}, group("sg-a", permission))
    assert result == Result(Compliance.NON_COMPLIANT, f"sg-a allows {shown} from 0.0.0.0/0 (forbidden 22)")


def test_many_findings_fit_one_annotation_and_say_how_many_were_left_out() -> None:
    rules = [rule("tcp", (port, port), "0.0.0.0/0") for port in range(1000, 1040)]
    result = run(instance("sg-wide"), {"low": "1-2000"}, group("sg-wide", *rules))
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert len(result.annotation) <= ANNOTATION_LIMIT
    assert result.annotation.startswith("sg-wide allows tcp 1000 from 0.0.0.0/0 (forbidden 1-2000); ")
    assert result.annotation.endswith(" more")
    evaluation = Evaluation("a", "r", CHECK.id, "AWS::EC2::Instance", "i-1", result.compliance, result.annotation, NOW)
    assert evaluation.annotation == result.annotation


def test_the_sample_parameters_arrive_as_a_json_string_under_free_names() -> None:
    raw = '{"examplePort1":"8080", "exampleRange1":"1-1024", "examplePort2":"2375"}'
    parsed = CHECK.parameters.parse(CHECK.id, raw)
    assert parsed == ParameterValues(
        {
            "examplePort1": PortRange(8080, 8080),
            "exampleRange1": PortRange(1, 1024),
            "examplePort2": PortRange(2375, 2375),
        }
    )


def test_at_least_one_forbidden_port_is_required() -> None:
    with pytest.raises(ParameterError, match="check ec2-exposed-instance: needs at least 1 forbidden port"):
        CHECK.parameters.parse(CHECK.id, {})
    with pytest.raises(ParameterError, match="needs at least 1"):
        CHECK.parameters.parse(CHECK.id, "")


@pytest.mark.parametrize("value", ["22-", "ssh", "1024-1", "70000", "-5", "1-2-3", True])
def test_a_malformed_port_names_its_parameter(value: Any) -> None:
    with pytest.raises(ParameterError, match="check ec2-exposed-instance, parameter myPort: expected") as info:
        CHECK.parameters.parse(CHECK.id, {"ssh": "22", "myPort": value})
    assert info.value.parameter == "myPort"


def test_the_demo_parameters_parse() -> None:
    parsed = CHECK.parameters.parse(CHECK.id, dict(CHECK.demo_parameters))
    assert set(parsed.values()) == {
        PortRange(22, 22),
        PortRange(3389, 3389),
        PortRange(2375, 2376),
        PortRange(8080, 8080),
    }


def test_a_group_whose_ingress_rules_are_of_the_wrong_type_is_never_compliant() -> None:
    raw = copy.deepcopy(REFERENCE_GROUP)
    raw["configuration"]["ipPermissions"][0]["ipRanges"] = "0.0.0.0/0"
    result = run(instance("sg-1d56fc66"), {"ssh": "22"}, ConfigurationItem.parse(raw))
    assert result == Result(
        Compliance.NON_COMPLIANT,
        "the item of security group sg-1d56fc66 records ipPermissions[0].ipRanges as a string, not a list, "
        "so it cannot be judged",
    )


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        ("securityGroups", "sg-open", "securityGroups as a string, not a list"),
        ("securityGroups", [{"groupId": ["sg-open"]}], "securityGroups[0].groupId as a list, not a security group id"),
        ("networkInterfaces", {"groups": []}, "networkInterfaces as an object, not a list"),
        ("networkInterfaces", ["eni-1"], "networkInterfaces[0] as a string, not an object"),
    ],
)
def test_security_groups_listed_in_the_wrong_type_are_never_compliant(field: str, value: Any, what: str) -> None:
    # A group named only there went unread, and the instance passed on the groups read elsewhere.
    raw = copy.deepcopy(REFERENCE_INSTANCE)
    raw["configuration"][field] = value
    result = run(ConfigurationItem.parse(raw), {"ssh": "22"}, group("sg-fd215482"))
    assert result == Result(Compliance.NON_COMPLIANT, f"the configuration item records {what}, so it cannot be judged")


def test_instances_sharing_a_snapshot_are_judged_as_each_alone() -> None:
    """The group's exposures are worked out once per snapshot, per set of forbidden ports: never another set's."""
    assert CHECK.evaluate_resource is not None
    open_ssh = group("sg-open", rule("tcp", (22, 22), "0.0.0.0/0"))
    closed = group("sg-closed", rule("tcp", (443, 443), "10.0.0.0/8"))
    snapshot = Snapshot("681361479661", "us-east-1", NOW, items={SG: (open_ssh, closed)})
    items = [instance("sg-open"), instance("sg-closed"), instance("sg-open", "sg-closed")]
    shared = {
        (index, ports): CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, {"p": ports}), snapshot)
        for ports in ("22", "3389", "22")
        for index, item in enumerate(items)
    }
    for (index, ports), result in shared.items():
        assert result == run(items[index], {"p": ports}, open_ssh, closed)
    assert shared[(0, "22")].compliance is Compliance.NON_COMPLIANT
    assert shared[(0, "3389")].compliance is Compliance.COMPLIANT
    assert shared[(2, "22")].compliance is Compliance.NON_COMPLIANT
