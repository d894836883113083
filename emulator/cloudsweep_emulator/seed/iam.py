"""IAM in each account: customer managed policies, roles (CloudSweepAudit among them) and users."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cloudsweep_emulator.seed.api import _AccountContext, _Api, _Credentials
from cloudsweep_emulator.seed.expected import IAM_POLICY, IAM_ROLE, IAM_USER, _Inventory, _ref
from cloudsweep_emulator.seed.placements import _Placements
from cloudsweep_emulator.seed.plan import (
    _BOUNDARY_ACCOUNTS,
    _BOUNDARY_POLICY,
    _BOUNDED_ROLE,
    _DEMO_PASSWORD,
    _FORMER_CONTRACTOR,
    _HUMAN_NAMES,
    _LAMBDA_ROLE,
    _LEGACY_ADMIN,
    _LEGACY_ADMIN_POLICY,
    AUDIT_ROLE_NAME,
    GLOBAL_REGION,
    MANAGEMENT_ACCOUNT_ID,
    _AccountPlan,
    _tags,
)
from cloudsweep_emulator.seed.policies import (
    _ADMIN_POLICY,
    _AUDIT_POLICY,
    _CI_DEPLOY_POLICY,
    _DEVELOPER_BOUNDARY,
    _app_data_policy,
    _trust_account,
    _trust_service,
)


def _seed_iam(context: _AccountContext, placements: _Placements, rng: random.Random, inventory: _Inventory) -> str:
    """Create the account's policies, roles and users; return the ARN of its CloudSweepAudit role."""
    extras = placements.account_extras.get(context.plan.label, ())
    policy_arns = _create_policies(context, with_admin=_LEGACY_ADMIN in extras, inventory=inventory)
    audit_role_arn = _create_roles(context, policy_arns, inventory)
    if context.plan.label in _BOUNDARY_ACCOUNTS:
        _create_bounded_role(context, inventory)
    for user in _plan_users(context.plan, extras, policy_arns, rng):
        _create_user(context, user, policy_arns, inventory)
    return audit_role_arn


def _create_bounded_role(context: _AccountContext, inventory: _Inventory) -> None:
    """A customer managed policy used only as a role's permissions boundary, attached to nothing."""
    iam = context.api("iam")
    policy = iam(
        "create_policy",
        PolicyName=_BOUNDARY_POLICY,
        PolicyDocument=_DEVELOPER_BOUNDARY,
        Tags=_tags(context.plan, None, "team-security"),
    )["Policy"]
    inventory.add(context.account_id, GLOBAL_REGION, IAM_POLICY)
    inventory.boundary_policies.append(_ref(context, GLOBAL_REGION, IAM_POLICY, policy["PolicyId"], _BOUNDARY_POLICY))
    iam(
        "create_role",
        RoleName=_BOUNDED_ROLE,
        AssumeRolePolicyDocument=_trust_account(MANAGEMENT_ACCOUNT_ID),
        PermissionsBoundary=policy["Arn"],
        Tags=_tags(context.plan, None, "team-platform"),
    )
    inventory.add(context.account_id, GLOBAL_REGION, IAM_ROLE)


def _create_policies(context: _AccountContext, *, with_admin: bool, inventory: _Inventory) -> dict[str, str]:
    """Create the customer-managed policies; return their ARNs by name."""
    iam = context.api("iam")
    policies = {
        "CloudSweepAuditAccess": _AUDIT_POLICY,
        "AppDataAccess": _app_data_policy(context.plan),
        "CiDeploy": _CI_DEPLOY_POLICY,
    }
    if with_admin:
        policies[_LEGACY_ADMIN_POLICY] = _ADMIN_POLICY
    policy_arns: dict[str, str] = {}
    for name, document in policies.items():
        policy = iam(
            "create_policy", PolicyName=name, PolicyDocument=document, Tags=_tags(context.plan, None, "team-security")
        )["Policy"]
        policy_arns[name] = policy["Arn"]
        inventory.add(context.account_id, GLOBAL_REGION, IAM_POLICY)
        if name == _LEGACY_ADMIN_POLICY:
            inventory.admin_policies.append(_ref(context, GLOBAL_REGION, IAM_POLICY, policy["PolicyId"], name))
    return policy_arns


