"""Alibaba Cloud Config items read into ConfigurationItem: the rule event's shape, GetDiscoveredResource's, and the
examples in `scanner.testing.alibaba`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from scanner.alibaba.items import DELETED, GLOBAL_REGION, parse_item
from scanner.model import ConfigurationItem, ItemError
from scanner.testing.alibaba import (
    DEFAULT_ACCOUNT,
    DELETE,
    alibaba_item,
    alibaba_item_document,
    change_event,
    example_types,
    scheduled_event,
)

INSTANCE = "ACS::ECS::Instance"
CONFIGURATION = {"InstanceId": "i-bp1", "ImageId": "m-approved", "RegionId": "cn-beijing", "Status": "Running"}


def event_item(**overrides: Any) -> dict[str, Any]:
    """A rule event's configurationItem, written out as Cloud Config sends it (not from the examples module)."""
    item: dict[str, Any] = {
        "accountId": 1812345678901234,
        "arn": "acs:ecs:cn-hangzhou:1812345678901234:instance/i-bp1",
        "regionId": "cn-hangzhou",
        "availabilityZone": "cn-hangzhou-h",
        "configuration": json.dumps(CONFIGURATION),
        "captureTime": 1732430000000,
        "resourceCreateTime": 1709190480000,
        "resourceStatus": "Running",
        "resourceId": "i-bp1",
        "resourceName": "web-1",
        "resourceType": INSTANCE,
        "tags": json.dumps({"env": ["prod"], "team": ["a", "b"]}),
    }
    item.update(overrides)
    return {key: value for key, value in item.items() if value is not DELETE}


def detail(**overrides: Any) -> dict[str, Any]:
    """GetDiscoveredResource's DiscoveredResourceDetail, PascalCase."""
    document: dict[str, Any] = {
        "AccountId": 1812345678901234,
        "AvailabilityZone": "cn-hangzhou-h",
        "Region": "cn-hangzhou",
        "ResourceCreationTime": 1709190480000,
        "ResourceDeleted": 1,
        "ResourceId": "i-bp1",
        "ResourceName": "web-1",
        "ResourceStatus": "Running",
        "ResourceType": INSTANCE,
        "Tags": json.dumps({"env": ["prod"]}),
        "Configuration": json.dumps(CONFIGURATION),
    }
    document.update(overrides)
    return {key: value for key, value in document.items() if value is not DELETE}


# --- the two shapes -------------------------------------------------------------------------------------------


def test_a_rule_event_item_is_read() -> None:
    assert parse_item(event_item()) == ConfigurationItem(
        account_id="1812345678901234",
        region="cn-hangzhou",
        resource_type=INSTANCE,
        resource_id="i-bp1",
        status="OK",
        configuration=CONFIGURATION,
        capture_time=datetime(2024, 11, 24, 6, 33, 20, tzinfo=UTC),
        resource_name="web-1",
        arn="acs:ecs:cn-hangzhou:1812345678901234:instance/i-bp1",
        availability_zone="cn-hangzhou-h",
        creation_time=datetime(2024, 2, 29, 7, 8, tzinfo=UTC),
        tags={"env": "prod", "team": "a,b"},
    )


def test_times_are_aware_utc_and_keep_milliseconds() -> None:
    item = parse_item(event_item(captureTime=1732430000123, resourceCreateTime="1709190480000"))
    assert item.capture_time == datetime(2024, 11, 24, 6, 33, 20, 123000, tzinfo=UTC)
    assert item.capture_time.tzinfo is UTC
    assert item.creation_time == datetime(2024, 2, 29, 7, 8, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, ""])
def test_absent_times_are_none(value) -> None:
    item = parse_item(event_item(captureTime=value, resourceCreateTime=DELETE))
    assert (item.capture_time, item.creation_time) == (None, None)


@pytest.mark.parametrize(("account", "expected"), [(1812345678901234, "1812345678901234"), (" 1812 ", "1812")])
def test_the_account_id_is_a_string(account, expected) -> None:
    assert parse_item(event_item(accountId=account)).account_id == expected


def test_empty_optional_fields_are_none() -> None:
    item = parse_item(event_item(resourceName="", arn=DELETE, availabilityZone=""))
    assert (item.resource_name, item.arn, item.availability_zone) == (None, None, None)


