"""ec2-exposed-instance: no security group of an EC2 instance opens a forbidden port to the whole internet."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from checks.shared.common import UnreadableFieldError, cannot_judge, fit_findings
from checks.shared.ec2 import INSTANCE, SECURITY_GROUP, attached_group_ids, group_exposures, has_ingress_rules
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


def _forbidden_ports(params: ParameterValues) -> tuple[PortRange, ...]:
    return tuple(dict.fromkeys(value for value in params.values() if isinstance(value, PortRange)))


def _described_exposures(
    group_id: str, configuration: Mapping[str, Any] | None, forbidden: tuple[PortRange, ...]
) -> tuple[str, ...]:
    return tuple(str(exposure) for exposure in group_exposures(group_id, configuration, forbidden))


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    forbidden = _forbidden_ports(params)
    try:
        group_ids = attached_group_ids(item)
    except UnreadableFieldError as error:
        return cannot_judge(error)
    if not group_ids:
        return Result(Compliance.NON_COMPLIANT, "no security group is attached to the instance")
    findings: list[str] = []
    missing: list[str] = []
    for group_id in group_ids:
        group = snapshot.item(SECURITY_GROUP, group_id)
        configuration = group.configuration if group is not None else None
        if not has_ingress_rules(configuration):
            missing.append(group_id)
            continue
        try:
            # Many instances share a group: its exposures are worked out once per target.
            exposures = snapshot.derived(
                ("ec2-exposed-instance", group_id, forbidden),
                functools.partial(_described_exposures, group_id, configuration, forbidden),
            )
            findings.extend(exposures)
        except UnreadableFieldError as exc:
            findings.append(f"the item of security group {group_id} {exc.detail}, so it cannot be judged")
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
