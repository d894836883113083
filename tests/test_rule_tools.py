"""`cloudsweep rule-json`, `event` and `invoke` together: a rule made, an event printed, the handler run locally."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from cloudsweep_emulator.server import Emulator

from scanner.cli import cli
from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import REFERENCE_ITEMS, client

AMI = "ami-0123456789abcdef0"
FUNCTION = f"arn:aws:lambda:us-east-1:{MANAGEMENT_ACCOUNT}:function:cloudsweep"


def run(*arguments: str) -> Any:
    result = CliRunner().invoke(cli, list(arguments))
    return result


def test_rule_json_event_and_invoke_work_together(aws_env: Emulator, boto_session: Any, tmp_path: Path) -> None:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    config = client(boto_session, "config", aws_env.endpoint_url)
    small = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2, InstanceType="t3.micro")["Instances"]
    large = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="m5.large")["Instances"]

    rule = run(
        "rule-json",
        "--check",
        "desired-instance-type",
        "--function-arn",
        FUNCTION,
        "--periodic",
        "One_Hour",
        "--rule-name",
        "instance-types",
        "--param",
        "desiredInstanceType=t3.micro",
    )
    assert rule.exit_code == 0, rule.output
    config.put_config_rule(**json.loads(rule.output))
    event = run(
        "event",
        "scheduled",
        "--check",
        "desired-instance-type",
        "--rule-name",
        "instance-types",
        "--param",
        "desiredInstanceType=t3.micro",
    )
    assert event.exit_code == 0, event.output
    event_file = tmp_path / "event.json"
    event_file.write_text(event.output)

    unnamed = run("invoke", "--event", str(event_file), "--endpoint-url", aws_env.endpoint_url)
    invoked = run(
        "invoke", "--event", str(event_file), "--endpoint-url", aws_env.endpoint_url, "--check", "desired-instance-type"
    )

    assert unnamed.exit_code == 2
    assert "CLOUDSWEEP_CHECK" in unnamed.output

    assert invoked.exit_code == 0, invoked.output
    assert json.loads(invoked.stdout)["NON_COMPLIANT"] == 1
    stored = config.get_compliance_details_by_config_rule(ConfigRuleName="instance-types")["EvaluationResults"]
    assert sorted(
        (r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"], r["ComplianceType"])
        for r in stored
    ) == sorted([(i["InstanceId"], "COMPLIANT") for i in small] + [(large[0]["InstanceId"], "NON_COMPLIANT")])


def test_rule_json_shapes() -> None:
    change = json.loads(run("rule-json", "--check", "ec2-exposed-instance", "--function-arn", FUNCTION).output)
    account = json.loads(
        run(
            "rule-json",
            "--check",
            "resource-count-max",
            "--function-arn",
            FUNCTION,
            "--param",
            "applicableResourceType=AWS::EC2::Instance",
        ).output
    )
    assert change["ConfigRule"]["Scope"] == {"ComplianceResourceTypes": ["AWS::EC2::Instance"]}
    assert [d["MessageType"] for d in change["ConfigRule"]["Source"]["SourceDetails"]] == [
        "ConfigurationItemChangeNotification",
        "OversizedConfigurationItemChangeNotification",
    ]
    assert "Scope" not in account["ConfigRule"]
    assert account["ConfigRule"]["Source"]["SourceDetails"][0]["MaximumExecutionFrequency"] == "TwentyFour_Hours"


def test_a_change_event_from_a_reference_item_is_in_the_invocation_model() -> None:
    reference = REFERENCE_ITEMS / "AWS_EC2_Instance.json"
    result = run("event", "change", "--check", "desired-instance-type", "--item", str(reference))
    assert result.exit_code == 0, result.output
    event = json.loads(result.output)
    item = json.loads(event["invokingEvent"])["configurationItem"]
    assert item["awsAccountId"] == "681361479661"
    assert item["ARN"].startswith("arn:aws:ec2:")
    assert "accountId" not in item
    assert event["resultToken"].startswith("desired-instance-type:")
    assert event["configRuleArn"].startswith("arn:aws:config:us-east-1:681361479661:")


def test_bad_events_and_parameters_are_usage_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"invokingEvent": "{not json"}')
    invalid = tmp_path / "invalid.json"
    invalid.write_text("{nope")
    assert run("invoke", "--event", str(broken)).exit_code == 2
    assert "invokingEvent" in run("invoke", "--event", str(broken)).output
    assert run("invoke", "--event", str(invalid)).exit_code == 2
    assert run("event", "scheduled", "--check", "resource-count-max", "--param", "maxCount=-1").exit_code == 2
    assert run("event", "change", "--check", "resource-count-max").exit_code == 2
    unreadable = REFERENCE_ITEMS / "AWS_EC2_NetworkInterface.json"
    failed = run("event", "change", "--check", "desired-instance-type", "--item", str(unreadable))
    assert failed.exit_code == 2
    assert "AWS_EC2_NetworkInterface.json" in failed.output
