"""`ConfigurationItem.parse`: the API and invocation models, `configuration` as an object or a JSON string, all parse
to the same item; anything else is one `ItemError` naming the field."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from scanner.model import _INVOCATION_TO_API, ConfigurationItem, ItemError
from scanner.testing import reference_document, reference_types
from tests.property.strategies import account_ids, json_objects, json_scalars, json_values, regions

API_TO_INVOCATION = {api: invocation for invocation, api in _INVOCATION_TO_API.items()}
TIME_FIELDS = ("configurationItemCaptureTime", "resourceCreationTime")
STATUSES = ("OK", "ResourceDiscovered", "ResourceDeleted", "ResourceNotRecorded", "ResourceDeletedNotRecorded")
ITEM_KEYS = (
    "accountId",
    "awsAccountId",
    "awsRegion",
    "resourceType",
    "resourceId",
    "resourceName",
    "arn",
    "ARN",
    "version",
    "configurationItemVersion",
    "configurationItemMD5Hash",
    "configurationStateMd5Hash",
    "configurationItemStatus",
    "availabilityZone",
    "tags",
    "relationships",
    "configuration",
    "supplementaryConfiguration",
    *TIME_FIELDS,
)
# Every ItemError names one of these (or says the item itself is not an object).
ITEM_ERROR_WORDS = (
    "configuration item",
    "resourceType",
    "resourceId",
    "configuration",
    "supplementaryConfiguration",
    "relationships",
    *TIME_FIELDS,
)

resource_types = st.from_regex(r"AWS::[A-Za-z0-9]{1,10}::[A-Za-z0-9]{1,12}", fullmatch=True)
names = st.text(min_size=1, max_size=20)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(9998, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]),
)
naive_moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 31))
relationships = st.lists(
    st.fixed_dictionaries(
        {"resourceType": resource_types, "resourceId": names, "relationshipName": st.sampled_from(["Is attached to"])},
        optional={"resourceName": names},
    ),
    max_size=3,
)
# JSON objects whose string form orjson reads back equal: integers within 64 bits, no NaN.
configurations = json_objects
supplementary_values = st.one_of(json_objects, st.lists(json_values(), max_size=3))
supplementaries = st.dictionaries(names, supplementary_values, max_size=3)


def spelled_time(moment: datetime, style: str) -> Any:
    """A time as the API (a datetime, from boto3) or a JSON document (ISO-8601, 'Z' or an offset) gives it."""
    if style == "datetime":
        return moment
    if style == "Z":
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
    return moment.isoformat()


@st.composite
def api_items(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """An item in the API model (a reference example with overrides, or made up) and the fields it must parse to."""
    base = reference_document(draw(st.sampled_from(reference_types()))) if draw(st.booleans()) else {}
    # Some examples spell keys the invocation model's way: keep one spelling of each.
    base = {key: value for key, value in base.items() if key not in _INVOCATION_TO_API}
    capture = draw(moments)
    created = draw(st.one_of(st.none(), moments))
    fields = {
        "accountId": draw(account_ids),
        "awsRegion": draw(regions),
        "resourceType": draw(resource_types),
        "resourceId": draw(names),
        "resourceName": draw(st.one_of(st.none(), names)),
        "arn": draw(st.one_of(st.none(), names)),
        "version": draw(st.sampled_from(["1.2", "1.3"])),
        "configurationItemMD5Hash": draw(st.text(alphabet=string.hexdigits, max_size=32)),
        "configurationItemStatus": draw(st.sampled_from(STATUSES)),
        "availabilityZone": draw(st.one_of(st.none(), names)),
        "configurationItemCaptureTime": spelled_time(capture, draw(st.sampled_from(["datetime", "Z", "offset"]))),
        "resourceCreationTime": None if created is None else spelled_time(created, draw(st.sampled_from(["Z", "o"]))),
        "tags": draw(st.dictionaries(names, st.text(max_size=10), min_size=1, max_size=3)),
        "relationships": draw(relationships),
        "configuration": draw(configurations),
        # The API model carries supplementary values as JSON strings.
        "supplementaryConfiguration": {key: json.dumps(value) for key, value in draw(supplementaries).items()},
    }
    document = {**base, **fields}
    expected = {
        "account_id": fields["accountId"],
        "region": fields["awsRegion"],
        "resource_type": fields["resourceType"],
        "resource_id": fields["resourceId"],
        "resource_name": fields["resourceName"],
        "arn": fields["arn"],
        "version": fields["version"],
        "status": fields["configurationItemStatus"],
        "availability_zone": fields["availabilityZone"],
        "capture_time": capture,
        "creation_time": created,
        "tags": fields["tags"],
        "configuration": fields["configuration"],
        "supplementary": {key: json.loads(value) for key, value in fields["supplementaryConfiguration"].items()},
        "deleted": fields["configurationItemStatus"] != "OK"
        and fields["configurationItemStatus"] != "ResourceDiscovered",
    }
    return document, expected


def to_invocation_model(document: dict[str, Any]) -> dict[str, Any]:
    """The item as a change event carries it: invocation key spellings, ISO times, supplementary values as objects."""
    item = {API_TO_INVOCATION.get(key, key): value for key, value in document.items()}
    for key in TIME_FIELDS:
        if isinstance(item.get(key), datetime):
            item[key] = item[key].isoformat()
    supplementary = item.get("supplementaryConfiguration") or {}
    item["supplementaryConfiguration"] = {
        key: json.loads(value) if isinstance(value, str) else value for key, value in supplementary.items()
    }
    return item


def with_configuration_string(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "configuration": json.dumps(document["configuration"])}


@pytest.mark.slow
@given(api_items())
def test_both_models_and_the_string_form_parse_to_the_same_item(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    document, expected = case
    spellings = [document, to_invocation_model(document)]
    spellings += [with_configuration_string(spelled) for spelled in spellings]
    items = [ConfigurationItem.parse(spelled) for spelled in spellings]
    assert all(item == items[0] for item in items[1:])
    item = items[0]
    for name, value in expected.items():
        assert getattr(item, name) == value, name
    assert item.capture_time is not None
    assert item.capture_time.tzinfo is not None
    assert {(r.resource_type, r.resource_id, r.name) for r in item.relationships} == {
        (r["resourceType"], r["resourceId"], r["relationshipName"]) for r in document["relationships"]
    }


@given(naive_moments)
def test_a_time_without_an_offset_is_utc(moment: datetime) -> None:
    item = ConfigurationItem.parse(
        {"resourceType": "AWS::EC2::Instance", "resourceId": "i-1", "configurationItemCaptureTime": moment.isoformat()}
    )
    assert item.capture_time == moment.replace(tzinfo=UTC)


def assert_one_item_error(error: ItemError) -> None:
    message = str(error)
    assert any(word in message for word in ITEM_ERROR_WORDS), message


# Numbers stand for epoch seconds (or milliseconds above 10**11): keep them where a datetime exists; the range
# beyond is test_an_out_of_range_epoch_time_is_an_item_error.
epoch_numbers = st.one_of(st.integers(0, 10**13), st.floats(0, 10**13))
time_garbage = st.one_of(json_scalars.filter(lambda value: not isinstance(value, int | float)), epoch_numbers)
garbage_values = st.one_of(json_values(), st.text(max_size=30), json_values().map(json.dumps))
garbage_items = st.one_of(
    json_values(),
    st.dictionaries(
        st.sampled_from([key for key in ITEM_KEYS if key not in TIME_FIELDS]), garbage_values, max_size=8
    ).flatmap(
        lambda item: st.fixed_dictionaries(
            {}, optional=dict.fromkeys(TIME_FIELDS, st.one_of(time_garbage, st.lists(json_scalars)))
        ).map(lambda times: {**item, **times})
    ),
)


@given(garbage_items)
def test_arbitrary_items_parse_or_raise_one_item_error(raw: Any) -> None:
    try:
        item = ConfigurationItem.parse(raw)
    except ItemError as error:
        assert_one_item_error(error)
        return
    spelled = {_INVOCATION_TO_API.get(key, key): value for key, value in raw.items()}
    assert item.resource_type == spelled["resourceType"]
    assert item.resource_id == spelled["resourceId"]
    assert item.configuration is None or isinstance(item.configuration, dict)
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in item.tags.items())
    for moment in (item.capture_time, item.creation_time):
        assert moment is None or moment.tzinfo is not None


def _not_str_or_empty(value: Any) -> bool:
    return not isinstance(value, str) or not value


FIELD_GARBAGE: dict[str, tuple[st.SearchStrategy[Any], str]] = {
    "resourceType": (json_values().filter(_not_str_or_empty), "no resourceType"),
    "resourceId": (json_values().filter(_not_str_or_empty), "no resourceId"),
    "configuration": (
        st.one_of(
            json_values().filter(lambda value: value is not None and not isinstance(value, dict | str)),
            json_values().filter(lambda value: value is not None and not isinstance(value, dict)).map(json.dumps),
            st.sampled_from(["{", "{'a': 1}", "not json", "[1,", '{"a": }']),
        ),
        "configuration",
    ),
    "supplementaryConfiguration": (
        json_values().filter(lambda value: bool(value) and not isinstance(value, dict)),
        "supplementaryConfiguration must be a JSON object",
    ),
    "relationships": (
        json_values().filter(lambda value: bool(value) and not isinstance(value, list)),
        "relationships must be a list",
    ),
    "configurationItemCaptureTime": (
        st.one_of(
            st.booleans(),
            st.lists(json_scalars, max_size=2),
            st.text(min_size=1, max_size=20).filter(lambda text: not _is_iso(text)),
        ),
        "configurationItemCaptureTime",
    ),
    "resourceCreationTime": (
        st.sampled_from(["yesterday", "2024-13-01", "2024-02-30T00:00:00Z", "12:00", True]),
        "resourceCreationTime",
    ),
}


def _decodes_to_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _is_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@pytest.mark.slow
@given(api_items(), st.sampled_from(sorted(FIELD_GARBAGE)), st.booleans(), st.data())
def test_one_bad_field_raises_one_item_error_naming_it(
    case: tuple[dict[str, Any], dict[str, Any]], field: str, invocation: bool, data: st.DataObject
) -> None:
    document = to_invocation_model(case[0]) if invocation else dict(case[0])
    strategy, words = FIELD_GARBAGE[field]
    value = data.draw(strategy, field)
    if field == "configuration" and isinstance(value, str):
        assume(not _decodes_to_object(value))
    document[field] = value
    with pytest.raises(ItemError) as raised:
        ConfigurationItem.parse(document)
    assert words in str(raised.value)


@given(json_values().filter(lambda value: not isinstance(value, dict)))
def test_an_item_that_is_not_an_object_is_an_item_error(raw: Any) -> None:
    with pytest.raises(ItemError) as raised:
        ConfigurationItem.parse(raw)
    assert "must be a JSON object" in str(raised.value)


@pytest.mark.parametrize("field", TIME_FIELDS)
@pytest.mark.parametrize(
    "value",
    [1e20, -1e20, float("nan"), float("inf"), 10**30, 10**400],
    ids=["1e20", "-1e20", "nan", "inf", "10**30", "10**400"],
)
def test_an_out_of_range_epoch_time_is_an_item_error(field: str, value: float) -> None:
    with pytest.raises(ItemError) as raised:
        ConfigurationItem.parse({"resourceType": "AWS::EC2::Instance", "resourceId": "i-1", field: value})
    assert field in str(raised.value)
