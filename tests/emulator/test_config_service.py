"""The emulator's AWS Config layer, through real boto3 and aioboto3 clients over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import aioboto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from cloudsweep_emulator.server import Emulator

from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import assumed_session, client

MEMBER_ACCOUNT = "210987654321"
AMI = "ami-0123456789abcdef0"


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


@pytest.fixture
def ec2(boto_session: Any, emulator: Emulator) -> Any:
    return client(boto_session, "ec2", emulator.endpoint_url)


@pytest.fixture
def config(boto_session: Any, emulator: Emulator) -> Any:
    return client(boto_session, "config", emulator.endpoint_url)


def list_all(config: Any, resource_type: str, **kwargs: Any) -> tuple[list[dict[str, Any]], int]:
    identifiers: list[dict[str, Any]] = []
    pages = 0
    token: str | None = None
    while True:
        page = config.list_discovered_resources(
            resourceType=resource_type, **kwargs, **({"nextToken": token} if token else {})
        )
        identifiers += page["resourceIdentifiers"]
        pages += 1
        token = page.get("nextToken")
        if not token:
            return identifiers, pages


def launch(ec2: Any, count: int, **kwargs: Any) -> list[str]:
    reservation = ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, **kwargs)
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def open_group(ec2: Any, name: str, permissions: list[dict[str, Any]]) -> str:
    group_id = str(ec2.create_security_group(GroupName=name, Description=name)["GroupId"])
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
    return group_id


# --- ListDiscoveredResources -----------------------------------------------------------------------


@pytest.mark.slow
def test_list_discovered_resources_pages_every_instance_in_hundreds(ec2: Any, config: Any) -> None:
    launched = set(launch(ec2, 230, InstanceType="t3.micro"))

    identifiers, pages = list_all(config, "AWS::EC2::Instance")

    assert pages == 3
    assert [item["resourceId"] for item in identifiers] == sorted(launched)
    assert all(item["resourceType"] == "AWS::EC2::Instance" for item in identifiers)


def test_list_discovered_resources_honours_a_small_limit(ec2: Any, config: Any) -> None:
    launched = set(launch(ec2, 7))

    identifiers, pages = list_all(config, "AWS::EC2::Instance", limit=3)

    assert pages == 3
    assert {item["resourceId"] for item in identifiers} == launched


@pytest.mark.slow
@pytest.mark.anyio
async def test_aioboto3_paginator_reads_every_page(emulator: Emulator, ec2: Any) -> None:
    launched = set(launch(ec2, 120))
    session = aioboto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )
    async with session.client("config", endpoint_url=emulator.endpoint_url) as config:
        paginator = config.get_paginator("list_discovered_resources")
        seen = [
            item["resourceId"]
            async for page in paginator.paginate(resourceType="AWS::EC2::Instance", PaginationConfig={"PageSize": 50})
            for item in page["resourceIdentifiers"]
        ]
    assert sorted(seen) == sorted(launched)
    assert len(seen) == len(set(seen))


def test_limit_above_100_is_invalid_limit(config: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        config.list_discovered_resources(resourceType="AWS::EC2::Instance", limit=101)
    assert error_code(excinfo) == "InvalidLimitException"


def test_a_garbage_next_token_is_refused(config: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        config.list_discovered_resources(resourceType="AWS::EC2::Instance", nextToken="not-a-token")
    assert error_code(excinfo) == "InvalidNextTokenException"


def test_a_next_token_from_another_query_is_refused(ec2: Any, config: Any) -> None:
    launch(ec2, 3)
    token = config.list_discovered_resources(resourceType="AWS::EC2::Instance", limit=1)["nextToken"]
    with pytest.raises(ClientError) as excinfo:
        config.list_discovered_resources(resourceType="AWS::EC2::Volume", nextToken=token)
    assert error_code(excinfo) == "InvalidNextTokenException"


def test_resource_ids_and_resource_name_filters(ec2: Any, config: Any) -> None:
    instance_ids = launch(ec2, 5)
    web = open_group(
        ec2,
        "web",
        [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )

    by_id = config.list_discovered_resources(resourceType="AWS::EC2::Instance", resourceIds=instance_ids[:2])
    by_name = config.list_discovered_resources(resourceType="AWS::EC2::SecurityGroup", resourceName="web")

    assert sorted(item["resourceId"] for item in by_id["resourceIdentifiers"]) == sorted(instance_ids[:2])
    assert by_name["resourceIdentifiers"] == [
        {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": web, "resourceName": "web"}
    ]
    with pytest.raises(ClientError) as excinfo:
        config.list_discovered_resources(resourceType="AWS::EC2::SecurityGroup", resourceIds=[web], resourceName="web")
    assert error_code(excinfo) == "ValidationException"


def test_deleted_resources_are_listed_only_on_request(ec2: Any, config: Any) -> None:
    kept, gone = launch(ec2, 2)
    list_all(config, "AWS::EC2::Instance")
    ec2.terminate_instances(InstanceIds=[gone])

    current, _ = list_all(config, "AWS::EC2::Instance")
    with_deleted, _ = list_all(config, "AWS::EC2::Instance", includeDeletedResources=True)

    assert [item["resourceId"] for item in current] == [kept]
    deleted = {item["resourceId"]: item for item in with_deleted}
    assert set(deleted) == {kept, gone}
    assert "resourceDeletionTime" in deleted[gone]
    assert "resourceDeletionTime" not in deleted[kept]


def test_a_type_the_recorder_does_not_know_lists_nothing(config: Any) -> None:
    assert config.list_discovered_resources(resourceType="AWS::Lambda::Function")["resourceIdentifiers"] == []


def test_a_malformed_resource_type_is_a_validation_error(config: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        config.list_discovered_resources(resourceType="EC2 instances")
    assert error_code(excinfo) == "ValidationException"


# --- BatchGetResourceConfig ------------------------------------------------------------------------


def test_batch_get_returns_items_in_the_api_model(ec2: Any, config: Any) -> None:
    instance_id = launch(ec2, 1, InstanceType="m5.large")[0]

    response = config.batch_get_resource_config(
        resourceKeys=[
            {"resourceType": "AWS::EC2::Instance", "resourceId": instance_id},
            {"resourceType": "AWS::EC2::Instance", "resourceId": "i-00000000000000000"},
        ]
    )

    assert response["unprocessedResourceKeys"] == []
    (item,) = response["baseConfigurationItems"]
    assert item["resourceId"] == instance_id
    assert item["accountId"] == MANAGEMENT_ACCOUNT
    assert item["awsRegion"] == "us-east-1"
    assert item["configurationItemStatus"] == "ResourceDiscovered"
    assert item["arn"] == f"arn:aws:ec2:us-east-1:{MANAGEMENT_ACCOUNT}:instance/{instance_id}"
    configuration = json.loads(item["configuration"])
    assert configuration["instanceId"] == instance_id
    assert configuration["instanceType"] == "m5.large"
    assert configuration["state"]["name"] == "running"
    # BaseConfigurationItem has no relationships or tags: those come from GetResourceConfigHistory.
    assert "relationships" not in item
    assert "tags" not in item


def test_batch_get_accepts_100_keys_and_refuses_101(ec2: Any, config: Any) -> None:
    instance_ids = launch(ec2, 101)
    keys = [{"resourceType": "AWS::EC2::Instance", "resourceId": instance_id} for instance_id in instance_ids]

    assert len(config.batch_get_resource_config(resourceKeys=keys[:100])["baseConfigurationItems"]) == 100
    with pytest.raises(ClientError) as excinfo:
        config.batch_get_resource_config(resourceKeys=keys)
    assert error_code(excinfo) == "ValidationException"


def test_batch_get_leaves_keys_unprocessed_on_demand(emulator: Emulator, ec2: Any, config: Any) -> None:
    first, second = launch(ec2, 2)
    emulator.config.controls.leave_unprocessed(second, times=1)
    keys = [{"resourceType": "AWS::EC2::Instance", "resourceId": resource_id} for resource_id in (first, second)]

    once = config.batch_get_resource_config(resourceKeys=keys)
    again = config.batch_get_resource_config(resourceKeys=keys)

    assert [item["resourceId"] for item in once["baseConfigurationItems"]] == [first]
    assert once["unprocessedResourceKeys"] == [{"resourceType": "AWS::EC2::Instance", "resourceId": second}]
    assert sorted(item["resourceId"] for item in again["baseConfigurationItems"]) == sorted([first, second])
    assert again["unprocessedResourceKeys"] == []


def test_batch_get_never_returns_deleted_resources(ec2: Any, config: Any) -> None:
    instance_id = launch(ec2, 1)[0]
    ec2.terminate_instances(InstanceIds=[instance_id])
    response = config.batch_get_resource_config(
        resourceKeys=[{"resourceType": "AWS::EC2::Instance", "resourceId": instance_id}]
    )
    assert response["baseConfigurationItems"] == []


# --- GetResourceConfigHistory ----------------------------------------------------------------------


def test_history_records_a_new_item_per_change(ec2: Any, config: Any) -> None:
    group_id = open_group(
        ec2,
        "ssh",
        [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )
    list_all(config, "AWS::EC2::SecurityGroup")
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    list_all(config, "AWS::EC2::SecurityGroup")
    ec2.delete_security_group(GroupId=group_id)

    newest_first = config.get_resource_config_history(resourceType="AWS::EC2::SecurityGroup", resourceId=group_id)
    oldest_first = config.get_resource_config_history(
        resourceType="AWS::EC2::SecurityGroup", resourceId=group_id, chronologicalOrder="Forward"
    )

    statuses = [item["configurationItemStatus"] for item in newest_first["configurationItems"]]
    assert statuses == ["ResourceDeleted", "OK", "ResourceDiscovered"]
    assert [item["configurationItemStatus"] for item in oldest_first["configurationItems"]] == statuses[::-1]
    deleted, changed, discovered = newest_first["configurationItems"]
    assert "configuration" not in deleted
    assert deleted["relationships"] == []
    cidrs = lambda item: sorted(  # noqa: E731
        cidr for permission in json.loads(item["configuration"])["ipPermissions"] for cidr in permission["ipRanges"]
    )
    assert cidrs(discovered) == ["10.0.0.0/8"]
    assert cidrs(changed) == ["0.0.0.0/0", "10.0.0.0/8"]
    capture_times = [item["configurationItemCaptureTime"] for item in oldest_first["configurationItems"]]
    assert capture_times == sorted(capture_times)
    assert len(set(capture_times)) == 3


class SteppingClock:
    """A clock that moves a minute on every reading, so each recorded change has its own second."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def test_history_pages_with_limit_and_filters_by_time(emulator: Emulator, ec2: Any, config: Any) -> None:
    emulator.config.clock = SteppingClock()
    volume_id = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
    for size in (16, 32):
        list_all(config, "AWS::EC2::Volume")
        ec2.modify_volume(VolumeId=volume_id, Size=size)
    items = config.get_resource_config_history(
        resourceType="AWS::EC2::Volume", resourceId=volume_id, chronologicalOrder="Forward"
    )["configurationItems"]
    assert [json.loads(item["configuration"])["size"] for item in items] == [8, 16, 32]

    first = config.get_resource_config_history(resourceType="AWS::EC2::Volume", resourceId=volume_id, limit=1)
    second = config.get_resource_config_history(
        resourceType="AWS::EC2::Volume", resourceId=volume_id, limit=1, nextToken=first["nextToken"]
    )
    assert json.loads(first["configurationItems"][0]["configuration"])["size"] == 32
    assert json.loads(second["configurationItems"][0]["configuration"])["size"] == 16

    middle = items[1]["configurationItemCaptureTime"]
    up_to_middle = config.get_resource_config_history(
        resourceType="AWS::EC2::Volume", resourceId=volume_id, laterTime=middle
    )["configurationItems"]
    assert [json.loads(item["configuration"])["size"] for item in up_to_middle] == [16, 8]
    from_middle = config.get_resource_config_history(
        resourceType="AWS::EC2::Volume", resourceId=volume_id, earlierTime=middle
    )["configurationItems"]
    assert [json.loads(item["configuration"])["size"] for item in from_middle] == [32, 16]


