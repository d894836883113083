"""iam-user-no-policies-check: a user's attachedManagedPolicies and userPolicyList are both empty."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import iam_user_no_policies_check
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = iam_user_no_policies_check.CHECK
SNAPSHOT = Snapshot("112233445566", "us-east-1", datetime(2026, 3, 1, tzinfo=UTC))
# johndoe: in group MyTestGroup, three managed policies attached and one inline policy.
REFERENCE_USER: dict[str, Any] = json.loads((REFERENCE / "AWS_IAM_User.json").read_text())
MISSING = object()
INLINE = REFERENCE_USER["configuration"]["userPolicyList"][0]
ELB_POLICY = REFERENCE_USER["configuration"]["attachedManagedPolicies"][0]


def user(**configuration: Any) -> ConfigurationItem:
    """The reference user with configuration fields replaced (or removed with MISSING)."""
    raw = copy.deepcopy(REFERENCE_USER)
    for name, value in configuration.items():
        if value is MISSING:
            del raw["configuration"][name]
        else:
            raw["configuration"][name] = value
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, None), SNAPSHOT)


def test_the_check_evaluates_users_and_reads_nothing_else() -> None:
    assert CHECK.id == "iam-user-no-policies-check"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::IAM::User",)
    assert CHECK.extra_data == ()
    assert CHECK.remediation_cli == "aws iam detach-user-policy --user-name USER_NAME --policy-arn POLICY_ARN"


def test_the_reference_user_has_policies_of_its_own() -> None:
    assert run(user()) == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe has 4 policies of its own: managed ELB-policy; managed AdministratorAccess; "
        "managed config-role-ap-northeast-1_AWSConfigDeliveryPermissions_ap-northeast-1; "
        "inline policygen-johndoe-201611060951",
    )


def test_a_user_with_permissions_from_groups_only_is_compliant() -> None:
    # Group membership and a permissions boundary grant the user nothing of its own.
    boundary = {
        "permissionsBoundaryType": "PermissionsBoundaryPolicy",
        "permissionsBoundaryArn": "arn:aws:iam::112233445566:policy/boundary",
    }
    item = user(attachedManagedPolicies=[], userPolicyList=[], permissionsBoundary=boundary)
    assert run(item) == Result(Compliance.COMPLIANT, "user johndoe has no managed or inline policy of its own")


def test_one_inline_policy_is_not_compliant() -> None:
    assert run(user(attachedManagedPolicies=[], userPolicyList=[INLINE])) == Result(
        Compliance.NON_COMPLIANT, "user johndoe has 1 policy of its own: inline policygen-johndoe-201611060951"
    )


def test_one_managed_policy_is_not_compliant() -> None:
    assert run(user(attachedManagedPolicies=[ELB_POLICY], userPolicyList=[])) == Result(
        Compliance.NON_COMPLIANT, "user johndoe has 1 policy of its own: managed ELB-policy"
    )


def test_an_entry_without_a_name_is_named_by_its_arn_or_counted() -> None:
    entries = [{"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, {}]
    assert run(user(attachedManagedPolicies=entries, userPolicyList=[])) == Result(
        Compliance.NON_COMPLIANT,
        "user johndoe has 2 policies of its own: managed arn:aws:iam::aws:policy/ReadOnlyAccess; "
        "managed without a name",
    )


@pytest.mark.parametrize("field", ["attachedManagedPolicies", "userPolicyList"])
@pytest.mark.parametrize("value", [MISSING, None, "[]"])
def test_a_list_not_recorded_is_never_compliant(field: str, value: Any) -> None:
    item = user(**({"attachedManagedPolicies": [], "userPolicyList": []} | {field: value}))
    assert run(item) == Result(
        Compliance.NON_COMPLIANT, f"user johndoe has no {field} recorded: its policies are unknown"
    )


def test_an_item_without_configuration_is_never_compliant() -> None:
    raw = copy.deepcopy(REFERENCE_USER)
    raw["configuration"] = None
    assert run(ConfigurationItem.parse(raw)) == Result(
        Compliance.NON_COMPLIANT, "the configuration item has no configuration"
    )


def test_the_user_name_falls_back_to_the_resource_id() -> None:
    raw = copy.deepcopy(REFERENCE_USER)
    del raw["resourceName"]
    del raw["configuration"]["userName"]
    raw["configuration"]["userPolicyList"] = raw["configuration"]["attachedManagedPolicies"] = []
    assert run(ConfigurationItem.parse(raw)) == Result(
        Compliance.COMPLIANT, "user AIDAILEDWOGIPJFAKOJKW has no managed or inline policy of its own"
    )


def test_many_policies_fit_aws_configs_limit() -> None:
    inline = [{"policyName": f"inline-policy-number-{number:02d}"} for number in range(30)]
    result = run(user(userPolicyList=inline))
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert len(result.annotation) <= ANNOTATION_LIMIT
    assert result.annotation.startswith("user johndoe has 33 policies of its own: managed ELB-policy; ")
    assert result.annotation.endswith(" more")


def test_not_applicable_cannot_occur() -> None:
    """The managed rule judges every IAM user: it has policies of its own or not."""
    items = [user(), user(attachedManagedPolicies=[], userPolicyList=[]), user(userPolicyList=MISSING)]
    assert all(run(item).compliance is not Compliance.NOT_APPLICABLE for item in items)


def test_the_check_takes_no_parameters() -> None:
    assert dict(CHECK.parameters.parse(CHECK.id, None)) == {}
    with pytest.raises(ParameterError, match="check iam-user-no-policies-check, parameter maxPolicies: unknown"):
        CHECK.parameters.parse(CHECK.id, {"maxPolicies": "0"})
