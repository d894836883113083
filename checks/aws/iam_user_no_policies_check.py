"""iam-user-no-policies-check: no IAM user has a policy of its own (IAM_USER_NO_POLICIES_CHECK).

Users get their permissions from groups or roles: an attached managed policy (attachedManagedPolicies) or an inline
policy (userPolicyList) on the user is non-compliant. A permissions boundary grants nothing and does not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checks.shared.common import fit_findings
from checks.shared.credential_report import user_name
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, ParameterValues, Result, Severity, Snapshot

CHECK_ID = "iam-user-no-policies-check"
USER = "AWS::IAM::User"
# The configuration's lists of a user's own policies, with how the annotation names their entries.
POLICY_LISTS = (("attachedManagedPolicies", "managed"), ("userPolicyList", "inline"))


def _policy_name(entry: Any) -> str:
    if isinstance(entry, Mapping):
        for key in ("policyName", "policyArn"):
            if isinstance(entry.get(key), str) and entry[key]:
                return str(entry[key])
    return "without a name"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    name = user_name(item) or item.resource_id
    policies: list[str] = []
    for field, kind in POLICY_LISTS:
        entries = configuration.get(field)
        if not isinstance(entries, list):
            return Result(Compliance.NON_COMPLIANT, f"user {name} has no {field} recorded: its policies are unknown")
        policies.extend(f"{kind} {_policy_name(entry)}" for entry in entries)
    if not policies:
        return Result(Compliance.COMPLIANT, f"user {name} has no managed or inline policy of its own")
    text = f"user {name} has {len(policies)} polic{'y' if len(policies) == 1 else 'ies'} of its own: "
    return Result(Compliance.NON_COMPLIANT, text + fit_findings(policies, ANNOTATION_LIMIT - len(text)))


CHECK = Check(
    id=CHECK_ID,
    title="IAM users have no policies of their own",
    description=(
        "No IAM user has a managed policy attached or an inline policy: permissions come from groups or roles, as in "
        "the managed rule IAM_USER_NO_POLICIES_CHECK."
    ),
    rationale=(
        "Permissions attached to individual users are scattered, hard to review and tend to linger after a user "
        "changes role. Granting them through groups or roles keeps one place to audit, change and revoke them."
    ),
    severity=Severity.LOW,
    remediation=(
        "Add the user to a group (or let it assume a role) that grants the permissions it needs, then detach the "
        "managed policies attached to the user and delete its inline policies."
    ),
    remediation_cli="aws iam detach-user-policy --user-name USER_NAME --policy-arn POLICY_ARN",
    scope=CheckScope.RESOURCE,
    resource_types=(USER,),
    cis=("1.15",),
    evaluate_resource=evaluate,
)
