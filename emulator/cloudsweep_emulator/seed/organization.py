"""The organization: created by the management account, with its OUs and member accounts, and the role the seed
assumes into each member to build it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError
from cloudsweep_emulator.seed.api import SeedError, _AccountContext, _Api, _Credentials
from cloudsweep_emulator.seed.expected import DemoAccount
from cloudsweep_emulator.seed.plan import (
    _OU_NAMES,
    _ROOT,
    ADMINISTRATOR_ACCESS,
    MANAGEMENT_ACCOUNT_ID,
    ORGANIZATION_ACCESS_ROLE_NAME,
    _AccountPlan,
)
from cloudsweep_emulator.seed.policies import _trust_account

# moto resolves any access key it did not issue to its default account, which is our management account.
_MANAGEMENT_CREDENTIALS = _Credentials("AKIACLOUDSWEEPDEMO00", "cloudsweep-demo-management-secret")


def _check_management_identity(management: _AccountContext) -> None:
    identity = management.api("sts")("get_caller_identity")
    if identity["Account"] != MANAGEMENT_ACCOUNT_ID:
        raise SeedError(
            f"the emulator at {management.clients.endpoint_url} resolved the seed's credentials to account "
            f"{identity['Account']}, expected moto's default account {MANAGEMENT_ACCOUNT_ID}",
            account=identity["Account"],
        )


def _create_organization(management: _AccountContext) -> str:
    organizations = management.api("organizations")
    organization = organizations("create_organization", FeatureSet="ALL")["Organization"]
    return str(organization["Id"])


def _create_member_account(
    management: _AccountContext, plan: _AccountPlan, ou_ids: Mapping[str, str]
) -> _AccountContext:
    organizations = management.api("organizations")
    status = organizations("create_account", AccountName=plan.label, Email=plan.email)["CreateAccountStatus"]
    account_id = str(_wait_for_account(organizations, status)["AccountId"])
    if plan.ou_name is not None:
        organizations(
            "move_account",
            AccountId=account_id,
            SourceParentId=ou_ids[_ROOT],
            DestinationParentId=ou_ids[plan.ou_name],
        )
    credentials = _assume_role(management, account_id, ORGANIZATION_ACCESS_ROLE_NAME)
    member = _AccountContext(plan, account_id, credentials, management.clients)
    _ensure_organization_access_role(member)
    return member


def _wait_for_account(organizations: _Api, status: dict[str, Any]) -> dict[str, Any]:
    # AWS creates accounts asynchronously; moto finishes at once, so this normally returns immediately.
    for _ in range(50):
        if status["State"] == "SUCCEEDED":
            return status
        if status["State"] == "FAILED":
            raise SeedError(
                f"seeding the organization: CreateAccount {status.get('AccountName')} failed: "
                f"{status.get('FailureReason')}"
            )
        status = organizations("describe_create_account_status", CreateAccountRequestId=status["Id"])[
            "CreateAccountStatus"
        ]
    raise SeedError(f"seeding the organization: account {status.get('AccountName')} never finished creating")


def _create_organizational_units(management: _AccountContext) -> dict[str, str]:
    """Create the OUs under the root; return their ids by name, and the root's under `_ROOT`."""
    organizations = management.api("organizations")
    root_id = str(organizations("list_roots")["Roots"][0]["Id"])
    ou_ids = {_ROOT: root_id}
    for name in _OU_NAMES:
        created = organizations("create_organizational_unit", ParentId=root_id, Name=name)
        ou_ids[name] = str(created["OrganizationalUnit"]["Id"])
    return ou_ids


def _assume_role(management: _AccountContext, account_id: str, role_name: str) -> _Credentials:
    response = management.api("sts")(
        "assume_role", RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}", RoleSessionName="cloudsweep-demo-seed"
    )
    credentials = response["Credentials"]
    return _Credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


def _ensure_organization_access_role(member: _AccountContext) -> None:
    # AWS Organizations creates this role in every account it creates, and moto 5.2.5 does too; create it
    # only if this emulator did not, so the organization looks the same either way.
    iam = member.api("iam")
    try:
        iam("get_role", RoleName=ORGANIZATION_ACCESS_ROLE_NAME)
    except SeedError as exc:
        if not _is_no_such_entity(exc):
            raise
        iam(
            "create_role",
            RoleName=ORGANIZATION_ACCESS_ROLE_NAME,
            AssumeRolePolicyDocument=_trust_account(MANAGEMENT_ACCOUNT_ID),
        )
        # As AWS Organizations makes it: the AWS managed AdministratorAccess attached.
        iam(
            "attach_role_policy",
            RoleName=ORGANIZATION_ACCESS_ROLE_NAME,
            PolicyArn=f"arn:aws:iam::aws:policy/{ADMINISTRATOR_ACCESS}",
        )


def _is_no_such_entity(exc: SeedError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == "NoSuchEntity"


def _describe_accounts(
    management: _AccountContext, contexts: Sequence[_AccountContext], audit_role_arns: Mapping[str, str]
) -> tuple[DemoAccount, ...]:
    organizations = management.api("organizations")
    listed = {account["Id"]: account for account in organizations("list_accounts")["Accounts"]}
    return tuple(
        DemoAccount(
            account_id=context.account_id,
            name=str(listed[context.account_id]["Name"]),
            email=str(listed[context.account_id]["Email"]),
            ou_name=context.plan.ou_name,
            audit_role_arn=audit_role_arns[context.account_id],
            is_management=context.account_id == MANAGEMENT_ACCOUNT_ID,
        )
        for context in contexts
    )
