"""The AWS Config rule runtime: events shaped like AWS's documented examples, results read back from Config."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.pytest_plugin import Estates
from cloudsweep_emulator.server import Emulator

from scanner.errors import EventError, RuleRuntimeError
from scanner.lambda_handler import handler
from scanner.rules.aws_config import ACCESS_DENIED_MESSAGE
from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import assumed_session, client

AMI = "ami-0123456789abcdef0"
MEMBER = "210987654321"
RULE = "desired-instance-type"
NOTIFICATION_TIME = "2026-11-23T10:00:00.000Z"


def put_rule(config: Any, name: str = RULE, parameters: dict[str, str] | None = None) -> None:
    config.put_config_rule(
        ConfigRule={
            "ConfigRuleName": name,
            "InputParameters": json.dumps(parameters or {"desiredInstanceType": "t3.micro"}),
            "Source": {
                "Owner": "CUSTOM_LAMBDA",
                "SourceIdentifier": f"arn:aws:lambda:us-east-1:{MANAGEMENT_ACCOUNT}:function:cloudsweep",
                "SourceDetails": [
                    {"EventSource": "aws.config", "MessageType": "ScheduledNotification"},
                    {"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"},
                ],
            },
        }
    )


def scheduled_event(
    token: str = RULE, parameters: dict[str, str] | None = None, account: str = MANAGEMENT_ACCOUNT, rule: str = RULE
) -> dict[str, Any]:
    """As AWS documents a periodic rule's event."""
    return {
        "invokingEvent": json.dumps(
            {
                "awsAccountId": account,
                "notificationCreationTime": NOTIFICATION_TIME,
                "messageType": "ScheduledNotification",
                "recordVersion": "1.0",
            }
        ),
        "ruleParameters": json.dumps(parameters or {"desiredInstanceType": "t3.micro"}),
        "resultToken": token,
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{account}:role/config-role",
        "configRuleArn": f"arn:aws:config:us-east-1:{account}:config-rule/config-rule-0123456",
        "configRuleName": rule,
        "configRuleId": "config-rule-0123456",
        "accountId": account,
        "version": "1.0",
    }


def change_event(item: dict[str, Any], token: str = RULE, left_scope: bool = False) -> dict[str, Any]:
    return {
        **scheduled_event(token),
        "invokingEvent": json.dumps(
            {
                "configurationItem": item,
                "notificationCreationTime": NOTIFICATION_TIME,
                "messageType": "ConfigurationItemChangeNotification",
                "recordVersion": "1.3",
            }
        ),
        "eventLeftScope": left_scope,
    }


def results(config: Any, rule: str = RULE) -> dict[str, tuple[str, str | None]]:
    found: dict[str, tuple[str, str | None]] = {}
    token: str | None = None
    while True:
        page = config.get_compliance_details_by_config_rule(
            ConfigRuleName=rule, Limit=100, **({"NextToken": token} if token else {})
        )
        for result in page["EvaluationResults"]:
            qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
            found[qualifier["ResourceId"]] = (result["ComplianceType"], result.get("Annotation"))
        token = page.get("NextToken")
        if not token:
            return found


@pytest.fixture
def account(aws_env: Emulator, boto_session: Any, estates: Estates) -> dict[str, Any]:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    config = client(boto_session, "config", aws_env.endpoint_url)

    def build() -> dict[str, list[str]]:
        small = ec2.run_instances(ImageId=AMI, MinCount=110, MaxCount=110, InstanceType="t3.micro")["Instances"]
        large = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2, InstanceType="m5.large")["Instances"]
        put_rule(config)
        return {"small": sorted(i["InstanceId"] for i in small), "large": sorted(i["InstanceId"] for i in large)}

    return {"ec2": ec2, "config": config, **estates.get("lambda handler account", build)}


def test_a_periodic_run_puts_every_evaluation_in_batches(account: dict[str, Any]) -> None:
    summary = handler(scheduled_event(), None)

    stored = results(account["config"])
    assert summary["evaluations"] == 112
    assert {rid: compliance for rid, (compliance, _) in stored.items()} == {
        **{rid: "COMPLIANT" for rid in account["small"]},
        **{rid: "NON_COMPLIANT" for rid in account["large"]},
    }
    assert stored[account["large"][0]][1] == "instance type m5.large is not one of t3.micro"


