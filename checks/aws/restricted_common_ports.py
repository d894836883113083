"""restricted-common-ports: no security group opens a blocked TCP port to the internet (RESTRICTED_INCOMING_TRAFFIC).

A deviation, chosen: the managed rule's documentation says it checks "the security groups in use"; this check judges
every security group, in use or not, as restricted-ssh does. An open group attached to nothing is one
ModifyInstanceAttribute (or one launch template) away from exposing an instance, and whether a group is in use is
not a property of its item alone: AWS Config relates a group to the network interfaces using it, but those of RDS,
Lambda or load balancers come and go with scaling, so "unused" at one recording is no assurance. Teams that want the
managed rule's scope can suppress known unattached groups by id or tag in a mutelist.

The managed rule's CSV parameter blockedPorts is not offered: its documentation does not say whether it replaces or
adds to blockedPort1..blockedPort5, and an unknown parameter is refused rather than ignored.
"""

from __future__ import annotations

from checks.shared.common import UnreadableFieldError, cannot_judge, fit_findings
from checks.shared.ec2 import SECURITY_GROUP, group_exposures, has_ingress_rules
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
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

# The managed rule's parameters, with their documented defaults and what those defaults are for.
BLOCKED_PORT_PARAMETERS = (
    ("blockedPort1", 20, "FTP data"),
    ("blockedPort2", 21, "FTP control"),
    ("blockedPort3", 3389, "RDP"),
    ("blockedPort4", 3306, "MySQL"),
    ("blockedPort5", 4333, "a port for your environment"),
)
# The rule is about TCP: a udp or esp rule does not open a blocked port, while "all" (-1) covers TCP too.
_TCP_PROTOCOLS = frozenset({"tcp", "all"})
_EXPOSED = "blocked TCP ports are open to the internet: "


def blocked_ports(params: ParameterValues) -> tuple[PortRange, ...]:
    """The blocked ports, each once, in parameter order."""
    return tuple(dict.fromkeys(params[name] for name, _, _ in BLOCKED_PORT_PARAMETERS))


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    blocked = blocked_ports(params)
    configuration = item.configuration
    if not has_ingress_rules(configuration):
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no ipPermissions, so it cannot be judged")
    try:
        exposures = group_exposures(item.resource_id, configuration, blocked)
    except UnreadableFieldError as exc:
        return cannot_judge(exc)
    findings = [
        f"{exposure.traffic} from {', '.join(exposure.cidrs)} (blocked {', '.join(map(str, exposure.forbidden))})"
        for exposure in exposures
        if exposure.protocol in _TCP_PROTOCOLS
    ]
    if findings:
        return Result(Compliance.NON_COMPLIANT, _EXPOSED + fit_findings(findings, ANNOTATION_LIMIT - len(_EXPOSED)))
    ports = ", ".join(map(str, blocked))
    return Result(Compliance.COMPLIANT, f"no ingress rule opens a blocked TCP port ({ports}) to 0.0.0.0/0 or ::/0")


def _port_parameter(name: str, default: int, purpose: str) -> Parameter:
    return Parameter(
        name,
        ParameterType.PORT_RANGE,
        f"blocked TCP port, default {default} ({purpose}); an inclusive range such as 8000-8080 is accepted too",
        default=default,
    )


CHECK = Check(
    id="restricted-common-ports",
    title="Security groups do not open common ports to the internet",
    description=(
        "No ingress rule of a security group allows a blocked TCP port (blockedPort1..blockedPort5, by default 20, "
        "21, 3389, 3306 and 4333; a range covering it, tcp without ports, or all traffic) from 0.0.0.0/0 or ::/0, "
        "as in the managed rule RESTRICTED_INCOMING_TRAFFIC. UDP and other protocols are not judged. Unlike the "
        "managed rule, documented to check the security groups in use, every group is judged, attached or not: an "
        "open group attached to nothing is one attachment away from exposing an instance."
    ),
    rationale=(
        "FTP, RDP, MySQL and other services open to the whole internet are scanned constantly and face "
        "brute-force logins and exploits of unpatched flaws; FTP also sends credentials in clear text. One weak "
        "password or missed patch then gives an attacker a foothold inside the VPC."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Restrict the rule's source to known address ranges, or remove it, and reach the instances through "
        "Systems Manager Session Manager, a bastion or a VPN. A rule for ::/0, for a port range or for all "
        "traffic is revoked with its own ports and source, or by its security group rule id."
    ),
    remediation_cli=(
        "aws ec2 revoke-security-group-ingress --group-id SECURITY_GROUP_ID --protocol tcp --port 3389 --cidr 0.0.0.0/0"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(SECURITY_GROUP,),
    parameters=ParameterSchema(tuple(_port_parameter(*parameter) for parameter in BLOCKED_PORT_PARAMETERS)),
    cis=("5.2", "5.3"),
    evaluate_resource=evaluate,
)
