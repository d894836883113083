"""The emulator records what AWS records today: docs/emulator.md's fidelity table, row by row, through boto3, and
the calls S3 refuses, refused. Checks judge the recorded items as AWS Config's managed rules would."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cloudsweep_emulator.identifiers import dbi_resource_id
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.model import Compliance, ConfigurationItem
from scanner.testing import run_check
from tests.support import client

DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
ACCOUNT = "123456789012"
TRUST_LAMBDA = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def fidelity_rows() -> list[tuple[str, str, str, Any]]:
    """(created by, resource type, path, recorded value) of every row of the docs' fidelity table."""
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("## Fidelity", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[3].startswith("`"):
            rows.append((cells[0], cells[1], cells[2], json.loads(cells[3].strip("`"))))
    return rows


ROWS = fidelity_rows()


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


class Estate:
    """One resource per row's "created by", made with no optional setting."""

    def __init__(self, endpoint: str) -> None:
        session = boto3.Session(aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")
        self.client: Callable[[str], Any] = lambda service: client(session, service, endpoint)
        self.made: dict[str, tuple[str, str]] = {}

    def make(self, created_by: str) -> tuple[str, str]:
        """(resource type, resource id) of the resource `created_by` names, made once."""
        if created_by not in self.made:
            self.made[created_by] = self._makers()[created_by]()
        return self.made[created_by]

    def _makers(self) -> dict[str, Callable[[], tuple[str, str]]]:
        return {
            "CreateBucket": self._bucket,
            "CreateVpc (its default security group)": self._new_vpc_default_group,
            "the default VPC (its default security group)": self._default_vpc_group,
            "CreateSecurityGroup": self._group,
            "RunInstances (ImageId only)": self._instance,
            "CreateVolume (Size, AvailabilityZone)": self._volume,
            "CreateDBInstance (no subnet group)": self._database,
            "CreateDBInstance (subnet group in a VPC without internet gateway)": self._private_database,
            "CreateFunction, AddPermission (Principal an account id)": self._function,
            "CreateTrail (Name, S3BucketName)": self._trail,
            "CreateUser, AttachUserPolicy (AdministratorAccess)": self._admin_user,
            "CreatePolicy": self._policy,
        }

    def _bucket(self) -> tuple[str, str]:
        self.client("s3").create_bucket(Bucket="defaults-bucket")
        return "AWS::S3::Bucket", "defaults-bucket"

    def _new_vpc(self) -> str:
        return str(self.client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"])

    def default_group(self, vpc_id: str) -> str:
        filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
        (group,) = self.client("ec2").describe_security_groups(Filters=filters)["SecurityGroups"]
        return str(group["GroupId"])

    def _new_vpc_default_group(self) -> tuple[str, str]:
        return "AWS::EC2::SecurityGroup", self.default_group(self._new_vpc())

    def _default_vpc_group(self) -> tuple[str, str]:
        (vpc,) = self.client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        return "AWS::EC2::SecurityGroup", self.default_group(vpc["VpcId"])

    def _group(self) -> tuple[str, str]:
        vpc = self._new_vpc()
        group = self.client("ec2").create_security_group(GroupName="app", Description="app", VpcId=vpc)
        return "AWS::EC2::SecurityGroup", str(group["GroupId"])

    def _instance(self) -> tuple[str, str]:
        (instance,) = self.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"]
        return "AWS::EC2::Instance", str(instance["InstanceId"])

    def _volume(self) -> tuple[str, str]:
        volume = self.client("ec2").create_volume(Size=8, AvailabilityZone="us-east-1a")
        return "AWS::EC2::Volume", str(volume["VolumeId"])

    def _db(self, name: str, **options: Any) -> tuple[str, str]:
        created = self.client("rds").create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.micro",
            Engine="mysql",
            MasterUsername="admin",
            MasterUserPassword="correct-horse-battery",
            AllocatedStorage=20,
            **options,
        )["DBInstance"]
        return "AWS::RDS::DBInstance", dbi_resource_id(created)

    def _database(self) -> tuple[str, str]:
        return self._db("defaults-db")

    def _private_database(self) -> tuple[str, str]:
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{index}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
            for index, zone in enumerate(("us-east-1a", "us-east-1b"))
        ]
        self.client("rds").create_db_subnet_group(
            DBSubnetGroupName="no-internet", DBSubnetGroupDescription="private", SubnetIds=subnets
        )
        return self._db("private-db", DBSubnetGroupName="no-internet")

    def _function(self) -> tuple[str, str]:
        role = self.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))
        functions = self.client("lambda")
        functions.create_function(
            FunctionName="defaults-fn",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="index.handler",
            Code={"ZipFile": function_zip()},
        )
        functions.add_permission(
            FunctionName="defaults-fn", StatementId="partner", Action="lambda:InvokeFunction", Principal="111122223333"
        )
        return "AWS::Lambda::Function", "defaults-fn"

    def _trail(self) -> tuple[str, str]:
        self.client("s3").create_bucket(Bucket="defaults-trail-logs")
        self.client("cloudtrail").create_trail(Name="defaults-trail", S3BucketName="defaults-trail-logs")
        return "AWS::CloudTrail::Trail", "defaults-trail"

    def _admin_user(self) -> tuple[str, str]:
        iam = self.client("iam")
        user = iam.create_user(UserName="admin-by-managed-policy")["User"]
        iam.attach_user_policy(
            UserName="admin-by-managed-policy", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
        )
        return "AWS::IAM::User", str(user["UserId"])

    def _policy(self) -> tuple[str, str]:
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        }
        policy = self.client("iam").create_policy(PolicyName="defaults-policy", PolicyDocument=json.dumps(document))
        return "AWS::IAM::Policy", str(policy["Policy"]["PolicyId"])

    def item(self, created_by: str) -> dict[str, Any]:
        resource_type, resource_id = self.make(created_by)
        history = self.client("config").get_resource_config_history(
            resourceType=resource_type, resourceId=resource_id, limit=1
        )
        (item,) = history["configurationItems"]
        return dict(item)


