"""The demo organization, checked through the same AWS APIs a scanner would read it with."""

from __future__ import annotations

import csv
import io
import json
import socket
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from cloudsweep_emulator.pytest_plugin import Estates
from cloudsweep_emulator.seed import (
    AUDIT_ROLE_NAME,
    CLOUDTRAIL_TRAIL,
    EC2_INSTANCE,
    EC2_SECURITY_GROUP,
    EC2_VOLUME,
    GLOBAL_REGION,
    IAM_POLICY,
    IAM_ROLE,
    IAM_USER,
    LAMBDA_FUNCTION,
    ORGANIZATION_ACCESS_ROLE_NAME,
    RDS_DB_INSTANCE,
    S3_BUCKET,
    DemoAccount,
    DemoOrganization,
    OpenIngressRule,
    ResourceRef,
    SeedError,
    seed_demo,
)
from cloudsweep_emulator.server import Emulator

from tests.support import demo_targets

CIS_PASSWORD_POLICY = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "PasswordReusePrevention": 24,
    "MaxPasswordAge": 90,
}
MANAGEMENT_CREDENTIALS = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "secret"}


@pytest.fixture
def demo(emulator: Emulator, estates: Estates) -> DemoOrganization:
    return estates.get(("demo", 42), lambda: seed_demo(emulator.endpoint_url), record=demo_targets)


class Clients:
    """boto3 clients acting in one demo account: the management account directly, members via CloudSweepAudit."""

    def __init__(self, endpoint_url: str, account: DemoAccount) -> None:
        self.endpoint_url = endpoint_url
        if account.is_management:
            self.session = boto3.Session(**MANAGEMENT_CREDENTIALS)
        else:
            self.session = assumed_session(endpoint_url, account.audit_role_arn)

    def __call__(self, service: str, region: str = "us-east-1") -> Any:
        return self.session.client(service, region_name=region, endpoint_url=self.endpoint_url)


def assumed_session(endpoint_url: str, role_arn: str) -> boto3.Session:
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint_url, **MANAGEMENT_CREDENTIALS)
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="test-seed")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def all_items(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**params) for item in page[key]]


def instances(ec2: Any, **params: Any) -> list[dict[str, Any]]:
    reservations = all_items(ec2, "describe_instances", "Reservations", **params)
    return [instance for reservation in reservations for instance in reservation["Instances"]]


@pytest.mark.slow
def test_the_organization_has_four_active_accounts_in_their_ous(emulator: Emulator, demo: DemoOrganization) -> None:
    organizations = boto3.client(
        "organizations", region_name="us-east-1", endpoint_url=emulator.endpoint_url, **MANAGEMENT_CREDENTIALS
    )
    organization = organizations.describe_organization()["Organization"]
    assert organization["Id"] == demo.organization_id
    assert organization["FeatureSet"] == "ALL"
    assert organization["MasterAccountId"] == demo.management_account_id == "123456789012"

    listed = {account["Id"]: account for account in all_items(organizations, "list_accounts", "Accounts")}
    assert {(a["Name"], a["Status"]) for a in listed.values()} == {
        ("master", "ACTIVE"),
        ("prod", "ACTIVE"),
        ("staging", "ACTIVE"),
        ("sandbox", "ACTIVE"),
    }
    assert {account.account_id for account in demo.accounts} == set(listed)
    for account in demo.accounts:
        assert (account.name, account.email) == (
            listed[account.account_id]["Name"],
            listed[account.account_id]["Email"],
        )

    root_id = organizations.list_roots()["Roots"][0]["Id"]
    placement = {demo.management_account_id: None}
    for ou in organizations.list_organizational_units_for_parent(ParentId=root_id)["OrganizationalUnits"]:
        for account in all_items(organizations, "list_accounts_for_parent", "Accounts", ParentId=ou["Id"]):
            placement[account["Id"]] = ou["Name"]
    by_name = {listed[account_id]["Name"]: ou for account_id, ou in placement.items()}
    assert by_name == {"master": None, "prod": "Workloads", "staging": "Workloads", "sandbox": "Sandbox"}
    assert {account.account_id: account.ou_name for account in demo.accounts} == placement
    assert [account.name for account in demo.members] == ["prod", "staging", "sandbox"]


