"""ecs-security-group-risky-ports: an accepted ingress rule from 0.0.0.0/0 or ::/0 covering a risky port fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from checks.alibaba import ecs_security_group_risky_ports
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import CheckScope, Cloud, ParameterError, PortRange, Result
from scanner.testing import assert_evaluations, run_check
from scanner.testing.alibaba import DELETE, alibaba_item

CHECK = ecs_security_group_risky_ports.CHECK
GROUP_ID = "sg-bp1h96fz9fagaegp2r4k"
EXPOSED = "risky ports are open to the internet: "
CLOSED = Result(Compliance.COMPLIANT, "no accepted ingress rule opens a risky port (22, 3389) to 0.0.0.0/0 or ::/0")


def rule(
    protocol: str | None = "TCP",
    ports: str | None = "22/22",
    source: str = "0.0.0.0/0",
    *,
    ipv6: str = "",
    direction: str | None = "ingress",
    policy: str | None = "Accept",
) -> dict[str, Any]:
    """A rule as DescribeSecurityGroupAttribute lists it; None leaves a key out."""
    permission: dict[str, Any] = {
        "Direction": direction,
        "Policy": policy,
        "IpProtocol": protocol,
        "PortRange": ports,
        "SourceCidrIp": source,
        "SourcePortRange": "",
        "DestCidrIp": "",
        "Ipv6SourceCidrIp": ipv6,
        "SourceGroupId": "",
        "NicType": "intranet",
        "Priority": "1",
        "CreateTime": "2024-02-29T07:08:00Z",
        "Description": "",
    }
    return {key: value for key, value in permission.items() if value is not None}


def group(*rules: dict[str, Any], plain_list: bool = False, **configuration: Any) -> ConfigurationItem:
    """The example group with its rules replaced, in the ECS API shape or as the plain list Alibaba's sample reads."""
    permissions: Any = list(rules) if plain_list else {"Permission": list(rules)}
    return alibaba_item("ACS::ECS::SecurityGroup", configuration={"Permissions": permissions, **configuration})


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    evaluations = run_check(CHECK, [item], params)
    assert len(evaluations) == 1
    return Result(evaluations[0].compliance, evaluations[0].annotation)


def exposed(*findings: str) -> Result:
    return Result(Compliance.NON_COMPLIANT, EXPOSED + "; ".join(findings))


def test_the_check_is_an_alibaba_resource_check_of_security_groups() -> None:
    assert CHECK.id == "ecs-security-group-risky-ports"
    assert CHECK.cloud is Cloud.ALIBABA
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("ACS::ECS::SecurityGroup",)
    assert CHECK.cis == ()
    assert not CHECK.parameters.has_required()
    params = CHECK.parameters.parse(CHECK.id, None)
    assert dict(params) == {"ports": ("22", "3389")}
    assert ecs_security_group_risky_ports.risky_ports(params) == (PortRange(22, 22), PortRange(3389, 3389))
    described = json.loads(json.dumps(CHECK.describe()))
    assert [(p["name"], p["type"], p["default"]) for p in described["parameters"]] == [
        ("ports", "string_list", ["22", "3389"])
    ]
    assert all(line.startswith("aliyun ecs ") for line in CHECK.remediation_cli.splitlines())


def test_the_example_group_opens_https_to_all_and_ssh_to_a_private_range_only() -> None:
    evaluations = run_check(CHECK, [alibaba_item("ACS::ECS::SecurityGroup")])
    assert_evaluations(evaluations, {GROUP_ID: (CLOSED.compliance, CLOSED.annotation)})


def test_the_example_groups_https_is_exposed_once_443_is_risky() -> None:
    result = run(alibaba_item("ACS::ECS::SecurityGroup"), {"ports": "443"})
    assert result == exposed("TCP 443/443 from 0.0.0.0/0 (covers 443)")


@pytest.mark.parametrize("plain_list", [False, True], ids=["api-shape", "plain-list"])
def test_ssh_open_to_the_world_is_exposed_in_either_permissions_shape(plain_list: bool) -> None:
    evaluations = run_check(CHECK, [group(rule("TCP", "22/22"), plain_list=plain_list)])
    assert_evaluations(
        evaluations, {GROUP_ID: (Compliance.NON_COMPLIANT, EXPOSED + "TCP 22/22 from 0.0.0.0/0 (covers 22)")}
    )