@pytest.fixture(scope="module")
def estate(running_emulator: Emulator) -> Iterator[Estate]:
    running_emulator.reset()
    try:
        # Each resource is made when a test first reads it: one that cannot be made fails its own rows only.
        yield Estate(running_emulator.endpoint_url)
    finally:
        running_emulator.reset()


_STEP = re.compile(r"([^.\[#]+)|\[(\d+)\]|(#)")


def at(item: dict[str, Any], path: str) -> Any:
    """The value at a table path: JSON text (configuration, supplementary values) is read as JSON on the way."""
    value: Any = item
    for name, index, length in _STEP.findall(path):
        if isinstance(value, str):
            value = json.loads(value)
        if length:
            value = len(value)
        elif index:
            value = value[int(index)]
        else:
            if not isinstance(value, dict) or name not in value:
                raise AssertionError(f"{path}: no {name!r} in {sorted(value) if isinstance(value, dict) else value!r}")
            value = value[name]
    return json.loads(value) if isinstance(value, str) and value[:1] in "{[" else value


def test_the_table_has_a_row_for_every_recorded_resource_type() -> None:
    from cloudsweep_emulator.collectors import COLLECTOR_FOR_TYPE

    assert {row[1] for row in ROWS} == set(COLLECTOR_FOR_TYPE) - {"AWS::IAM::Role"}
    assert len(ROWS) >= 30


@pytest.mark.parametrize(
    ("created_by", "resource_type", "path", "expected"), ROWS, ids=[f"{r[1]}:{r[2]}" for r in ROWS]
)
def test_a_resource_made_with_no_option_is_recorded_as_aws_records_it(
    estate: Estate, created_by: str, resource_type: str, path: str, expected: Any
) -> None:
    item = estate.item(created_by)
    assert item["resourceType"] == resource_type
    wanted = {"$resourceId": item["resourceId"], "$accountId": item["accountId"]}.get(expected, expected)
    assert at(item, path) == wanted


def parsed(estate: Estate, created_by: str) -> ConfigurationItem:
    return ConfigurationItem.parse(estate.item(created_by))


def outcome(check_id: str, item: ConfigurationItem) -> Compliance:
    (evaluation,) = run_check(BUILTIN.get(check_id), [item])
    return evaluation.compliance


def test_checks_judge_todays_defaults_as_the_managed_rules_do(estate: Estate) -> None:
    bucket = parsed(estate, "CreateBucket")
    assert outcome("s3-bucket-server-side-encryption-enabled", bucket) is Compliance.COMPLIANT
    assert outcome("s3-bucket-level-public-access-prohibited", bucket) is Compliance.COMPLIANT
    assert outcome("vpc-default-security-group-closed", parsed(estate, "CreateVpc (its default security group)")) is (
        Compliance.NON_COMPLIANT
    )
    assert outcome("rds-instance-public-access-check", parsed(estate, "CreateDBInstance (no subnet group)")) is (
        Compliance.NON_COMPLIANT
    )
    private = parsed(estate, "CreateDBInstance (subnet group in a VPC without internet gateway)")
    assert outcome("rds-instance-public-access-check", private) is Compliance.COMPLIANT
    function = parsed(estate, "CreateFunction, AddPermission (Principal an account id)")
    assert outcome("lambda-function-public-access-prohibited", function) is Compliance.COMPLIANT