@pytest.mark.slow
def test_a_second_run_marks_gone_resources_not_applicable(account: dict[str, Any]) -> None:
    handler(scheduled_event(), None)
    gone = account["small"][:3]
    account["ec2"].terminate_instances(InstanceIds=gone)

    summary = handler(scheduled_event(), None)

    stored = results(account["config"])
    assert summary["stale"] == 3
    assert {rid: stored[rid][0] for rid in gone} == {rid: "NOT_APPLICABLE" for rid in gone}
    assert stored[account["small"][3]][0] == "COMPLIANT"
    assert len(stored) == 112


def test_testmode_stores_nothing(account: dict[str, Any]) -> None:
    summary = handler(scheduled_event(token="TESTMODE"), None)
    assert summary["evaluations"] == 112
    assert results(account["config"]) == {}


def instance_item(ec2: Any, instance_id: str, status: str = "OK") -> dict[str, Any]:
    """A change event's configuration item, in the invocation model, as AWS sends it."""
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    return {
        "configurationItemVersion": "1.3",
        "awsAccountId": MANAGEMENT_ACCOUNT,
        "configurationItemCaptureTime": "2026-11-23T09:30:00.000Z",
        "configurationItemStatus": status,
        "configurationStateId": "1700000000000",
        "configurationStateMd5Hash": "",
        "ARN": f"arn:aws:ec2:us-east-1:{MANAGEMENT_ACCOUNT}:instance/{instance_id}",
        "resourceType": "AWS::EC2::Instance",
        "resourceId": instance_id,
        "awsRegion": "us-east-1",
        "availabilityZone": "us-east-1a",
        "tags": {},
        "relatedEvents": [],
        "relationships": [],
        "configuration": None
        if status == "ResourceDeleted"
        else {"instanceId": instance_id, "instanceType": instance["InstanceType"]},
        "supplementaryConfiguration": {},
    }


def test_a_change_event_evaluates_its_item_with_a_hand_written_token(account: dict[str, Any]) -> None:
    item = instance_item(account["ec2"], account["large"][0])
    handler(change_event(item, token=f"{RULE}:written-by-hand"), None)

    stored = account["config"].get_compliance_details_by_config_rule(ConfigRuleName=RULE)["EvaluationResults"]
    assert [
        (r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"], r["ComplianceType"])
        for r in stored
    ] == [(account["large"][0], "NON_COMPLIANT")]
    assert stored[0]["EvaluationResultIdentifier"]["OrderingTimestamp"] == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "left_scope", "resource_type", "reason"),
    [
        ("ResourceDeleted", False, "AWS::EC2::Instance", "status is ResourceDeleted"),
        ("OK", True, "AWS::EC2::Instance", "left the rule's scope"),
        ("OK", False, "AWS::EC2::Volume", "does not evaluate AWS::EC2::Volume"),
    ],
)
def test_change_events_that_do_not_apply_are_not_applicable(
    account: dict[str, Any], status: str, left_scope: bool, resource_type: str, reason: str
) -> None:
    item = {**instance_item(account["ec2"], account["small"][0], status), "resourceType": resource_type}
    handler(change_event(item, left_scope=left_scope), None)
    (compliance, annotation) = results(account["config"])[account["small"][0]]
    assert compliance == "NOT_APPLICABLE"
    assert annotation is not None
    assert reason in annotation


def test_an_oversized_item_is_fetched_from_history(account: dict[str, Any]) -> None:
    instance_id = account["large"][1]
    account["config"].list_discovered_resources(resourceType="AWS::EC2::Instance")
    history = account["config"].get_resource_config_history(resourceType="AWS::EC2::Instance", resourceId=instance_id)
    capture = history["configurationItems"][0]["configurationItemCaptureTime"]
    event = {
        **scheduled_event(),
        "invokingEvent": json.dumps(
            {
                "configurationItemSummary": {
                    "changeType": "UPDATE",
                    "configurationItemVersion": "1.3",
                    "configurationItemCaptureTime": capture.isoformat(),
                    "configurationStateId": 1700000000000,
                    "awsAccountId": MANAGEMENT_ACCOUNT,
                    "configurationItemStatus": "OK",
                    "resourceType": "AWS::EC2::Instance",
                    "resourceId": instance_id,
                    "ARN": f"arn:aws:ec2:us-east-1:{MANAGEMENT_ACCOUNT}:instance/{instance_id}",
                    "awsRegion": "us-east-1",
                },
                "messageType": "OversizedConfigurationItemChangeNotification",
                "notificationCreationTime": NOTIFICATION_TIME,
                "recordVersion": "1.0",
            }
        ),
    }
    handler(event, None)
    assert results(account["config"]) == {
        instance_id: ("NON_COMPLIANT", "instance type m5.large is not one of t3.micro")
    }