@pytest.mark.slow
def test_every_account_has_the_audit_role_and_members_can_be_entered(
    emulator: Emulator, demo: DemoOrganization
) -> None:
    for account in demo.accounts:
        assert account.audit_role_arn == f"arn:aws:iam::{account.account_id}:role/{AUDIT_ROLE_NAME}"
        audit = assumed_session(emulator.endpoint_url, account.audit_role_arn)
        sts = audit.client("sts", region_name="us-east-1", endpoint_url=emulator.endpoint_url)
        assert sts.get_caller_identity()["Account"] == account.account_id
        iam = audit.client("iam", region_name="us-east-1", endpoint_url=emulator.endpoint_url)
        trust = iam.get_role(RoleName=AUDIT_ROLE_NAME)["Role"]["AssumeRolePolicyDocument"]
        assert trust["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
        attached = iam.list_attached_role_policies(RoleName=AUDIT_ROLE_NAME)["AttachedPolicies"]
        assert [policy["PolicyName"] for policy in attached] == ["CloudSweepAuditAccess"]
        if not account.is_management:
            iam.get_role(RoleName=ORGANIZATION_ACCESS_ROLE_NAME)
            via_org_role = assumed_session(
                emulator.endpoint_url, f"arn:aws:iam::{account.account_id}:role/{ORGANIZATION_ACCESS_ROLE_NAME}"
            )
            sts = via_org_role.client("sts", region_name="us-east-1", endpoint_url=emulator.endpoint_url)
            assert sts.get_caller_identity()["Account"] == account.account_id


@pytest.mark.slow
def test_the_inventory_matches_the_counts_in_every_account_and_region(
    emulator: Emulator, demo: DemoOrganization
) -> None:
    found: list[dict[str, Any]] = []
    volumes: list[dict[str, Any]] = []
    for account in demo.accounts:
        clients = Clients(emulator.endpoint_url, account)
        for region in demo.regions:
            region_instances, region_volumes = check_ec2_counts(
                clients("ec2", region), demo, account.account_id, region
            )
            found += region_instances
            volumes += region_volumes
            check_regional_service_counts(clients, demo, account.account_id, region)
        check_iam_counts(clients("iam"), demo, account.account_id)
        check_s3_counts(clients("s3"), demo, account.account_id)

    assert demo.count(demo.account("prod").account_id, "us-east-1", EC2_INSTANCE) > 100, "needs a second Config page"
    assert len(found) == demo.total(EC2_INSTANCE)
    assert len({instance["InstanceType"] for instance in found}) >= 4
    assert any(len(instance["SecurityGroups"]) == 2 for instance in found)
    stopped = [instance for instance in found if instance["State"]["Name"] == "stopped"]
    assert len(stopped) == len(demo.known_violations.stopped_instances) > 0
    assert {volume["Encrypted"] for volume in volumes} == {True, False}
    assert {bool(volume["Attachments"]) for volume in volumes} == {True, False}
    assert (demo.total(RDS_DB_INSTANCE), demo.total(LAMBDA_FUNCTION), demo.total(CLOUDTRAIL_TRAIL)) == (2, 3, 3)


def check_regional_service_counts(clients: Clients, demo: DemoOrganization, account_id: str, region: str) -> None:
    databases = all_items(clients("rds", region), "describe_db_instances", "DBInstances")
    assert len(databases) == demo.count(account_id, region, RDS_DB_INSTANCE)
    functions = all_items(clients("lambda", region), "list_functions", "Functions")
    assert len(functions) == demo.count(account_id, region, LAMBDA_FUNCTION)
    trails = clients("cloudtrail", region).describe_trails(includeShadowTrails=False)["trailList"]
    assert len(trails) == demo.count(account_id, region, CLOUDTRAIL_TRAIL)
    assert all(trail["HomeRegion"] == region for trail in trails)


def check_ec2_counts(
    ec2: Any, demo: DemoOrganization, account_id: str, region: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    found = instances(ec2)
    assert len(found) == demo.count(account_id, region, EC2_INSTANCE) > 0
    groups = all_items(ec2, "describe_security_groups", "SecurityGroups")
    default_groups = demo.provider_defaults[(account_id, region, EC2_SECURITY_GROUP)]
    assert len(groups) == demo.count(account_id, region, EC2_SECURITY_GROUP) + default_groups
    assert [group["GroupName"] for group in groups].count("default") == default_groups == 1
    volumes = all_items(ec2, "describe_volumes", "Volumes")
    assert len(volumes) == demo.count(account_id, region, EC2_VOLUME)
    return found, volumes


def check_iam_counts(iam: Any, demo: DemoOrganization, account_id: str) -> None:
    users = all_items(iam, "list_users", "Users")
    assert len(users) == demo.count(account_id, GLOBAL_REGION, IAM_USER)
    roles = all_items(iam, "list_roles", "Roles")
    organization_roles = demo.provider_defaults.get((account_id, GLOBAL_REGION, IAM_ROLE), 0)
    assert len(roles) == demo.count(account_id, GLOBAL_REGION, IAM_ROLE) + organization_roles
    policies = all_items(iam, "list_policies", "Policies", Scope="Local")
    assert len(policies) == demo.count(account_id, GLOBAL_REGION, IAM_POLICY)
    # A permissions boundary is not an attachment.
    boundaries = {
        ref.resource_name for ref in demo.compliant_examples.boundary_policies if ref.account_id == account_id
    }
    assert all(policy["AttachmentCount"] > 0 for policy in policies if policy["PolicyName"] not in boundaries)
    assert all(policy["AttachmentCount"] == 0 for policy in policies if policy["PolicyName"] in boundaries)
    assert any(_has(iam.get_login_profile, UserName=user["UserName"]) for user in users)


def check_s3_counts(s3: Any, demo: DemoOrganization, account_id: str) -> None:
    regions: Counter[str] = Counter()
    features: Counter[str] = Counter()
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        regions[s3.get_bucket_location(Bucket=name)["LocationConstraint"] or "us-east-1"] += 1
        features["versioning"] += s3.get_bucket_versioning(Bucket=name).get("Status") == "Enabled"
        features["policy"] += _has(s3.get_bucket_policy, Bucket=name)
        features["public access block"] += _has(s3.get_public_access_block, Bucket=name)
        features["encryption"] += _has(s3.get_bucket_encryption, Bucket=name)
    assert regions == Counter({region: demo.count(account_id, region, S3_BUCKET) for region in demo.regions})
    assert set(features) == {"versioning", "policy", "public access block", "encryption"}
    assert all(features.values()), features


def read_or_none(read: Any, missing: str, **params: Any) -> Any:
    """What `read` returns, or None when it answers the error code `missing`."""
    try:
        return read(**params)
    except ClientError as error:
        if error.response["Error"]["Code"] != missing:
            raise
    return None


def _has(read: Any, **params: Any) -> bool:
    try:
        read(**params)
    except ClientError:
        return False
    return True


@pytest.mark.slow
def test_the_planted_violations_are_really_there(emulator: Emulator, demo: DemoOrganization) -> None:
    violations = demo.known_violations
    clients = {account.account_id: Clients(emulator.endpoint_url, account) for account in demo.accounts}
    check_open_ingress(violations.open_ingress, clients)
    check_unused_users(violations.unused_iam_users, clients)

    assert violations.admin_policies
    for policy in violations.admin_policies:
        iam = clients[policy.account_id]("iam")
        arn = f"arn:aws:iam::{policy.account_id}:policy/{policy.resource_name}"
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        assert document["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]

    assert violations.public_buckets
    for bucket in violations.public_buckets:
        s3 = clients[bucket.account_id]("s3")
        statements = json.loads(s3.get_bucket_policy(Bucket=bucket.resource_id)["Policy"])["Statement"]
        assert [(s["Principal"], s["Action"]) for s in statements] == [("*", "s3:GetObject"), ("*", "s3:PutObject")]
        assert not _has(s3.get_public_access_block, Bucket=bucket.resource_id)
    assert violations.unencrypted_buckets
    for bucket in violations.unencrypted_buckets:
        assert not _has(clients[bucket.account_id]("s3").get_bucket_encryption, Bucket=bucket.resource_id)

    volumes = volumes_by_id(violations.unattached_volumes + violations.unencrypted_volumes, clients)
    assert violations.unattached_volumes
    assert all(volumes[ref.resource_id]["Attachments"] == [] for ref in violations.unattached_volumes)
    assert 0 < len(violations.unencrypted_volumes) < demo.total(EC2_VOLUME)
    assert all(volumes[ref.resource_id]["Encrypted"] is False for ref in violations.unencrypted_volumes)

    found = instances_by_id(violations.stopped_instances + violations.instances_missing_cost_center, clients)
    assert violations.stopped_instances
    assert all(found[ref.resource_id]["State"]["Name"] == "stopped" for ref in violations.stopped_instances)
    assert violations.instances_missing_cost_center
    for ref in violations.instances_missing_cost_center:
        assert "CostCenter" not in {tag["Key"] for tag in found[ref.resource_id]["Tags"]}


def check_open_ingress(rules: tuple[OpenIngressRule, ...], clients: dict[str, Clients]) -> None:
    kinds = set()
    for rule in rules:
        ec2 = clients[rule.account_id]("ec2", rule.region)
        (group,) = ec2.describe_security_groups(GroupIds=[rule.group_id])["SecurityGroups"]
        assert group["GroupName"] == rule.group_name
        assert any(
            permission["IpProtocol"] == rule.ip_protocol
            and permission.get("FromPort") == rule.from_port
            and permission.get("ToPort") == rule.to_port
            and rule.cidr
            in [r["CidrIp"] for r in permission["IpRanges"]] + [r["CidrIpv6"] for r in permission["Ipv6Ranges"]]
            for permission in group["IpPermissions"]
        ), rule
        kinds.add((rule.ip_protocol, rule.from_port, rule.to_port, rule.cidr))
    assert kinds == {
        ("tcp", 22, 22, "0.0.0.0/0"),
        ("tcp", 3389, 3389, "0.0.0.0/0"),
        ("-1", None, None, "0.0.0.0/0"),
        ("tcp", 8000, 8100, "::/0"),
        ("icmp", -1, -1, "0.0.0.0/0"),
    }


def check_unused_users(refs: tuple[ResourceRef, ...], clients: dict[str, Clients]) -> None:
    assert refs
    unused = {(ref.account_id, ref.resource_name) for ref in refs}
    for account_id, account_clients in clients.items():
        iam = account_clients("iam")
        for user in all_items(iam, "list_users", "Users"):
            keys = iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]
            last_used = [
                iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"] for key in keys
            ]
            used = any("LastUsedDate" in usage for usage in last_used)
            assert used == ((account_id, user["UserName"]) not in unused), user["UserName"]


def volumes_by_id(refs: tuple[ResourceRef, ...], clients: dict[str, Clients]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for (account_id, region), ids in ids_by_place(refs).items():
        volumes = clients[account_id]("ec2", region).describe_volumes(VolumeIds=ids)["Volumes"]
        found |= {volume["VolumeId"]: volume for volume in volumes}
    return found


def instances_by_id(refs: tuple[ResourceRef, ...], clients: dict[str, Clients]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for (account_id, region), ids in ids_by_place(refs).items():
        found |= {
            instance["InstanceId"]: instance
            for instance in instances(clients[account_id]("ec2", region), InstanceIds=ids)
        }
    return found


def ids_by_place(refs: tuple[ResourceRef, ...]) -> dict[tuple[str, str], list[str]]:
    """Resource ids grouped by (account, region), so each place is described in one call."""
    grouped: dict[tuple[str, str], set[str]] = {}
    for ref in refs:
        grouped.setdefault((ref.account_id, ref.region), set()).add(ref.resource_id)
    return {place: sorted(ids) for place, ids in grouped.items()}


@pytest.mark.slow
def test_the_account_settings_are_planted_per_account(emulator: Emulator, demo: DemoOrganization) -> None:
    ids = {account.name: account.account_id for account in demo.accounts}
    management, prod, staging, sandbox = ids["master"], ids["prod"], ids["staging"], ids["sandbox"]
    violations, examples = demo.known_violations, demo.compliant_examples
    assert violations.root_without_mfa == (staging,)
    assert violations.root_access_keys == (staging,)
    assert examples.root_without_credentials == (sandbox,)
    assert violations.weak_password_policies == (staging,)
    assert examples.strong_password_policies == (prod,)
    assert violations.no_password_policy == (management, sandbox)
    assert violations.regions_without_trail == (
        (management, "eu-west-1"),
        (staging, "eu-west-1"),
        (sandbox, "us-east-1"),
        (sandbox, "eu-west-1"),
    )

    reports = {}
    for account in demo.accounts:
        clients = Clients(emulator.endpoint_url, account)
        iam = clients("iam")
        iam.generate_credential_report()
        report = csv.DictReader(io.StringIO(iam.get_credential_report()["Content"].decode()))
        root = next(row for row in report if row["user"] == "<root_account>")
        reports[account.name] = (root["password_enabled"], root["mfa_active"], root["access_key_1_active"])
        found = read_or_none(iam.get_account_password_policy, "NoSuchEntity")
        assert (found is None) == (account.account_id in violations.no_password_policy)
        policy: dict[str, Any] = found["PasswordPolicy"] if found else {}
        if account.account_id == prod:
            assert {key: policy[key] for key in CIS_PASSWORD_POLICY} == CIS_PASSWORD_POLICY
        if account.account_id == staging:
            assert (policy["MinimumPasswordLength"], policy["RequireSymbols"]) == (8, False)
        for region in demo.regions:
            cloudtrail = clients("cloudtrail", region)
            for trail in cloudtrail.describe_trails(includeShadowTrails=False)["trailList"]:
                assert cloudtrail.get_trail_status(Name=trail["Name"])["IsLogging"] is True
                label = "management" if account.is_management else account.name
                assert trail["S3BucketName"] == f"cloudsweep-demo-{label}-logs-us-east-1"
    assert reports == {
        "master": ("not_supported", "true", "false"),
        "prod": ("not_supported", "true", "false"),
        "staging": ("not_supported", "false", "true"),
        "sandbox": ("false", "false", "false"),
    }


@pytest.mark.slow
def test_the_workloads_are_planted(emulator: Emulator, demo: DemoOrganization) -> None:
    violations, examples = demo.known_violations, demo.compliant_examples
    clients = {account.account_id: Clients(emulator.endpoint_url, account) for account in demo.accounts}
    names = {account.account_id: account.name for account in demo.accounts}

    def where(refs: tuple[ResourceRef, ...]) -> list[tuple[str, str, str | None]]:
        return [(names[ref.account_id], ref.region, ref.resource_name) for ref in refs]

    assert where(violations.public_db_instances) == [("staging", "eu-west-1", "staging-analytics")]
    assert where(examples.private_db_instances) == [("prod", "us-east-1", "prod-orders")]
    for ref, public in [(ref, True) for ref in violations.public_db_instances] + [
        (ref, False) for ref in examples.private_db_instances
    ]:
        rds = clients[ref.account_id]("rds", ref.region)
        (database,) = rds.describe_db_instances(DBInstanceIdentifier=ref.resource_name)["DBInstances"]
        assert (database["PubliclyAccessible"], database["StorageEncrypted"]) == (public, not public)
        tags = {tag["Key"] for tag in database["TagList"]}
        assert ("CostCenter" in tags) == (not public)
        config = clients[ref.account_id]("config", ref.region)
        (identifier,) = config.list_discovered_resources(resourceType=RDS_DB_INSTANCE, resourceName=ref.resource_name)[
            "resourceIdentifiers"
        ]
        assert identifier["resourceId"] == ref.resource_id
    (private,) = examples.private_db_instances
    (database,) = clients[private.account_id]("rds", "us-east-1").describe_db_instances(
        DBInstanceIdentifier=private.resource_name
    )["DBInstances"]
    kms = clients[private.account_id]("kms", "us-east-1")
    assert kms.describe_key(KeyId="alias/prod-orders")["KeyMetadata"]["Arn"] == database["KmsKeyId"]

    assert where(violations.public_functions) == [("prod", "us-east-1", "prod-thumbnailer")]
    assert where(examples.private_functions) == [
        ("prod", "us-east-1", "prod-orders-webhook"),
        ("staging", "eu-west-1", "staging-report-builder"),
    ]
    principals = {}
    for ref in violations.public_functions + examples.private_functions:
        functions = clients[ref.account_id]("lambda", ref.region)
        found_policy = read_or_none(functions.get_policy, "ResourceNotFoundException", FunctionName=ref.resource_id)
        statements = json.loads(found_policy["Policy"])["Statement"] if found_policy else []
        principals[ref.resource_name] = [
            (statement["Principal"], statement.get("Condition")) for statement in statements
        ]
    prod = demo.account("prod").account_id
    assert principals == {
        "prod-thumbnailer": [("*", None)],
        "prod-orders-webhook": [
            (
                {"Service": "s3.amazonaws.com"},
                {
                    "StringEquals": {"AWS:SourceAccount": prod},
                    "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::cloudsweep-demo-prod-data-us-east-1"},
                },
            )
        ],
        "staging-report-builder": [],
    }

    (unapproved,) = violations.unapproved_ami_instances
    assert (names[unapproved.account_id], unapproved.region, unapproved.resource_name) == (
        "sandbox",
        "eu-west-1",
        "sandbox-experiment",
    )
    found = instances_by_id(violations.unapproved_ami_instances + examples.imdsv2_instances, clients)
    assert found[unapproved.resource_id]["ImageId"] == "ami-0a1b2c3d4e5f60718"
    assert len(examples.imdsv2_instances) == 18
    assert {found[ref.resource_id]["MetadataOptions"]["HttpTokens"] for ref in examples.imdsv2_instances} == {
        "required"
    }

    assert where(examples.closed_default_groups) == [("prod", "us-east-1", "default"), ("prod", "eu-west-1", "default")]
    for ref in examples.closed_default_groups:
        ec2 = clients[ref.account_id]("ec2", ref.region)
        (group,) = ec2.describe_security_groups(GroupIds=[ref.resource_id])["SecurityGroups"]
        assert (group["GroupName"], group["IpPermissions"], group["IpPermissionsEgress"]) == ("default", [], [])

    # prod's people: every console user of the hardened account.
    assert [names[ref.account_id] for ref in examples.mfa_users] == ["prod", "prod"]
    for ref in examples.mfa_users:
        iam = clients[ref.account_id]("iam")
        assert iam.get_login_profile(UserName=ref.resource_name)["LoginProfile"]["UserName"] == ref.resource_name
        devices = iam.list_mfa_devices(UserName=ref.resource_name)["MFADevices"]
        assert [device["SerialNumber"] for device in devices] == [
            f"arn:aws:iam::{ref.account_id}:mfa/{ref.resource_name}"
        ]

    (boundary,) = examples.boundary_policies
    assert (names[boundary.account_id], boundary.resource_name) == ("sandbox", "DeveloperBoundary")
    role = clients[boundary.account_id]("iam").get_role(RoleName="developer")["Role"]
    assert role["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": f"arn:aws:iam::{boundary.account_id}:policy/DeveloperBoundary",
    }


@pytest.mark.slow
def test_the_same_seed_builds_the_same_organization(emulator: Emulator) -> None:
    first = seed_demo(emulator.endpoint_url, seed=7)
    emulator.reset()
    second = seed_demo(emulator.endpoint_url, seed=7)
    assert second == first  # moto's ids too: seed_demo seeds moto's id generator


def test_a_failing_call_names_the_account_region_and_step(emulator: Emulator) -> None:
    organizations = boto3.client(
        "organizations", region_name="us-east-1", endpoint_url=emulator.endpoint_url, **MANAGEMENT_CREDENTIALS
    )
    organizations.create_organization(FeatureSet="ALL")
    with pytest.raises(SeedError, match=r"account management \(123456789012\).*create_organization") as raised:
        seed_demo(emulator.endpoint_url)
    assert isinstance(raised.value.__cause__, ClientError)
    assert raised.value.account == "123456789012"


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_endpoint_is_a_seed_error(closed_port: int) -> None:
    with pytest.raises(SeedError, match=f"127.0.0.1:{closed_port}") as raised:
        seed_demo(f"http://127.0.0.1:{closed_port}")
    assert isinstance(raised.value.__cause__, EndpointConnectionError)