def test_a_discovered_resource_detail_is_read() -> None:
    assert parse_item(detail()) == ConfigurationItem(
        account_id="1812345678901234",
        region="cn-hangzhou",
        resource_type=INSTANCE,
        resource_id="i-bp1",
        status="OK",
        configuration=CONFIGURATION,
        capture_time=None,
        resource_name="web-1",
        arn=None,
        availability_zone="cn-hangzhou-h",
        creation_time=datetime(2024, 2, 29, 7, 8, tzinfo=UTC),
        tags={"env": "prod"},
    )


def test_the_lower_camel_creation_time_is_read_too() -> None:
    item = parse_item(detail(ResourceCreationTime=DELETE, resourceCreationTime=1709190480000))
    assert item.creation_time == datetime(2024, 2, 29, 7, 8, tzinfo=UTC)


@pytest.mark.parametrize("flag", [0, "0"])
def test_resource_deleted_0_is_a_deleted_resource(flag) -> None:
    item = parse_item(detail(ResourceDeleted=flag))
    assert item.status == DELETED == "ResourceDeleted"
    assert item.deleted is True
    assert item.configuration == CONFIGURATION


@pytest.mark.parametrize("flag", [1, "1", DELETE])
def test_resource_deleted_1_or_absent_is_live(flag) -> None:
    item = parse_item(detail(ResourceDeleted=flag))
    assert item.status == "OK"
    assert item.deleted is False


@pytest.mark.parametrize("configuration", [DELETE, "", None])
def test_a_deleted_resource_may_lack_its_configuration(configuration) -> None:
    item = parse_item(detail(ResourceDeleted=0, Configuration=configuration))
    assert item.configuration is None
    assert item.deleted is True


@pytest.mark.parametrize("configuration", [DELETE, "", None])
def test_a_live_resource_must_have_its_configuration(configuration) -> None:
    with pytest.raises(ItemError) as caught:
        parse_item(detail(Configuration=configuration))
    assert str(caught.value) == "configuration is missing"


def test_configuration_not_required_lets_a_live_item_lack_it() -> None:
    item = parse_item(detail(Configuration=DELETE), configuration_required=False)
    assert item.configuration is None
    assert item.status == "OK"


def test_a_configuration_object_is_taken_as_is() -> None:
    assert parse_item(event_item(configuration=CONFIGURATION)).configuration == CONFIGURATION


# --- regions ------------------------------------------------------------------------------------------------------


def test_the_region_defaults_to_the_configuration_region_id() -> None:
    assert parse_item(event_item(regionId=DELETE)).region == "cn-beijing"
    assert parse_item(event_item(regionId="")).region == "cn-beijing"
    assert parse_item(detail(Region=DELETE)).region == "cn-beijing"


def test_ram_resources_are_global_whatever_region_the_item_names() -> None:
    item = parse_item(
        event_item(
            resourceType="ACS::RAM::User", regionId="ap-southeast-1", configuration=json.dumps({"UserName": "a"})
        )
    )
    assert item.region == GLOBAL_REGION == "global"


def test_a_regional_item_without_a_region_is_refused() -> None:
    with pytest.raises(ItemError, match=r"^regionId is missing \(and the configuration names no RegionId\)$"):
        parse_item(event_item(regionId=DELETE, configuration=json.dumps({"ImageId": "m-1"})))
    with pytest.raises(ItemError, match=r"^regionId is missing"):
        parse_item(detail(Region=DELETE, ResourceDeleted=0, Configuration=DELETE))


# --- tags ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("", {}),
        (None, {}),
        (DELETE, {}),
        ("{}", {}),
        (json.dumps({"env": ["prod"]}), {"env": "prod"}),
        (json.dumps({"env": ["prod", "dr"], "owner": []}), {"env": "prod,dr", "owner": ""}),
        (
            json.dumps({"env": "prod", "n": 5, "none": None, "mixed": [1, None, "x"]}),
            {"env": "prod", "n": "5", "none": "", "mixed": "1,,x"},
        ),
        ({"env": ["prod"], "team": "a"}, {"env": "prod", "team": "a"}),
        ([{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}], {"env": "prod", "team": "a"}),
        ([{"TagKey": "env", "TagValue": "prod"}, {"key": "team", "value": "a"}], {"env": "prod", "team": "a"}),
        ([{"Key": "env", "Value": "prod"}, "stray", 5], {"env": "prod"}),
        (json.dumps([{"Key": "env", "Value": "prod"}]), {"env": "prod"}),
        ([], {}),
    ],
)
def test_tags_forms(tags, expected) -> None:
    assert parse_item(event_item(tags=tags)).tags == expected


