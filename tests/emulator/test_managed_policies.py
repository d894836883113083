"""AWS managed policies exist in every emulated account, as in AWS: a subset, with AWS's ARNs and documents."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cloudsweep_emulator.managed_policies import AWS_MANAGED_POLICY_NAMES, install
from cloudsweep_emulator.server import Emulator
from moto.iam import models as iam_models
from moto.iam.aws_managed_policies import aws_managed_policies_data

from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import assumed_session, client

MEMBER_ACCOUNT = "210987654321"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
JOB_FUNCTION = {
    "ViewOnlyAccess",
    "SystemAdministrator",
    "DatabaseAdministrator",
    "NetworkAdministrator",
    "Billing",
    "SupportUser",
}
SERVICE_ROLE = {
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWS_ConfigRole",
    "AWSConfigRulesExecutionRole",
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def expected_arn(name: str) -> str:
    path = "/job-function/" if name in JOB_FUNCTION else "/service-role/" if name in SERVICE_ROLE else "/"
    return f"arn:aws:iam::aws:policy{path}{name}"


def default_document(iam: Any, arn: str) -> dict[str, Any]:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    assert version["IsDefaultVersion"] is True
    document: dict[str, Any] = version["Document"]  # boto3 decodes the URL-encoded JSON
    return document


def test_the_subset_holds_the_policies_asked_for() -> None:
    assert len(AWS_MANAGED_POLICY_NAMES) == len(set(AWS_MANAGED_POLICY_NAMES)) == 29
    assert set(AWS_MANAGED_POLICY_NAMES) >= JOB_FUNCTION | SERVICE_ROLE


def test_installing_again_changes_nothing(emulator: Emulator, boto_session: Any) -> None:
    patched = iam_models.IAMBackend._init_aws_policies
    install()
    install()
    assert iam_models.IAMBackend._init_aws_policies is patched
    iam = client(boto_session, "iam", emulator.endpoint_url)
    listed = [policy["Arn"] for policy in iam.list_policies(Scope="AWS")["Policies"]]
    assert sorted(listed) == sorted(expected_arn(name) for name in AWS_MANAGED_POLICY_NAMES)


def test_moto_without_the_internals_relied_on_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    class IAMBackend:
        def __init__(self) -> None:
            self.managed_policies: dict[str, Any] = {}

        def _init_aws_policies(self) -> list[Any]:
            return []

    monkeypatch.setattr(iam_models, "IAMBackend", IAMBackend)

    with pytest.raises(RuntimeError, match=re.escape("IAMBackend.__init__ no longer calls _init_aws_policies")):
        install()


@pytest.mark.parametrize("name", AWS_MANAGED_POLICY_NAMES)
def test_every_policy_of_the_subset_has_its_aws_arn(name: str, emulator: Emulator, boto_session: Any) -> None:
    iam = client(boto_session, "iam", emulator.endpoint_url)
    policy = iam.get_policy(PolicyArn=expected_arn(name))["Policy"]

    assert (policy["PolicyName"], policy["Arn"], policy["IsAttachable"]) == (name, expected_arn(name), True)
    assert policy["Path"] == expected_arn(name).removeprefix("arn:aws:iam::aws:policy").removesuffix(name)
    assert default_document(iam, policy["Arn"])["Version"] == "2012-10-17"


def test_policies_have_their_real_documents(emulator: Emulator, boto_session: Any) -> None:
    iam = client(boto_session, "iam", emulator.endpoint_url)

    assert default_document(iam, ADMIN_ARN) == ADMIN_DOCUMENT
    assert iam.get_policy(PolicyArn=ADMIN_ARN)["Policy"]["DefaultVersionId"] == "v1"
    assert default_document(iam, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"],
            "Resource": "*",
        }
    ]
    read_only = default_document(iam, "arn:aws:iam::aws:policy/ReadOnlyAccess")
    read_only_actions = {action for statement in read_only["Statement"] for action in statement["Action"]}
    assert {"ec2:Describe*", "iam:Get*", "iam:List*", "s3:Get*", "s3:List*"} <= read_only_actions
    assert len(read_only_actions) > 1000
    assert all(statement["Effect"] == "Allow" for statement in read_only["Statement"])
    audit = default_document(iam, "arn:aws:iam::aws:policy/SecurityAudit")
    audit_actions = {action for statement in audit["Statement"] for action in statement["Action"]}
    assert {"config:Describe*", "cloudtrail:DescribeTrails", "iam:GenerateCredentialReport"} <= audit_actions
    assert "*" not in audit_actions
    # Whole documents too, through IAM's URL-encoded wire format: exactly moto's copy of AWS's.
    bundled = json.loads(aws_managed_policies_data)
    assert read_only == bundled["ReadOnlyAccess"]["Document"]
    assert audit == bundled["SecurityAudit"]["Document"]


def test_list_policies_by_scope(emulator: Emulator, boto_session: Any) -> None:
    iam = client(boto_session, "iam", emulator.endpoint_url)
    mine = iam.create_policy(PolicyName="mine", PolicyDocument=json.dumps(ADMIN_DOCUMENT))["Policy"]["Arn"]

    def arns(scope: str) -> list[str]:
        pages = iam.get_paginator("list_policies").paginate(Scope=scope)
        return sorted(policy["Arn"] for page in pages for policy in page["Policies"])

    subset = sorted(expected_arn(name) for name in AWS_MANAGED_POLICY_NAMES)
    assert arns("AWS") == subset
    assert arns("Local") == [mine]
    assert arns("All") == sorted([*subset, mine])


def test_a_policy_outside_the_subset_does_not_exist(emulator: Emulator, boto_session: Any) -> None:
    """AmazonMacieFullAccess is a real AWS managed policy, but not in the emulator's subset: its limit."""
    iam = client(boto_session, "iam", emulator.endpoint_url)
    iam.create_user(UserName="alice")
    outside = "arn:aws:iam::aws:policy/AmazonMacieFullAccess"

    with pytest.raises(ClientError) as get:
        iam.get_policy(PolicyArn=outside)
    with pytest.raises(ClientError) as attach:
        iam.attach_user_policy(UserName="alice", PolicyArn=outside)

    assert get.value.response["Error"]["Code"] == attach.value.response["Error"]["Code"] == "NoSuchEntity"