def test_history_errors(ec2: Any, config: Any) -> None:
    volume_id = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
    now = datetime.now(UTC)
    cases = [
        ({"resourceId": "vol-00000000000000000"}, "ResourceNotDiscoveredException"),
        (
            {"resourceId": volume_id, "laterTime": now - timedelta(days=1), "earlierTime": now},
            "InvalidTimeRangeException",
        ),
        ({"resourceId": volume_id, "limit": 101}, "InvalidLimitException"),
        ({"resourceId": volume_id, "nextToken": "bogus"}, "InvalidNextTokenException"),
    ]
    for arguments, expected in cases:
        with pytest.raises(ClientError) as excinfo:
            config.get_resource_config_history(resourceType="AWS::EC2::Volume", **arguments)
        assert error_code(excinfo) == expected, arguments


# --- item contents ---------------------------------------------------------------------------------


def latest_item(config: Any, resource_type: str, resource_id: str) -> dict[str, Any]:
    items = config.get_resource_config_history(resourceType=resource_type, resourceId=resource_id, limit=1)
    item: dict[str, Any] = items["configurationItems"][0]
    return item


def test_instance_relationships_name_both_groups_and_its_volume(ec2: Any, config: Any) -> None:
    web = open_group(
        ec2,
        "web",
        [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ssh = open_group(
        ec2,
        "ssh",
        [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
    )
    instance_id = launch(ec2, 1, SecurityGroupIds=[web, ssh], KeyName="ops")[0]
    root_volume = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])[
        "Volumes"
    ][0]["VolumeId"]

    instance = latest_item(config, "AWS::EC2::Instance", instance_id)
    group = latest_item(config, "AWS::EC2::SecurityGroup", ssh)
    volume = latest_item(config, "AWS::EC2::Volume", root_volume)

    related = {
        (item["resourceType"], item["resourceId"], item["relationshipName"]) for item in instance["relationships"]
    }
    assert ("AWS::EC2::SecurityGroup", web, "Is associated with SecurityGroup") in related
    assert ("AWS::EC2::SecurityGroup", ssh, "Is associated with SecurityGroup") in related
    assert ("AWS::EC2::Volume", root_volume, "Is attached to Volume") in related
    configuration = json.loads(instance["configuration"])
    assert sorted(group["groupId"] for group in configuration["securityGroups"]) == sorted([web, ssh])
    assert configuration["keyName"] == "ops"
    ssh_rule = json.loads(group["configuration"])["ipPermissions"]
    assert ssh_rule == [
        {
            "ipProtocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "userIdGroupPairs": [],
            "ipv4Ranges": [],
            "ipRanges": [],
            "ipv6Ranges": [{"cidrIpv6": "::/0"}],
            "prefixListIds": [],
        }
    ]
    assert ("AWS::EC2::Instance", instance_id, "Is associated with Instance") in {
        (item["resourceType"], item["resourceId"], item["relationshipName"]) for item in group["relationships"]
    }
    assert volume["relationships"] == [
        {
            "resourceType": "AWS::EC2::Instance",
            "resourceId": instance_id,
            "relationshipName": "Is attached to Instance",
        }
    ]


def test_iam_items_are_global_and_recorded_in_one_region(boto_session: Any, emulator: Emulator, config: Any) -> None:
    iam = client(boto_session, "iam", emulator.endpoint_url)
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "platform"}])
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    policy_arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="alice", PolicyArn=policy_arn)
    europe = client(boto_session, "config", emulator.endpoint_url, region="eu-west-1")

    (user,) = config.list_discovered_resources(resourceType="AWS::IAM::User")["resourceIdentifiers"]
    assert user["resourceName"] == "alice"
    assert europe.list_discovered_resources(resourceType="AWS::IAM::User")["resourceIdentifiers"] == []

    item = latest_item(config, "AWS::IAM::User", user["resourceId"])
    assert item["awsRegion"] == "global"
    assert item["availabilityZone"] == "Not Applicable"
    assert item["tags"] == {"team": "platform"}
    configuration = json.loads(item["configuration"])
    assert configuration["userName"] == "alice"
    assert configuration["attachedManagedPolicies"] == [{"policyName": "s3-admin", "policyArn": policy_arn}]
    (policy,) = config.list_discovered_resources(resourceType="AWS::IAM::Policy")["resourceIdentifiers"]
    policy_item = latest_item(config, "AWS::IAM::Policy", policy["resourceId"])
    stored_document = json.loads(
        json.loads(policy_item["configuration"])["policyVersionList"][0]["document"]
        and urllib.parse.unquote(json.loads(policy_item["configuration"])["policyVersionList"][0]["document"])
    )
    assert stored_document == document
    assert policy_item["relationships"] == [
        {
            "resourceType": "AWS::IAM::User",
            "resourceId": user["resourceId"],
            "resourceName": "alice",
            "relationshipName": "Is attached to User",
        }
    ]