@pytest.mark.parametrize("plain_list", [False, True], ids=["api-shape", "plain-list"])
def test_no_rules_is_compliant_in_either_shape(plain_list: bool) -> None:
    assert run(group(plain_list=plain_list)) == CLOSED


def test_a_single_rule_object_is_read_as_a_list_of_one() -> None:
    item = alibaba_item(
        "ACS::ECS::SecurityGroup", configuration={"Permissions": {"Permission": rule("UDP", "3389/3389")}}
    )
    assert run(item) == exposed("UDP 3389/3389 from 0.0.0.0/0 (covers 3389)")


@pytest.mark.parametrize(
    ("protocol", "ports", "finding"),
    [
        ("TCP", "3389/3389", "TCP 3389/3389 from 0.0.0.0/0 (covers 3389)"),
        ("UDP", "3389/3389", "UDP 3389/3389 from 0.0.0.0/0 (covers 3389)"),
        ("tcp", "22/22", "TCP 22/22 from 0.0.0.0/0 (covers 22)"),
        ("TCP", "1/65535", "TCP 1/65535 from 0.0.0.0/0 (covers 22, 3389)"),
        ("TCP", "20/23", "TCP 20/23 from 0.0.0.0/0 (covers 22)"),
        ("TCP", "3389/8080", "TCP 3389/8080 from 0.0.0.0/0 (covers 3389)"),
        ("TCP", "1000/22", "TCP 1000/22 from 0.0.0.0/0 (covers 22)"),
        ("ALL", "-1/-1", "ALL -1/-1 from 0.0.0.0/0 (covers 22, 3389)"),
        ("TCP", "-1/-1", "TCP -1/-1 from 0.0.0.0/0 (covers 22, 3389)"),
        ("all", "1/65535", "ALL 1/65535 from 0.0.0.0/0 (covers 22, 3389)"),
    ],
)
def test_a_rule_covering_a_risky_port_is_exposed(protocol: str, ports: str, finding: str) -> None:
    assert run(group(rule(protocol, ports))) == exposed(finding)


@pytest.mark.parametrize("ports", ["21/21", "23/3388", "3390/65535", "80/443", "1/21"])
def test_a_range_between_risky_ports_is_compliant(ports: str) -> None:
    assert run(group(rule("TCP", ports), rule("UDP", ports, ipv6="::/0", source=""))) == CLOSED


@pytest.mark.parametrize("protocol", ["ICMP", "ICMPv6", "GRE", "icmp"])
def test_portless_protocols_open_no_ports_even_with_every_port_range(protocol: str) -> None:
    assert run(group(rule(protocol, "-1/-1"), rule(protocol, "-1/-1", source="", ipv6="::/0"))) == CLOSED


def test_ipv6_everywhere_is_exposed() -> None:
    assert run(group(rule("TCP", "22/22", source="", ipv6="::/0"))) == exposed("TCP 22/22 from ::/0 (covers 22)")


def test_a_rule_open_to_both_worlds_names_both_sources() -> None:
    assert run(group(rule("TCP", "3389/3389", ipv6="::/0"))) == exposed(
        "TCP 3389/3389 from 0.0.0.0/0, ::/0 (covers 3389)"
    )


@pytest.mark.parametrize(
    "permission",
    [
        rule("TCP", "22/22", "10.0.0.0/8"),
        rule("TCP", "22/22", "203.0.113.7/32", ipv6="2001:db8::/32"),
        # Half the internet is not all of it, which is all the check (and the managed rules) look for.
        rule("TCP", "22/22", "0.0.0.0/1"),
        rule("ALL", "-1/-1", "", ipv6="::/1"),
        {**rule("TCP", "22/22", ""), "SourceGroupId": "sg-bp1other0000000001"},
        {**rule("TCP", "22/22", ""), "SourcePrefixListId": "pl-x1j1k5ykzqlixdcy****"},
        rule("TCP", "22/22", "not-an-address"),
    ],
    ids=["private", "hosts", "half", "ipv6-half", "source-group", "prefix-list", "unreadable-source"],
)
def test_risky_ports_from_restricted_sources_are_compliant(permission: dict[str, Any]) -> None:
    assert run(group(permission)) == CLOSED


