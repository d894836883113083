"""vpc-default-security-group-closed: a VPC's default group has no rules at all (VPC_DEFAULT_SECURITY_GROUP_CLOSED).

Only the group named "default" is judged (EC2 refuses that name for any group it did not create itself); every other
group is not applicable. Any inbound or outbound rule is NON_COMPLIANT, whatever its source or destination, so the
rules AWS puts in a new default group (all traffic from the group itself, all traffic out) are too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from checks.shared.ec2 import SECURITY_GROUP
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, ParameterValues, Result, Severity, Snapshot

DEFAULT_GROUP = "default"
_DIRECTIONS = (("ipPermissions", "inbound"), ("ipPermissionsEgress", "outbound"))


def _rules(configuration: Mapping[str, Any], key: str) -> Sequence[Any] | None:
    rules = configuration.get(key)
    return rules if isinstance(rules, list) else None


def _count(count: int, direction: str) -> str:
    return f"{count} {direction} rule" + ("" if count == 1 else "s")


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration, so it cannot be judged")
    name = configuration.get("groupName")
    if not isinstance(name, str) or not name:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no groupName, so it cannot be judged")
    if name != DEFAULT_GROUP:
        return Result(Compliance.NOT_APPLICABLE, f"security group {name} is not a VPC's default group")
    rules = {direction: _rules(configuration, key) for key, direction in _DIRECTIONS}
    opened = [_count(len(found), direction) for direction, found in rules.items() if found]
    if opened:
        return Result(Compliance.NON_COMPLIANT, f"the default security group has {' and '.join(opened)}")
    missing = [key for key, direction in _DIRECTIONS if rules[direction] is None]
    if missing:
        unjudged = f"the configuration item has no {' or '.join(missing)}, so it cannot be judged"
        return Result(Compliance.NON_COMPLIANT, unjudged)
    return Result(Compliance.COMPLIANT, "the default security group has no inbound or outbound rule")


CHECK = Check(
    id="vpc-default-security-group-closed",
    title="Default security groups allow no traffic",
    description=(
        "The default security group of each VPC has no inbound and no outbound rule, as in the managed rule "
        "VPC_DEFAULT_SECURITY_GROUP_CLOSED. Groups not named default are not applicable."
    ),
    rationale=(
        "Resources launched without a security group are put in the VPC's default group; when it has rules, they "
        "get traffic nobody chose for them, such as full access between everything in that group. Keeping it "
        "empty makes every resource use a group designed for it and limits lateral movement."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Give the resources that use the default group their own least-privilege security groups, then remove "
        "every inbound and every outbound rule from the default group (by security group rule id, ingress and "
        "egress alike). The default group cannot be deleted, so it is kept with no rules."
    ),
    remediation_cli=(
        "aws ec2 revoke-security-group-ingress --group-id SECURITY_GROUP_ID --security-group-rule-ids "
        "INGRESS_RULE_ID\n"
        "aws ec2 revoke-security-group-egress --group-id SECURITY_GROUP_ID --security-group-rule-ids EGRESS_RULE_ID"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(SECURITY_GROUP,),
    cis=("5.4",),
    evaluate_resource=evaluate,
)