def _create_roles(context: _AccountContext, policy_arns: Mapping[str, str], inventory: _Inventory) -> str:
    """Create the account's roles; return the ARN of CloudSweepAudit."""
    iam = context.api("iam")
    roles = (
        (AUDIT_ROLE_NAME, _trust_account(MANAGEMENT_ACCOUNT_ID), "CloudSweepAuditAccess"),
        ("app-instance", _trust_service("ec2.amazonaws.com"), "AppDataAccess"),
        ("ci-deploy", _trust_account(MANAGEMENT_ACCOUNT_ID), "CiDeploy"),
        (_LAMBDA_ROLE, _trust_service("lambda.amazonaws.com"), None),
    )
    arns: dict[str, str] = {}
    for role_name, trust, policy_name in roles:
        role = iam(
            "create_role",
            RoleName=role_name,
            AssumeRolePolicyDocument=trust,
            Tags=_tags(context.plan, None, "team-security"),
        )["Role"]
        arns[role_name] = str(role["Arn"])
        inventory.add(context.account_id, GLOBAL_REGION, IAM_ROLE)
        if policy_name is not None:
            iam("attach_role_policy", RoleName=role_name, PolicyArn=policy_arns[policy_name])
    return arns[AUDIT_ROLE_NAME]


def _plan_users(
    plan: _AccountPlan, extras: Sequence[str], policy_arns: Mapping[str, str], rng: random.Random
) -> list[_UserPlan]:
    humans = rng.sample(_HUMAN_NAMES, k=plan.human_users)
    # Whoever was given the legacy admin policy is the first human: the finding has a face.
    admin_policy = _LEGACY_ADMIN_POLICY if _LEGACY_ADMIN_POLICY in policy_arns else None
    users = [
        _UserPlan("ci-deployer", access_key=True, key_used=True, console=False, policy="CiDeploy"),
        *(
            _UserPlan(
                human,
                access_key=True,
                key_used=rng.random() < 0.6,
                console=True,
                policy=admin_policy if i == 0 else None,
            )
            for i, human in enumerate(humans)
        ),
        _UserPlan("legacy-backup", access_key=True, key_used=False, console=False, policy=None),
    ]
    if _FORMER_CONTRACTOR in extras:
        users.append(_UserPlan(_FORMER_CONTRACTOR, access_key=False, key_used=False, console=True, policy=None))
    return users


@dataclass(frozen=True)
class _UserPlan:
    name: str
    access_key: bool
    key_used: bool
    console: bool
    policy: str | None


def _create_user(
    context: _AccountContext, user: _UserPlan, policy_arns: Mapping[str, str], inventory: _Inventory
) -> None:
    iam = context.api("iam")
    owner = "team-platform" if user.name == "ci-deployer" else user.name
    created = iam("create_user", UserName=user.name, Tags=_tags(context.plan, None, owner))["User"]
    inventory.add(context.account_id, GLOBAL_REGION, IAM_USER)
    if user.console:
        iam("create_login_profile", UserName=user.name, Password=_DEMO_PASSWORD, PasswordResetRequired=False)
    if user.access_key:
        key = iam("create_access_key", UserName=user.name)["AccessKey"]
        if user.key_used:
            _use_access_key(context, _Credentials(key["AccessKeyId"], key["SecretAccessKey"]))
    if user.policy is not None:
        iam("attach_user_policy", UserName=user.name, PolicyArn=policy_arns[user.policy])
    if user.console and context.plan.posture.hardened:
        _enable_virtual_mfa(iam, user.name)
        inventory.mfa_users.append(_ref(context, GLOBAL_REGION, IAM_USER, created["UserId"], user.name))
    if not user.key_used:
        inventory.unused_iam_users.append(_ref(context, GLOBAL_REGION, IAM_USER, created["UserId"], user.name))


def _enable_virtual_mfa(iam: _Api, user_name: str) -> None:
    device = iam("create_virtual_mfa_device", VirtualMFADeviceName=user_name)["VirtualMFADevice"]
    # Two consecutive codes from the authenticator app; moto takes any six digits.
    iam(
        "enable_mfa_device",
        UserName=user_name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )


def _use_access_key(context: _AccountContext, credentials: _Credentials) -> None:
    # One signed call is enough for IAM to record the key's LastUsedDate.
    context.api_as(credentials, "sts")("get_caller_identity")
