"""restricted-ssh: a security group whose ingress lets 0.0.0.0/0 or ::/0 reach TCP port 22 is not compliant."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import restricted_ssh
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.checks.ingress import rule, with_ingress
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = restricted_ssh.CHECK
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SNAPSHOT = Snapshot("264683526309", "us-east-1", NOW)
REFERENCE_GROUP: dict[str, Any] = json.loads((REFERENCE / "AWS_EC2_SecurityGroup.json").read_text())
EXPOSED = "SSH (tcp 22) is open to the internet: "
CLOSED = Result(Compliance.COMPLIANT, "no ingress rule opens SSH (tcp 22) to 0.0.0.0/0 or ::/0")


def group(*ingress: dict[str, Any]) -> ConfigurationItem:
    """The reference security group with its ingress rules replaced (its egress stays open to all)."""
    raw = copy.deepcopy(REFERENCE_GROUP)
    raw["configuration"]["ipPermissions"] = list(ingress)
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, {}), SNAPSHOT)


def exposed(*findings: str) -> Result:
    return Result(Compliance.NON_COMPLIANT, EXPOSED + "; ".join(findings))


def test_the_check_evaluates_security_groups_and_takes_no_parameter() -> None:
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::EC2::SecurityGroup",)
    assert CHECK.lookup_types == ()
    assert CHECK.parameters.parse(CHECK.id, None) == CHECK.parameters.parse(CHECK.id, "{}")
    with pytest.raises(ParameterError, match="check restricted-ssh, parameter port: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"port": "22"})


def test_the_reference_group_opens_ssh_through_its_legacy_ip_ranges() -> None:
    # The 2016 reference item carries only flat ipRanges strings, and an egress rule open to all.
    assert run(group(*REFERENCE_GROUP["configuration"]["ipPermissions"])) == exposed("tcp 22 from 0.0.0.0/0")


@pytest.mark.parametrize(
    ("ports", "traffic"),
    [((22, 22), "tcp 22"), ((0, 1024), "tcp 0-1024"), ((22, 23), "tcp 22-23"), ((20, 22), "tcp 20-22")],
)
def test_a_tcp_range_covering_22_is_exposed(ports: tuple[int, int], traffic: str) -> None:
    assert run(group(rule("tcp", ports, "0.0.0.0/0"))) == exposed(f"{traffic} from 0.0.0.0/0")


@pytest.mark.parametrize("ports", [(21, 21), (23, 1024), (0, 21), (80, 443)])
def test_a_tcp_range_not_covering_22_is_compliant(ports: tuple[int, int]) -> None:
    assert run(group(rule("tcp", ports, "0.0.0.0/0", v6=("::/0",)))) == CLOSED


@pytest.mark.parametrize("protocol", ["-1", "all"])
def test_an_all_traffic_rule_is_exposed(protocol: str) -> None:
    assert run(group(rule(protocol, None, "0.0.0.0/0"))) == exposed("all traffic from 0.0.0.0/0")


@pytest.mark.parametrize("protocol", ["tcp", "6", "TCP"])
def test_tcp_without_ports_opens_every_port(protocol: str) -> None:
    assert run(group(rule(protocol, None, "0.0.0.0/0"))) == exposed("tcp on every port from 0.0.0.0/0")


def test_protocol_number_6_is_tcp() -> None:
    assert run(group(rule("6", (22, 22), "0.0.0.0/0"))) == exposed("tcp 22 from 0.0.0.0/0")


def test_ipv6_everywhere_is_exposed() -> None:
    assert run(group(rule("tcp", (22, 22), v6=("::/0",)))) == exposed("tcp 22 from ::/0")


def test_structured_ipv4_ranges_alone_are_read() -> None:
    permission = rule("tcp", (22, 22), "0.0.0.0/0")
    del permission["ipRanges"]
    assert run(group(permission)) == exposed("tcp 22 from 0.0.0.0/0")


def test_both_worlds_in_one_rule_are_named_once_each() -> None:
    assert run(group(rule("tcp", (22, 22), "0.0.0.0/0", v6=("::/0",)))) == exposed("tcp 22 from 0.0.0.0/0, ::/0")


@pytest.mark.parametrize(
    "permission",
    [
        rule("tcp", (22, 22), "10.0.0.0/8", "203.0.113.7/32", v6=("2001:db8::/32",)),
        rule("-1", None, "192.168.0.0/16"),
        {**rule("tcp", (22, 22)), "userIdGroupPairs": [{"groupId": "sg-0123456789abcdef0"}]},
        {**rule("tcp", (22, 22)), "prefixListIds": [{"prefixListId": "pl-12345678"}]},
    ],
    ids=["restricted-cidrs", "all-traffic-from-a-private-range", "group-source", "prefix-list-source"],
)
def test_ssh_from_restricted_sources_is_compliant(permission: dict[str, Any]) -> None:
    assert run(group(permission)) == CLOSED


@pytest.mark.parametrize(
    "permission",
    [rule("udp", (22, 22), "0.0.0.0/0"), rule("udp", None, "0.0.0.0/0"), rule("50", None, "0.0.0.0/0")],
    ids=["udp-22", "udp-every-port", "esp"],
)
def test_non_tcp_protocols_do_not_expose_ssh(permission: dict[str, Any]) -> None:
    assert run(group(permission)) == CLOSED


@pytest.mark.parametrize("protocol", ["icmp", "icmpv6"])
def test_icmp_has_no_ports_to_expose(protocol: str) -> None:
    assert run(group(rule(protocol, (-1, -1), "0.0.0.0/0"))) == CLOSED


def test_a_group_without_ingress_rules_is_compliant_despite_open_egress() -> None:
    assert run(group()) == CLOSED


def test_every_offending_rule_is_named_and_others_are_not() -> None:
    result = run(
        group(
            rule("tcp", (443, 443), "0.0.0.0/0"),
            rule("tcp", (22, 22), "0.0.0.0/0"),
            rule("tcp", (22, 22), "10.0.0.0/8"),
            rule("-1", None, v6=("::/0",)),
        )
    )
    assert result == exposed("tcp 22 from 0.0.0.0/0", "all traffic from ::/0")


def test_the_api_spelling_of_a_configuration_is_read() -> None:
    raw = copy.deepcopy(REFERENCE_GROUP)
    raw["configuration"] = {
        "GroupId": "sg-1d56fc66",
        "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    }
    assert run(ConfigurationItem.parse(raw)) == exposed("tcp 22 from 0.0.0.0/0")


def test_many_findings_fit_one_annotation() -> None:
    result = run(group(*(rule("tcp", (first, 1000 + first), "0.0.0.0/0") for first in range(1, 23))))
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert result.annotation.startswith(EXPOSED + "tcp 1-1001 from 0.0.0.0/0; tcp 2-1002 from 0.0.0.0/0")
    assert result.annotation.endswith(" more")
    assert len(result.annotation) <= ANNOTATION_LIMIT


@pytest.mark.parametrize("configuration", [None, {"groupId": "sg-1d56fc66"}])
def test_an_item_without_its_ingress_rules_is_never_compliant(configuration: dict[str, Any] | None) -> None:
    raw = copy.deepcopy(REFERENCE_GROUP)
    raw["configuration"] = configuration
    result = run(ConfigurationItem.parse(raw))
    unjudged = "the configuration item has no ipPermissions, so it cannot be judged"
    assert result == Result(Compliance.NON_COMPLIANT, unjudged)


# Ingress rules in shapes AWS Config never records, each hiding SSH open to the world: read as no exposure, they
# passed, while a missing ipPermissions did not.
MALFORMED_INGRESS = [
    pytest.param(
        [{**rule("tcp", (22, 22)), "ipRanges": "0.0.0.0/0"}],
        "ipPermissions[0].ipRanges as a string, not a list",
        id="ipRanges-a-string",
    ),
    pytest.param(
        [{**rule("tcp", (22, 22)), "ipv4Ranges": {"cidrIp": "0.0.0.0/0"}}],
        "ipPermissions[0].ipv4Ranges as an object, not a list",
        id="ipv4Ranges-an-object",
    ),
    pytest.param(
        [{**rule("tcp", (22, 22)), "ipv6Ranges": "::/0"}],
        "ipPermissions[0].ipv6Ranges as a string, not a list",
        id="ipv6Ranges-a-string",
    ),
    pytest.param(
        [rule("tcp", (443, 443), "10.0.0.0/8"), "tcp 22 from 0.0.0.0/0"],
        "ipPermissions[1] as a string, not an object",
        id="a-permission-a-string",
    ),
    pytest.param(rule("tcp", (22, 22), "0.0.0.0/0"), "ipPermissions as an object, not a list", id="an-object"),
    pytest.param("tcp 22 from 0.0.0.0/0", "ipPermissions as a string, not a list", id="a-string"),
    pytest.param(
        [{**rule("tcp", (22, 22)), "ipRanges": [22]}],
        "ipPermissions[0].ipRanges[0] as a number, not a CIDR or a range object",
        id="a-range-a-number",
    ),
    pytest.param(
        [{**rule("tcp", (22, 22)), "ipv4Ranges": [{"cidrIp": ["0.0.0.0/0"]}]}],
        "ipPermissions[0].ipv4Ranges[0].cidrIp as a list, not a CIDR",
        id="cidrIp-a-list",
    ),
    pytest.param(
        [{**rule("tcp", (22, 22)), "ipRanges": ["everyone"]}],
        "ipPermissions[0].ipRanges[0] as 'everyone', not a CIDR",
        id="a-range-not-a-cidr",
    ),
    pytest.param(
        [{**rule("tcp", (22, 22), "0.0.0.0/0"), "ipProtocol": ["tcp"]}],
        "ipPermissions[0].ipProtocol as a list, not a protocol name or number",
        id="ipProtocol-a-list",
    ),
    pytest.param(
        [{**rule("tcp", (22, 22), "0.0.0.0/0"), "fromPort": "twenty-two"}],
        "ipPermissions[0].fromPort as 'twenty-two', not a port number",
        id="fromPort-not-a-number",
    ),
]


@pytest.mark.parametrize(("ingress", "what"), MALFORMED_INGRESS)
def test_ingress_rules_of_the_wrong_type_are_never_compliant(ingress: Any, what: str) -> None:
    unjudged = f"the configuration item records {what}, so it cannot be judged"
    assert run(with_ingress(ingress)) == Result(Compliance.NON_COMPLIANT, unjudged)
