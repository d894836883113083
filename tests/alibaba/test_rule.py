"""The Function Compute rule handler against a local Cloud Config endpoint, through the official SDK.

Every request the SDK sends is checked by the endpoint (signature, action, version, parameters); what it answers
has the documented shapes. The tests assert on what reached the endpoint: the evaluations put, and the calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from cloudsweep_emulator.alibaba_config import (
    AlibabaConfigEndpoint,
    DiscoveredResource,
    Fault,
    garbled,
    malformed,
    server_error,
    throttling,
    unavailable,
)
from structlog.testing import capture_logs

import scanner.function_compute
from scanner.alibaba.config_api import ALIBABA_RETRY, AlibabaCredentials, AlibabaSettings
from scanner.errors import EventError, RuleRuntimeError
from scanner.rules.alibaba_config import PUT_BATCH, handle
from scanner.testing.alibaba import DEFAULT_ACCOUNT, alibaba_item_document, change_event, scheduled_event
from tests.alibaba.conftest import KEY_ID, LONG_TERM_KEY_ID, SECRET, SECURITY_TOKEN

IMAGE_CHECK = {"CLOUDSWEEP_CHECK": "ecs-instance-image-approved"}
APPROVED = "m-bp1approvedimage001"
ORDERING = 1795000000000  # the event's orderingTimestamp, ms
INSTANCE = "ACS::ECS::Instance"


def run(
    event: Mapping[str, Any] | bytes,
    credentials: AlibabaCredentials,
    settings: AlibabaSettings,
    environment: Mapping[str, str] = IMAGE_CHECK,
) -> dict[str, Any]:
    raw = event if isinstance(event, bytes) else json.dumps(event).encode()
    return anyio.run(lambda: handle(raw, credentials, "cn-hangzhou", environment, settings=settings))


def expected_wire(
    resource_id: str,
    compliance: str,
    annotation: str,
    *,
    name: str | None = None,
    region: str = "cn-hangzhou",
    resource_type: str = INSTANCE,
) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "accountId": DEFAULT_ACCOUNT,
        "complianceResourceId": resource_id,
        "complianceResourceType": resource_type,
        "complianceRegionId": region,
        "complianceType": compliance,
        "orderingTimestamp": ORDERING,
        "annotation": annotation,
    }
    if name:
        wire["complianceResourceName"] = name
    return wire


def change(endpoint: AlibabaConfigEndpoint, item: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
    parameters = kwargs.pop("parameters", {"imageIds": APPROVED})
    event = change_event(item, parameters, ordering_timestamp=ORDERING, **kwargs)
    endpoint.result_tokens.add(event["resultToken"])
    return event


def instance(resource_id: str, image: str, *, region: str = "cn-hangzhou", deleted: bool = False) -> DiscoveredResource:
    return DiscoveredResource(
        DEFAULT_ACCOUNT,
        region,
        INSTANCE,
        resource_id,
        {"InstanceId": resource_id, "ImageId": image, "Status": "Running", "RegionId": region},
        resource_name=f"name-{resource_id}",
        resource_status="Running",
        deleted=deleted,
    )


# --- change notifications: the approved-image rule's three outcomes -------------------------------------------


def test_an_instance_of_an_approved_image_is_put_compliant(endpoint, credentials, settings) -> None:
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    summary = run(event, credentials, settings)
    assert endpoint.put(event["resultToken"]) == [
        expected_wire("i-bp12g4xbl4i0brkn7x3a", "COMPLIANT", f"image {APPROVED} is approved", name="web-1")
    ]
    assert summary == {
        "check": "ecs-instance-image-approved",
        "evaluations": 1,
        "failures": 0,
        "calls": {"PutEvaluations": 1},
        "COMPLIANT": 1,
        "NON_COMPLIANT": 0,
        "NOT_APPLICABLE": 0,
    }
    assert [call.action for call in endpoint.calls] == ["PutEvaluations"]


def test_an_instance_of_another_image_is_put_non_compliant_even_when_the_id_is_a_substring(
    endpoint, credentials, settings
) -> None:
    # The sample's `image_id in configuration_item` passes this one: "m-bp1approvedimage00" is in the item.
    item = alibaba_item_document(
        INSTANCE, configuration={"ImageId": "m-bp1approvedimage00", "Description": f"built from {APPROVED}"}
    )
    event = change(endpoint, item)
    run(event, credentials, settings)
    assert endpoint.put(event["resultToken"]) == [
        expected_wire(
            "i-bp12g4xbl4i0brkn7x3a",
            "NON_COMPLIANT",
            f"image m-bp1approvedimage00 is not one of {APPROVED}",
            name="web-1",
        )
    ]


@pytest.mark.parametrize(
    ("item", "configuration_type", "annotation"),
    [
        (
            alibaba_item_document("ACS::ECS::Disk"),
            "COMMON",
            "ecs-instance-image-approved does not evaluate ACS::ECS::Disk",
        ),
        (
            alibaba_item_document(INSTANCE, resourceDeleted=0),
            "COMMON",
            "the resource is deleted (Cloud Config holds no configuration for it)",
        ),
        (
            {k: v for k, v in alibaba_item_document(INSTANCE).items() if k != "configuration"},
            "NONE",
            "the resource is deleted (Cloud Config holds no configuration for it)",
        ),
    ],
    ids=["another-type", "deleted", "no-configuration"],
)
def test_other_types_and_deleted_resources_are_put_not_applicable(
    endpoint, credentials, settings, item, configuration_type, annotation
) -> None:
    event = change(endpoint, item, configuration_type=configuration_type)
    run(event, credentials, settings)
    put = endpoint.put(event["resultToken"])
    assert [(e["complianceResourceType"], e["complianceType"], e["annotation"]) for e in put] == [
        (item["resourceType"], "NOT_APPLICABLE", annotation)
    ]
    assert [call.action for call in endpoint.calls] == ["PutEvaluations"], "nothing is read for them"


def test_an_oversized_item_is_read_with_get_discovered_resource(endpoint, credentials, settings) -> None:
    endpoint.resources.append(instance("i-bp12g4xbl4i0brkn7x3a", APPROVED))
    item = {k: v for k, v in alibaba_item_document(INSTANCE, configuration={"ImageId": "m-old"}).items()}
    del item["configuration"]
    event = change(endpoint, item, configuration_type="OVERSIZE")
    run(event, credentials, settings)
    get = endpoint.calls_of("GetDiscoveredResource")
    assert [dict(call.parameters) for call in get] == [
        {"ResourceId": "i-bp12g4xbl4i0brkn7x3a", "ResourceType": INSTANCE, "Region": "cn-hangzhou"}
    ]
    assert endpoint.put(event["resultToken"]) == [
        expected_wire(
            "i-bp12g4xbl4i0brkn7x3a", "COMPLIANT", f"image {APPROVED} is approved", name="name-i-bp12g4xbl4i0brkn7x3a"
        )
    ]


def test_a_scheduled_notification_carrying_an_item_evaluates_that_item_only(endpoint, credentials, settings) -> None:
    endpoint.resources.extend(instance(f"i-{n}", APPROVED) for n in range(3))
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    event["invokingEvent"]["messageType"] = "ScheduledNotification"
    run(event, credentials, settings)
    assert [e["complianceResourceId"] for e in endpoint.put(event["resultToken"])] == ["i-bp12g4xbl4i0brkn7x3a"]
    assert endpoint.calls_of("ListDiscoveredResources") == []


# --- periodic: every resource of the account, listed page by page --------------------------------------------


def periodic_estate(endpoint: AlibabaConfigEndpoint) -> None:
    """231 live instances in two regions (a third of them unapproved), 2 deleted ones, and other types."""
    for n in range(231):
        region = "cn-hangzhou" if n % 2 else "cn-shanghai"
        endpoint.resources.append(instance(f"i-{n:04d}", "m-unapproved" if n % 3 == 0 else APPROVED, region=region))
    endpoint.resources.append(instance("i-gone-1", APPROVED, deleted=True))
    endpoint.resources.append(instance("i-gone-2", "m-unapproved", region="cn-shanghai", deleted=True))
    endpoint.resources.append(
        DiscoveredResource(DEFAULT_ACCOUNT, "cn-hangzhou", "ACS::ECS::Disk", "d-1", {"Encrypted": False})
    )


def scheduled(endpoint: AlibabaConfigEndpoint, parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
    event = scheduled_event({"imageIds": APPROVED} if parameters is None else parameters, ordering_timestamp=ORDERING)
    endpoint.result_tokens.add(event["resultToken"])
    return event


def test_a_scheduled_notification_evaluates_every_resource_on_every_page(endpoint, credentials, settings) -> None:
    periodic_estate(endpoint)
    event = scheduled(endpoint)
    summary = run(event, credentials, settings)
    put = endpoint.put(event["resultToken"])
    by_id = {e["complianceResourceId"]: e for e in put}
    assert len(put) == len(by_id) == 233, "each live and each deleted instance once"
    assert "d-1" not in by_id
    assert by_id["i-0000"] == expected_wire(
        "i-0000",
        "NON_COMPLIANT",
        f"image m-unapproved is not one of {APPROVED}",
        name="name-i-0000",
        region="cn-shanghai",
    )
    assert by_id["i-0001"] == expected_wire("i-0001", "COMPLIANT", f"image {APPROVED} is approved", name="name-i-0001")
    assert by_id["i-gone-2"] == expected_wire(
        "i-gone-2", "NOT_APPLICABLE", "the resource is deleted", name="name-i-gone-2", region="cn-shanghai"
    )
    assert summary["COMPLIANT"] == 154
    assert summary["NON_COMPLIANT"] == 77
    assert summary["NOT_APPLICABLE"] == 2
    # Three pages of live instances (100, 100, 31), one of deleted ones.
    listings = [dict(call.parameters) for call in endpoint.calls_of("ListDiscoveredResources")]
    assert [(p["ResourceTypes"], p["ResourceDeleted"], p["MaxResults"], "NextToken" in p) for p in listings] == [
        (INSTANCE, "1", "100", False),
        (INSTANCE, "1", "100", True),
        (INSTANCE, "1", "100", True),
        (INSTANCE, "0", "100", False),
    ]
    assert len(endpoint.calls_of("GetDiscoveredResource")) == 231
    batches = [len(json.loads(call.parameters["Evaluations"])) for call in endpoint.calls_of("PutEvaluations")]
    assert batches == [PUT_BATCH, PUT_BATCH, 33]
    assert {call.parameters["ResultToken"] for call in endpoint.calls_of("PutEvaluations")} == {event["resultToken"]}


def test_resources_are_read_concurrently_within_the_configured_limit(endpoint, credentials, settings) -> None:
    endpoint.resources.extend(instance(f"i-{n:02d}", APPROVED) for n in range(24))
    endpoint.latency = 0.05
    event = scheduled(endpoint)
    run(event, credentials, settings, {**IMAGE_CHECK, "CLOUDSWEEP_ALIBABA_CONCURRENCY": "4"})
    assert len(endpoint.put(event["resultToken"])) == 24
    assert endpoint.max_in_flight["GetDiscoveredResource"] == 4


def test_a_resource_that_cannot_be_read_fails_the_invocation_after_the_others_are_put(
    endpoint, credentials, settings
) -> None:
    endpoint.resources.extend(instance(f"i-{n}", APPROVED) for n in range(5))
    endpoint.fail(Fault("GetDiscoveredResource", 400, "NoPermission", "You are not authorized to do this operation."))
    event = scheduled(endpoint)
    with pytest.raises(
        RuleRuntimeError,
        match=r"^incomplete, 1 failures \(the 4 evaluations made were put\): ACS::ECS::Instance i-\d: NoPermission$",
    ):
        run(event, credentials, settings, {**IMAGE_CHECK, "CLOUDSWEEP_ALIBABA_CONCURRENCY": "1"})
    assert [e["complianceType"] for e in endpoint.put(event["resultToken"])] == ["COMPLIANT"] * 4
    assert [call.code for call in endpoint.calls_of("GetDiscoveredResource")].count("NoPermission") == 1


# --- SDK errors and retries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        throttling("PutEvaluations", 2),
        server_error("PutEvaluations", 2),
        unavailable("PutEvaluations", 2),
        garbled("PutEvaluations", 2),
    ],
    ids=["throttled", "500", "503", "not-json"],
)
def test_put_evaluations_is_retried_through_transient_failures(endpoint, credentials, settings, fault) -> None:
    endpoint.fail(fault)
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    with capture_logs() as logs:
        run(event, credentials, settings)
    assert [call.code for call in endpoint.calls_of("PutEvaluations")] == [fault.code, fault.code, None]
    assert len(endpoint.put(event["resultToken"])) == 1
    retries = [entry for entry in logs if entry["event"] == "alibaba call retried"]
    assert [(r["operation"], r["attempt"]) for r in retries] == [("PutEvaluations", 1), ("PutEvaluations", 2)]
    # A body that is not JSON: the SDK cannot parse it and raises UnretryableException (transport-like, retried).
    expected_code = "UnretryableException" if fault.garbled else fault.code
    assert [r["error_code"] for r in retries] == [expected_code, expected_code]
    assert retries[0]["throttled"] is (fault.code == "Throttling.User")


def test_listing_and_reading_are_retried_too(endpoint, credentials, settings) -> None:
    endpoint.resources.extend(instance(f"i-{n}", APPROVED) for n in range(3))
    endpoint.fail(throttling("ListDiscoveredResources"), unavailable("GetDiscoveredResource"))
    event = scheduled(endpoint)
    run(event, credentials, settings)
    assert len(endpoint.put(event["resultToken"])) == 3
    assert [call.code for call in endpoint.calls_of("ListDiscoveredResources")] == ["Throttling.User", None, None]
    assert [call.code for call in endpoint.calls_of("GetDiscoveredResource")].count("ServiceUnavailable") == 1


def test_throttling_that_outlasts_the_retries_fails_the_invocation(endpoint, credentials, settings) -> None:
    endpoint.fail(throttling("PutEvaluations", times=50))
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    with pytest.raises(RuleRuntimeError, match=r"^config:PutEvaluations failed with Throttling\.User$"):
        run(event, credentials, settings)
    assert len(endpoint.calls_of("PutEvaluations")) == settings.retry.max_attempts == 6
    assert endpoint.put(event["resultToken"]) == []


@pytest.mark.parametrize(
    ("prepare", "code"),
    [
        (lambda endpoint, event: endpoint.result_tokens.discard(event["resultToken"]), "Invalid.ResultToken"),
        (
            lambda endpoint, event: endpoint.fail(Fault("PutEvaluations", 400, "NoPermission", "not authorized")),
            "NoPermission",
        ),
    ],
    ids=["unknown-token", "no-permission"],
)
def test_client_errors_are_not_retried(endpoint, credentials, settings, prepare, code) -> None:
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    prepare(endpoint, event)
    with pytest.raises(RuleRuntimeError, match=rf"^config:PutEvaluations failed with {code}$"):
        run(event, credentials, settings)
    assert [call.code for call in endpoint.calls_of("PutEvaluations")] == [code]


def test_a_wrong_secret_is_refused_by_the_signature_check(endpoint, settings) -> None:
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    wrong = AlibabaCredentials(LONG_TERM_KEY_ID, "Xx0Xx9Xx8Xx7Xx6Xx5Xx4Xx3Xx2Xx1")
    with pytest.raises(RuleRuntimeError, match=r"failed with SignatureDoesNotMatch$"):
        run(event, wrong, settings)
    assert [call.code for call in endpoint.calls] == ["SignatureDoesNotMatch"]


def test_an_sts_key_without_its_token_is_refused(endpoint, settings) -> None:
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    with pytest.raises(RuleRuntimeError, match=r"failed with InvalidSecurityToken\.Mismatch$"):
        run(event, AlibabaCredentials(KEY_ID, SECRET), settings)


# --- bad events and parameters: a clear error, nothing put -------------------------------------------------


def good_event() -> dict[str, Any]:
    return change_event(alibaba_item_document(INSTANCE), {"imageIds": APPROVED}, ordering_timestamp=ORDERING)


def edited(**changes: Any) -> dict[str, Any]:
    event = good_event()
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = event
        for parent in parents:
            target = target[parent]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return event


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (b"\xff\xfe not utf-8", "event: is not UTF-8 text"),
        (b'{"invokingEvent": ', "event: is not valid JSON"),
        (b"[1, 2]", "event: must be a JSON object, got list"),
        (edited(resultToken=KeyError), "resultToken: is missing"),
        (edited(resultToken=""), "resultToken: must be a non-empty string"),
        (edited(invokingEvent="{not json"), "invokingEvent: is not valid JSON"),
        (
            edited(invokingEvent__messageType="ConfigurationSnapshotDeliveryCompleted"),
            "invokingEvent.messageType: unknown",
        ),
        (
            edited(invokingEvent__configurationItem=KeyError),
            "invokingEvent.configurationItem: is missing from a change",
        ),
        (
            edited(invokingEvent__configurationItem=[1]),
            "invokingEvent.configurationItem: must be a JSON object, got list",
        ),
        (
            edited(invokingEvent__configurationItem__configuration="{oops"),
            "invokingEvent.configurationItem: is not a configuration item: configuration is a string but not JSON",
        ),
        (
            edited(invokingEvent__configurationItem__resourceType=KeyError),
            "invokingEvent.configurationItem: is not a configuration item: configuration item has no resourceType",
        ),
        (edited(invokingEvent__accountId="acme"), "invokingEvent.accountId: must be the account's number, got 'acme'"),
        (
            edited(invokingEvent__configurationType="HUGE"),
            "invokingEvent.configurationType: unknown configuration type",
        ),
        (edited(orderingTimestamp="yesterday"), "orderingTimestamp: must be a time in epoch milliseconds"),
        (edited(ruleParameters="[]"), "ruleParameters: must be a JSON object, got list"),
        (edited(ruleParameters__imageIds=["m-1"]), "ruleParameters.imageIds: must be a string"),
        (
            edited(ruleParameters={}),
            "ruleParameters.imageIds: check ecs-instance-image-approved, parameter imageIds: is required",
        ),
        (
            edited(ruleParameters__imageIds=" , "),
            "ruleParameters.imageIds: check ecs-instance-image-approved, parameter imageIds: expected a comma",
        ),
        (
            edited(ruleParameters__amiIds="ami-1"),
            "ruleParameters.amiIds: check ecs-instance-image-approved, parameter amiIds: unknown parameter",
        ),
    ],
    ids=lambda value: None if not isinstance(value, str) else value.split(":")[0],
)
def test_a_bad_event_or_parameter_is_a_clear_error_and_puts_nothing(
    endpoint, credentials, settings, event, message
) -> None:
    with pytest.raises(EventError) as info:
        run(event, credentials, settings)
    assert str(info.value).startswith(message), str(info.value)
    assert endpoint.calls == []


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "CLOUDSWEEP_CHECK: is not set; set it in the function's environment to one of: ecs-disk-encrypted, "),
        (
            {"CLOUDSWEEP_CHECK": "approved-amis-by-id"},
            "CLOUDSWEEP_CHECK: 'approved-amis-by-id' is not an Alibaba Cloud check",
        ),
        (
            {**IMAGE_CHECK, "CLOUDSWEEP_ALIBABA_CONCURRENCY": "0"},
            "CLOUDSWEEP_ALIBABA_CONCURRENCY: must be a whole number",
        ),
    ],
    ids=["unset", "an-aws-check", "bad-concurrency"],
)
def test_the_function_configuration_is_checked_before_any_call(
    endpoint, credentials, settings, environment, message
) -> None:
    with pytest.raises(EventError) as info:
        run(good_event(), credentials, settings, environment)
    assert str(info.value).startswith(message), str(info.value)
    assert endpoint.calls == []


# --- secrets ------------------------------------------------------------------------------------------------


def test_no_secret_token_or_whole_result_token_reaches_the_logs_or_errors(endpoint, credentials, settings) -> None:
    endpoint.fail(throttling("PutEvaluations"), Fault("PutEvaluations", 400, "NoPermission", f"key {KEY_ID} denied"))
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    event["resultToken"] = "HLQr3BZx/C+DLjwudFcwdXxZJO6nG2Wt3Ck1xBl0Pr8Q" * 3
    endpoint.result_tokens.add(event["resultToken"])
    with capture_logs() as logs, pytest.raises(RuleRuntimeError) as info:
        run(event, credentials, settings)
    text = (
        json.dumps(logs, default=str, ensure_ascii=False)
        + str(info.value)
        + str(info.value.__cause__)
        + repr(credentials)
    )
    for secret in (SECRET, SECURITY_TOKEN, event["resultToken"], event["resultToken"][:20]):
        assert secret not in text
    assert "HLQr3BZx…" in text, "the result token shows as its first eight characters"
    assert str(info.value) == "config:PutEvaluations failed with NoPermission"


# --- Function Compute's entry point ----------------------------------------------------------------------------


def test_the_function_compute_handler_reads_bytes_and_the_context_credentials(
    endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDSWEEP_CHECK", "ecs-instance-image-approved")
    monkeypatch.setenv("CLOUDSWEEP_ALIBABA_ENDPOINT", endpoint.url)
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    context = SimpleNamespace(
        credentials=SimpleNamespace(access_key_id=KEY_ID, access_key_secret=SECRET, security_token=SECURITY_TOKEN),
        region="cn-hangzhou",
        request_id="8f2c1a7e-0b44-40c6-8bbf-3a185efdf3f7",
    )
    summary = scanner.function_compute.handler(json.dumps(event).encode(), context)
    assert summary["COMPLIANT"] == 1
    assert endpoint.put(event["resultToken"])[0]["complianceType"] == "COMPLIANT"
    assert endpoint.calls[0].headers["x-acs-security-token"] == SECURITY_TOKEN
    assert endpoint.calls[0].headers["host"] == endpoint.url.removeprefix("http://")


def test_the_python_3_12_runtime_passes_credentials_in_the_environment(
    endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDSWEEP_CHECK", "ecs-instance-image-approved")
    monkeypatch.setenv("CLOUDSWEEP_ALIBABA_ENDPOINT", endpoint.url)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", LONG_TERM_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "Zp0Oq9Wn8Xm7Yl6Ak5Bj4Ci3Dh2Eg1")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": "m-other"}))
    scanner.function_compute.handler(json.dumps(event).encode(), SimpleNamespace(region="cn-hangzhou"))
    assert endpoint.put(event["resultToken"])[0]["complianceType"] == "NON_COMPLIANT"
    assert "x-acs-security-token" not in endpoint.calls[0].headers


def test_a_context_without_credentials_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", raising=False)
    with pytest.raises(EventError, match=r"^context\.credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID"):
        scanner.function_compute.handler(json.dumps(good_event()).encode(), SimpleNamespace(region="cn-hangzhou"))


def test_ordering_falls_back_to_the_notification_time() -> None:
    from scanner.rules.alibaba_config import AlibabaRuleEvent

    event = good_event()
    del event["orderingTimestamp"]
    event["invokingEvent"]["notificationCreationTimestamp"] = 1600610821106
    parsed = AlibabaRuleEvent.parse(json.dumps(event).encode())
    assert parsed.ordering == datetime(2020, 9, 20, 14, 7, 1, 106000, tzinfo=UTC)
    assert "resultToken" not in repr(parsed)
    assert event["resultToken"] not in repr(parsed)


# --- failures part-way: what was evaluated is put, the rest is named ---------------------------------------------


def test_a_listing_that_breaks_off_puts_what_was_evaluated_and_fails(endpoint, credentials, settings) -> None:
    endpoint.resources.extend(instance(f"i-{n:03d}", APPROVED) for n in range(150))
    endpoint.fail(Fault("ListDiscoveredResources", 400, "NoPermission", "not authorized", skip=1))
    event = scheduled(endpoint)
    with pytest.raises(RuleRuntimeError) as info:
        run(event, credentials, settings)
    # Page 1 (100 instances) was read and evaluated; page 2 was refused; the deleted listing went through.
    assert str(info.value) == (
        "incomplete, 1 failures (the 100 evaluations made were put): ListDiscoveredResources (live resources): "
        "NoPermission"
    )
    assert len(endpoint.put(event["resultToken"])) == 100


def test_a_failing_deleted_listing_still_puts_the_live_evaluations(endpoint, credentials, settings) -> None:
    endpoint.resources.extend(instance(f"i-{n}", APPROVED) for n in range(5))
    # The live listing is one page; the second ListDiscoveredResources call is the deleted one.
    endpoint.fail(Fault("ListDiscoveredResources", 400, "NoPermission", "not authorized", skip=1))
    event = scheduled(endpoint)
    with pytest.raises(RuleRuntimeError, match=r"^incomplete, 1 failures \(the 5 evaluations made were put\): "):
        run(event, credentials, settings)
    assert [e["complianceType"] for e in endpoint.put(event["resultToken"])] == ["COMPLIANT"] * 5


@pytest.mark.parametrize(
    ("statement", "raised"),
    [
        ('raise KeyError("Cpu")', "KeyError: 'Cpu'"),
        # Not anyio's: left to fly, it would cancel the task group and drop the resources after it.
        ('raise asyncio.CancelledError("mine")', "CancelledError: mine"),
        (
            'return Result("COMPLIANT", "a string")',
            "TypeError: returned Result(compliance='COMPLIANT', annotation='a string'), not a Result with a Compliance",
        ),
    ],
    ids=["raises", "cancels", "wrong-result"],
)
def test_a_check_that_fails_fails_its_resource_only(
    endpoint, credentials, settings, tmp_path, statement, raised
) -> None:
    (tmp_path / "fragile.py").write_text(
        f"""
