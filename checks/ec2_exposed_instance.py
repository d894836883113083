"""ec2-exposed-instance: no security group of an EC2 instance opens a forbidden port to the whole internet."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checks.common import fit_findings
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    Parameter,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    PortRange,
    Result,
    Severity,
    Snapshot,
)

INSTANCE = "AWS::EC2::Instance"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
ALL_PORTS = (0, 65535)
_ALL_PROTOCOLS = frozenset({"-1", "all"})
_ICMP_PROTOCOLS = frozenset({"icmp", "icmpv6", "1", "58"})
_PROTOCOL_NAMES = {"6": "tcp", "17": "udp"}
# Every spelling of a permission's source ranges: AWS Config's flat `ipRanges` strings, the structured
# v4/v6 lists, and the API's capitalised ones.
_RANGE_KEYS = ("ipRanges", "ipv4Ranges", "IpRanges", "ipv6Ranges", "Ipv6Ranges")
_CIDR_KEYS = ("cidrIp", "CidrIp", "cidrIpv6", "CidrIpv6")


def _field(mapping: Mapping[str, Any], name: str) -> Any:
    """A key in AWS Config's spelling (groupId) or the API's (GroupId)."""
    if name in mapping:
        return mapping[name]
    return mapping.get(name[:1].upper() + name[1:])


@dataclass(frozen=True)
class Exposure:
    """One ingress permission of a group that opens forbidden ports to the world."""

    group_id: str
    protocol: str
    ports: tuple[int, int] | None  # None: every port
    cidrs: tuple[str, ...]
    forbidden: tuple[PortRange, ...]

    @property
    def traffic(self) -> str:
        """What the permission opens: "tcp 22", "tcp 0-1024", "udp on every port", "all traffic"."""
        if self.ports is None:
            return "all traffic" if self.protocol == "all" else f"{self.protocol} on every port"
        first, last = self.ports
        return f"{self.protocol} {first}" if first == last else f"{self.protocol} {first}-{last}"

    def __str__(self) -> str:
        forbidden = ", ".join(str(ports) for ports in self.forbidden)
        return f"{self.group_id} allows {self.traffic} from {', '.join(self.cidrs)} (forbidden {forbidden})"


def attached_group_ids(item: ConfigurationItem) -> tuple[str, ...]:
    """The instance's security groups, from its configuration, its network interfaces and its relationships."""
    configuration = item.configuration or {}
    found: list[str] = []
    groups: list[Any] = list(_field(configuration, "securityGroups") or ())
    for interface in _field(configuration, "networkInterfaces") or ():
        if isinstance(interface, Mapping):
            groups.extend(_field(interface, "groups") or ())
    for group in groups:
        group_id = _field(group, "groupId") if isinstance(group, Mapping) else None
        if isinstance(group_id, str) and group_id:
            found.append(group_id)
    found.extend(
        relation.resource_id
        for relation in item.relationships
        if relation.resource_type == SECURITY_GROUP and relation.resource_id
    )
    return tuple(dict.fromkeys(found))


def _cidrs(permission: Mapping[str, Any]) -> Iterator[str]:
    for key in _RANGE_KEYS:
        for entry in permission.get(key) or ():
            if isinstance(entry, str):
                yield entry
            elif isinstance(entry, Mapping):
                yield from (entry[name] for name in _CIDR_KEYS if isinstance(entry.get(name), str))