def test_a_list_form_tag_without_a_key_is_not_named_none() -> None:
    tags = parse_item(event_item(tags=[{"Key": "env", "Value": "prod"}, {"Value": "orphan"}])).tags
    assert tags == {"env": "prod"}


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        (
            "{",
            "tags is a string but not JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        ("env=prod", "tags is a string but not JSON: Expecting value: line 1 column 1 (char 0)"),
        ("5", "tags must be a JSON object of key to values, got int"),
        ('"env"', "tags must be a JSON object of key to values, got str"),
        (5, "tags must be a JSON object of key to values, got int"),
        (True, "tags must be a JSON object of key to values, got bool"),
    ],
)
def test_bad_tags_are_refused(tags, message) -> None:
    with pytest.raises(ItemError) as caught:
        parse_item(event_item(tags=tags))
    assert str(caught.value) == message


# --- errors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "a configuration item must be a JSON object, got list"),
        ("{}", "a configuration item must be a JSON object, got str"),
        (None, "a configuration item must be a JSON object, got NoneType"),
        (event_item(resourceType=DELETE), "configuration item has no resourceType"),
        (event_item(resourceType=""), "configuration item has no resourceType"),
        (event_item(resourceId=DELETE), "configuration item has no resourceId"),
        (event_item(resourceId=12), "configuration item has no resourceId"),
        (detail(ResourceId=""), "configuration item has no resourceId"),
        (detail(ResourceType=None), "configuration item has no resourceType"),
        (
            event_item(configuration="{"),
            "configuration is a string but not JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        (
            event_item(configuration="nope"),
            "configuration is a string but not JSON: Expecting value: line 1 column 1 (char 0)",
        ),
        (event_item(configuration="[1]"), "configuration must be a JSON object"),
        (event_item(configuration='"text"'), "configuration must be a JSON object"),
        (event_item(configuration=[1]), "configuration must be a JSON object"),
        (detail(ResourceDeleted=0, Configuration="[]"), "configuration must be a JSON object"),
        (event_item(configuration=DELETE), "configuration is missing"),
        (event_item(accountId=True), "accountId must be the account's number, got True"),
        (event_item(accountId=None), "accountId must be the account's number, got None"),
        (event_item(accountId=DELETE), "accountId must be the account's number, got None"),
        (event_item(accountId=""), "accountId must be the account's number, got ''"),
        (event_item(accountId="   "), "accountId must be the account's number, got '   '"),
        (event_item(accountId=1.8e15), "accountId must be the account's number, got 1800000000000000.0"),
        (event_item(captureTime="soon"), "captureTime is not a time in epoch milliseconds: 'soon'"),
        (event_item(captureTime=True), "captureTime is not a time in epoch milliseconds: True"),
        (event_item(captureTime=[1]), "captureTime is not a time in epoch milliseconds: [1]"),
        (event_item(captureTime=1e30), "captureTime is not a time in epoch milliseconds: 1e+30"),
        (
            event_item(resourceCreateTime="2024-02-29"),
            "resourceCreateTime is not a time in epoch milliseconds: '2024-02-29'",
        ),
        (detail(ResourceCreationTime={"ms": 1}), "resourceCreateTime is not a time in epoch milliseconds: {'ms': 1}"),
    ],
)
def test_bad_items_are_refused_with_the_field_named(raw, message) -> None:
    with pytest.raises(ItemError) as caught:
        parse_item(raw)
    assert str(caught.value) == message


# --- the examples -------------------------------------------------------------------------------------------------

EXAMPLE_IDENTITIES = {
    "ACS::ECS::Disk": ("d-bp1c6n5mr7qdl2x0w8zq", "data-1", "cn-hangzhou", "In_use"),
    "ACS::ECS::Instance": ("i-bp12g4xbl4i0brkn7x3a", "web-1", "cn-hangzhou", "Running"),
    "ACS::ECS::SecurityGroup": ("sg-bp1h96fz9fagaegp2r4k", "web", "cn-hangzhou", ""),
    "ACS::OSS::Bucket": ("example-logs-bucket", "example-logs-bucket", "cn-hangzhou", ""),
    "ACS::RAM::User": ("200828888731170000", "alice", "global", ""),
}


def test_the_example_types() -> None:
    assert example_types() == sorted(EXAMPLE_IDENTITIES)


