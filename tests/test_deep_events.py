"""Rule events nested too deeply are the handlers' EventError, naming the field, on Lambda and Function Compute alike:
never a RecursionError, and never a check run on a document no real event has."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from cloudsweep_emulator.server import Emulator

import scanner.function_compute
from scanner.errors import EventError
from scanner.lambda_handler import handler
from scanner.testing.alibaba import alibaba_item_document, change_event
from tests.conftest import MANAGEMENT_ACCOUNT

TIME = "2026-11-23T10:00:00.000Z"


def nested(depth: int) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for _ in range(depth - 1):
        document = {"a": document}
    return document


def aws_change_event(configuration: dict[str, Any], *, invoking_as_text: bool) -> dict[str, Any]:
    item = {
        "configurationItemVersion": "1.3",
        "awsAccountId": MANAGEMENT_ACCOUNT,
        "configurationItemCaptureTime": TIME,
        "configurationItemStatus": "OK",
        "resourceType": "AWS::EC2::Instance",
        "resourceId": "i-0123456789abcdef0",
        "awsRegion": "us-east-1",
        "tags": {},
        "relationships": [],
        "configuration": configuration,
        "supplementaryConfiguration": {},
    }
    invoking = {
        "configurationItem": item,
        "notificationCreationTime": TIME,
        "messageType": "ConfigurationItemChangeNotification",
        "recordVersion": "1.3",
    }
    return {
        "invokingEvent": json.dumps(invoking) if invoking_as_text else invoking,
        "ruleParameters": json.dumps({"tag1Key": "env"}),
        "resultToken": "required-tags:token",
        "eventLeftScope": False,
        "configRuleArn": f"arn:aws:config:us-east-1:{MANAGEMENT_ACCOUNT}:config-rule/config-rule-0123456",
        "configRuleName": "required-tags",
        "accountId": MANAGEMENT_ACCOUNT,
    }


@pytest.mark.parametrize("invoking_as_text", [True, False], ids=["json-string", "object"])
def test_the_lambda_handler_refuses_a_deeply_nested_invoking_event(aws_env: Emulator, invoking_as_text: bool) -> None:
    within = aws_change_event(nested(20), invoking_as_text=invoking_as_text)
    within["resultToken"] = "TESTMODE"  # evaluated, not stored
    summary = handler(within, None)
    assert (summary["check"], summary["evaluations"], summary["NON_COMPLIANT"]) == ("required-tags", 1, 1)
    # 500 levels: json.loads and the check would cope, so only the bound stops it.
    event = aws_change_event(nested(500), invoking_as_text=invoking_as_text)
    with pytest.raises(EventError) as raised:
        handler(event, None)
    assert raised.value.field == ("invokingEvent" if invoking_as_text else "event")
    assert "nested deeper than 100 levels" in str(raised.value)


def test_the_lambda_handler_refuses_an_invoking_event_too_deep_for_python(aws_env: Emulator) -> None:
    event = aws_change_event({}, invoking_as_text=True)
    event["invokingEvent"] = "[" * 100_000 + "]" * 100_000
    with pytest.raises(EventError) as raised:
        handler(event, None)
    assert str(raised.value) == "invokingEvent: is not valid JSON (nested deeper than 100 levels)"


CONTEXT = SimpleNamespace(
    credentials=SimpleNamespace(
        access_key_id="STS.NUgYrLnoC37mZZCNnAbez2Fn1",
        access_key_secret="Example0Secret0Example0Secret00",
        security_token="t",
    ),
    region="cn-hangzhou",
)


@pytest.mark.parametrize("depth", [500, 100_000])
def test_the_function_compute_handler_refuses_a_deeply_nested_event(
    monkeypatch: pytest.MonkeyPatch, depth: int
) -> None:
    monkeypatch.setenv("CLOUDSWEEP_CHECK", "ecs-instance-image-approved")
    monkeypatch.setenv("CLOUDSWEEP_ALIBABA_ENDPOINT", "http://127.0.0.1:9")
    item = alibaba_item_document("ACS::ECS::Instance", configuration={"ImageId": "m-1"})
    text = json.dumps(change_event(item, {"imageIds": "m-1"}))
    deep = "[" * depth + "]" * depth
    text = text.replace('"configuration": ', f'"configuration": {{"Deep": {deep}, "ImageId": "m-1"}}, "was": ', 1)
    with pytest.raises(EventError) as raised:
        scanner.function_compute.handler(text.encode(), CONTEXT)
    assert raised.value.field == "event"
    assert "nested deeper than 100 levels" in str(raised.value)
