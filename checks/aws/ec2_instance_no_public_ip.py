"""ec2-instance-no-public-ip: an EC2 instance has no public IPv4 address (EC2_INSTANCE_NO_PUBLIC_IP).

The managed rule looks for a publicIp field in the configuration item, which is where an instance's network interfaces
record a public address (association.publicIp, per interface and per private address); the instance's own
publicIpAddress names the primary one. Any of them is NON_COMPLIANT. IPv6 addresses are not judged.

Instance state: a stopped instance is judged like a running one (it loses an auto-assigned public address but keeps an
Elastic IP). A shutting-down or terminated instance is not applicable: AWS Config records it as deleted, so the
managed rule stops evaluating it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from checks.shared.common import UnreadableFieldError, cannot_judge, list_field, object_field, objects, text_field
from checks.shared.ec2 import INSTANCE, ended_instance
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, ParameterValues, Result, Severity, Snapshot


def _associations(configuration: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    interfaces = list_field(configuration, "networkInterfaces") or []
    for number, interface in enumerate(objects(interfaces, "networkInterfaces")):
        where = f"networkInterfaces[{number}]"
        association = object_field(interface, "association", f"{where}.association")
        if association is not None:
            yield f"{where}.association", association
        addresses = list_field(interface, "privateIpAddresses", f"{where}.privateIpAddresses") or []
        for index, address in enumerate(objects(addresses, f"{where}.privateIpAddresses")):
            at = f"{where}.privateIpAddresses[{index}].association"
            association = object_field(address, "association", at)
            if association is not None:
                yield at, association


def public_addresses(configuration: Mapping[str, Any]) -> tuple[str, ...]:
    """The instance's public IPv4 addresses, each once: its publicIpAddress, then its interfaces' associations;
    UnreadableFieldError for any of them of a type EC2 never records."""
    found = [text_field(configuration, "publicIpAddress")]
    found += [
        text_field(association, "publicIp", f"{where}.publicIp") for where, association in _associations(configuration)
    ]
    return tuple(dict.fromkeys(address for address in found if address))


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration, so it cannot be judged")
    try:
        ended = ended_instance(configuration)
        addresses = public_addresses(configuration)
    except UnreadableFieldError as error:
        return cannot_judge(error)
    if ended is not None:
        return ended
    if addresses:
        return Result(Compliance.NON_COMPLIANT, f"instance has public IPv4 address {', '.join(addresses)}")
    # EC2 leaves publicIpAddress out when there is none: the interfaces, recorded either way, confirm it.
    if "publicIpAddress" not in configuration and not isinstance(configuration.get("networkInterfaces"), list):
        unjudged = "the configuration item has neither publicIpAddress nor networkInterfaces, so it cannot be judged"
        return Result(Compliance.NON_COMPLIANT, unjudged)
    return Result(Compliance.COMPLIANT, "instance has no public IPv4 address")


CHECK = Check(
    id="ec2-instance-no-public-ip",
    title="EC2 instances have no public IPv4 address",
    description=(
        "No EC2 instance has a public IPv4 address, auto-assigned or Elastic, on any of its network interfaces, as "
        "in the managed rule EC2_INSTANCE_NO_PUBLIC_IP. Shutting-down and terminated instances are not applicable."
    ),
    rationale=(
        "An instance with a public IPv4 address is directly reachable from the internet whenever a security group "
        "or network ACL lets traffic in, so a single overly broad rule exposes it. Without one, it can be reached "
        "from outside only through a load balancer or another path you control."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Serve the instance through a load balancer or NAT gateway and reach it through Systems Manager Session "
        "Manager, then remove its public address: disassociate an Elastic IP, or turn off the auto-assigned public "
        "address on its network interface. Turn off auto-assigned public addresses on the subnet so new instances "
        "get none."
    ),
    remediation_cli="aws ec2 disassociate-address --association-id ASSOCIATION_ID",
    scope=CheckScope.RESOURCE,
    resource_types=(INSTANCE,),
    evaluate_resource=evaluate,
)
