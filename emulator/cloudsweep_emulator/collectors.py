"""What AWS Config would record, read from moto through its public API.

Each collector reads one service's resources in one account (and region, for regional services) and
returns them as `ResourceState`s: the configuration in AWS Config's camelCase shape, tags, relationships
and supplementary configuration. Reading through the API (not moto's model objects) keeps us off moto's
internals and gives us the same field set the real describe calls return, which is what AWS Config
records too.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from cloudsweep_emulator.identifiers import dbi_resource_id
from cloudsweep_emulator.moto_app import InProcessMoto

GLOBAL_REGION = "global"
NOT_APPLICABLE_AZ = "Not Applicable"


@dataclass(frozen=True)
class ResourceState:
    resource_type: str
    resource_id: str
    arn: str
    aws_region: str
    availability_zone: str
    configuration: Mapping[str, Any]
    resource_name: str | None = None
    creation_time: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    relationships: tuple[Mapping[str, str], ...] = ()
    supplementary: Mapping[str, Any] = field(default_factory=dict)


def iso_timestamp(value: datetime) -> str:
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def camel_case(value: Any) -> Any:
    """An API response in AWS Config's spelling: keys start lower-case, timestamps are ISO strings."""
    if isinstance(value, dict):
        return {_camel_key(key): camel_case(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel_case(item) for item in value]
    if isinstance(value, datetime):
        return iso_timestamp(value)
    return value


def _camel_key(key: str) -> str:
    return key[:1].lower() + key[1:] if key[:1].isupper() else key


def _tag_map(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags or ()}


def _encryption_configuration(raw: Mapping[str, Any]) -> dict[str, Any]:
    """AWS Config's spelling of a bucket's default encryption (`sseAlgorithm`, `kmsMasterKeyID`), which plain
    camel-casing of the S3 API's `SSEAlgorithm` / `KMSMasterKeyID` would get wrong."""
    rules = []
    for rule in raw.get("Rules", []):
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        rules.append(
            {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": default.get("SSEAlgorithm"),
                    "kmsMasterKeyID": default.get("KMSMasterKeyID"),
                },
                "bucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False)),
            }
        )
    return {"rules": rules}


def _relationship(resource_type: str, resource_id: str, name: str, resource_name: str | None = None) -> dict[str, str]:
    relationship = {"resourceType": resource_type, "resourceId": resource_id, "relationshipName": name}
    if resource_name is not None:
        relationship["resourceName"] = resource_name
    return relationship


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


# --- EC2 -----------------------------------------------------------------------------------------

INSTANCE = "AWS::EC2::Instance"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
VOLUME = "AWS::EC2::Volume"


def collect_ec2(moto: InProcessMoto, account_id: str, region: str) -> list[ResourceState]:
    ec2 = moto.client("ec2", region)
    instances = [
        instance
        for reservation in _paginate(ec2, "describe_instances", "Reservations")
        for instance in reservation["Instances"]
        # AWS Config records a terminated instance as deleted.
        if instance["State"]["Name"] not in ("terminated", "shutting-down")
    ]
    groups = _paginate(ec2, "describe_security_groups", "SecurityGroups")
    volumes = _paginate(ec2, "describe_volumes", "Volumes")
    states = [_instance_state(instance, account_id, region) for instance in instances]
    states += [_security_group_state(group, instances, account_id, region) for group in groups]
    states += [_volume_state(volume, account_id, region) for volume in volumes]
    return states