def test_revoking_only_its_egress_leaves_a_default_group_open(estate: Estate) -> None:
    ec2 = estate.client("ec2")
    group_id = estate.default_group(ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"])
    (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=group["IpPermissionsEgress"])
    item = ConfigurationItem.parse(
        estate.client("config").get_resource_config_history(
            resourceType="AWS::EC2::SecurityGroup", resourceId=group_id, limit=1
        )["configurationItems"][0]
    )
    assert item.configuration["ipPermissionsEgress"] == []
    (evaluation,) = run_check(BUILTIN.get("vpc-default-security-group-closed"), [item])
    assert evaluation.compliance is Compliance.NON_COMPLIANT
    ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
    closed = ConfigurationItem.parse(
        estate.client("config").get_resource_config_history(
            resourceType="AWS::EC2::SecurityGroup", resourceId=group_id, limit=1
        )["configurationItems"][0]
    )
    assert run_check(BUILTIN.get("vpc-default-security-group-closed"), [closed])[0].compliance is Compliance.COMPLIANT


def error_code(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    return str(error["Code"]), str(error.get("Message"))


POLICY_WITHOUT = {
    "Action": {"Effect": "Allow", "Principal": "*", "Resource": "arn:aws:s3:::refusals/*"},
    "Principal": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::refusals/*"},
    "Resource": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"},
}


@pytest.mark.parametrize("missing", sorted(POLICY_WITHOUT))
def test_a_bucket_policy_s3_would_refuse_is_malformed(estate: Estate, missing: str) -> None:
    s3 = estate.client("s3")
    s3.create_bucket(Bucket="refusals")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [POLICY_WITHOUT[missing]]})
    code, message = error_code(lambda: s3.put_bucket_policy(Bucket="refusals", Policy=policy))
    assert (code, message) == ("MalformedPolicy", f"Missing required field {missing}")
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket="refusals")


def test_public_access_is_blocked_until_the_block_is_lifted(estate: Estate) -> None:
    s3 = estate.client("s3")
    s3.create_bucket(Bucket="made-public")
    public = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::made-public/*",
                }
            ],
        }
    )
    assert error_code(lambda: s3.put_bucket_policy(Bucket="made-public", Policy=public))[0] == "AccessDenied"
    assert error_code(lambda: s3.put_bucket_acl(Bucket="made-public", ACL="public-read"))[0] == (
        "AccessControlListNotSupported"
    )
    assert error_code(lambda: s3.create_bucket(Bucket="acl-at-birth", ACL="public-read"))[0] == (
        "InvalidBucketAclWithObjectOwnership"
    )
    s3.delete_public_access_block(Bucket="made-public")
    s3.put_bucket_policy(Bucket="made-public", Policy=public)
    assert json.loads(s3.get_bucket_policy(Bucket="made-public")["Policy"])["Statement"][0]["Principal"] == "*"
    s3.put_bucket_ownership_controls(
        Bucket="made-public", OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.put_bucket_acl(Bucket="made-public", ACL="public-read")
    s3.create_bucket(Bucket="acl-with-writer", ACL="public-read", ObjectOwnership="ObjectWriter")


def test_deleting_a_buckets_encryption_resets_it_to_sse_s3(estate: Estate) -> None:
    s3 = estate.client("s3")
    s3.create_bucket(Bucket="was-kms")
    s3.put_bucket_encryption(
        Bucket="was-kms",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.delete_bucket_encryption(Bucket="was-kms")
    rule = s3.get_bucket_encryption(Bucket="was-kms")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_the_unencrypted_bucket_control_makes_an_item_from_before_2023(
    estate: Estate, running_emulator: Emulator
) -> None:
    import urllib.request

    s3 = estate.client("s3")
    s3.create_bucket(Bucket="legacy-plain")
    request = urllib.request.Request(
        f"{running_emulator.endpoint_url}/_cloudsweep/unencrypted-buckets/legacy-plain",
        method="POST",
        data=b"{}",
        headers={"x-moto-account-id": ACCOUNT},
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as response:
        assert json.loads(response.read())["encryption"] is None
    assert error_code(lambda: s3.get_bucket_encryption(Bucket="legacy-plain"))[0] == (
        "ServerSideEncryptionConfigurationNotFoundError"
    )
    item = ConfigurationItem.parse(
        estate.client("config").get_resource_config_history(
            resourceType="AWS::S3::Bucket", resourceId="legacy-plain", limit=1
        )["configurationItems"][0]
    )
    assert "ServerSideEncryptionConfiguration" not in item.supplementary
    assert outcome("s3-bucket-server-side-encryption-enabled", item) is Compliance.NON_COMPLIANT


def test_lambda_keeps_service_and_wildcard_principals_as_given(estate: Estate) -> None:
    estate.make("CreateFunction, AddPermission (Principal an account id)")
    functions = estate.client("lambda")
    functions.add_permission(
        FunctionName="defaults-fn", StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com"
    )
    functions.add_permission(
        FunctionName="defaults-fn", StatementId="any", Action="lambda:InvokeFunction", Principal="*"
    )
    statements = {
        statement["Sid"]: statement["Principal"]
        for statement in json.loads(functions.get_policy(FunctionName="defaults-fn")["Policy"])["Statement"]
    }
    assert statements == {
        "partner": {"AWS": "arn:aws:iam::111122223333:root"},
        "s3": {"Service": "s3.amazonaws.com"},
        "any": "*",
    }