def attach_admin_everywhere(iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.attach_user_policy(UserName="alice", PolicyArn=ADMIN_ARN)
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="ops", PolicyArn=ADMIN_ARN)
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=ADMIN_ARN)


def recorded_item(config: Any, resource_type: str, name: str) -> dict[str, Any]:
    (identifier,) = config.list_discovered_resources(resourceType=resource_type, resourceName=name)[
        "resourceIdentifiers"
    ]
    (item,) = config.get_resource_config_history(
        resourceType=resource_type, resourceId=identifier["resourceId"], limit=1
    )["configurationItems"]
    return {**item, "configuration": json.loads(item["configuration"])}


@pytest.mark.parametrize("account", ["management", "member"])
def test_attached_aws_managed_policies_are_recorded_on_users_and_roles(
    account: str, emulator: Emulator, boto_session: Any
) -> None:
    member = account == "member"
    session = assumed_session(boto_session, emulator.endpoint_url, MEMBER_ACCOUNT) if member else boto_session
    iam = client(session, "iam", emulator.endpoint_url)
    attach_admin_everywhere(iam)
    iam.create_policy(PolicyName="mine", PolicyDocument=json.dumps(ADMIN_DOCUMENT))
    config = client(session, "config", emulator.endpoint_url)

    attached = [{"policyArn": ADMIN_ARN, "policyName": "AdministratorAccess"}]
    for resource_type, name in (("AWS::IAM::User", "alice"), ("AWS::IAM::Role", "ops")):
        item = recorded_item(config, resource_type, name)
        assert item["accountId"] == (MEMBER_ACCOUNT if member else MANAGEMENT_ACCOUNT)
        assert item["configuration"]["attachedManagedPolicies"] == attached
        # A relationship names customer managed policies only, as AWS Config's "Is attached to
        # CustomerManagedPolicy" does.
        assert [relation for relation in item["relationships"] if relation["resourceType"] == "AWS::IAM::Policy"] == []
    assert iam.get_policy(PolicyArn=ADMIN_ARN)["Policy"]["AttachmentCount"] == 3
    # AWS Config records customer managed policies only.
    policies = config.list_discovered_resources(resourceType="AWS::IAM::Policy")["resourceIdentifiers"]
    assert [policy["resourceName"] for policy in policies] == ["mine"]


def test_accounts_count_their_attachments_apart(emulator: Emulator, boto_session: Any) -> None:
    member = client(assumed_session(boto_session, emulator.endpoint_url, MEMBER_ACCOUNT), "iam", emulator.endpoint_url)
    attach_admin_everywhere(member)
    management = client(boto_session, "iam", emulator.endpoint_url)

    assert member.get_policy(PolicyArn=ADMIN_ARN)["Policy"]["AttachmentCount"] == 3
    assert management.get_policy(PolicyArn=ADMIN_ARN)["Policy"]["AttachmentCount"] == 0
    assert management.list_entities_for_policy(PolicyArn=ADMIN_ARN)["PolicyUsers"] == []