def test_buckets_are_listed_in_their_own_region(boto_session: Any, emulator: Emulator, config: Any) -> None:
    s3 = client(boto_session, "s3", emulator.endpoint_url)
    s3.create_bucket(Bucket="logs-us")
    s3.create_bucket(Bucket="logs-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket="logs-eu", VersioningConfiguration={"Status": "Enabled"})
    europe = client(boto_session, "config", emulator.endpoint_url, region="eu-west-1")

    us_ids = [
        item["resourceId"]
        for item in config.list_discovered_resources(resourceType="AWS::S3::Bucket")["resourceIdentifiers"]
    ]
    eu_ids = [
        item["resourceId"]
        for item in europe.list_discovered_resources(resourceType="AWS::S3::Bucket")["resourceIdentifiers"]
    ]

    assert us_ids == ["logs-us"]
    assert eu_ids == ["logs-eu"]
    item = latest_item(europe, "AWS::S3::Bucket", "logs-eu")
    assert item["awsRegion"] == "eu-west-1"
    versioning = json.loads(item["supplementaryConfiguration"]["BucketVersioningConfiguration"])
    assert versioning["status"] == "Enabled"


# --- accounts --------------------------------------------------------------------------------------


def test_accounts_are_isolated(boto_session: Any, emulator: Emulator, ec2: Any, config: Any) -> None:
    member = assumed_session(boto_session, emulator.endpoint_url, MEMBER_ACCOUNT)
    member_ec2 = client(member, "ec2", emulator.endpoint_url)
    member_config = client(member, "config", emulator.endpoint_url)
    mine = launch(ec2, 2)
    theirs = launch(member_ec2, 3)

    management_ids, _ = list_all(config, "AWS::EC2::Instance")
    member_ids, _ = list_all(member_config, "AWS::EC2::Instance")

    assert sorted(item["resourceId"] for item in management_ids) == sorted(mine)
    assert sorted(item["resourceId"] for item in member_ids) == sorted(theirs)
    item = member_config.batch_get_resource_config(
        resourceKeys=[{"resourceType": "AWS::EC2::Instance", "resourceId": theirs[0]}]
    )["baseConfigurationItems"][0]
    assert item["accountId"] == MEMBER_ACCOUNT
    assert (
        config.batch_get_resource_config(
            resourceKeys=[{"resourceType": "AWS::EC2::Instance", "resourceId": theirs[0]}]
        )["baseConfigurationItems"]
        == []
    )

    put_rule(config, "shared-name")
    with pytest.raises(ClientError) as excinfo:
        member_config.describe_config_rules(ConfigRuleNames=["shared-name"])
    assert error_code(excinfo) == "NoSuchConfigRuleException"


# --- rules and evaluations -------------------------------------------------------------------------


def put_rule(config: Any, name: str, **extra: Any) -> dict[str, Any]:
    config.put_config_rule(
        ConfigRule={
            "ConfigRuleName": name,
            "Source": {
                "Owner": "CUSTOM_LAMBDA",
                "SourceIdentifier": f"arn:aws:lambda:us-east-1:{MANAGEMENT_ACCOUNT}:function:{name}",
                "SourceDetails": [
                    {
                        "EventSource": "aws.config",
                        "MessageType": "ScheduledNotification",
                        "MaximumExecutionFrequency": "TwentyFour_Hours",
                    }
                ],
            },
            **extra,
        }
    )
    rule: dict[str, Any] = config.describe_config_rules(ConfigRuleNames=[name])["ConfigRules"][0]
    return rule


def evaluation(resource_id: str, compliance: str, when: datetime, annotation: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "ComplianceResourceType": "AWS::EC2::Instance",
        "ComplianceResourceId": resource_id,
        "ComplianceType": compliance,
        "OrderingTimestamp": when,
    }
    if annotation is not None:
        item["Annotation"] = annotation
    return item


def test_put_config_rule_is_described_and_updated_in_place(config: Any) -> None:
    created = put_rule(config, "desired-instance-type", InputParameters='{"desiredInstanceType": "t3.micro"}')
    updated = put_rule(config, "desired-instance-type", InputParameters='{"desiredInstanceType": "m5.large"}')

    assert created["ConfigRuleState"] == "ACTIVE"
    assert created["ConfigRuleArn"].startswith(
        f"arn:aws:config:us-east-1:{MANAGEMENT_ACCOUNT}:config-rule/config-rule-"
    )
    assert updated["ConfigRuleId"] == created["ConfigRuleId"]
    assert json.loads(updated["InputParameters"]) == {"desiredInstanceType": "m5.large"}
    assert [rule["ConfigRuleName"] for rule in config.describe_config_rules()["ConfigRules"]] == [
        "desired-instance-type"
    ]


def test_put_config_rule_validates(config: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        put_rule(config, "bad-parameters", InputParameters="{not json")
    assert error_code(excinfo) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as excinfo:
        config.describe_config_rules(ConfigRuleNames=["missing"])
    assert error_code(excinfo) == "NoSuchConfigRuleException"


def test_put_evaluations_stores_per_rule_and_reads_back_in_pages(config: Any) -> None:
    put_rule(config, "desired-instance-type")
    now = datetime.now(UTC).replace(microsecond=0)
    evaluations = [
        evaluation(f"i-{index:017x}", "NON_COMPLIANT" if index % 3 == 0 else "COMPLIANT", now, f"case {index}")
        for index in range(100)
    ]

    response = config.put_evaluations(Evaluations=evaluations, ResultToken="desired-instance-type")
    assert response["FailedEvaluations"] == []

    results: list[dict[str, Any]] = []
    token: str | None = None
    pages = 0
    while True:
        page = config.get_compliance_details_by_config_rule(
            ConfigRuleName="desired-instance-type", Limit=40, **({"NextToken": token} if token else {})
        )
        results += page["EvaluationResults"]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3
    assert len(results) == 100
    by_id = {
        result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: result for result in results
    }
    assert by_id[f"i-{3:017x}"]["ComplianceType"] == "NON_COMPLIANT"
    assert by_id[f"i-{3:017x}"]["Annotation"] == "case 3"
    assert by_id[f"i-{4:017x}"]["ComplianceType"] == "COMPLIANT"
    assert by_id[f"i-{4:017x}"]["EvaluationResultIdentifier"]["OrderingTimestamp"] == now

    non_compliant = config.get_compliance_details_by_config_rule(
        ConfigRuleName="desired-instance-type", ComplianceTypes=["NON_COMPLIANT"], Limit=100
    )["EvaluationResults"]
    assert len(non_compliant) == 34

    summary = config.describe_compliance_by_config_rule()["ComplianceByConfigRules"]
    assert summary == [
        {
            "ConfigRuleName": "desired-instance-type",
            "Compliance": {
                "ComplianceType": "NON_COMPLIANT",
                "ComplianceContributorCount": {"CappedCount": 34, "CapExceeded": False},
            },
        }
    ]
    by_resource = config.describe_compliance_by_resource(ResourceType="AWS::EC2::Instance", ResourceId=f"i-{4:017x}")[
        "ComplianceByResources"
    ]
    assert by_resource == [
        {
            "ResourceType": "AWS::EC2::Instance",
            "ResourceId": f"i-{4:017x}",
            "Compliance": {"ComplianceType": "COMPLIANT"},
        }
    ]


def test_the_newest_ordering_timestamp_wins(config: Any) -> None:
    put_rule(config, "rule")
    now = datetime.now(UTC).replace(microsecond=0)
    config.put_evaluations(Evaluations=[evaluation("i-1", "COMPLIANT", now)], ResultToken="rule")
    config.put_evaluations(
        Evaluations=[evaluation("i-1", "NON_COMPLIANT", now - timedelta(hours=1))], ResultToken="rule"
    )
    config.put_evaluations(Evaluations=[evaluation("i-2", "COMPLIANT", now)], ResultToken="rule")
    config.put_evaluations(
        Evaluations=[evaluation("i-2", "NOT_APPLICABLE", now + timedelta(hours=1))], ResultToken="rule"
    )

    results = config.get_compliance_details_by_config_rule(ConfigRuleName="rule")["EvaluationResults"]

    assert [
        (
            result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"],
            result["ComplianceType"],
        )
        for result in results
    ] == [("i-1", "COMPLIANT"), ("i-2", "NOT_APPLICABLE")]


def test_test_mode_validates_but_stores_nothing(config: Any) -> None:
    put_rule(config, "rule")
    now = datetime.now(UTC)
    response = config.put_evaluations(
        Evaluations=[evaluation("i-1", "NON_COMPLIANT", now)], ResultToken="TESTMODE", TestMode=True
    )
    assert response["FailedEvaluations"] == []
    assert config.get_compliance_details_by_config_rule(ConfigRuleName="rule")["EvaluationResults"] == []
    with pytest.raises(ClientError) as excinfo:
        config.put_evaluations(
            Evaluations=[evaluation("i-1", "INSUFFICIENT_DATA", now)], ResultToken="x", TestMode=True
        )
    assert error_code(excinfo) == "InvalidParameterValueException"


@pytest.mark.parametrize(
    ("evaluations", "token", "expected"),
    [
        ([evaluation("i-1", "COMPLIANT", datetime.now(UTC))], "no-such-rule", "InvalidResultTokenException"),
        ([evaluation("i-1", "COMPLIANT", datetime.now(UTC))], "", "InvalidResultTokenException"),
        (
            [evaluation(f"i-{n}", "COMPLIANT", datetime.now(UTC)) for n in range(101)],
            "rule",
            "ValidationException",
        ),
        ([], "rule", "InvalidParameterValueException"),
        (
            [evaluation("i-1", "INSUFFICIENT_DATA", datetime.now(UTC))],
            "rule",
            "InvalidParameterValueException",
        ),
        ([evaluation("i-1", "COMPLIANT", datetime.now(UTC), "x" * 257)], "rule", "ValidationException"),
        ([evaluation("i-1", "COMPLIANT", datetime.now(UTC), "")], "rule", "ValidationException"),
        (
            [{**evaluation("i-1", "COMPLIANT", datetime.now(UTC)), "ComplianceResourceId": "i" * 769}],
            "rule",
            "ValidationException",
        ),
        (
            [{**evaluation("i-1", "COMPLIANT", datetime.now(UTC)), "ComplianceResourceType": "T" * 257}],
            "rule",
            "ValidationException",
        ),
    ],
    ids=[
        "unknown-token",
        "empty-token",
        "101-evaluations",
        "no-evaluations",
        "insufficient-data",
        "annotation-257",
        "annotation-empty",
        "id-769",
        "type-257",
    ],
)
def test_put_evaluations_is_validated_like_aws(
    emulator: Emulator, boto_session: Any, evaluations: list[dict[str, Any]], token: str, expected: str
) -> None:
    # botocore validates lengths client-side too; switch that off so the server's checks are what is tested.
    config = boto_session.client(
        "config",
        endpoint_url=emulator.endpoint_url,
        config=BotoConfig(retries={"total_max_attempts": 1}, parameter_validation=False),
    )
    put_rule(config, "rule")
    with pytest.raises(ClientError) as excinfo:
        config.put_evaluations(Evaluations=evaluations, ResultToken=token)
    assert error_code(excinfo) == expected
    assert config.get_compliance_details_by_config_rule(ConfigRuleName="rule")["EvaluationResults"] == []


def test_failed_evaluations_are_reported_not_stored(emulator: Emulator, config: Any) -> None:
    put_rule(config, "rule")
    emulator.config.controls.fail_evaluations("i-2", times=1)
    now = datetime.now(UTC).replace(microsecond=0)
    batch = [evaluation("i-1", "COMPLIANT", now), evaluation("i-2", "NON_COMPLIANT", now)]

    response = config.put_evaluations(Evaluations=batch, ResultToken="rule")

    assert [item["ComplianceResourceId"] for item in response["FailedEvaluations"]] == ["i-2"]
    stored = config.get_compliance_details_by_config_rule(ConfigRuleName="rule")["EvaluationResults"]
    assert [result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"] for result in stored] == [
        "i-1"
    ]


def test_compliance_read_backs_need_an_existing_rule(config: Any) -> None:
    for call in (
        lambda: config.get_compliance_details_by_config_rule(ConfigRuleName="missing"),
        lambda: config.describe_compliance_by_config_rule(ConfigRuleNames=["missing"]),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "NoSuchConfigRuleException"


# --- malformed requests ----------------------------------------------------------------------------


def raw_config_call(endpoint_url: str, operation: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """A hand-made request, as a buggy client might send: the answer must still be AWS-shaped JSON."""
    request = urllib.request.Request(
        endpoint_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"StarlingDoveService.{operation}",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261123/us-east-1/config/aws4_request, "
            "SignedHeaders=host, Signature=0000",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("operation", "body", "code"),
    [
        ("BatchGetResourceConfig", {"resourceKeys": ["i-1"]}, "ValidationException"),
        ("ListDiscoveredResources", {"resourceType": "AWS::EC2::Instance", "limit": True}, "ValidationException"),
        (
            "ListDiscoveredResources",
            {"resourceType": "AWS::EC2::Instance", "resourceIds": "i-1"},
            "ValidationException",
        ),
        (
            "GetResourceConfigHistory",
            {"resourceType": "AWS::EC2::Volume", "resourceId": "v", "laterTime": "soon"},
            "ValidationException",
        ),
        ("ListDiscoveredResources", ["not", "an", "object"], "SerializationException"),
    ],
)
def test_malformed_requests_get_aws_shaped_errors(emulator: Emulator, operation: str, body: Any, code: str) -> None:
    status, document = raw_config_call(emulator.endpoint_url, operation, json.dumps(body).encode())
    assert status == 400
    assert document["__type"] == code


def test_a_naive_iso_time_is_read_as_utc(emulator: Emulator, ec2: Any) -> None:
    volume_id = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
    later = (datetime.now(UTC) + timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    body = {"resourceType": "AWS::EC2::Volume", "resourceId": volume_id, "laterTime": later}
    status, document = raw_config_call(emulator.endpoint_url, "GetResourceConfigHistory", json.dumps(body).encode())
    assert status == 200
    assert [item["resourceId"] for item in document["configurationItems"]] == [volume_id]


@pytest.mark.anyio
async def test_aioboto3_rules_evaluations_read_back_and_isolation(emulator: Emulator, boto_session: Any) -> None:
    member = assumed_session(boto_session, emulator.endpoint_url, MEMBER_ACCOUNT)
    member_keys = member.get_credentials().get_frozen_credentials()
    management = aioboto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )
    other = aioboto3.Session(
        aws_access_key_id=member_keys.access_key,
        aws_secret_access_key=member_keys.secret_key,
        aws_session_token=member_keys.token,
        region_name="us-east-1",
    )
    now = datetime.now(UTC).replace(microsecond=0)
    no_retries = BotoConfig(retries={"total_max_attempts": 1})
    async with (
        management.client("config", endpoint_url=emulator.endpoint_url, config=no_retries) as config,
        other.client("config", endpoint_url=emulator.endpoint_url, config=no_retries) as member_config,
    ):
        await config.put_config_rule(
            ConfigRule={
                "ConfigRuleName": "rule",
                "Source": {
                    "Owner": "CUSTOM_LAMBDA",
                    "SourceIdentifier": "arn:aws:lambda:us-east-1:123456789012:function:rule",
                    "SourceDetails": [{"EventSource": "aws.config", "MessageType": "ScheduledNotification"}],
                },
            }
        )
        for start in (0, 100):
            batch = [evaluation(f"i-{n:017x}", "COMPLIANT", now) for n in range(start, start + 100)]
            assert (await config.put_evaluations(Evaluations=batch, ResultToken="rule"))["FailedEvaluations"] == []
        with pytest.raises(ClientError) as excinfo:
            await member_config.put_evaluations(Evaluations=[evaluation("i-1", "COMPLIANT", now)], ResultToken="rule")
        assert error_code(excinfo) == "InvalidResultTokenException"
        with pytest.raises(ClientError) as excinfo:
            await config.list_discovered_resources(resourceType="AWS::EC2::Instance", limit=101)
        assert error_code(excinfo) == "InvalidLimitException"

        paginator = config.get_paginator("get_compliance_details_by_config_rule")
        ids = [
            result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]
            async for page in paginator.paginate(ConfigRuleName="rule", PaginationConfig={"PageSize": 100})
            for result in page["EvaluationResults"]
        ]
        assert ids == [f"i-{n:017x}" for n in range(200)]
        assert (await member_config.describe_config_rules())["ConfigRules"] == []


def test_a_result_token_names_its_rule_optionally_with_a_suffix(config: Any) -> None:
    put_rule(config, "rule")
    now = datetime.now(UTC).replace(microsecond=0)
    config.put_evaluations(Evaluations=[evaluation("i-1", "COMPLIANT", now)], ResultToken="rule")
    config.put_evaluations(Evaluations=[evaluation("i-2", "COMPLIANT", now)], ResultToken="rule:event-1234")
    for token in ("other-rule:event-1234", "rulex", ":rule"):
        with pytest.raises(ClientError) as excinfo:
            config.put_evaluations(Evaluations=[evaluation("i-3", "COMPLIANT", now)], ResultToken=token)
        assert error_code(excinfo) == "InvalidResultTokenException"
    stored = config.get_compliance_details_by_config_rule(ConfigRuleName="rule")["EvaluationResults"]
    assert [r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"] for r in stored] == [
        "i-1",
        "i-2",
    ]


def test_only_writes_that_change_recorded_state_make_the_recorder_read_again(
    boto_session: Any, emulator: Emulator, ec2: Any, config: Any
) -> None:
    (instance_id,) = launch(ec2, 1)
    reads: list[str] = []

    def count(**_: Any) -> None:
        reads.append("DescribeInstances")

    recorder_ec2 = emulator.config.moto.client("ec2", "us-east-1")
    recorder_ec2.meta.events.register("before-call.ec2.DescribeInstances", count)
    try:
        config.list_discovered_resources(resourceType="AWS::EC2::Instance")
        # A scan generates each account's credential report: nothing AWS Config records changes.
        client(boto_session, "iam", emulator.endpoint_url).generate_credential_report()
        config.list_discovered_resources(resourceType="AWS::EC2::Instance")
        assert reads == ["DescribeInstances"]
        ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "Owner", "Value": "team-data"}])
        config.list_discovered_resources(resourceType="AWS::EC2::Instance")
        assert reads == ["DescribeInstances", "DescribeInstances"]
    finally:
        recorder_ec2.meta.events.unregister("before-call.ec2.DescribeInstances", count)
