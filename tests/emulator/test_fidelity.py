"""The emulator's configuration items have the shape of AWS Config's own (the reference items in shared/)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cloudsweep_emulator.server import Emulator

from tests.support import REFERENCE_ITEMS, client

REFERENCE = REFERENCE_ITEMS
# The reference mixes the API model and the Lambda invocation model; the API spells these keys so.
API_SPELLING = {
    "awsAccountId": "accountId",
    "ARN": "arn",
    "configurationStateMd5Hash": "configurationItemMD5Hash",
    "configurationItemVersion": "version",
}
# Keys today's API returns that the (older) reference items predate: allowed beyond the reference's.
ALLOWED_EXTRA_TOP_LEVEL = {"recordingFrequency"}
ALLOWED_EXTRA: dict[str, dict[str, set[str]]] = {
    "AWS::EC2::Instance": {
        "resourceName": set(),
        "configuration": {"hibernationOptions", "kernelId", "stateReason", "sriovNetSupport"},
    },
    "AWS::EC2::SecurityGroup": {"resourceName": {"resourceName"}, "configuration": set()},
    "AWS::EC2::Volume": {"resourceName": set(), "configuration": set()},
    "AWS::IAM::User": {"resourceName": set(), "configuration": {"permissionsBoundary", "tags"}},
    "AWS::IAM::Role": {
        "resourceName": set(),
        "configuration": {"permissionsBoundary", "roleLastUsed", "tags"},
    },
    "AWS::IAM::Policy": {
        "resourceName": set(),
        "configuration": {"description", "permissionsBoundaryUsageCount"},
    },
    "AWS::S3::Bucket": {
        "resourceName": set(),
        "configuration": set(),
        "supplementary": {"PublicAccessBlockConfiguration", "ServerSideEncryptionConfiguration"},
    },
    "AWS::RDS::DBInstance": {
        "resourceName": set(),
        "configuration": {
            "dBInstanceArn",
            # AWS Config records it today (rds-instance-deletion-protection-enabled reads it).
            "deletionProtection",
            "enabledCloudwatchLogsExports",
            "endpoint",
            "iAMDatabaseAuthenticationEnabled",
            "instanceCreateTime",
            "latestRestorableTime",
        },
    },
    "AWS::Lambda::Function": {
        "resourceName": set(),
        "configuration": {"architectures", "ephemeralStorage", "layers", "packageType"},
        # The reference function has no resource-based policy; ours has one, which AWS Config records here.
        "supplementary": {"Policy"},
    },
    "AWS::CloudTrail::Trail": {"resourceName": set(), "configuration": {"hasInsightSelectors", "isOrganizationTrail"}},
}
REFERENCE_FILES = {
    "AWS::EC2::Instance": "AWS_EC2_Instance.json",
    "AWS::EC2::SecurityGroup": "AWS_EC2_SecurityGroup.json",
    "AWS::EC2::Volume": "AWS_EC2_Volume.json",
    "AWS::IAM::User": "AWS_IAM_User.json",
    "AWS::IAM::Role": "AWS_IAM_Role.json",
    "AWS::IAM::Policy": "AWS_IAM_Policy.json",
    "AWS::S3::Bucket": "AWS_S3_Bucket.json",
    "AWS::RDS::DBInstance": "AWS_RDS_DBInstance.json",
    "AWS::Lambda::Function": "AWS_LAMBDA_FUNCTION.json",
    "AWS::CloudTrail::Trail": "AWS_Cloudtrail_Trail.json",
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def reference_item(resource_type: str) -> dict[str, Any]:
    raw = json.loads((REFERENCE / REFERENCE_FILES[resource_type]).read_text())
    if isinstance(raw, list):  # the Lambda example is a list of one item
        (raw,) = raw
    return {API_SPELLING.get(key, key): value for key, value in raw.items()}


def lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def recorded(running_emulator: Emulator) -> Iterator[dict[str, dict[str, Any]]]:
    """One resource of every recorded type, made as a user would, read back via GetResourceConfigHistory.

    Made once for the module: every test here only reads the items.
    """
    running_emulator.reset()
    session = boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region_name="us-east-1",
    )
    try:
        yield record_one_of_each(running_emulator.endpoint_url, session)
    finally:
        running_emulator.reset()


def record_one_of_each(endpoint: str, boto_session: Any) -> dict[str, dict[str, Any]]:
    ec2 = client(boto_session, "ec2", endpoint)
    group = ec2.create_security_group(GroupName="launch-wizard-7", Description="launch-wizard-7")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ec2.create_key_pair(KeyName="ssm-key")
    instance = ec2.run_instances(
        ImageId="ami-22ce4934",
        MinCount=1,
        MaxCount=1,
        InstanceType="t2.micro",
        KeyName="ssm-key",
        SecurityGroupIds=[group],
    )["Instances"][0]["InstanceId"]
    kms = client(boto_session, "kms", endpoint)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    volume = ec2.create_volume(Size=8, AvailabilityZone="us-east-1c", Encrypted=True, KmsKeyId=key)["VolumeId"]
    iam = client(boto_session, "iam", endpoint)
    iam.create_group(GroupName="MyTestGroup")
    iam.create_user(UserName="johndoe")
    iam.add_user_to_group(GroupName="MyTestGroup", UserName="johndoe")
    iam.put_user_policy(UserName="johndoe", PolicyName="inline", PolicyDocument=json.dumps(POLICY))
    policy_arn = iam.create_policy(PolicyName="ELB-policy", PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="johndoe", PolicyArn=policy_arn)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="config-role", Path="/service-role/", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName="config-role", PolicyArn=policy_arn)
    s3 = client(boto_session, "s3", endpoint)
    s3.create_bucket(Bucket="mborch-test-bucket-config-item")
    s3.put_bucket_versioning(Bucket="mborch-test-bucket-config-item", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(
        Bucket="mborch-test-bucket-config-item",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": "arn:aws:s3:::mborch-test-bucket-config-item",
                    }
                ],
            }
        ),
    )
    subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"][:2]]
    rds = client(boto_session, "rds", endpoint)
    rds.create_db_subnet_group(
        DBSubnetGroupName="default-vpc", DBSubnetGroupDescription="default VPC", SubnetIds=subnets
    )
    rds.create_db_instance(
        DBInstanceIdentifier="myrdstest",
        DBInstanceClass="db.m3.xlarge",
        Engine="mysql",
        MasterUsername="foo",
        MasterUserPassword="correct-horse-battery",
        AllocatedStorage=100,
        StorageType="io1",
        Iops=1000,
        MultiAZ=True,
        PubliclyAccessible=True,
        StorageEncrypted=True,
        KmsKeyId=key,
        DBSubnetGroupName="default-vpc",
        VpcSecurityGroupIds=[group],
        MonitoringInterval=60,
        MonitoringRoleArn="arn:aws:iam::123456789012:role/rds-monitoring-role",
        Tags=[{"Key": "workload-type", "Value": "production"}],
    )
    lambda_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role_arn = iam.create_role(RoleName="lambda_basic_execution", AssumeRolePolicyDocument=json.dumps(lambda_trust))[
        "Role"
    ]["Arn"]
    functions = client(boto_session, "lambda", endpoint)
    functions.create_function(
        FunctionName="test-function",
        Runtime="python3.12",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": lambda_zip()},
        VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": [group]},
        Tags={"test": "value"},
    )
    functions.add_permission(
        FunctionName="test-function",
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceAccount="123456789012",
    )
    s3.create_bucket(Bucket="mborch-apjc-cloudtrail-bucket")
    cloudtrail = client(boto_session, "cloudtrail", endpoint)
    cloudtrail.create_trail(
        Name="APJCCloudTrail",
        S3BucketName="mborch-apjc-cloudtrail-bucket",
        S3KeyPrefix="CloudTrail",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
    )
    config = client(boto_session, "config", endpoint)
    ids = {
        "AWS::EC2::Instance": instance,
        "AWS::EC2::SecurityGroup": group,
        "AWS::EC2::Volume": volume,
        "AWS::S3::Bucket": "mborch-test-bucket-config-item",
        "AWS::Lambda::Function": "test-function",
        "AWS::CloudTrail::Trail": "APJCCloudTrail",
    }
    named = {
        "AWS::IAM::User": "johndoe",
        "AWS::IAM::Role": "config-role",
        "AWS::IAM::Policy": "ELB-policy",
        "AWS::RDS::DBInstance": "myrdstest",
    }
    for resource_type, name in named.items():
        (identifier,) = config.list_discovered_resources(resourceType=resource_type, resourceName=name)[
            "resourceIdentifiers"
        ]
        ids[resource_type] = identifier["resourceId"]
    return {
        resource_type: config.get_resource_config_history(resourceType=resource_type, resourceId=resource_id, limit=1)[
            "configurationItems"
        ][0]
        for resource_type, resource_id in ids.items()
    }


@pytest.mark.slow
@pytest.mark.parametrize("resource_type", sorted(REFERENCE_FILES))
def test_items_have_the_reference_key_sets(resource_type: str, recorded: dict[str, dict[str, Any]]) -> None:
    reference = reference_item(resource_type)
    ours = recorded[resource_type]
    allowed = ALLOWED_EXTRA[resource_type]

    assert set(reference) - set(ours) == set()
    assert set(ours) - set(reference) <= ALLOWED_EXTRA_TOP_LEVEL | allowed["resourceName"]

    configuration = json.loads(ours["configuration"])
    assert set(reference["configuration"]) - set(configuration) == set()
    assert set(configuration) - set(reference["configuration"]) <= allowed["configuration"]

    supplementary = set(ours["supplementaryConfiguration"])
    assert set(reference["supplementaryConfiguration"]) - supplementary == set()
    assert supplementary - set(reference["supplementaryConfiguration"]) <= allowed.get("supplementary", set())


@pytest.mark.parametrize("resource_type", sorted(REFERENCE_FILES))
def test_items_follow_aws_config_conventions(resource_type: str, recorded: dict[str, dict[str, Any]]) -> None:
    item = recorded[resource_type]
    reference = reference_item(resource_type)
    assert item["resourceType"] == resource_type
    assert item["awsRegion"] == ("global" if resource_type.startswith("AWS::IAM::") else "us-east-1")
    if resource_type in ("AWS::EC2::Instance", "AWS::EC2::Volume"):
        assert item["availabilityZone"].startswith("us-east-1")
    else:
        assert item["availabilityZone"] == reference["availabilityZone"]
    assert item["configurationItemStatus"] == "ResourceDiscovered"
    configuration = json.loads(item["configuration"])
    assert all(key[:1].islower() for key in configuration), "configuration keys are camelCase"
    relationship_keys = {key for relationship in item["relationships"] for key in relationship}
    assert relationship_keys <= {"resourceType", "resourceId", "resourceName", "relationshipName"}
    assert isinstance(item["tags"], dict)