@pytest.mark.parametrize("resource_type", example_types())
def test_every_example_parses(resource_type) -> None:
    document = alibaba_item_document(resource_type)
    resource_id, name, region, status = EXAMPLE_IDENTITIES[resource_type]
    assert isinstance(document["configuration"], str)
    assert document["resourceStatus"] == status
    item = parse_item(document)
    assert (item.resource_type, item.resource_id, item.resource_name, item.region) == (
        resource_type,
        resource_id,
        name,
        region,
    )
    assert item.account_id == str(DEFAULT_ACCOUNT) == "1812345678901234"
    assert item.status == "OK"
    assert item.configuration == json.loads(document["configuration"])
    assert item.tags == {"env": "prod"}
    assert item.capture_time == datetime(2024, 11, 24, 6, 33, 20, tzinfo=UTC)
    assert item.creation_time == datetime(2024, 2, 29, 7, 8, tzinfo=UTC)
    assert alibaba_item(resource_type) == item


def test_example_arns() -> None:
    assert (
        alibaba_item("ACS::ECS::Instance").arn == "acs:ecs:cn-hangzhou:1812345678901234:instance/i-bp12g4xbl4i0brkn7x3a"
    )
    assert alibaba_item("ACS::RAM::User").arn == "acs:ram::1812345678901234:user/200828888731170000"


def test_example_overrides() -> None:
    item = alibaba_item(
        INSTANCE,
        configuration={"ImageId": "m-other", "Status": "Stopped", "RegionId": DELETE},
        account_id=42,
        region="cn-beijing",
        resourceName="renamed",
        tags=json.dumps({"a": ["1", "2"]}),
    )
    assert item.configuration is not None
    assert (item.configuration["ImageId"], item.configuration["Status"]) == ("m-other", "Stopped")
    assert "RegionId" not in item.configuration
    assert (item.account_id, item.region, item.resource_name, item.tags) == (
        "42",
        "cn-beijing",
        "renamed",
        {"a": "1,2"},
    )
    # The status follows the overridden configuration; the shared example is not changed.
    assert alibaba_item_document(INSTANCE, configuration={"Status": "Stopped"})["resourceStatus"] == "Stopped"
    original = alibaba_item(INSTANCE).configuration
    assert original is not None
    assert original["ImageId"] == "aliyun_3_x64_20G_alibase_20240528.vhd"


def test_a_ram_user_example_ignores_the_region() -> None:
    assert alibaba_item("ACS::RAM::User", region="cn-beijing").region == "global"


def test_an_unknown_example_type_is_a_key_error() -> None:
    with pytest.raises(KeyError) as caught:
        alibaba_item_document("ACS::RDS::DBInstance")
    assert caught.value.args == (
        "no Alibaba Cloud example for ACS::RDS::DBInstance (examples: ACS::ECS::Disk, ACS::ECS::Instance, "
        "ACS::ECS::SecurityGroup, ACS::OSS::Bucket, ACS::RAM::User)",
    )


def test_a_change_event_carries_the_item() -> None:
    document = alibaba_item_document(INSTANCE)
    event = change_event(document, {"imageIds": "m-1"}, result_token="token-1", ordering_timestamp=1795000000000)
    invoking = event["invokingEvent"]
    assert invoking["messageType"] == "ConfigurationItemChangeNotification"
    assert invoking["accountId"] == DEFAULT_ACCOUNT
    assert invoking["configurationType"] == "COMMON"
    assert invoking["configurationItem"] == document
    assert isinstance(invoking["notificationCreationTimestamp"], int)
    assert (event["ruleParameters"], event["resultToken"], event["orderingTimestamp"]) == (
        {"imageIds": "m-1"},
        "token-1",
        1795000000000,
    )
    assert parse_item(invoking["configurationItem"]) == alibaba_item(INSTANCE)


def test_a_scheduled_event_has_no_item_and_a_fresh_token() -> None:
    first = scheduled_event({}, account_id=7)
    second = scheduled_event({})
    assert first["invokingEvent"]["messageType"] == "ScheduledNotification"
    assert "configurationItem" not in first["invokingEvent"]
    assert first["invokingEvent"]["accountId"] == 7
    assert first["resultToken"].startswith("cloudsweep-")
    assert first["resultToken"] != second["resultToken"]
    assert first["orderingTimestamp"] == first["invokingEvent"]["notificationCreationTimestamp"]
