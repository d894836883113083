"""Security-group ingress rules as AWS Config records them, for the checks that read them."""

from __future__ import annotations

import copy
import json
from typing import Any

from scanner.model import ConfigurationItem
from tests.support import REFERENCE_ITEMS

REFERENCE_GROUP: dict[str, Any] = json.loads((REFERENCE_ITEMS / "AWS_EC2_SecurityGroup.json").read_text())


def rule(protocol: str, ports: tuple[int, int] | None = None, *v4: str, v6: tuple[str, ...] = ()) -> dict[str, Any]:
    """An ingress permission as AWS Config records it today: flat ipRanges beside structured v4 and v6 ranges."""
    permission: dict[str, Any] = {
        "ipProtocol": protocol,
        "userIdGroupPairs": [],
        "ipRanges": list(v4),
        "ipv4Ranges": [{"cidrIp": cidr} for cidr in v4],
        "ipv6Ranges": [{"cidrIpv6": cidr} for cidr in v6],
        "prefixListIds": [],
    }
    if ports is not None:
        permission["fromPort"], permission["toPort"] = ports
    return permission


def with_ingress(ip_permissions: Any) -> ConfigurationItem:
    """The reference group with `ipPermissions` exactly as given, of whatever type."""
    raw = copy.deepcopy(REFERENCE_GROUP)
    raw["configuration"]["ipPermissions"] = ip_permissions
    return ConfigurationItem.parse(raw)