def test_cross_account_through_the_execution_role(aws_env: Emulator, boto_session: Any) -> None:
    member = assumed_session(boto_session, aws_env.endpoint_url, MEMBER)
    member_ec2 = client(member, "ec2", aws_env.endpoint_url)
    member_config = client(member, "config", aws_env.endpoint_url)
    instance = member_ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="m5.large")["Instances"][0]
    put_rule(member_config)
    event = scheduled_event(parameters={"desiredInstanceType": "t3.micro", "AssumeRoleMode": "True"}, account=MEMBER)

    handler(event, None)

    assert results(member_config) == {
        instance["InstanceId"]: ("NON_COMPLIANT", "instance type m5.large is not one of t3.micro")
    }


def test_a_denied_execution_role_says_so(aws_env: Emulator) -> None:
    aws_env.faults.add(FaultRule.access_denied(account=MEMBER, operation="AssumeRole"))
    event = scheduled_event(parameters={"desiredInstanceType": "t3.micro", "AssumeRoleMode": "True"}, account=MEMBER)
    with pytest.raises(RuleRuntimeError, match=ACCESS_DENIED_MESSAGE):
        handler(event, None)


def test_refused_evaluations_are_retried_then_fail_loudly(aws_env: Emulator, account: dict[str, Any]) -> None:
    aws_env.config.controls.fail_evaluations(account["small"][0], times=1)
    handler(scheduled_event(), None)
    assert results(account["config"])[account["small"][0]][0] == "COMPLIANT"

    aws_env.config.controls.fail_evaluations(account["small"][1])
    with pytest.raises(RuleRuntimeError, match="refused 1 evaluations"):
        handler(scheduled_event(), None)


@pytest.mark.parametrize(
    ("mutate", "field_name"),
    [
        (lambda e: e.pop("invokingEvent"), "invokingEvent"),
        (lambda e: e.update(invokingEvent="{not json"), "invokingEvent"),
        (lambda e: e.update(ruleParameters="{not json"), "ruleParameters"),
        (
            lambda e: e.update(ruleParameters=json.dumps({"desiredInstanceType": "  "})),
            "ruleParameters.desiredInstanceType",
        ),
        (lambda e: e.update(invokingEvent=json.dumps({"messageType": "Nonsense"})), "invokingEvent.messageType"),
        (lambda e: e.pop("resultToken"), "resultToken"),
        (lambda e: e.update(configRuleName="not-a-check"), "CLOUDSWEEP_CHECK"),
    ],
)
def test_bad_input_is_one_clear_error_naming_the_field(aws_env: Emulator, mutate: Any, field_name: str) -> None:
    event = scheduled_event()
    mutate(event)
    with pytest.raises(EventError) as excinfo:
        handler(event, None)
    assert excinfo.value.field == field_name


def test_the_result_token_is_never_logged_in_full(account: dict[str, Any]) -> None:
    from structlog.testing import capture_logs

    secret_token = f"{RULE}:" + "x" * 60
    with capture_logs() as logs:
        handler(scheduled_event(token=secret_token), None)
    rendered = json.dumps(logs, default=str)
    assert secret_token not in rendered
    assert any(entry.get("result_token") == secret_token[:8] + "…" for entry in logs)


SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": MANAGEMENT_ACCOUNT,
    "time": "2026-11-23T12:00:00Z",
    "region": "us-east-1",
    "resources": [f"arn:aws:events:us-east-1:{MANAGEMENT_ACCOUNT}:rule/cloudsweep-nightly"],
    "detail": {},
}


