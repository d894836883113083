"""AWS Config items of RDS DB instances, Lambda functions and CloudTrail trails, read as a scanner reads them."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pytest
from cloudsweep_emulator.identifiers import dbi_resource_id
from cloudsweep_emulator.server import Emulator

from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import client

DB_INSTANCE = "AWS::RDS::DBInstance"
FUNCTION = "AWS::Lambda::Function"
TRAIL = "AWS::CloudTrail::Trail"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture
def config(boto_session: Any, emulator: Emulator) -> Any:
    return client(boto_session, "config", emulator.endpoint_url)


def identifiers(config: Any, resource_type: str, **kwargs: Any) -> list[dict[str, Any]]:
    return list(config.list_discovered_resources(resourceType=resource_type, **kwargs)["resourceIdentifiers"])


def history(config: Any, resource_type: str, resource_id: str) -> list[dict[str, Any]]:
    return list(
        config.get_resource_config_history(
            resourceType=resource_type, resourceId=resource_id, chronologicalOrder="Forward"
        )["configurationItems"]
    )


def base_item(config: Any, resource_type: str, resource_id: str) -> dict[str, Any]:
    (item,) = config.batch_get_resource_config(
        resourceKeys=[{"resourceType": resource_type, "resourceId": resource_id}]
    )["baseConfigurationItems"]
    return dict(item)


# --- RDS ---------------------------------------------------------------------------------------------


def test_db_instances_are_keyed_by_their_own_dbi_resource_id(
    boto_session: Any, emulator: Emulator, config: Any
) -> None:
    rds = client(boto_session, "rds", emulator.endpoint_url)
    key_arn = client(boto_session, "kms", emulator.endpoint_url).create_key()["KeyMetadata"]["Arn"]
    public = rds.create_db_instance(
        DBInstanceIdentifier="reporting",
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        MasterUsername="admin",
        MasterUserPassword="correct-horse-battery",
        AllocatedStorage=20,
        PubliclyAccessible=True,
        Tags=[{"Key": "Owner", "Value": "team-data"}],
    )["DBInstance"]
    private = rds.create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="correct-horse-battery",
        AllocatedStorage=20,
        PubliclyAccessible=False,
        StorageEncrypted=True,
        KmsKeyId=key_arn,
    )["DBInstance"]
    public_id = dbi_resource_id(public)
    private_id = dbi_resource_id(private)

    # moto gives both the same DbiResourceId; AWS Config needs one of its own per instance.
    assert public["DbiResourceId"] == private["DbiResourceId"]
    assert public_id != private_id
    assert re.fullmatch(r"db-[A-Z2-7]{26}", public_id)
    assert identifiers(config, DB_INSTANCE) == sorted(
        [
            {"resourceType": DB_INSTANCE, "resourceId": public_id, "resourceName": "reporting"},
            {"resourceType": DB_INSTANCE, "resourceId": private_id, "resourceName": "orders"},
        ],
        key=lambda identifier: identifier["resourceId"],
    )

    item = base_item(config, DB_INSTANCE, public_id)
    assert item["arn"] == f"arn:aws:rds:us-east-1:{MANAGEMENT_ACCOUNT}:db:reporting"
    assert item["resourceName"] == "reporting"
    assert item["availabilityZone"] == "us-east-1a"
    assert json.loads(item["supplementaryConfiguration"]["Tags"]) == [{"key": "Owner", "value": "team-data"}]
    configuration = json.loads(item["configuration"])
    assert configuration["dbiResourceId"] == public_id
    assert configuration["dBInstanceIdentifier"] == "reporting"
    assert (configuration["publiclyAccessible"], configuration["storageEncrypted"]) == (True, False)
    assert configuration["kmsKeyId"] is None
    assert "tagList" not in configuration  # DescribeDBInstances has it; AWS Config does not record it

    configuration = json.loads(base_item(config, DB_INSTANCE, private_id)["configuration"])
    assert (configuration["publiclyAccessible"], configuration["storageEncrypted"]) == (False, True)
    assert configuration["kmsKeyId"] == key_arn


def test_a_db_instance_change_and_deletion_are_recorded(boto_session: Any, emulator: Emulator, config: Any) -> None:
    rds = client(boto_session, "rds", emulator.endpoint_url)
    created = rds.create_db_instance(
        DBInstanceIdentifier="legacy",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="correct-horse-battery",
        AllocatedStorage=20,
        PubliclyAccessible=True,
        MultiAZ=True,
    )["DBInstance"]
    resource_id = dbi_resource_id(created)
    assert identifiers(config, DB_INSTANCE) == [
        {"resourceType": DB_INSTANCE, "resourceId": resource_id, "resourceName": "legacy"}
    ]
    rds.modify_db_instance(DBInstanceIdentifier="legacy", PubliclyAccessible=False, ApplyImmediately=True)
    assert identifiers(config, DB_INSTANCE) == [
        {"resourceType": DB_INSTANCE, "resourceId": resource_id, "resourceName": "legacy"}
    ]
    rds.delete_db_instance(DBInstanceIdentifier="legacy", SkipFinalSnapshot=True)

    items = history(config, DB_INSTANCE, resource_id)
    assert [item["configurationItemStatus"] for item in items] == ["ResourceDiscovered", "OK", "ResourceDeleted"]
    assert [json.loads(item["configuration"])["publiclyAccessible"] for item in items[:2]] == [True, False]
    assert items[0]["availabilityZone"] == "Multiple Availability Zones"
    assert identifiers(config, DB_INSTANCE) == []


# --- Lambda ------------------------------------------------------------------------------------------


def deployment_package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def create_function(boto_session: Any, emulator: Emulator, name: str, **kwargs: Any) -> Any:
    iam = client(boto_session, "iam", emulator.endpoint_url)
    try:
        role = iam.get_role(RoleName="lambda-exec")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    functions = client(boto_session, "lambda", emulator.endpoint_url)
    functions.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": deployment_package()},
        **kwargs,
    )
    return functions


def test_a_function_records_its_resource_policy_as_supplementary_configuration(
    boto_session: Any, emulator: Emulator, config: Any
) -> None:
    functions = create_function(boto_session, emulator, "thumbnailer", Tags={"Owner": "team-media"})
    create_function(boto_session, emulator, "private-job")
    functions.add_permission(
        FunctionName="thumbnailer",
        StatementId="public-invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
    )

    assert identifiers(config, FUNCTION) == [
        {"resourceType": FUNCTION, "resourceId": "private-job", "resourceName": "private-job"},
        {"resourceType": FUNCTION, "resourceId": "thumbnailer", "resourceName": "thumbnailer"},
    ]
    (item,) = history(config, FUNCTION, "thumbnailer")
    assert item["arn"] == f"arn:aws:lambda:us-east-1:{MANAGEMENT_ACCOUNT}:function:thumbnailer"
    assert item["availabilityZone"] == "Not Applicable"
    assert item["tags"] == {"Owner": "team-media"}
    assert item["relationships"] == [
        {"resourceType": "AWS::IAM::Role", "resourceName": "lambda-exec", "relationshipName": "Is associated with "}
    ]
    supplementary = item["supplementaryConfiguration"]
    assert json.loads(supplementary["Tags"]) == {"Owner": "team-media"}
    assert json.loads(supplementary["Policy"]) == json.loads(functions.get_policy(FunctionName="thumbnailer")["Policy"])
    assert json.loads(supplementary["Policy"])["Statement"] == [
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "*",
            "Effect": "Allow",
            "Resource": f"arn:aws:lambda:us-east-1:{MANAGEMENT_ACCOUNT}:function:thumbnailer",
            "Sid": "public-invoke",
        }
    ]
    configuration = json.loads(item["configuration"])
    assert configuration["functionName"] == "thumbnailer"
    assert configuration["role"] == f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/lambda-exec"
    assert configuration["vpcConfig"] == {"subnetIds": [], "securityGroupIds": []}
    # Lambda's own timestamp spelling, as in AWS Config's items: milliseconds and +0000.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", configuration["lastModified"])
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", configuration["revisionId"])

    (private,) = history(config, FUNCTION, "private-job")
    assert set(private["supplementaryConfiguration"]) == {"Tags"}
    assert json.loads(private["supplementaryConfiguration"]["Tags"]) == {}

    functions.remove_permission(FunctionName="thumbnailer", StatementId="public-invoke")
    _, second = history(config, FUNCTION, "thumbnailer")
    assert second["configurationItemStatus"] == "OK"
    assert "Policy" not in second["supplementaryConfiguration"]


def test_a_function_in_a_vpc_relates_to_its_subnets_and_groups(
    boto_session: Any, emulator: Emulator, config: Any
) -> None:
    ec2 = client(boto_session, "ec2", emulator.endpoint_url)
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.create_security_group(GroupName="lambda", Description="lambda")["GroupId"]
    create_function(boto_session, emulator, "in-vpc", VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group]})

    (item,) = history(config, FUNCTION, "in-vpc")
    assert item["relationships"] == [
        {"resourceType": "AWS::IAM::Role", "resourceName": "lambda-exec", "relationshipName": "Is associated with "},
        {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": group, "relationshipName": "Is associated with "},
        {"resourceType": "AWS::EC2::Subnet", "resourceId": subnet, "relationshipName": "Is contained in "},
    ]
    assert json.loads(item["configuration"])["vpcConfig"] == {"subnetIds": [subnet], "securityGroupIds": [group]}


# --- CloudTrail --------------------------------------------------------------------------------------


def test_a_trail_is_recorded_in_its_home_region_only(boto_session: Any, emulator: Emulator, config: Any) -> None:
    s3 = client(boto_session, "s3", emulator.endpoint_url)
    s3.create_bucket(Bucket="org-trail-logs")
    home = client(boto_session, "cloudtrail", emulator.endpoint_url)
    home.create_trail(
        Name="org-trail",
        S3BucketName="org-trail-logs",
        IsMultiRegionTrail=True,
        TagsList=[{"Key": "Owner", "Value": "team-security"}],
    )
    home.start_logging(Name="org-trail")
    europe = client(boto_session, "cloudtrail", emulator.endpoint_url, region="eu-west-1")
    europe.create_trail(Name="eu-data-events", S3BucketName="org-trail-logs", S3KeyPrefix="eu")
    europe_config = client(boto_session, "config", emulator.endpoint_url, region="eu-west-1")

    # eu-west-1 also lists org-trail (a multi-region trail's shadow copy), which AWS Config does not record there.
    assert [trail["Name"] for trail in europe.describe_trails()["trailList"]] == ["org-trail", "eu-data-events"]
    assert identifiers(config, TRAIL) == [{"resourceType": TRAIL, "resourceId": "org-trail"}]
    assert identifiers(europe_config, TRAIL) == [{"resourceType": TRAIL, "resourceId": "eu-data-events"}]

    (item,) = history(config, TRAIL, "org-trail")
    assert item["arn"] == f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT_ACCOUNT}:trail/org-trail"
    assert item["availabilityZone"] == "Regional"
    assert item["tags"] == {"Owner": "team-security"}
    assert json.loads(item["supplementaryConfiguration"]["Tags"]) == [{"key": "Owner", "value": "team-security"}]
    assert json.loads(item["configuration"]) == {
        "name": "org-trail",
        "s3BucketName": "org-trail-logs",
        "s3KeyPrefix": None,
        "includeGlobalServiceEvents": True,
        "isMultiRegionTrail": True,
        "homeRegion": "us-east-1",
        "trailARN": f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT_ACCOUNT}:trail/org-trail",
        "logFileValidationEnabled": False,
        "hasCustomEventSelectors": False,
        "hasInsightSelectors": False,
        "isOrganizationTrail": False,
    }
    (europe_item,) = history(europe_config, TRAIL, "eu-data-events")
    assert json.loads(europe_item["configuration"])["s3KeyPrefix"] == "eu"
    assert json.loads(europe_item["configuration"])["homeRegion"] == "eu-west-1"

    home.delete_trail(Name="org-trail")
    assert [item["configurationItemStatus"] for item in history(config, TRAIL, "org-trail")] == [
        "ResourceDiscovered",
        "ResourceDeleted",
    ]
    assert identifiers(europe_config, TRAIL) == [{"resourceType": TRAIL, "resourceId": "eu-data-events"}]


# --- IAM: permissions boundaries ---------------------------------------------------------------------


def test_a_policy_records_how_many_identities_use_it_as_a_boundary(
    boto_session: Any, emulator: Emulator, config: Any
) -> None:
    iam = client(boto_session, "iam", emulator.endpoint_url)
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    )
    boundary = iam.create_policy(PolicyName="DeveloperBoundary", PolicyDocument=document)["Policy"]
    iam.create_policy(PolicyName="Unused", PolicyDocument=document)
    trust = json.dumps(LAMBDA_TRUST)
    iam.create_role(RoleName="dev-1", AssumeRolePolicyDocument=trust, PermissionsBoundary=boundary["Arn"])
    iam.create_role(RoleName="dev-2", AssumeRolePolicyDocument=trust, PermissionsBoundary=boundary["Arn"])

    counts = {}
    for identifier in identifiers(config, "AWS::IAM::Policy"):
        item = history(config, "AWS::IAM::Policy", identifier["resourceId"])[-1]
        configuration = json.loads(item["configuration"])
        counts[configuration["policyName"]] = (
            configuration["permissionsBoundaryUsageCount"],
            configuration["attachmentCount"],
        )
    assert counts == {"DeveloperBoundary": (2, 0), "Unused": (0, 0)}
