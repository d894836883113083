"""restricted-common-ports: a group whose ingress lets 0.0.0.0/0 or ::/0 reach a blocked TCP port is not compliant."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import restricted_common_ports
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, PortRange, Result, Snapshot
from tests.checks.ingress import rule, with_ingress
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = restricted_common_ports.CHECK
SNAPSHOT = Snapshot("264683526309", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
REFERENCE_GROUP: dict[str, Any] = json.loads((REFERENCE / "AWS_EC2_SecurityGroup.json").read_text())
DEFAULTS = "20, 21, 3389, 3306, 4333"
EXPOSED = "blocked TCP ports are open to the internet: "
CLOSED = Result(Compliance.COMPLIANT, f"no ingress rule opens a blocked TCP port ({DEFAULTS}) to 0.0.0.0/0 or ::/0")


def group(*ingress: dict[str, Any]) -> ConfigurationItem:
    """The reference security group with its ingress rules replaced (its egress stays open to all)."""
    raw = copy.deepcopy(REFERENCE_GROUP)
    raw["configuration"]["ipPermissions"] = list(ingress)
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def exposed(*findings: str) -> Result:
    return Result(Compliance.NON_COMPLIANT, EXPOSED + "; ".join(findings))


def test_the_check_evaluates_security_groups_with_the_managed_rules_five_ports() -> None:
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::EC2::SecurityGroup",)
    assert CHECK.lookup_types == ()
    assert not CHECK.parameters.has_required()
    defaults = CHECK.parameters.parse(CHECK.id, None)
    # Declared as ints (describe() stays JSON), the defaults reach the check as PortRanges, like given ports.
    assert dict(defaults) == {
        "blockedPort1": PortRange(20, 20),
        "blockedPort2": PortRange(21, 21),
        "blockedPort3": PortRange(3389, 3389),
        "blockedPort4": PortRange(3306, 3306),
        "blockedPort5": PortRange(4333, 4333),
    }
    assert restricted_common_ports.blocked_ports(defaults) == tuple(
        PortRange(port, port) for port in (20, 21, 3389, 3306, 4333)
    )


def test_the_description_is_json_with_the_documented_defaults() -> None:
    described = json.loads(json.dumps(CHECK.describe()))
    assert [(parameter["name"], parameter["type"], parameter["default"]) for parameter in described["parameters"]] == [
        ("blockedPort1", "port_range", 20),
        ("blockedPort2", "port_range", 21),
        ("blockedPort3", "port_range", 3389),
        ("blockedPort4", "port_range", 3306),
        ("blockedPort5", "port_range", 4333),
    ]
    assert described["remediation_cli"] == (
        "aws ec2 revoke-security-group-ingress --group-id SECURITY_GROUP_ID --protocol tcp --port 3389 --cidr 0.0.0.0/0"
    )


def test_the_reference_groups_open_ssh_is_not_a_default_blocked_port() -> None:
    assert run(group(*REFERENCE_GROUP["configuration"]["ipPermissions"])) == CLOSED


def test_the_reference_groups_open_ssh_is_exposed_once_22_is_blocked() -> None:
    result = run(group(*REFERENCE_GROUP["configuration"]["ipPermissions"]), {"blockedPort1": "22"})
    assert result == exposed("tcp 22 from 0.0.0.0/0 (blocked 22)")


@pytest.mark.parametrize("port", [20, 21, 3389, 3306, 4333])
def test_each_default_port_open_to_the_world_is_exposed(port: int) -> None:
    assert run(group(rule("tcp", (port, port), "0.0.0.0/0"))) == exposed(f"tcp {port} from 0.0.0.0/0 (blocked {port})")


@pytest.mark.parametrize(
    ("ports", "finding"),
    [
        ((0, 1024), "tcp 0-1024 from 0.0.0.0/0 (blocked 20, 21)"),
        ((3000, 4000), "tcp 3000-4000 from 0.0.0.0/0 (blocked 3389, 3306)"),
        ((21, 20), "tcp 20-21 from 0.0.0.0/0 (blocked 20, 21)"),
        ((4333, 5000), "tcp 4333-5000 from 0.0.0.0/0 (blocked 4333)"),
        ((1, 65535), f"tcp 1-65535 from 0.0.0.0/0 (blocked {DEFAULTS})"),
    ],
)
def test_a_tcp_range_covering_blocked_ports_names_each(ports: tuple[int, int], finding: str) -> None:
    assert run(group(rule("tcp", ports, "0.0.0.0/0"))) == exposed(finding)


@pytest.mark.parametrize("ports", [(19, 19), (22, 3305), (3307, 3388), (3390, 4332), (4334, 65535), (80, 443)])
def test_a_tcp_range_between_blocked_ports_is_compliant(ports: tuple[int, int]) -> None:
    assert run(group(rule("tcp", ports, "0.0.0.0/0", v6=("::/0",)))) == CLOSED


@pytest.mark.parametrize("protocol", ["-1", "all"])
def test_an_all_traffic_rule_exposes_every_blocked_port(protocol: str) -> None:
    result = run(group(rule(protocol, None, "0.0.0.0/0")))
    assert result == exposed(f"all traffic from 0.0.0.0/0 (blocked {DEFAULTS})")


@pytest.mark.parametrize("protocol", ["tcp", "6", "TCP"])
def test_tcp_without_ports_opens_every_port(protocol: str) -> None:
    result = run(group(rule(protocol, None, "0.0.0.0/0")))
    assert result == exposed(f"tcp on every port from 0.0.0.0/0 (blocked {DEFAULTS})")


def test_protocol_number_6_is_tcp() -> None:
    assert run(group(rule("6", (3389, 3389), "0.0.0.0/0"))) == exposed("tcp 3389 from 0.0.0.0/0 (blocked 3389)")


def test_ipv6_everywhere_is_exposed() -> None:
    assert run(group(rule("tcp", (3306, 3306), v6=("::/0",)))) == exposed("tcp 3306 from ::/0 (blocked 3306)")


def test_both_worlds_in_one_rule_are_named_once_each() -> None:
    result = run(group(rule("tcp", (3389, 3389), "0.0.0.0/0", v6=("::/0",))))
    assert result == exposed("tcp 3389 from 0.0.0.0/0, ::/0 (blocked 3389)")


def test_structured_ipv4_ranges_alone_are_read() -> None:
    permission = rule("tcp", (21, 21), "0.0.0.0/0")
    del permission["ipRanges"]
    assert run(group(permission)) == exposed("tcp 21 from 0.0.0.0/0 (blocked 21)")


@pytest.mark.parametrize(
    "permission",
    [
        rule("tcp", (3389, 3389), "10.0.0.0/8", "203.0.113.7/32", v6=("2001:db8::/32",)),
        # Half the internet is not "all IPv4 addresses", which is all the managed rule looks for.
        rule("tcp", (3389, 3389), "0.0.0.0/1", "128.0.0.0/1", v6=("::/1",)),
        rule("-1", None, "192.168.0.0/16"),
        {**rule("tcp", (3389, 3389)), "userIdGroupPairs": [{"groupId": "sg-0123456789abcdef0"}]},
        {**rule("tcp", (3389, 3389)), "prefixListIds": [{"prefixListId": "pl-12345678"}]},
    ],
    ids=["restricted-cidrs", "halves-of-the-internet", "all-traffic-from-a-private-range", "group", "prefix-list"],
)
def test_blocked_ports_from_restricted_sources_are_compliant(permission: dict[str, Any]) -> None:
    assert run(group(permission)) == CLOSED


@pytest.mark.parametrize(
    "permission",
    [
        rule("udp", (3389, 3389), "0.0.0.0/0"),
        rule("udp", None, "0.0.0.0/0"),
        rule("50", None, "0.0.0.0/0", v6=("::/0",)),
    ],
    ids=["udp-3389", "udp-every-port", "esp"],
)
def test_non_tcp_protocols_do_not_open_blocked_ports(permission: dict[str, Any]) -> None:
    assert run(group(permission)) == CLOSED


@pytest.mark.parametrize("protocol", ["icmp", "icmpv6"])
def test_icmp_has_no_ports_to_open(protocol: str) -> None:
    assert run(group(rule(protocol, (-1, -1), "0.0.0.0/0"))) == CLOSED


def test_a_group_without_ingress_rules_is_compliant_despite_open_egress() -> None:
    assert run(group()) == CLOSED


def test_every_offending_rule_is_named_and_others_are_not() -> None:
    result = run(
        group(
            rule("tcp", (443, 443), "0.0.0.0/0"),
            rule("tcp", (3389, 3389), "0.0.0.0/0"),
            rule("tcp", (3306, 3306), "10.0.0.0/8"),
            rule("udp", (20, 21), "0.0.0.0/0"),
            rule("-1", None, v6=("::/0",)),
        )
    )
    assert result == exposed("tcp 3389 from 0.0.0.0/0 (blocked 3389)", f"all traffic from ::/0 (blocked {DEFAULTS})")


def test_a_given_port_replaces_only_its_own_default() -> None:
    params = json.dumps({"blockedPort3": "8080"})  # AWS Config's InputParameters: a JSON string of strings
    assert run(group(rule("tcp", (3389, 3389), "0.0.0.0/0")), params) == Result(
        Compliance.COMPLIANT, "no ingress rule opens a blocked TCP port (20, 21, 8080, 3306, 4333) to 0.0.0.0/0 or ::/0"
    )
    assert run(group(rule("tcp", (8080, 8080), "0.0.0.0/0")), params) == exposed(
        "tcp 8080 from 0.0.0.0/0 (blocked 8080)"
    )
    assert run(group(rule("tcp", (20, 20), "0.0.0.0/0")), params) == exposed("tcp 20 from 0.0.0.0/0 (blocked 20)")


def test_a_port_given_twice_is_blocked_and_named_once() -> None:
    params = {"blockedPort1": "3389", "blockedPort2": 3389}
    assert run(group(rule("tcp", (0, 65535), "0.0.0.0/0")), params) == exposed(
        "tcp 0-65535 from 0.0.0.0/0 (blocked 3389, 3306, 4333)"
    )


def test_a_port_range_parameter_is_accepted() -> None:
    params = {"blockedPort5": " 8000 - 8080 "}
    assert CHECK.parameters.parse(CHECK.id, params)["blockedPort5"] == PortRange(8000, 8080)
    assert run(group(rule("tcp", (8080, 8443), "0.0.0.0/0")), params) == exposed(
        "tcp 8080-8443 from 0.0.0.0/0 (blocked 8000-8080)"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ssh", "expected a port like 8080 or a range like 1-1024"),
        ("", "expected a port like 8080 or a range like 1-1024"),
        ("-1", "expected a port like 8080 or a range like 1-1024"),
        ("3389,3306", "expected a port like 8080 or a range like 1-1024"),
        (True, "expected a port like 8080 or a range like 1-1024"),
        ("70000", "expected ports within 0-65535, low to high"),
        ("3389-20", "expected ports within 0-65535, low to high"),
    ],
)
def test_a_bad_port_is_refused_naming_check_and_parameter(raw: Any, message: str) -> None:
    with pytest.raises(ParameterError, match=r"^check restricted-common-ports, parameter blockedPort4: ") as info:
        CHECK.parameters.parse(CHECK.id, {"blockedPort4": raw})
    assert message in str(info.value)
    assert info.value.parameter == "blockedPort4"


def test_an_unknown_parameter_is_refused() -> None:
    """blockedPorts (the managed rule's CSV) is not offered: refusing it beats silently blocking the wrong ports."""
    with pytest.raises(
        ParameterError, match="check restricted-common-ports, parameter blockedPorts: unknown parameter"
    ):
        CHECK.parameters.parse(CHECK.id, {"blockedPorts": "20,21"})


def test_the_api_spelling_of_a_configuration_is_read() -> None:
    raw = copy.deepcopy(REFERENCE_GROUP)
    raw["configuration"] = {
        "GroupId": "sg-1d56fc66",
        "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
        ],
    }
    assert run(ConfigurationItem.parse(raw)) == exposed("tcp 3389 from ::/0 (blocked 3389)")