def s3_objects(s3: Any, bucket: str) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {entry["Key"]: s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read() for entry in listed}


@pytest.mark.slow
def test_a_scheduled_event_runs_a_whole_scan_into_s3(
    account: dict[str, Any], boto_session: Any, aws_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = client(boto_session, "s3", aws_env.endpoint_url)
    s3.create_bucket(Bucket="scan-results")
    monkeypatch.setenv("CLOUDSWEEP_OUTPUT_S3", "s3://scan-results/nightly")
    monkeypatch.setenv(
        "CLOUDSWEEP_SCAN_ARGS",
        "--regions us-east-1 --checks desired-instance-type --param desired-instance-type.desiredInstanceType=t3.micro",
    )

    summary = handler(SCHEDULED_EVENT, None)

    objects = s3_objects(s3, "scan-results")
    keys = sorted(objects)
    assert len(keys) == 2
    assert keys[0].startswith("nightly/")
    assert keys[0].endswith(f"/{MANAGEMENT_ACCOUNT}.jsonl")
    assert keys[1].endswith("/summary.json")
    lines = [json.loads(line) for line in objects[keys[0]].decode().splitlines()]
    assert len(lines) == summary["evaluations"] == 112
    assert sum(1 for line in lines if line["compliance"] == "NON_COMPLIANT") == 2
    assert json.loads(objects[keys[1]])["totals"]["evaluations"] == 112
    assert summary["output"] == "s3://scan-results/" + keys[0].rsplit("/", 1)[0] + "/"


def test_a_distributed_map_item_scans_just_its_accounts(
    aws_env: Emulator, boto_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = assumed_session(boto_session, aws_env.endpoint_url, MEMBER)
    client(member, "ec2", aws_env.endpoint_url).run_instances(
        ImageId=AMI, MinCount=3, MaxCount=3, InstanceType="t3.micro"
    )
    client(boto_session, "ec2", aws_env.endpoint_url).run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro"
    )
    s3 = client(boto_session, "s3", aws_env.endpoint_url)
    s3.create_bucket(Bucket="scan-results")
    monkeypatch.setenv("CLOUDSWEEP_OUTPUT_S3", "s3://scan-results")
    monkeypatch.setenv(
        "CLOUDSWEEP_SCAN_ARGS",
        "--regions us-east-1 --role-name OrganizationAccountAccessRole --checks desired-instance-type "
        "--param desired-instance-type.desiredInstanceType=t3.micro",
    )

    summary = handler({"accounts": [MEMBER]}, None)

    keys = sorted(s3_objects(s3, "scan-results"))
    assert [key.rsplit("/", 1)[1] for key in keys] == [f"{MEMBER}.jsonl", "summary.json"]
    assert summary["evaluations"] == 3


def test_a_scheduled_scan_without_an_output_is_a_clear_error(
    aws_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDSWEEP_OUTPUT_S3", raising=False)
    with pytest.raises(EventError) as excinfo:
        handler(SCHEDULED_EVENT, None)
    assert excinfo.value.field == "CLOUDSWEEP_OUTPUT_S3"
    monkeypatch.setenv("CLOUDSWEEP_OUTPUT_S3", "s3://bucket")
    monkeypatch.setenv("CLOUDSWEEP_SCAN_ARGS", "--regions mars-1")
    with pytest.raises(EventError) as excinfo:
        handler(SCHEDULED_EVENT, None)
    assert excinfo.value.field == "CLOUDSWEEP_SCAN_ARGS"


def test_events_built_by_rdklib_test_helpers(account: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import rdklibtest

    # CLOUDSWEEP_CHECK says which check "myrule" runs.
    # rdklibtest names the rule "myrule" (the periodic cleanup reads its past results) but carries the token "token":
    # in the emulator a token is its rule's name, so both rules exist here.
    put_rule(account["config"], name="token")
    put_rule(account["config"], name="myrule")
    monkeypatch.setenv("CLOUDSWEEP_CHECK", RULE)
    # rdklibtest serialises both itself: it takes Python objects.
    parameters = {"desiredInstanceType": "t3.micro"}

    scheduled = rdklibtest.create_test_scheduled_event(parameters)
    handler(scheduled, None)
    assert len(results(account["config"], rule="token")) == 112

    item = instance_item(account["ec2"], account["small"][0])
    changed = rdklibtest.create_test_configurationchange_event(
        {"configurationItem": item, "messageType": "ConfigurationItemChangeNotification"}, parameters
    )
    handler(changed, None)
    stored = account["config"].get_compliance_details_by_config_rule(ConfigRuleName="token", Limit=100)[
        "EvaluationResults"
    ]
    ordering = {
        r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: r["EvaluationResultIdentifier"][
            "OrderingTimestamp"
        ]
        for r in stored
    }
    # The scheduled run stamped rdklibtest's notification time (botocore sends whole seconds); the change event,
    # the item's capture time.
    assert ordering[account["small"][1]] == datetime(2017, 12, 23, 22, 11, 18, tzinfo=UTC)
    assert ordering[account["small"][0]] == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_a_change_event_reads_the_related_data_its_check_needs(aws_env: Emulator, boto_session: Any) -> None:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    config = client(boto_session, "config", aws_env.endpoint_url)
    group = ec2.create_security_group(GroupName="ssh-open", Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SecurityGroupIds=[group])["Instances"][0]
    put_rule(config, name="ec2-exposed-instance", parameters={"ssh": "22"})
    item = instance_item(ec2, instance["InstanceId"])
    item["configuration"]["securityGroups"] = [{"groupId": group, "groupName": "ssh-open"}]
    event = {
        **change_event(item, token="ec2-exposed-instance"),
        "configRuleName": "ec2-exposed-instance",
        "ruleParameters": json.dumps({"ssh": "22"}),
    }

    handler(event, None)

    assert results(config, rule="ec2-exposed-instance") == {
        instance["InstanceId"]: ("NON_COMPLIANT", f"{group} allows tcp 22 from 0.0.0.0/0 (forbidden 22)")
    }


def oversized_event(summary: dict[str, Any], left_scope: bool = False) -> dict[str, Any]:
    return {
        **scheduled_event(),
        "eventLeftScope": left_scope,
        "invokingEvent": json.dumps(
            {
                "configurationItemSummary": summary,
                "messageType": "OversizedConfigurationItemChangeNotification",
                "notificationCreationTime": NOTIFICATION_TIME,
                "recordVersion": "1.0",
            }
        ),
    }


@pytest.mark.parametrize(("status", "left_scope"), [("ResourceDeleted", False), ("OK", True)])
def test_an_oversized_item_that_does_not_apply_is_not_fetched(
    aws_env: Emulator, boto_session: Any, status: str, left_scope: bool
) -> None:
    config = client(boto_session, "config", aws_env.endpoint_url)
    put_rule(config)
    # The resource was never recorded: fetching its history would fail with ResourceNotDiscoveredException.
    summary = {
        "configurationItemCaptureTime": "2026-11-23T09:30:00.000Z",
        "awsAccountId": MANAGEMENT_ACCOUNT,
        "configurationItemStatus": status,
        "resourceType": "AWS::EC2::Instance",
        "resourceId": "i-0000000000000dead",
        "awsRegion": "us-east-1",
    }
    handler(oversized_event(summary, left_scope), None)
    assert results(config)["i-0000000000000dead"][0] == "NOT_APPLICABLE"


@pytest.mark.parametrize(
    ("invoking", "field_name"),
    [
        (
            {"messageType": "ConfigurationItemChangeNotification", "configurationItem": "not an item"},
            "invokingEvent.configurationItem",
        ),
        (
            {
                "messageType": "ConfigurationItemChangeNotification",
                "configurationItem": {
                    "resourceType": "AWS::EC2::Instance",
                    "resourceId": "i-1",
                    "supplementaryConfiguration": ["x"],
                },
            },
            "invokingEvent.configurationItem",
        ),
        (
            {
                "messageType": "ConfigurationItemChangeNotification",
                "configurationItem": {"resourceType": "AWS::EC2::Instance", "resourceId": "i-1", "relationships": 5},
            },
            "invokingEvent.configurationItem",
        ),
        (
            {
                "messageType": "OversizedConfigurationItemChangeNotification",
                "configurationItemSummary": {"resourceId": "i-1"},
            },
            "invokingEvent.configurationItemSummary",
        ),
    ],
)
def test_malformed_items_are_clear_errors(aws_env: Emulator, invoking: dict[str, Any], field_name: str) -> None:
    event = {**scheduled_event(), "invokingEvent": json.dumps(invoking)}
    with pytest.raises(EventError) as excinfo:
        handler(event, None)
    assert excinfo.value.field == field_name


@pytest.mark.parametrize(
    ("mutate", "field_name"),
    [
        (
            lambda e: e.update(ruleParameters=json.dumps({"desiredInstanceType": 5})),
            "ruleParameters.desiredInstanceType",
        ),
        (lambda e: e.update(resultToken=12345), "resultToken"),
        (lambda e: e.update(configRuleArn=5), "configRuleArn"),
    ],
)
def test_fields_of_the_wrong_type_are_named(aws_env: Emulator, mutate: Any, field_name: str) -> None:
    event = scheduled_event()
    mutate(event)
    with pytest.raises(EventError) as excinfo:
        handler(event, None)
    assert excinfo.value.field == field_name


def test_other_aws_errors_name_the_call_not_the_account_internals(account: dict[str, Any], aws_env: Emulator) -> None:
    aws_env.faults.add(FaultRule.access_denied(operation="PutEvaluations"))
    with pytest.raises(RuleRuntimeError) as excinfo:
        handler(scheduled_event(), None)
    message = str(excinfo.value)
    assert message == "config:put_evaluations failed with AccessDeniedException"
    assert MANAGEMENT_ACCOUNT not in message


def test_the_rdklib_execution_role_name_is_assumed_in_the_event_account(aws_env: Emulator, boto_session: Any) -> None:
    member = assumed_session(boto_session, aws_env.endpoint_url, MEMBER)
    client(member, "ec2", aws_env.endpoint_url).run_instances(
        ImageId=AMI, MinCount=2, MaxCount=2, InstanceType="t3.micro"
    )
    member_config = client(member, "config", aws_env.endpoint_url)
    put_rule(member_config)
    counter = aws_env.faults.install(FaultRule.latency(1, account=MEMBER, operation="AssumeRole"))
    parameters = {"desiredInstanceType": "t3.micro", "AssumeRoleMode": "true", "ExecutionRoleName": "cloudsweep-config"}
    event = {
        **scheduled_event(parameters=parameters, account=MEMBER),
        "executionRoleArn": "arn:aws:iam::999999999999:role/x",
    }

    handler(event, None)

    assert len(results(member_config)) == 2
    assert next(active.injected for active in aws_env.faults.rules() if active.id == counter.id) == 1


def test_a_scheduled_scan_with_failures_writes_what_it_has_and_fails_loudly(
    account: dict[str, Any], boto_session: Any, aws_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = client(boto_session, "s3", aws_env.endpoint_url)
    s3.create_bucket(Bucket="scan-results")
    monkeypatch.setenv("CLOUDSWEEP_OUTPUT_S3", "s3://scan-results")
    monkeypatch.setenv(
        "CLOUDSWEEP_SCAN_ARGS",
        "--regions us-east-1,eu-west-1 --checks desired-instance-type "
        "--param desired-instance-type.desiredInstanceType=t3.micro",
    )
    aws_env.faults.add(FaultRule.access_denied(region="eu-west-1", operation="ListDiscoveredResources"))

    with pytest.raises(RuleRuntimeError, match="scan incomplete"):
        handler(SCHEDULED_EVENT, None)

    summary_key = next(key for key in s3_objects(s3, "scan-results") if key.endswith("summary.json"))
    summary = json.loads(s3_objects(s3, "scan-results")[summary_key])
    assert summary["totals"]["evaluations"] == 112
    assert summary["totals"]["targets_failed"] == 1


def test_a_scan_configuration_that_only_asks_for_help_is_an_error(
    aws_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDSWEEP_OUTPUT_S3", "s3://bucket")
    for arguments in ("--help", "--regions 'us-east-1"):
        monkeypatch.setenv("CLOUDSWEEP_SCAN_ARGS", arguments)
        with pytest.raises(EventError) as excinfo:
            handler(SCHEDULED_EVENT, None)
        assert excinfo.value.field == "CLOUDSWEEP_SCAN_ARGS"