@pytest.mark.parametrize("policy", ["Drop", "drop", "DROP", " drop "])
def test_a_drop_rule_exposes_nothing(policy: str) -> None:
    assert run(group(rule("ALL", "-1/-1", policy=policy))) == CLOSED


@pytest.mark.parametrize("policy", ["Accept", "accept", "ACCEPT", None, ""], ids=repr)
def test_accept_in_any_case_or_no_policy_is_an_accept(policy: str | None) -> None:
    assert run(group(rule("TCP", "22/22", policy=policy))) == exposed("TCP 22/22 from 0.0.0.0/0 (covers 22)")


@pytest.mark.parametrize("direction", ["egress", "Egress"])
def test_egress_rules_are_ignored(direction: str) -> None:
    egress = {**rule("ALL", "-1/-1", "", direction=direction), "DestCidrIp": "0.0.0.0/0"}
    # An egress rule with a world source (as the sample's plain list could hold) is still egress.
    assert run(group(egress, rule("TCP", "22/22", direction=direction))) == CLOSED


def test_a_rule_without_a_direction_is_read_as_ingress() -> None:
    assert run(group(rule("TCP", "22/22", direction=None))) == exposed("TCP 22/22 from 0.0.0.0/0 (covers 22)")


@pytest.mark.parametrize(
    ("permission", "finding"),
    [
        (rule("TCP", None), "TCP (no PortRange) from 0.0.0.0/0 (covers 22, 3389)"),
        (rule("TCP", "ssh"), "TCP ssh from 0.0.0.0/0 (covers 22, 3389)"),
        (rule(None, "22/22"), "(no IpProtocol) 22/22 from 0.0.0.0/0 (covers 22)"),
        (rule("SCTP", "3389/3389"), "SCTP 3389/3389 from 0.0.0.0/0 (covers 3389)"),
    ],
    ids=["no-port-range", "unreadable-port-range", "no-protocol", "unknown-protocol"],
)
def test_what_cannot_be_read_is_judged_as_open(permission: dict[str, Any], finding: str) -> None:
    assert run(group(permission)) == exposed(finding)


def test_every_offending_rule_is_named_and_others_are_not() -> None:
    result = run(
        group(
            rule("TCP", "443/443"),
            rule("TCP", "22/22"),
            rule("TCP", "3389/3389", "10.0.0.0/8"),
            rule("ICMP", "-1/-1"),
            rule("ALL", "-1/-1", "", ipv6="::/0"),
            rule("TCP", "3389/3389", policy="Drop"),
        )
    )
    assert result == exposed("TCP 22/22 from 0.0.0.0/0 (covers 22)", "ALL -1/-1 from ::/0 (covers 22, 3389)")


def test_given_ports_replace_the_defaults() -> None:
    params = json.dumps({"ports": "8000-8080, 5432"})  # Cloud Config's rule parameters arrive as strings
    assert run(group(rule("TCP", "22/22")), params) == Result(
        Compliance.COMPLIANT, "no accepted ingress rule opens a risky port (8000-8080, 5432) to 0.0.0.0/0 or ::/0"
    )
    assert run(group(rule("TCP", "8080/8443")), params) == exposed("TCP 8080/8443 from 0.0.0.0/0 (covers 8000-8080)")
    assert run(group(rule("TCP", "7000/8000"), rule("UDP", "5432/5432")), params) == exposed(
        "TCP 7000/8000 from 0.0.0.0/0 (covers 8000-8080)", "UDP 5432/5432 from 0.0.0.0/0 (covers 5432)"
    )


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("22,3389", ("22", "3389")),
        (" 8000 - 8080 , 22 ,, ", ("8000-8080", "22")),
        ("22,22,22-22", ("22",)),
        ("1-65535", ("1-65535",)),
        (["443", 22], ("443", "22")),
    ],
)
def test_ports_are_validated_and_normalised_when_parsed(raw: Any, parsed: tuple[str, ...]) -> None:
    assert CHECK.parameters.parse(CHECK.id, {"ports": raw})["ports"] == parsed


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ssh", "expected ports like 22 or ranges like 8000-8080, got 'ssh'"),
        ("22,abc", "expected ports like 22 or ranges like 8000-8080, got 'abc'"),
        ("22/22", "expected ports like 22 or ranges like 8000-8080, got '22/22'"),
        ("-1", "expected ports like 22 or ranges like 8000-8080, got '-1'"),
        ("22-", "expected ports like 22 or ranges like 8000-8080, got '22-'"),
        ("١٢", "expected ports like 22 or ranges like 8000-8080, got '١٢'"),
        ("0", "expected ports within 1-65535, low to high, got '0'"),
        ("65536", "expected ports within 1-65535, low to high, got '65536'"),
        ("3389-22", "expected ports within 1-65535, low to high, got '3389-22'"),
        ("22,0-80", "expected ports within 1-65535, low to high, got '0-80'"),
        ("", "expected a comma-separated list"),
        (22, "expected a comma-separated list"),
    ],
)
def test_a_bad_port_is_refused_when_parsed(raw: Any, message: str) -> None:
    with pytest.raises(ParameterError, match=r"^check ecs-security-group-risky-ports, parameter ports: ") as info:
        CHECK.parameters.parse(CHECK.id, {"ports": raw})
    assert message in str(info.value)
    assert info.value.parameter == "ports"