def _instance_state(instance: dict[str, Any], account_id: str, region: str) -> ResourceState:
    instance_id = instance["InstanceId"]
    relationships = [
        _relationship("AWS::EC2::NetworkInterface", eni["NetworkInterfaceId"], "Contains NetworkInterface")
        for eni in instance.get("NetworkInterfaces", [])
    ]
    relationships += [
        _relationship(SECURITY_GROUP, group["GroupId"], "Is associated with SecurityGroup")
        for group in instance.get("SecurityGroups", [])
    ]
    if instance.get("SubnetId"):
        relationships.append(_relationship("AWS::EC2::Subnet", instance["SubnetId"], "Is contained in Subnet"))
    relationships += [
        _relationship(VOLUME, mapping["Ebs"]["VolumeId"], "Is attached to Volume")
        for mapping in instance.get("BlockDeviceMappings", [])
        if "Ebs" in mapping
    ]
    if instance.get("VpcId"):
        relationships.append(_relationship("AWS::EC2::VPC", instance["VpcId"], "Is contained in Vpc"))
    configuration = camel_case(instance)
    configuration.setdefault("tags", [])
    # moto leaves these out; AWS reports them for every current-generation instance.
    configuration.setdefault("enaSupport", True)
    configuration.setdefault("keyName", None)
    return ResourceState(
        resource_type=INSTANCE,
        resource_id=instance_id,
        arn=f"arn:aws:ec2:{region}:{account_id}:instance/{instance_id}",
        aws_region=region,
        availability_zone=instance.get("Placement", {}).get("AvailabilityZone", region),
        configuration=configuration,
        creation_time=instance.get("LaunchTime"),
        tags=_tag_map(instance.get("Tags")),
        relationships=tuple(relationships),
    )


def _permission(permission: dict[str, Any]) -> dict[str, Any]:
    # AWS Config keeps the legacy flat `ipRanges` list beside the structured v4/v6 ranges.
    converted = {
        "ipProtocol": permission.get("IpProtocol"),
        "userIdGroupPairs": camel_case(permission.get("UserIdGroupPairs", [])),
        "ipv6Ranges": camel_case(permission.get("Ipv6Ranges", [])),
        "prefixListIds": camel_case(permission.get("PrefixListIds", [])),
        "ipv4Ranges": camel_case(permission.get("IpRanges", [])),
        "ipRanges": [item["CidrIp"] for item in permission.get("IpRanges", [])],
    }
    if "FromPort" in permission:
        converted["fromPort"] = permission["FromPort"]
    if "ToPort" in permission:
        converted["toPort"] = permission["ToPort"]
    return converted


def _security_group_state(
    group: dict[str, Any], instances: list[dict[str, Any]], account_id: str, region: str
) -> ResourceState:
    group_id = group["GroupId"]
    configuration = {
        "ownerId": group.get("OwnerId", account_id),
        "groupName": group["GroupName"],
        "groupId": group_id,
        "description": group.get("Description", ""),
        "ipPermissions": [_permission(permission) for permission in group.get("IpPermissions", [])],
        "ipPermissionsEgress": [_permission(permission) for permission in group.get("IpPermissionsEgress", [])],
        "vpcId": group.get("VpcId"),
        "tags": camel_case(group.get("Tags", [])),
    }
    relationships = []
    for instance in instances:
        if any(item["GroupId"] == group_id for item in instance.get("SecurityGroups", [])):
            relationships.append(_relationship(INSTANCE, instance["InstanceId"], "Is associated with Instance"))
            relationships += [
                _relationship(
                    "AWS::EC2::NetworkInterface",
                    eni["NetworkInterfaceId"],
                    "Is associated with NetworkInterface",
                )
                for eni in instance.get("NetworkInterfaces", [])
            ]
    if group.get("VpcId"):
        relationships.append(_relationship("AWS::EC2::VPC", group["VpcId"], "Is contained in Vpc"))
    return ResourceState(
        resource_type=SECURITY_GROUP,
        resource_id=group_id,
        resource_name=group["GroupName"],
        arn=f"arn:aws:ec2:{region}:{account_id}:security-group/{group_id}",
        aws_region=region,
        availability_zone=NOT_APPLICABLE_AZ,
        configuration=configuration,
        tags=_tag_map(group.get("Tags")),
        relationships=tuple(relationships),
    )


def _baseline_iops(volume: dict[str, Any]) -> int | None:
    # What EC2 reports when no IOPS were provisioned: gp2 scales with size, gp3 has a flat baseline.
    volume_type = volume.get("VolumeType", "gp2")
    if volume_type == "gp2":
        return int(max(100, min(16_000, 3 * volume.get("Size", 1))))
    if volume_type == "gp3":
        return 3000
    return None