def _is_world(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def world_cidrs(permission: Mapping[str, Any]) -> tuple[str, ...]:
    """The permission's sources that cover every address (0.0.0.0/0, ::/0), each once."""
    return tuple(dict.fromkeys(cidr for cidr in _cidrs(permission) if _is_world(cidr)))


def _port(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def permission_ports(permission: Mapping[str, Any]) -> tuple[str, tuple[int, int] | None] | None:
    """The protocol's display name and the inclusive port interval it opens (None: every port).

    None overall for ICMP, which has types and codes, not ports.
    """
    protocol = str(_field(permission, "ipProtocol") or "").strip().lower()
    if protocol in _ALL_PROTOCOLS:
        return "all", None
    if protocol in _ICMP_PROTOCOLS:
        return None
    name = _PROTOCOL_NAMES.get(protocol, protocol or "unknown protocol")
    first, last = _port(_field(permission, "fromPort")), _port(_field(permission, "toPort"))
    # EC2 opens every port when tcp/udp has no ports, or for protocols without ports of their own (esp, gre...).
    if first is None or last is None or first < 0 or last < 0 or name not in ("tcp", "udp"):
        return name, None
    return name, (min(first, last), max(first, last))


def has_ingress_rules(configuration: Mapping[str, Any]) -> bool:
    """Whether a group's configuration lists its ingress rules (possibly none): without them it cannot be judged."""
    return _field(configuration, "ipPermissions") is not None


def group_exposures(group_id: str, configuration: Mapping[str, Any], forbidden: Sequence[PortRange]) -> list[Exposure]:
    exposures = []
    for permission in _field(configuration, "ipPermissions") or ():
        if not isinstance(permission, Mapping):
            continue
        cidrs = world_cidrs(permission)
        opened = permission_ports(permission)
        if not cidrs or opened is None:
            continue
        protocol, ports = opened
        first, last = ports if ports is not None else ALL_PORTS
        hit = tuple(ranges for ranges in forbidden if ranges.intersects(first, last))
        if hit:
            exposures.append(Exposure(group_id, protocol, ports, cidrs, hit))
    return exposures


def _forbidden_ports(params: ParameterValues) -> tuple[PortRange, ...]:
    return tuple(dict.fromkeys(value for value in params.values() if isinstance(value, PortRange)))


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    forbidden = _forbidden_ports(params)
    group_ids = attached_group_ids(item)
    if not group_ids:
        return Result(Compliance.NON_COMPLIANT, "no security group is attached to the instance")
    findings: list[str] = []
    missing: list[str] = []
    for group_id in group_ids:
        group = snapshot.item(SECURITY_GROUP, group_id)
        configuration = group.configuration if group is not None else None
        if configuration is None or not has_ingress_rules(configuration):
            missing.append(group_id)
            continue
        findings.extend(str(exposure) for exposure in group_exposures(group_id, configuration, forbidden))
    if missing:
        findings.append(f"data for security group {', '.join(missing)} is missing, so it cannot be judged")
    if findings:
        return Result(Compliance.NON_COMPLIANT, fit_findings(findings))
    ports = ", ".join(str(ports) for ports in forbidden)
    groups = ", ".join(group_ids)
    return Result(Compliance.COMPLIANT, f"no forbidden port ({ports}) is open to 0.0.0.0/0 or ::/0 in {groups}")


CHECK = Check(
    id="ec2-exposed-instance",
    title="EC2 instances do not expose forbidden ports to the internet",
    description=(
        "No security group attached to an EC2 instance allows inbound traffic from 0.0.0.0/0 or ::/0 on a "
        "forbidden port. Each parameter, under any name, is a forbidden port (8080) or inclusive range (1-1024)."
    ),
    rationale=(
        "A port open to 0.0.0.0/0 or ::/0 can be reached by anyone on the internet, where scanners find exposed "
        "services within minutes and try default credentials and known exploits against them. The parameters name "
        "the ports that must never be exposed, such as remote administration or unauthenticated service ports."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Remove the inbound rule that opens the forbidden port to 0.0.0.0/0 or ::/0, or narrow its source to known "
        "address ranges or security groups; reach the instance through a bastion, VPN or Systems Manager Session "
        "Manager instead."
    ),
    remediation_cli=(
        "aws ec2 revoke-security-group-ingress --group-id SECURITY_GROUP_ID --protocol tcp --port PORT --cidr 0.0.0.0/0"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(INSTANCE,),
    lookup_types=(SECURITY_GROUP,),
    parameters=ParameterSchema(
        free_form=Parameter("port", ParameterType.PORT_RANGE, "forbidden port or inclusive range, e.g. 8080 or 1-1024"),
        min_free_form=1,
    ),
    evaluate_resource=evaluate,
    demo_parameters={"ssh": "22", "rdp": "3389", "docker": "2375-2376", "devHttp": "8080"},
)