def test_many_findings_fit_one_annotation() -> None:
    result = run(
        group(*(rule("tcp", (port, port), "0.0.0.0/0", v6=("::/0",)) for port in (20, 21, 3389, 3306, 4333) * 3))
    )
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert result.annotation.startswith(EXPOSED + "tcp 20 from 0.0.0.0/0, ::/0 (blocked 20); tcp 21 from")
    assert result.annotation.endswith(" more")
    assert len(result.annotation) <= ANNOTATION_LIMIT


@pytest.mark.parametrize("configuration", [None, {"groupId": "sg-1d56fc66", "groupName": "launch-wizard-7"}])
def test_an_item_without_its_ingress_rules_is_never_compliant(configuration: dict[str, Any] | None) -> None:
    raw = copy.deepcopy(REFERENCE_GROUP)
    raw["configuration"] = configuration
    result = run(ConfigurationItem.parse(raw))
    assert result == Result(
        Compliance.NON_COMPLIANT, "the configuration item has no ipPermissions, so it cannot be judged"
    )


def test_no_group_is_ever_not_applicable() -> None:
    """NOT_APPLICABLE cannot occur: every security group is judged, in use or not, as restricted-ssh judges them."""
    items = [group(), group(rule("tcp", (3389, 3389), "0.0.0.0/0")), group(rule("udp", None, "0.0.0.0/0"))]
    assert all(run(item).compliance is not Compliance.NOT_APPLICABLE for item in items)


