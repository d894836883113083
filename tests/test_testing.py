"""scanner.testing: reference items with overrides, events, a check run as a scan runs it, one exact assertion."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.model import Compliance, Evaluation
from scanner.registry import ExtraData, ParameterError
from scanner.rules.aws_config import RuleEvent, handle
from scanner.testing import (
    DELETE,
    assert_evaluations,
    change_event,
    reference_document,
    reference_item,
    reference_types,
    run_check,
    scheduled_event,
    snapshot,
)
from tests.support import client
from tests.test_plugins import check_source, write

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DESIRED = BUILTIN.get("desired-instance-type")


def test_a_reference_item_keeps_the_example_and_applies_overrides() -> None:
    plain = reference_item("AWS::EC2::Instance")
    assert (plain.resource_id, plain.account_id, plain.configuration["instanceType"]) == (
        "i-03402838daac1d611",
        "681361479661",
        "t2.micro",
    )
    changed = reference_item(
        "AWS::EC2::Instance",
        resourceId="i-new",
        tags={"team": "data"},
        configuration={"instanceType": "m5.large", "state": {"name": "stopped"}, "publicIpAddress": DELETE},
    )
    assert changed.resource_id == "i-new"
    assert changed.tags == {"team": "data"}
    assert changed.configuration["instanceType"] == "m5.large"
    assert changed.configuration["state"] == {"code": 16, "name": "stopped"}, "nested objects merge"
    assert "publicIpAddress" not in changed.configuration
    assert plain.configuration["instanceType"] == "t2.micro", "the example itself is never changed"
    assert reference_item("AWS::EC2::Volume", configurationItemStatus="ResourceDeleted").deleted


def test_every_listed_reference_type_builds_under_its_aws_config_name() -> None:
    types = reference_types()
    # 80 files: 6 are not parseable items (Python reprs for timestamps, broken JSON) and are not offered.
    assert len(types) == 74
    assert {"AWS::Lambda::Function", "AWS::CloudTrail::Trail", "AWS::Route53::HostedZone"} <= set(types)
    assert all(reference_item(resource_type).resource_type == resource_type for resource_type in types)


def test_an_unknown_reference_type_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"no reference item for 'AWS::EC2::Nothing' \(known: AWS::ApiGateway::"):
        reference_item("AWS::EC2::Nothing")
    with pytest.raises(ValueError, match="no reference item for 'AWS::EC2::NetworkInterface'"):
        reference_item("AWS::EC2::NetworkInterface")


def test_run_check_evaluates_each_item_of_the_checks_types_with_parsed_parameters() -> None:
    small = reference_item("AWS::EC2::Instance", resourceId="i-small")
    large = reference_item("AWS::EC2::Instance", resourceId="i-large", configuration={"instanceType": "m5.large"})
    bucket = reference_item("AWS::S3::Bucket")
    evaluations = run_check(DESIRED, [small, large, bucket], {"desiredInstanceType": "t2.micro"}, now=NOW)
    assert evaluations == [
        Evaluation("681361479661", "us-east-1", DESIRED.id, "AWS::EC2::Instance", "i-small", Compliance.COMPLIANT,
                   "instance type t2.micro is desired", NOW),
        Evaluation("681361479661", "us-east-1", DESIRED.id, "AWS::EC2::Instance", "i-large", Compliance.NON_COMPLIANT,
                   "instance type m5.large is not one of t2.micro", NOW),
    ]  # fmt: skip
    with pytest.raises(ParameterError, match="check desired-instance-type, parameter desiredInstanceType: is required"):
        run_check(DESIRED, [small])


def test_an_account_check_runs_once_on_a_snapshot_with_extra_data() -> None:
    check = BUILTIN.get("iam-password-policy")
    state = snapshot(account_id="111122223333", now=NOW, extra={ExtraData.IAM_PASSWORD_POLICY: None})
    assert run_check(check, state) == [
        Evaluation("111122223333", "us-east-1", check.id, "AWS::::Account", "111122223333", Compliance.NON_COMPLIANT,
                   "the account has no IAM password policy", NOW)
    ]  # fmt: skip


def test_assert_evaluations_lists_every_difference_at_once() -> None:
    evaluations = run_check(
        DESIRED,
        [reference_item("AWS::EC2::Instance", resourceId=name) for name in ("i-1", "i-2", "i-3")],
        {"desiredInstanceType": "t3.micro"},
    )
    assert_evaluations(evaluations, {"i-1": "NON_COMPLIANT", "i-2": Compliance.NON_COMPLIANT, "i-3": "NON_COMPLIANT"})
    with pytest.raises(AssertionError) as raised:
        assert_evaluations(
            evaluations,
            {
                "i-1": "COMPLIANT",
                "i-2": ("NON_COMPLIANT", "wrong words"),
                "i-4": "NOT_APPLICABLE",
            },
        )
    assert str(raised.value) == (
        "evaluations differ:\n"
        "  i-1: NON_COMPLIANT, wanted COMPLIANT (annotation: 'instance type t2.micro is not one of t3.micro')\n"
        "  i-2: annotation 'instance type t2.micro is not one of t3.micro', wanted 'wrong words'\n"
        "  i-4: not evaluated (wanted NOT_APPLICABLE)\n"
        "  i-3: unexpected NON_COMPLIANT"
    )
    with pytest.raises(AssertionError, match="i-1: evaluated more than once"):
        assert_evaluations([*evaluations, evaluations[0]], {"i-1": "NON_COMPLIANT"})


def test_events_parse_as_the_lambda_handler_parses_them() -> None:
    document = reference_document("AWS::EC2::Instance", resourceId="i-event")
    change = RuleEvent.parse(change_event(DESIRED, document, {"desiredInstanceType": "t3.micro"}), {})
    assert change.message_type.value == "ConfigurationItemChangeNotification"
    assert change.invoking_event["configurationItem"]["resourceId"] == "i-event"
    assert change.rule_parameters == {"desiredInstanceType": "t3.micro"}
    oversized = RuleEvent.parse(change_event(DESIRED, document, oversized=True), {})
    assert oversized.message_type.value == "OversizedConfigurationItemChangeNotification"
    periodic = RuleEvent.parse(scheduled_event(DESIRED, rule_name="my-rule", account="111122223333"), {})
    assert (periodic.message_type.value, periodic.rule_name, periodic.account_id) == (
        "ScheduledNotification",
        "my-rule",
        "111122223333",
    )


def test_a_user_check_runs_in_the_lambda_handler_from_its_directory(
    aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    write(tmp_path / "mine", "mine.py", check_source("user-mine"))
    config = client(boto_session, "config", aws_env.endpoint_url)
    config.put_config_rule(
        ConfigRule={
            "ConfigRuleName": "user-mine",
            "Source": {
                "Owner": "CUSTOM_LAMBDA",
                "SourceIdentifier": "arn:aws:lambda:us-east-1:123456789012:function:cloudsweep",
                "SourceDetails": [{"EventSource": "aws.config", "MessageType": "ScheduledNotification"}],
            },
        }
    )
    account = client(boto_session, "sts", aws_env.endpoint_url).get_caller_identity()["Account"]
    from scanner.plugins import load_registry

    check = load_registry([tmp_path / "mine"]).get("user-mine")
    event = json.loads(json.dumps(scheduled_event(check, account=account)))
    environment = {"CLOUDSWEEP_CHECKS_DIR": str(tmp_path / "mine"), "AWS_ENDPOINT_URL": aws_env.endpoint_url}
    summary = anyio.run(handle, event, environment)
    assert summary["evaluations"] == 1
    details = config.get_compliance_details_by_config_rule(ConfigRuleName="user-mine")["EvaluationResults"]
    assert [(result["ComplianceType"], result["Annotation"]) for result in details] == [
        ("NON_COMPLIANT", f"user-mine says no to {account}")
    ]