def _volume_state(volume: dict[str, Any], account_id: str, region: str) -> ResourceState:
    volume_id = volume["VolumeId"]
    configuration = camel_case(volume)
    configuration.setdefault("tags", [])
    configuration.setdefault("snapshotId", "")
    configuration.setdefault("iops", _baseline_iops(volume))
    configuration.setdefault("kmsKeyId", None)
    relationships = tuple(
        _relationship(INSTANCE, attachment["InstanceId"], "Is attached to Instance")
        for attachment in volume.get("Attachments", [])
    )
    return ResourceState(
        resource_type=VOLUME,
        resource_id=volume_id,
        arn=f"arn:aws:ec2:{region}:{account_id}:volume/{volume_id}",
        aws_region=region,
        availability_zone=volume.get("AvailabilityZone", region),
        configuration=configuration,
        creation_time=volume.get("CreateTime"),
        tags=_tag_map(volume.get("Tags")),
        relationships=relationships,
    )


# --- IAM -----------------------------------------------------------------------------------------

IAM_USER = "AWS::IAM::User"
IAM_ROLE = "AWS::IAM::Role"
IAM_POLICY = "AWS::IAM::Policy"


def _url_encoded_document(document: Any) -> str:
    # AWS Config stores IAM policy documents URL-encoded, as IAM's API returns them on the wire.
    text = document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))
    return urllib.parse.quote(text, safe="")


def _inline_policies(policies: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "policyName": policy["PolicyName"],
            "policyDocument": _url_encoded_document(policy["PolicyDocument"]),
        }
        for policy in policies
    ]


def collect_iam(moto: InProcessMoto, account_id: str, region: str) -> list[ResourceState]:
    iam = moto.client("iam", "us-east-1")
    details: dict[str, list[Any]] = {
        "UserDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
        "GroupDetailList": [],
    }
    for page in iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Role", "Group", "LocalManagedPolicy"]
    ):
        for key, items in details.items():
            items.extend(page.get(key, []))
    # moto's GetAccountAuthorizationDetails leaves out PolicyId and PolicyName: take them from ListPolicies.
    listed = {policy["Arn"]: policy for policy in _paginate(iam, "list_policies", "Policies", Scope="Local")}
    details["Policies"] = [{**listed.get(policy["Arn"], {}), **policy} for policy in details["Policies"]]
    policy_ids = {policy["Arn"]: (policy["PolicyId"], policy["PolicyName"]) for policy in details["Policies"]}
    group_ids = {group["GroupName"]: group["GroupId"] for group in details["GroupDetailList"]}
    attached_to: dict[str, list[dict[str, str]]] = {arn: [] for arn in policy_ids}
    states: list[ResourceState] = []
    for user in details["UserDetailList"]:
        states.append(_user_state(iam, user, policy_ids, group_ids, attached_to))
    for role in details["RoleDetailList"]:
        states.append(_role_state(role, policy_ids, attached_to))
    boundary_uses = _boundary_uses([*details["UserDetailList"], *details["RoleDetailList"]])
    for policy in details["Policies"]:
        states.append(_policy_state(policy, attached_to[policy["Arn"]], boundary_uses.get(policy["Arn"], 0)))
    return states