# Ingress rules in shapes AWS Config never records, each hiding RDP open to the world: read as no exposure, they
# passed, while a missing ipPermissions did not.
MALFORMED_INGRESS = [
    pytest.param(
        [{**rule("tcp", (3389, 3389)), "ipRanges": "0.0.0.0/0"}],
        "ipPermissions[0].ipRanges as a string, not a list",
        id="ipRanges-a-string",
    ),
    pytest.param(
        [{**rule("tcp", (3389, 3389)), "ipv4Ranges": {"cidrIp": "0.0.0.0/0"}}],
        "ipPermissions[0].ipv4Ranges as an object, not a list",
        id="ipv4Ranges-an-object",
    ),
    pytest.param(
        [{**rule("tcp", (3389, 3389)), "ipv6Ranges": {"cidrIpv6": "::/0"}}],
        "ipPermissions[0].ipv6Ranges as an object, not a list",
        id="ipv6Ranges-an-object",
    ),
    pytest.param(
        [rule("tcp", (443, 443), "10.0.0.0/8"), ["tcp", 3389, "0.0.0.0/0"]],
        "ipPermissions[1] as a list, not an object",
        id="a-permission-a-list",
    ),
    pytest.param(rule("tcp", (3389, 3389), "0.0.0.0/0"), "ipPermissions as an object, not a list", id="an-object"),
    pytest.param("tcp 3389 from 0.0.0.0/0", "ipPermissions as a string, not a list", id="a-string"),
    pytest.param(
        [{**rule("tcp", (3389, 3389)), "ipv4Ranges": [None]}],
        "ipPermissions[0].ipv4Ranges[0] as null, not a CIDR or a range object",
        id="a-range-null",
    ),
    pytest.param(
        [{**rule("tcp", (3389, 3389)), "ipv6Ranges": [{"description": "everyone"}]}],
        "ipPermissions[0].ipv6Ranges[0] as an object without a CIDR, not a CIDR or a range object",
        id="a-range-without-a-cidr",
    ),
    pytest.param(
        [{**rule("tcp", (3389, 3389), "0.0.0.0/0"), "ipProtocol": 6}],
        "ipPermissions[0].ipProtocol as a number, not a protocol name or number",
        id="ipProtocol-a-number",
    ),
    pytest.param(
        [{**rule("tcp", (3389, 3389), "0.0.0.0/0"), "toPort": True}],
        "ipPermissions[0].toPort as True, not a port number",
        id="toPort-a-boolean",
    ),
]


@pytest.mark.parametrize(("ingress", "what"), MALFORMED_INGRESS)
def test_ingress_rules_of_the_wrong_type_are_never_compliant(ingress: Any, what: str) -> None:
    unjudged = f"the configuration item records {what}, so it cannot be judged"
    assert run(with_ingress(ingress)) == Result(Compliance.NON_COMPLIANT, unjudged)
