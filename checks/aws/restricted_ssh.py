"""restricted-ssh: no security group allows SSH from 0.0.0.0/0 or ::/0 (managed rule INCOMING_SSH_DISABLED)."""

from __future__ import annotations

from checks.shared.common import UnreadableFieldError, cannot_judge, fit_findings
from checks.shared.ec2 import SECURITY_GROUP, group_exposures, has_ingress_rules
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, ParameterValues, PortRange, Result, Severity, Snapshot

SSH = (PortRange(22, 22),)
# SSH is TCP: a udp 22 or esp rule does not expose it, while "all" (-1) covers TCP too.
_SSH_PROTOCOLS = frozenset({"tcp", "all"})
_EXPOSED = "SSH (tcp 22) is open to the internet: "


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    configuration = item.configuration
    if not has_ingress_rules(configuration):
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no ipPermissions, so it cannot be judged")
    try:
        exposures = group_exposures(item.resource_id, configuration, SSH)
    except UnreadableFieldError as exc:
        return cannot_judge(exc)
    findings = [
        f"{exposure.traffic} from {', '.join(exposure.cidrs)}"
        for exposure in exposures
        if exposure.protocol in _SSH_PROTOCOLS
    ]
    if findings:
        return Result(Compliance.NON_COMPLIANT, _EXPOSED + fit_findings(findings, ANNOTATION_LIMIT - len(_EXPOSED)))
    return Result(Compliance.COMPLIANT, "no ingress rule opens SSH (tcp 22) to 0.0.0.0/0 or ::/0")


CHECK = Check(
    id="restricted-ssh",
    title="Security groups do not allow SSH from the internet",
    description=(
        "No ingress rule of a security group allows TCP port 22 (a range covering it, tcp without ports, or all "
        "traffic) from 0.0.0.0/0 or ::/0, as in the managed rule INCOMING_SSH_DISABLED."
    ),
    rationale=(
        "SSH open to 0.0.0.0/0 or ::/0 exposes every instance using the group to constant internet-wide scanning, "
        "password and key guessing, and exploits of SSH server flaws; one success gives a shell inside the VPC."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Restrict the rule's source to known address ranges, or remove it and reach instances through Systems "
        "Manager Session Manager, a bastion or a VPN. A rule for ::/0, for a port range or for all traffic is "
        "revoked with its own ports and source, or by its security group rule id."
    ),
    remediation_cli=(
        "aws ec2 revoke-security-group-ingress --group-id SECURITY_GROUP_ID --protocol tcp --port 22 --cidr 0.0.0.0/0"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(SECURITY_GROUP,),
    cis=("5.2", "5.3"),
    evaluate_resource=evaluate,
)
