"""What the EC2 checks share: resource types, security group rules read strictly, world-open exposures, an
instance's ended states."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checks.shared.common import UnreadableFieldError, object_field, text_field
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import (
    PortRange,
    Result,
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
_PORT_TEXT = re.compile(r"-?[0-9]+")


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


def _list_field(mapping: Mapping[str, Any], name: str, where: str) -> list[Any]:
    """A list in either spelling (empty when absent or null); UnreadableFieldError for any other type."""
    value = _field(mapping, name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnreadableFieldError(where, value, "a list")
    return value


def attached_group_ids(item: ConfigurationItem) -> tuple[str, ...]:
    """The instance's security groups, from its configuration, its network interfaces and its relationships;
    UnreadableFieldError when a list of them, or a group in one, is of a type EC2 never records."""
    configuration = item.configuration or {}
    groups = [
        (f"securityGroups[{index}]", group)
        for index, group in enumerate(_list_field(configuration, "securityGroups", "securityGroups"))
    ]
    for number, interface in enumerate(_list_field(configuration, "networkInterfaces", "networkInterfaces")):
        where = f"networkInterfaces[{number}]"
        if not isinstance(interface, Mapping):
            raise UnreadableFieldError(where, interface, "an object")
        listed = _list_field(interface, "groups", f"{where}.groups")
        groups.extend((f"{where}.groups[{index}]", group) for index, group in enumerate(listed))
    found: list[str] = []
    for where, group in groups:
        if not isinstance(group, Mapping):
            raise UnreadableFieldError(where, group, "an object")
        group_id = _field(group, "groupId")
        if not isinstance(group_id, str) or not group_id:
            raise UnreadableFieldError(f"{where}.groupId", group_id, "a security group id")
        found.append(group_id)
    found.extend(
        relation.resource_id
        for relation in item.relationships
        if relation.resource_type == SECURITY_GROUP and relation.resource_id
    )
    return tuple(dict.fromkeys(found))


def _cidrs(permission: Mapping[str, Any]) -> Iterator[str]:
    """The permission's source CIDRs (a permission `ingress_rules` has read)."""
    for key in _RANGE_KEYS:
        for entry in permission.get(key) or ():
            if isinstance(entry, str):
                yield entry
            else:
                yield from (entry[name] for name in _CIDR_KEYS if name in entry)


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
    # ASCII only: str.isdigit() and int() also read other scripts' digits, which EC2 never records.
    if isinstance(value, str) and _PORT_TEXT.fullmatch(value.strip()):
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


def has_ingress_rules(configuration: Mapping[str, Any] | None) -> bool:
    """Whether a group's configuration lists its ingress rules (possibly none): without them it cannot be judged."""
    return configuration is not None and _field(configuration, "ipPermissions") is not None


def _check_range(entry: Any, where: str) -> None:
    if isinstance(entry, str):
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise UnreadableFieldError(where, entry, "a CIDR", shown=repr(entry)[:40]) from None
        return
    if not isinstance(entry, Mapping):
        raise UnreadableFieldError(where, entry, "a CIDR or a range object")
    names = [name for name in _CIDR_KEYS if name in entry]
    if not names:
        raise UnreadableFieldError(where, entry, "a CIDR or a range object", shown="an object without a CIDR")
    for name in names:
        cidr = entry[name]
        if not isinstance(cidr, str):
            raise UnreadableFieldError(f"{where}.{name}", cidr, "a CIDR")
        _check_range(cidr, f"{where}.{name}")


def ingress_rules(configuration: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """A group's ingress permissions, each read whole: a field of a type EC2 never records (ipRanges a string, a
    permission that is not an object) raises UnreadableFieldError naming it, as does a missing ipPermissions."""
    permissions = _field(configuration, "ipPermissions") if configuration is not None else None
    if permissions is None:
        raise UnreadableFieldError("ipPermissions", None, "a list")
    if not isinstance(permissions, list):
        raise UnreadableFieldError("ipPermissions", permissions, "a list")
    for index, permission in enumerate(permissions):
        where = f"ipPermissions[{index}]"
        if not isinstance(permission, Mapping):
            raise UnreadableFieldError(where, permission, "an object")
        protocol = _field(permission, "ipProtocol")
        # EC2 records protocols as text ("tcp", "6", "-1"), never as numbers.
        if not isinstance(protocol, str) or not protocol.strip():
            raise UnreadableFieldError(f"{where}.ipProtocol", protocol, "a protocol name or number")
        for name in ("fromPort", "toPort"):
            port = _field(permission, name)
            if port is not None and _port(port) is None:
                raise UnreadableFieldError(f"{where}.{name}", port, "a port number", shown=repr(port)[:40])
        for key in _RANGE_KEYS:
            ranges = permission.get(key)
            if ranges is None:
                continue
            if not isinstance(ranges, list):
                raise UnreadableFieldError(f"{where}.{key}", ranges, "a list")
            for position, entry in enumerate(ranges):
                _check_range(entry, f"{where}.{key}[{position}]")
    return permissions


def group_exposures(
    group_id: str, configuration: Mapping[str, Any] | None, forbidden: Sequence[PortRange]
) -> list[Exposure]:
    """The group's ingress permissions that open a forbidden port to the world; UnreadableFieldError when its
    rules cannot be read (see `ingress_rules`)."""
    exposures = []
    for permission in ingress_rules(configuration):
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


ENDED_STATES = frozenset({"shutting-down", "terminated"})


def ended_instance(configuration: Mapping[str, Any]) -> Result | None:
    """NOT_APPLICABLE for an instance being or already terminated; None for any other state, or none recorded;
    UnreadableFieldError for a state of a type EC2 never records."""
    state = object_field(configuration, "state")
    name = text_field(state, "name", "state.name") if state is not None else None
    if name in ENDED_STATES:
        return Result(Compliance.NOT_APPLICABLE, f"instance is {name}; AWS Config records it as deleted")
    return None
