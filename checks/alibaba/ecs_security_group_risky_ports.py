"""ecs-security-group-risky-ports: no security group accepts internet traffic to a risky port (SSH, RDP by default).

A rule is an exposure when it is an ingress rule (Direction other than egress; a rule without one is read as
ingress, since a rule whose direction cannot be told is not assumed harmless), its Policy is not Drop (Accept in any
case, or no Policy, which ECS reads as accept), its source is the whole internet (SourceCidrIp 0.0.0.0/0 or
Ipv6SourceCidrIp ::/0, any CIDR of prefix length 0), and its PortRange ("22/22", "1/65535") covers a risky port.
"-1/-1" (how ECS records every port, as for protocol ALL) covers all ports. Protocols TCP, UDP and ALL carry ports;
ICMP, ICMPv6 and GRE have none, so their rules never expose a port. Any other or missing IpProtocol, and a PortRange
that cannot be read, are judged as opening every port: what cannot be read is never passed. Sources given as a
security group or a prefix list, or that are not a CIDR (ECS refuses those), are not the internet and are not judged.

Drop rules are not weighed against Accept rules by priority: a Drop that shadows an exposure can only make a group
come out less compliant, never wrongly compliant. The configuration follows DescribeSecurityGroupAttribute, whose
rules are `{"Permissions": {"Permission": [...]}}`; Alibaba Cloud Config's rule sample reads `Permissions` as a
plain list, and both shapes are read. A group without readable Permissions is NON_COMPLIANT. Groups that a cloud
service manages (ServiceManaged true) are NOT_APPLICABLE, as in the sample: the account cannot change their rules.

The `ports` parameter is a STRING_LIST ("22,3389", "8000-8080"): there is no parameter type for a list of port
ranges, so `PortListParameter` validates each element while the schema parses (a bad value raises ParameterError
before any resource is judged), and `risky_ports` turns the validated strings, or the default, into PortRanges.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from checks.shared.common import UnreadableFieldError, cannot_judge, fit_findings, flag
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    Cloud,
    Parameter,
    ParameterError,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    PortRange,
    Result,
    Severity,
    Snapshot,
)

CHECK_ID = "ecs-security-group-risky-ports"
SECURITY_GROUP = "ACS::ECS::SecurityGroup"
PORTS = "ports"
DEFAULT_PORTS = ("22", "3389")
ALL_PORTS = (1, 65535)
# Protocols without ports: a rule for them opens no TCP or UDP port, whatever its PortRange says.
PORTLESS_PROTOCOLS = frozenset({"ICMP", "ICMPV6", "GRE"})
_PORT_SPEC = re.compile(r"([0-9]{1,5})(?:\s*-\s*([0-9]{1,5}))?")
_RULE_PORTS = re.compile(r"(-?[0-9]{1,5})(?:/(-?[0-9]{1,5}))?")
_EXPOSED = "risky ports are open to the internet: "
CIDR_SOURCE_KEYS = ("SourceCidrIp", "Ipv6SourceCidrIp")
# Where an ingress rule says whom it admits: a CIDR, another security group, or a prefix list.
SOURCE_KEYS = (*CIDR_SOURCE_KEYS, "SourceGroupId", "SourcePrefixListId")


def port_ranges(check_id: str, name: str, values: Iterable[str]) -> tuple[PortRange, ...]:
    """Ports ("22") and inclusive ranges ("8000-8080") within 1-65535, each once, in the order given."""
    ranges: list[PortRange] = []
    for value in values:
        match = _PORT_SPEC.fullmatch(value.strip())
        if match is None:
            raise ParameterError(check_id, name, f"expected ports like 22 or ranges like 8000-8080, got {value!r}")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not 1 <= first <= last <= 65535:
            raise ParameterError(check_id, name, f"expected ports within 1-65535, low to high, got {value!r}")
        ranges.append(PortRange(first, last))
    return tuple(dict.fromkeys(ranges))


class PortListParameter(Parameter):
    """A STRING_LIST of ports and port ranges, checked element by element when the schema parses it."""

    def convert(self, check_id: str, raw: Any) -> Any:
        values: tuple[str, ...] = super().convert(check_id, raw)
        return tuple(str(ports) for ports in port_ranges(check_id, self.name, values))


def risky_ports(params: ParameterValues) -> tuple[PortRange, ...]:
    return port_ranges(CHECK_ID, PORTS, params[PORTS])


def _permissions(configuration: Mapping[str, Any]) -> Sequence[Mapping[str, Any]] | None:
    """The group's rules from either shape, or None when they cannot be read."""
    permissions = configuration.get("Permissions")
    if isinstance(permissions, Mapping):
        permissions = permissions.get("Permission")
        if isinstance(permissions, Mapping):  # one rule, as an XML-to-JSON conversion writes it
            permissions = [permissions]
    if not isinstance(permissions, list) or not all(isinstance(rule, Mapping) for rule in permissions):
        return None
    return permissions


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _internet(source: Any) -> bool:
    try:
        return ipaddress.ip_network(_text(source), strict=False).prefixlen == 0
    except ValueError:
        return False


def _rule_ports(port_range: Any) -> tuple[int, int]:
    """The destination ports of a rule's PortRange; -1/-1, and anything unreadable, is every port."""
    match = _RULE_PORTS.fullmatch(_text(port_range))
    if match is None:
        return ALL_PORTS
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if first < 0 or last < 0:
        return ALL_PORTS
    return min(first, last), max(first, last)