import asyncio

from scanner.model import Compliance
from scanner.registry import Check, CheckScope, Cloud, Result, Severity


def evaluate(item, params, snapshot):
    if item.resource_id == "i-2":
        {statement}
    return Result(Compliance.COMPLIANT, "fine")


CHECK = Check(
    id="user-fragile", title="t", description="d", rationale="r", severity=Severity.LOW, remediation="r",
    remediation_cli="aliyun ecs DescribeInstances", scope=CheckScope.RESOURCE, cloud=Cloud.ALIBABA,
    resource_types=("ACS::ECS::Instance",), evaluate_resource=evaluate,
)
""",
        encoding="utf-8",
    )
    endpoint.resources.extend(instance(f"i-{n}", APPROVED) for n in range(4))
    event = scheduled(endpoint, {})
    environment = {"CLOUDSWEEP_CHECK": "user-fragile", "CLOUDSWEEP_CHECKS_DIR": str(tmp_path)}
    with pytest.raises(RuleRuntimeError) as info:
        run(event, credentials, settings, environment)
    assert str(info.value) == (
        "incomplete, 1 failures (the 3 evaluations made were put): ACS::ECS::Instance i-2: "
        f"user-fragile raised {raised}"
    )
    assert sorted(e["complianceResourceId"] for e in endpoint.put(event["resultToken"])) == ["i-0", "i-1", "i-3"]


def test_a_resource_with_a_malformed_account_is_one_failure(endpoint, credentials, settings) -> None:
    odd = instance("i-odd", APPROVED)
    odd.account_id = "1.8e15"  # type: ignore[assignment]
    endpoint.resources.extend([instance("i-ok", APPROVED), odd])
    event = scheduled(endpoint)
    with pytest.raises(RuleRuntimeError, match=r"i-odd: accountId must be the account's number, got '1\.8e15'$"):
        run(event, credentials, settings)
    assert [e["complianceResourceId"] for e in endpoint.put(event["resultToken"])] == ["i-ok"]


# --- pushed items that say little ------------------------------------------------------------------------------


@pytest.mark.parametrize("configuration", ["", "{}"])
def test_a_pushed_item_without_configuration_is_read_not_judged(endpoint, credentials, settings, configuration) -> None:
    endpoint.resources.append(instance("i-bp12g4xbl4i0brkn7x3a", APPROVED))
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration=None) | {"configuration": configuration})
    run(event, credentials, settings)
    assert [call.action for call in endpoint.calls] == ["GetDiscoveredResource", "PutEvaluations"]
    assert [e["complianceType"] for e in endpoint.put(event["resultToken"])] == ["COMPLIANT"]


def test_a_pushed_item_whose_details_say_deleted_is_not_applicable(endpoint, credentials, settings) -> None:
    endpoint.resources.append(instance("i-bp12g4xbl4i0brkn7x3a", APPROVED, deleted=True))
    event = change(endpoint, alibaba_item_document(INSTANCE) | {"configuration": "{}"})
    run(event, credentials, settings)
    assert [(e["complianceType"], e["annotation"]) for e in endpoint.put(event["resultToken"])] == [
        ("NOT_APPLICABLE", "the resource is deleted")
    ]


def test_a_ram_user_is_evaluated_in_the_global_region_whatever_the_event_says(endpoint, credentials, settings) -> None:
    # Alibaba Cloud's documented event for a RAM user names regionId ap-southeast-1.
    item = alibaba_item_document("ACS::RAM::User", regionId="ap-southeast-1")
    event = change(endpoint, item, parameters={})
    run(event, credentials, settings, {"CLOUDSWEEP_CHECK": "ram-user-mfa-enabled"})
    assert [e["complianceRegionId"] for e in endpoint.put(event["resultToken"])] == ["global"]


def test_a_throttle_that_asks_for_a_wait_is_waited_for(endpoint, credentials) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    settings = AlibabaSettings(region="cn-shanghai", endpoint=endpoint.url, retry=replace(ALIBABA_RETRY, sleep=record))
    endpoint.fail(throttling("PutEvaluations", retry_after_ms=1500))
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    with capture_logs() as logs:
        run(event, credentials, settings)
    assert len(waits) == 1
    assert 1.5 <= waits[0] <= settings.retry.max_backoff_seconds
    assert [
        (entry["error_code"], entry["throttled"]) for entry in logs if entry["event"] == "alibaba call retried"
    ] == [("Throttling.User", True)]
    assert len(endpoint.put(event["resultToken"])) == 1


def test_a_listing_page_that_cannot_be_read_is_a_failure_never_an_end(endpoint, credentials, settings) -> None:
    endpoint.resources.extend(instance(f"i-{n}", APPROVED) for n in range(3))
    broken = {"DiscoveredResourceProfiles": {"DiscoveredResourceProfileList": ["oops"], "MaxResults": 100}}
    endpoint.fail(malformed("ListDiscoveredResources", broken, times=6))
    event = scheduled(endpoint)
    with pytest.raises(RuleRuntimeError) as info:
        run(event, credentials, settings)
    assert str(info.value) == (
        "incomplete, 1 failures (the 0 evaluations made were put): ListDiscoveredResources (live resources): "
        "MalformedResponse"
    )
    assert [call.code for call in endpoint.calls_of("ListDiscoveredResources")] == ["Malformed"] * 6 + [None]
    assert endpoint.calls_of("GetDiscoveredResource") == []


def test_a_throttle_asking_for_more_than_the_time_budget_is_not_slept_through(endpoint, credentials) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    settings = AlibabaSettings(region="cn-shanghai", endpoint=endpoint.url, retry=replace(ALIBABA_RETRY, sleep=record))
    endpoint.fail(throttling("PutEvaluations", retry_after_ms=120_000))
    event = change(endpoint, alibaba_item_document(INSTANCE, configuration={"ImageId": APPROVED}))
    with pytest.raises(RuleRuntimeError, match=r"^config:PutEvaluations failed with Throttling\.User$"):
        run(event, credentials, settings)
    assert waits == []
    assert len(endpoint.calls_of("PutEvaluations")) == 1