def _boundary_uses(identities: list[dict[str, Any]]) -> dict[str, int]:
    """How many users and roles use each policy as their permissions boundary.

    IAM reports this as a policy's PermissionsBoundaryUsageCount; moto does not keep it.
    """
    uses: dict[str, int] = {}
    for identity in identities:
        arn = (identity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if arn:
            uses[arn] = uses.get(arn, 0) + 1
    return uses


def _managed_policy_relationships(
    attached: list[dict[str, str]],
    policy_ids: Mapping[str, tuple[str, str]],
    attached_to: dict[str, list[dict[str, str]]],
    back_reference: dict[str, str],
) -> list[dict[str, str]]:
    relationships = []
    for policy in attached:
        if policy["PolicyArn"] in policy_ids:
            policy_id, policy_name = policy_ids[policy["PolicyArn"]]
            relationships.append(
                _relationship(IAM_POLICY, policy_id, "Is attached to CustomerManagedPolicy", policy_name)
            )
            attached_to[policy["PolicyArn"]].append(back_reference)
    return relationships


def _user_state(
    iam: Any,
    user: dict[str, Any],
    policy_ids: Mapping[str, tuple[str, str]],
    group_ids: Mapping[str, str],
    attached_to: dict[str, list[dict[str, str]]],
) -> ResourceState:
    tags = user.get("Tags") or iam.list_user_tags(UserName=user["UserName"]).get("Tags", [])
    attached = user.get("AttachedManagedPolicies", [])
    configuration: dict[str, Any] = {
        "path": user["Path"],
        "userName": user["UserName"],
        "userId": user["UserId"],
        "arn": user["Arn"],
        "createDate": iso_timestamp(user["CreateDate"]),
        "userPolicyList": _inline_policies(user.get("UserPolicyList", [])),
        "groupList": list(user.get("GroupList", [])),
        "attachedManagedPolicies": camel_case(attached),
        "permissionsBoundary": camel_case(user.get("PermissionsBoundary")),
        "tags": camel_case(tags),
    }
    relationships = [
        _relationship("AWS::IAM::Group", group_ids.get(name, name), "Is attached to Group", name)
        for name in user.get("GroupList", [])
    ]
    relationships += _managed_policy_relationships(
        attached,
        policy_ids,
        attached_to,
        _relationship(IAM_USER, user["UserId"], "Is attached to User", user["UserName"]),
    )
    return ResourceState(
        resource_type=IAM_USER,
        resource_id=user["UserId"],
        resource_name=user["UserName"],
        arn=user["Arn"],
        aws_region=GLOBAL_REGION,
        availability_zone=NOT_APPLICABLE_AZ,
        configuration=configuration,
        creation_time=user["CreateDate"],
        tags=_tag_map(tags),
        relationships=tuple(relationships),
    )


def _role_state(
    role: dict[str, Any],
    policy_ids: Mapping[str, tuple[str, str]],
    attached_to: dict[str, list[dict[str, str]]],
) -> ResourceState:
    attached = role.get("AttachedManagedPolicies", [])
    configuration: dict[str, Any] = {
        "path": role["Path"],
        "roleName": role["RoleName"],
        "roleId": role["RoleId"],
        "arn": role["Arn"],
        "createDate": iso_timestamp(role["CreateDate"]),
        "assumeRolePolicyDocument": _url_encoded_document(role.get("AssumeRolePolicyDocument", {})),
        "instanceProfileList": camel_case(role.get("InstanceProfileList", [])),
        "rolePolicyList": _inline_policies(role.get("RolePolicyList", [])),
        "attachedManagedPolicies": camel_case(attached),
        "permissionsBoundary": camel_case(role.get("PermissionsBoundary")),
        "tags": camel_case(role.get("Tags", [])),
        "roleLastUsed": camel_case(role.get("RoleLastUsed")),
    }
    relationships = _managed_policy_relationships(
        attached,
        policy_ids,
        attached_to,
        _relationship(IAM_ROLE, role["RoleId"], "Is attached to Role", role["RoleName"]),
    )
    return ResourceState(
        resource_type=IAM_ROLE,
        resource_id=role["RoleId"],
        resource_name=role["RoleName"],
        arn=role["Arn"],
        aws_region=GLOBAL_REGION,
        availability_zone=NOT_APPLICABLE_AZ,
        configuration=configuration,
        creation_time=role["CreateDate"],
        tags=_tag_map(role.get("Tags")),
        relationships=tuple(relationships),
    )


def _policy_state(policy: dict[str, Any], attached_to: list[dict[str, str]], boundary_uses: int) -> ResourceState:
    versions = [
        {
            "document": _url_encoded_document(version.get("Document", {})),
            "versionId": version["VersionId"],
            "isDefaultVersion": version["IsDefaultVersion"],
            "createDate": iso_timestamp(version["CreateDate"]),
        }
        for version in policy.get("PolicyVersionList", [])
    ]
    configuration: dict[str, Any] = {
        "policyName": policy["PolicyName"],
        "policyId": policy["PolicyId"],
        "arn": policy["Arn"],
        "path": policy["Path"],
        "defaultVersionId": policy["DefaultVersionId"],
        "attachmentCount": policy.get("AttachmentCount", 0),
        "permissionsBoundaryUsageCount": policy.get("PermissionsBoundaryUsageCount") or boundary_uses,
        "isAttachable": policy.get("IsAttachable", True),
        "description": policy.get("Description"),
        "createDate": iso_timestamp(policy["CreateDate"]),
        "updateDate": iso_timestamp(policy.get("UpdateDate", policy["CreateDate"])),
        "policyVersionList": versions,
    }
    return ResourceState(
        resource_type=IAM_POLICY,
        resource_id=policy["PolicyId"],
        resource_name=policy["PolicyName"],
        arn=policy["Arn"],
        aws_region=GLOBAL_REGION,
        availability_zone=NOT_APPLICABLE_AZ,
        configuration=configuration,
        creation_time=policy["CreateDate"],
        relationships=tuple(attached_to),
    )


# --- S3 ------------------------------------------------------------------------------------------

S3_BUCKET = "AWS::S3::Bucket"

_MISSING_CONFIGURATION_CODES = {
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchTagSet",
    "NoSuchTagSetError",
}


def _optional(call: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _MISSING_CONFIGURATION_CODES:
            return None
        raise


def collect_s3(moto: InProcessMoto, account_id: str, region: str) -> list[ResourceState]:
    s3 = moto.client("s3", "us-east-1")
    return [_bucket_state(s3, bucket) for bucket in s3.list_buckets().get("Buckets", [])]


def _bucket_state(s3: Any, bucket: dict[str, Any]) -> ResourceState:
    name = bucket["Name"]
    bucket_region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
    acl = s3.get_bucket_acl(Bucket=name)
    owner = {"displayName": acl["Owner"].get("DisplayName"), "id": acl["Owner"].get("ID")}
    versioning = s3.get_bucket_versioning(Bucket=name)
    logging_config = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled", {})
    supplementary: dict[str, Any] = {
        "AccessControlList": json.dumps(
            {
                "grantSet": None,
                "grantList": [
                    {
                        "grantee": camel_case(grant.get("Grantee", {})),
                        "permission": grant.get("Permission"),
                    }
                    for grant in acl.get("Grants", [])
                ],
                "owner": owner,
                "isRequesterCharged": False,
            }
        ),
        "BucketAccelerateConfiguration": {"status": None},
        "BucketLoggingConfiguration": {
            "destinationBucketName": logging_config.get("TargetBucket"),
            "logFilePrefix": logging_config.get("TargetPrefix"),
        },
        "BucketNotificationConfiguration": {"configurations": {}},
        "BucketVersioningConfiguration": {
            "status": versioning.get("Status", "Off"),
            "isMfaDeleteEnabled": None if "MFADelete" not in versioning else versioning["MFADelete"] == "Enabled",
        },
        "IsRequesterPaysEnabled": False,
    }
    policy = _optional(lambda: s3.get_bucket_policy(Bucket=name))
    # AWS Config records a bucket without a policy as {"policyText": null}, not by leaving the key out.
    supplementary["BucketPolicy"] = {"policyText": policy["Policy"] if policy is not None else None}
    public_access = _optional(lambda: s3.get_public_access_block(Bucket=name))
    if public_access is not None:
        supplementary["PublicAccessBlockConfiguration"] = camel_case(public_access["PublicAccessBlockConfiguration"])
    encryption = _optional(lambda: s3.get_bucket_encryption(Bucket=name))
    if encryption is not None:
        supplementary["ServerSideEncryptionConfiguration"] = _encryption_configuration(
            encryption["ServerSideEncryptionConfiguration"]
        )
    tagging = _optional(lambda: s3.get_bucket_tagging(Bucket=name))
    tags = _tag_map(tagging.get("TagSet") if tagging else None)
    if tags:
        supplementary["BucketTaggingConfiguration"] = {"tagSets": [{"tags": tags}]}
    return ResourceState(
        resource_type=S3_BUCKET,
        resource_id=name,
        resource_name=name,
        arn=f"arn:aws:s3:::{name}",
        aws_region=bucket_region,
        availability_zone="Regional",
        configuration={"name": name, "owner": owner, "creationDate": iso_timestamp(bucket["CreationDate"])},
        creation_time=bucket["CreationDate"],
        tags=tags,
        supplementary=supplementary,
    )


# --- RDS -----------------------------------------------------------------------------------------

DB_INSTANCE = "AWS::RDS::DBInstance"
# What AWS Config records of a DB instance (awslabs/aws-config-resource-schema): DescribeDBInstances also
# answers with fields Config leaves out (tagList, deletionProtection, associatedRoles, ...).
_DB_INSTANCE_FIELDS = frozenset(
    {
        "allocatedStorage",
        "autoMinorVersionUpgrade",
        "availabilityZone",
        "backupRetentionPeriod",
        "cACertificateIdentifier",
        "characterSetName",
        "copyTagsToSnapshot",
        "dBClusterIdentifier",
        "dBInstanceArn",
        "dBInstanceClass",
        "dBInstanceIdentifier",
        "dBInstanceStatus",
        "dBName",
        "dBParameterGroups",
        "dBSecurityGroups",
        "dBSubnetGroup",
        "dbInstancePort",
        "dbiResourceId",
        "deletionProtection",
        "domainMemberships",
        "enabledCloudwatchLogsExports",
        "endpoint",
        "engine",
        "engineVersion",
        "enhancedMonitoringResourceArn",
        "iAMDatabaseAuthenticationEnabled",
        "instanceCreateTime",
        "iops",
        "kmsKeyId",
        "latestRestorableTime",
        "licenseModel",
        "masterUsername",
        "monitoringInterval",
        "monitoringRoleArn",
        "multiAZ",
        "optionGroupMemberships",
        "pendingModifiedValues",
        "performanceInsightsEnabled",
        "performanceInsightsKMSKeyId",
        "performanceInsightsRetentionPeriod",
        "preferredBackupWindow",
        "preferredMaintenanceWindow",
        "processorFeatures",
        "promotionTier",
        "publiclyAccessible",
        "readReplicaDBClusterIdentifiers",
        "readReplicaDBInstanceIdentifiers",
        "readReplicaSourceDBInstanceIdentifier",
        "secondaryAvailabilityZone",
        "statusInfos",
        "storageEncrypted",
        "storageType",
        "timezone",
        "vpcSecurityGroups",
    }
)
MULTIPLE_AZS = "Multiple Availability Zones"


def collect_rds(moto: InProcessMoto, account_id: str, region: str) -> list[ResourceState]:
    rds = moto.client("rds", region)
    return [
        _db_instance_state(instance, account_id, region)
        for instance in _paginate(rds, "describe_db_instances", "DBInstances")
    ]


def _db_instance_state(instance: dict[str, Any], account_id: str, region: str) -> ResourceState:
    name = instance["DBInstanceIdentifier"]
    resource_id = dbi_resource_id(instance)
    arn = instance.get("DBInstanceArn") or f"arn:aws:rds:{region}:{account_id}:db:{name}"
    configuration = {key: value for key, value in camel_case(instance).items() if key in _DB_INSTANCE_FIELDS}
    configuration["dbiResourceId"] = resource_id
    # Left out by moto when unset; AWS Config records them (null when the instance has none).
    configuration.setdefault("dBSubnetGroup", None)
    configuration.setdefault("iops", None)
    configuration.setdefault("kmsKeyId", None)
    configuration.setdefault("monitoringRoleArn", None)
    configuration.setdefault("pendingModifiedValues", {})
    configuration.setdefault("statusInfos", [])
    tags = instance.get("TagList", [])
    relationships = [
        _relationship(SECURITY_GROUP, group["VpcSecurityGroupId"], "Is associated with SecurityGroup")
        for group in instance.get("VpcSecurityGroups", [])
    ]
    subnet_group = instance.get("DBSubnetGroup")
    if subnet_group:
        relationships.insert(
            0,
            _relationship(
                "AWS::RDS::DBSubnetGroup", subnet_group["DBSubnetGroupName"], "Is associated with DBSubnetGroup"
            ),
        )
    multi_az = bool(instance.get("MultiAZ"))
    return ResourceState(
        resource_type=DB_INSTANCE,
        resource_id=resource_id,
        resource_name=name,
        arn=arn,
        aws_region=region,
        availability_zone=MULTIPLE_AZS if multi_az else instance.get("AvailabilityZone", region),
        configuration=configuration,
        creation_time=instance.get("InstanceCreateTime"),
        tags=_tag_map(tags),
        relationships=tuple(relationships),
        supplementary={"Tags": [{"key": tag["Key"], "value": tag["Value"]} for tag in tags]},
    )


# --- Lambda --------------------------------------------------------------------------------------

LAMBDA_FUNCTION = "AWS::Lambda::Function"
# What AWS Config records of a function (the reference item and awslabs/aws-config-resource-schema).
_FUNCTION_FIELDS = frozenset(
    {
        "architectures",
        "codeSha256",
        "codeSize",
        "deadLetterConfig",
        "description",
        "ephemeralStorage",
        "fileSystemConfigs",
        "functionArn",
        "functionName",
        "handler",
        "layers",
        "memorySize",
        "packageType",
        "revisionId",
        "role",
        "runtime",
        "signingJobArn",
        "signingProfileVersionArn",
        "timeout",
        "tracingConfig",
        "version",
        "vpcConfig",
    }
)
# AWS Config writes a function's relationship names with a trailing space (see the reference item).
_FUNCTION_ASSOCIATED = "Is associated with "
_FUNCTION_CONTAINED = "Is contained in "
_MOTO_UTC_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(?:Z|\+00:?00)$")


def _lambda_timestamp(value: Any) -> Any:
    """Lambda's own spelling of LastModified (2018-05-11T17:51:41.919+0000); moto writes nanoseconds and Z."""
    match = _MOTO_UTC_TIME.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    return f"{match.group(1)}.{(match.group(2) or '').ljust(3, '0')[:3]}+0000"


def collect_lambda(moto: InProcessMoto, account_id: str, region: str) -> list[ResourceState]:
    client = moto.client("lambda", region)
    return [
        _function_state(client, listed["FunctionName"], region)
        for listed in _paginate(client, "list_functions", "Functions")
    ]


def _function_policy(client: Any, name: str) -> str | None:
    try:
        policy: str = client.get_policy(FunctionName=name)["Policy"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    return policy


def _function_state(client: Any, name: str, region: str) -> ResourceState:
    function = client.get_function(FunctionName=name)
    raw = function["Configuration"]
    configuration = {key: value for key, value in camel_case(raw).items() if key in _FUNCTION_FIELDS}
    configuration["lastModified"] = _lambda_timestamp(raw.get("LastModified"))
    vpc = raw.get("VpcConfig") or {}
    configuration["vpcConfig"] = {
        "subnetIds": list(vpc.get("SubnetIds", [])),
        "securityGroupIds": list(vpc.get("SecurityGroupIds", [])),
    }
    configuration.setdefault("tracingConfig", {"mode": "PassThrough"})
    # moto keeps no RevisionId; AWS issues a new one with every change, as a digest of the configuration does.
    digest = hashlib.md5(_canonical(configuration), usedforsecurity=False).digest()
    configuration.setdefault("revisionId", str(uuid.UUID(bytes=digest)))
    tags: dict[str, str] = dict(function.get("Tags") or {})
    relationships: list[dict[str, str]] = [
        {
            "resourceType": IAM_ROLE,
            "resourceName": raw["Role"].rsplit("/", 1)[-1],
            "relationshipName": _FUNCTION_ASSOCIATED,
        }
    ]
    relationships += [
        _relationship(SECURITY_GROUP, group, _FUNCTION_ASSOCIATED)
        for group in configuration["vpcConfig"]["securityGroupIds"]
    ]
    relationships += [
        _relationship("AWS::EC2::Subnet", subnet, _FUNCTION_CONTAINED)
        for subnet in configuration["vpcConfig"]["subnetIds"]
    ]
    supplementary: dict[str, Any] = {"Tags": tags}
    policy = _function_policy(client, name)
    if policy is not None:
        # The policy document as Lambda's GetPolicy returns it: a JSON string, which AWS Config records as is.
        supplementary["Policy"] = policy
    concurrency = function.get("Concurrency", {}).get("ReservedConcurrentExecutions")
    if concurrency is not None:
        supplementary["Concurrency"] = {"reservedConcurrentExecutions": concurrency}
    return ResourceState(
        resource_type=LAMBDA_FUNCTION,
        resource_id=name,
        resource_name=name,
        arn=raw["FunctionArn"],
        aws_region=region,
        availability_zone=NOT_APPLICABLE_AZ,
        configuration=configuration,
        tags=tags,
        relationships=tuple(relationships),
        supplementary=supplementary,
    )


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, default=str).encode()


# --- CloudTrail ----------------------------------------------------------------------------------

TRAIL = "AWS::CloudTrail::Trail"
REGIONAL_AZ = "Regional"
# What AWS Config records of a trail (awslabs/aws-config-resource-schema). Not the trail's logging status:
# that is GetTrailStatus, which AWS Config does not record.
_TRAIL_FIELDS = frozenset(
    {
        "cloudWatchLogsLogGroupArn",
        "cloudWatchLogsRoleArn",
        "hasCustomEventSelectors",
        "hasInsightSelectors",
        "homeRegion",
        "includeGlobalServiceEvents",
        "isMultiRegionTrail",
        "isOrganizationTrail",
        "kmsKeyId",
        "logFileValidationEnabled",
        "name",
        "s3BucketName",
        "s3KeyPrefix",
        "snsTopicARN",
        "snsTopicName",
        "trailARN",
    }
)


def collect_cloudtrail(moto: InProcessMoto, account_id: str, region: str) -> list[ResourceState]:
    client = moto.client("cloudtrail", region)
    # AWS Config records a trail once, in its home region, not as the shadow copies other regions list.
    trails = [
        trail
        for trail in client.describe_trails(includeShadowTrails=False).get("trailList", [])
        if trail.get("HomeRegion", region) == region
    ]
    tags: dict[str, list[dict[str, str]]] = {}
    if trails:
        for listed in client.list_tags(ResourceIdList=[trail["TrailARN"] for trail in trails]).get(
            "ResourceTagList", []
        ):
            tags[listed["ResourceId"]] = listed.get("TagsList", [])
    return [_trail_state(trail, tags.get(trail["TrailARN"], []), region) for trail in trails]


def _trail_state(trail: dict[str, Any], tags: list[dict[str, str]], region: str) -> ResourceState:
    configuration = {key: value for key, value in camel_case(trail).items() if key in _TRAIL_FIELDS}
    configuration.setdefault("s3KeyPrefix", None)
    return ResourceState(
        resource_type=TRAIL,
        resource_id=trail["Name"],
        arn=trail["TrailARN"],
        aws_region=region,
        availability_zone=REGIONAL_AZ,
        configuration=configuration,
        tags=_tag_map(tags),
        supplementary={"Tags": [{"key": tag["Key"], "value": tag["Value"]} for tag in tags]},
    )


# --- the catalogue -------------------------------------------------------------------------------

Collect = Callable[[InProcessMoto, str, str], list[ResourceState]]


@dataclass(frozen=True)
class Collector:
    """One read of one service. Regional collectors run per region; the others once per account."""

    name: str
    resource_types: frozenset[str]
    regional: bool
    collect: Collect


COLLECTORS: tuple[Collector, ...] = (
    Collector("ec2", frozenset({INSTANCE, SECURITY_GROUP, VOLUME}), regional=True, collect=collect_ec2),
    Collector("iam", frozenset({IAM_USER, IAM_ROLE, IAM_POLICY}), regional=False, collect=collect_iam),
    Collector("s3", frozenset({S3_BUCKET}), regional=False, collect=collect_s3),
    Collector("rds", frozenset({DB_INSTANCE}), regional=True, collect=collect_rds),
    Collector("lambda", frozenset({LAMBDA_FUNCTION}), regional=True, collect=collect_lambda),
    Collector("cloudtrail", frozenset({TRAIL}), regional=True, collect=collect_cloudtrail),
)

COLLECTOR_FOR_TYPE: dict[str, Collector] = {
    resource_type: collector for collector in COLLECTORS for resource_type in collector.resource_types
}