def test_a_bad_port_fails_the_run_before_any_group_is_judged() -> None:
    with pytest.raises(ParameterError, match="parameter ports: expected ports within 1-65535"):
        run_check(CHECK, [group(rule("TCP", "22/22"))], {"ports": "70000"})


@pytest.mark.parametrize("managed", [True, "true", "True"])
def test_a_service_managed_group_is_not_applicable(managed: Any) -> None:
    item = group(rule("ALL", "-1/-1"), ServiceManaged=managed)
    assert run(item) == Result(
        Compliance.NOT_APPLICABLE, "the security group is managed by a cloud service (ServiceManaged), not the account"
    )


@pytest.mark.parametrize("managed", [False, "false", DELETE, None])
def test_a_group_not_service_managed_is_judged(managed: Any) -> None:
    assert run(group(rule("TCP", "22/22"), ServiceManaged=managed)) == exposed("TCP 22/22 from 0.0.0.0/0 (covers 22)")


@pytest.mark.parametrize(
    "permissions",
    [DELETE, None, "", {}, {"Permission": None}, {"Permission": "22/22"}, [rule(), "22/22"], 42],
    ids=["missing", "null", "empty-string", "empty-object", "null-list", "string", "non-object-rule", "number"],
)
def test_unreadable_permissions_are_never_compliant(permissions: Any) -> None:
    item = alibaba_item("ACS::ECS::SecurityGroup", configuration={"Permissions": permissions})
    assert run(item) == Result(
        Compliance.NON_COMPLIANT,
        "the security group's configuration has no readable Permissions, so it cannot be judged",
    )


def test_many_findings_fit_one_annotation() -> None:
    result = run(group(*(rule("TCP", f"{port}/{port + 3000}") for port in range(1, 40))))
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert result.annotation.startswith(EXPOSED + "TCP 1/3001 from 0.0.0.0/0 (covers 22); TCP 2/3002 from")
    assert result.annotation.endswith(" more")
    assert len(result.annotation) <= ANNOTATION_LIMIT


@pytest.mark.parametrize(
    ("permission", "what"),
    [
        # Read as no source, each rule admitting the internet to SSH passed.
        (
            {**rule("TCP", "22/22"), "SourceCidrIp": ["0.0.0.0/0"]},
            "Permissions.Permission[0].SourceCidrIp as a list, not a CIDR or an id",
        ),
        (
            {**rule("TCP", "22/22", ""), "Ipv6SourceCidrIp": {"cidr": "::/0"}},
            "Permissions.Permission[0].Ipv6SourceCidrIp as an object, not a CIDR or an id",
        ),
        (
            {"Direction": "ingress", "Policy": "Accept", "IpProtocol": "TCP", "PortRange": "22/22"},
            "Permissions.Permission[0] as an object naming no source, not a rule",
        ),
    ],
)
def test_a_rule_whose_source_cannot_be_read_is_never_compliant(permission: dict[str, Any], what: str) -> None:
    assert run(group(permission)) == Result(
        Compliance.NON_COMPLIANT, f"the configuration item records {what}, so it cannot be judged"
    )