def _sources(rule: Mapping[str, Any], where: str) -> list[str]:
    """The rule's internet sources. A source of another type than text, or an ingress rule naming no source at all,
    raises UnreadableFieldError: read as "not the internet", either would pass the rule unread."""
    named = [key for key in SOURCE_KEYS if rule.get(key) is not None]
    if not named:
        raise UnreadableFieldError(where, rule, "a rule", shown="an object naming no source")
    for key in named:
        if not isinstance(rule[key], str):
            raise UnreadableFieldError(f"{where}.{key}", rule[key], "a CIDR or an id")
    return [rule[key].strip() for key in CIDR_SOURCE_KEYS if _internet(rule.get(key))]


def _finding(rule: Mapping[str, Any], risky: Sequence[PortRange], where: str) -> str | None:
    """How the rule exposes risky ports, or None when it does not."""
    if _text(rule.get("Direction")).lower() == "egress" or _text(rule.get("Policy")).lower() == "drop":
        return None
    sources = _sources(rule, where)
    protocol = _text(rule.get("IpProtocol")).upper()
    if not sources or protocol in PORTLESS_PROTOCOLS:
        return None
    first, last = _rule_ports(rule.get("PortRange"))
    covered = [ports for ports in risky if ports.intersects(first, last)]
    if not covered:
        return None
    port_range = _text(rule.get("PortRange")) or "(no PortRange)"
    return (
        f"{protocol or '(no IpProtocol)'} {port_range} from {', '.join(sources)} "
        f"(covers {', '.join(map(str, covered))})"
    )


def _service_managed(configuration: Mapping[str, Any]) -> bool:
    return flag(configuration.get("ServiceManaged")) is True


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    risky = risky_ports(params)
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    if _service_managed(configuration):
        return Result(
            Compliance.NOT_APPLICABLE,
            "the security group is managed by a cloud service (ServiceManaged), not the account",
        )
    permissions = _permissions(configuration)
    if permissions is None:
        return Result(
            Compliance.NON_COMPLIANT,
            "the security group's configuration has no readable Permissions, so it cannot be judged",
        )
    recorded = configuration.get("Permissions")
    one_rule = isinstance(recorded, Mapping) and isinstance(recorded.get("Permission"), Mapping)
    shape = "Permissions" if isinstance(recorded, list) else "Permissions.Permission"
    try:
        findings = [
            finding
            for index, rule in enumerate(permissions)
            if (finding := _finding(rule, risky, shape if one_rule else f"{shape}[{index}]")) is not None
        ]
    except UnreadableFieldError as error:
        return cannot_judge(error)
    if findings:
        return Result(Compliance.NON_COMPLIANT, _EXPOSED + fit_findings(findings, ANNOTATION_LIMIT - len(_EXPOSED)))
    ports = ", ".join(map(str, risky))
    return Result(Compliance.COMPLIANT, f"no accepted ingress rule opens a risky port ({ports}) to 0.0.0.0/0 or ::/0")


CHECK = Check(
    id=CHECK_ID,
    title="Security groups do not open risky ports to the internet",
    description=(
        "No ingress rule of an ECS security group accepts traffic from 0.0.0.0/0 or ::/0 to a risky port (ports, by "
        "default 22 and 3389) over TCP, UDP or all protocols, whether the rule names the port, a range covering it, "
        "or every port (-1/-1). Drop rules, egress rules and ICMP or GRE rules do not count; groups managed by a "
        "cloud service are not applicable."
    ),
    rationale=(
        "SSH, RDP and other administration or database ports open to the whole internet are scanned constantly and "
        "face brute-force logins and exploits of unpatched flaws. One weak password or missed patch then gives an "
        "attacker a foothold inside the VPC."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Find the offending rules' ids (DescribeSecurityGroupAttribute, direction ingress), then restrict each "
        "rule's source to known address ranges or revoke it, and reach the instances through a bastion host, VPN "
        "or Cloud Assistant instead. Egress rules are revoked separately and are not judged here."
    ),
    remediation_cli=(
        "aliyun ecs DescribeSecurityGroupAttribute --RegionId REGION --SecurityGroupId SECURITY_GROUP_ID "
        "--Direction ingress\n"
        "aliyun ecs ModifySecurityGroupRule --RegionId REGION --SecurityGroupId SECURITY_GROUP_ID "
        "--SecurityGroupRuleId SECURITY_GROUP_RULE_ID --SourceCidrIp TRUSTED_CIDR\n"
        "aliyun ecs RevokeSecurityGroup --RegionId REGION --SecurityGroupId SECURITY_GROUP_ID "
        "--SecurityGroupRuleId.1 SECURITY_GROUP_RULE_ID"
    ),
    scope=CheckScope.RESOURCE,
    cloud=Cloud.ALIBABA,
    resource_types=(SECURITY_GROUP,),
    parameters=ParameterSchema(
        (
            PortListParameter(
                PORTS,
                ParameterType.STRING_LIST,
                "comma-separated risky ports (1-65535) or inclusive ranges, e.g. 22,3389 or 8000-8080; default 22,3389",
                default=DEFAULT_PORTS,
            ),
        )
    ),
    evaluate_resource=evaluate,
)
