"""`RuleEvent.parse`: any event either parses to what it says or raises one `EventError` naming the field."""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import event as event_
from hypothesis import strategies as st

from checks import BUILTIN
from scanner.errors import EventError
from scanner.rules.aws_config import MessageType, RuleEvent
from scanner.testing import change_event, reference_document, scheduled_event
from tests.property.strategies import account_ids, json_scalars, json_values, regions

CHECK = BUILTIN.get("desired-instance-type")
ITEM_TYPES = ("AWS::EC2::Instance", "AWS::EC2::SecurityGroup", "AWS::S3::Bucket", "AWS::IAM::User")
MESSAGE_TYPES = tuple(kind.value for kind in MessageType)
EVENT_KEYS = (
    "invokingEvent",
    "ruleParameters",
    "resultToken",
    "accountId",
    "configRuleArn",
    "configRuleName",
    "executionRoleArn",
    "eventLeftScope",
    "version",
)
# Every field an EventError out of RuleEvent.parse may name (ruleParameters.NAME aside).
ERROR_FIELDS = frozenset(
    {
        "event",
        "invokingEvent",
        "ruleParameters",
        "invokingEvent.messageType",
        "resultToken",
        "accountId",
        "invokingEvent.awsAccountId",
        "invokingEvent.configurationItem",
        "invokingEvent.configurationItemSummary",
        "invokingEvent.configurationItem.awsAccountId",
        "invokingEvent.configurationItem.accountId",
        "invokingEvent.configurationItemSummary.awsAccountId",
        "invokingEvent.configurationItemSummary.accountId",
        "configRuleArn",
        "configRuleName",
        "executionRoleArn",
    }
)

environments = st.fixed_dictionaries({}, optional={"AWS_REGION": regions, "AWS_DEFAULT_REGION": regions})
rule_names = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=30)
parameter_values = st.text(max_size=12)
# Values that are neither None nor "" nor a string: what "must be a string" rejects.
non_strings = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(json_scalars, min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=5), json_scalars, min_size=1, max_size=3),
)


def invoking_of(event: Mapping[str, Any]) -> dict[str, Any]:
    raw = event["invokingEvent"]
    return dict(raw) if isinstance(raw, Mapping) else json.loads(raw)


def assert_one_event_error(error: EventError) -> None:
    assert error.field in ERROR_FIELDS or error.field.startswith("ruleParameters."), error.field
    assert str(error).startswith(f"{error.field}: ")
    assert len(str(error)) > len(error.field) + 2


@st.composite
def valid_events(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid event as AWS Config sends it (via scanner.testing), and what it must parse to."""
    kind = draw(st.sampled_from(MessageType))
    account = draw(account_ids)
    region = draw(regions)
    parameters = draw(
        st.dictionaries(st.sampled_from(["desiredInstanceType", "instanceType", "ExecutionRoleName"]), parameter_values)
    )
    rule_name = draw(rule_names)
    if kind is MessageType.SCHEDULED:
        event = scheduled_event(CHECK, parameters, rule_name=rule_name, account=account, region=region)
    else:
        document = reference_document(
            draw(st.sampled_from(ITEM_TYPES)),
            accountId=account,
            awsRegion=region,
            resourceId=draw(st.text(min_size=1, max_size=20)),
        )
        event = change_event(CHECK, document, parameters, rule_name=rule_name, oversized=kind is MessageType.OVERSIZED)
    expected = {
        "message_type": kind,
        "account_id": account,
        "region": region,
        "rule_parameters": parameters,
        "rule_name": rule_name,
        "result_token": event["resultToken"],
        "execution_role_arn": f"arn:aws:iam::{account}:role/config-role",
        "event_left_scope": False,
    }
    return event, expected


def assert_parsed(parsed: RuleEvent, event: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    for name, value in expected.items():
        assert getattr(parsed, name) == value, name
    assert parsed.invoking_event == invoking_of(event)
    assert parsed.test_mode is (parsed.result_token == "TESTMODE")


@given(valid_events(), environments)
def test_valid_events_parse_to_their_type_account_and_region(
    case: tuple[dict[str, Any], dict[str, Any]], environment: dict[str, str]
) -> None:
    event, expected = case
    # The rule ARN's region wins over the environment's.
    assert_parsed(RuleEvent.parse(event, environment), event, expected)


@given(valid_events(), st.data())
def test_equivalent_spellings_of_a_valid_event_parse_alike(
    case: tuple[dict[str, Any], dict[str, Any]], data: st.DataObject
) -> None:
    event, expected = case
    event = dict(event)
    expected = dict(expected)
    environment: dict[str, str] = {}
    if data.draw(st.booleans(), "invokingEvent as an object"):
        event["invokingEvent"] = json.loads(event["invokingEvent"])
    if data.draw(st.booleans(), "ruleParameters as an object"):
        event["ruleParameters"] = json.loads(event["ruleParameters"])
    if not expected["rule_parameters"] and data.draw(st.booleans(), "no ruleParameters"):
        event["ruleParameters"] = data.draw(st.sampled_from([None, ""]), "empty ruleParameters")
    if data.draw(st.booleans(), "accountId left to the invoking event"):
        del event["accountId"]
    if data.draw(st.booleans(), "region from the environment"):
        del event["configRuleArn"]
        name = data.draw(st.sampled_from(["AWS_REGION", "AWS_DEFAULT_REGION"]), "variable")
        environment[name] = data.draw(regions, "environment region")
        expected["region"] = environment[name]
    left_scope = data.draw(st.sampled_from([None, False, "false", True, "true", "TRUE", "True"]), "eventLeftScope")
    if left_scope is not None:
        event["eventLeftScope"] = left_scope
        expected["event_left_scope"] = left_scope is True or str(left_scope).lower() == "true"
    assert_parsed(RuleEvent.parse(event, environment), event, expected)


INVOKING_FIELDS = {
    "awsAccountId": st.one_of(account_ids, json_scalars),
    "configurationItem": st.one_of(
        json_values(),
        st.fixed_dictionaries(
            {}, optional={"awsAccountId": st.one_of(account_ids, json_scalars), "accountId": json_scalars}
        ),
    ),
    "configurationItemSummary": st.one_of(
        json_values(),
        st.fixed_dictionaries({}, optional={"awsAccountId": json_scalars, "accountId": account_ids}),
    ),
    "notificationCreationTime": json_scalars,
}
invoking_documents = st.fixed_dictionaries(
    {}, optional={"messageType": st.one_of(st.sampled_from(MESSAGE_TYPES), json_values()), **INVOKING_FIELDS}
)
typed_invoking_documents = st.fixed_dictionaries(
    {"messageType": st.sampled_from(MESSAGE_TYPES)}, optional=INVOKING_FIELDS
)
parameter_documents = st.dictionaries(st.text(max_size=8), st.one_of(parameter_values, json_scalars), max_size=3)
string_parameters = st.dictionaries(st.text(max_size=8), parameter_values, max_size=3)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Three draws in four from `good` (one_of would weigh the two alike)."""
    return st.sampled_from([good, good, good, bad]).flatmap(lambda strategy: strategy)


# Events with a known message type, every other field mostly plausible: enough of them parse to check what parsed,
# and the rest fail on the later fields.
plausible_events = st.fixed_dictionaries(
    {
        "invokingEvent": st.one_of(typed_invoking_documents, typed_invoking_documents.map(json.dumps)),
        "resultToken": mostly(st.text(min_size=1, max_size=10), json_scalars),
        "accountId": mostly(account_ids, json_scalars),
    },
    optional={
        "ruleParameters": mostly(
            st.one_of(string_parameters, string_parameters.map(json.dumps)),
            st.one_of(parameter_documents, parameter_documents.map(json.dumps), json_values()),
        ),
        "configRuleArn": mostly(
            st.tuples(regions, account_ids).map(lambda pair: "arn:aws:config:{}:{}:config-rule/r".format(*pair)),
            json_scalars,
        ),
        "configRuleName": mostly(rule_names, json_scalars),
        "executionRoleArn": json_scalars,
        "eventLeftScope": json_scalars,
    },
)
arbitrary_events = st.one_of(
    json_values(),
    plausible_events,
    st.dictionaries(
        st.one_of(st.sampled_from(EVENT_KEYS), st.text(max_size=6)),
        st.one_of(
            json_values(),
            invoking_documents,
            invoking_documents.map(json.dumps),
            parameter_documents.map(json.dumps),
            st.text(max_size=30),
        ),
        max_size=len(EVENT_KEYS) + 1,
    ),
)


@given(arbitrary_events, environments)
def test_arbitrary_events_parse_or_raise_one_event_error(event: Any, environment: dict[str, str]) -> None:
    try:
        parsed = RuleEvent.parse(event, environment)
    except EventError as error:
        assert_one_event_error(error)
        event_(f"EventError {error.field.split('.')[0]}")
        return
    event_("parsed")
    # Whatever parsed is what the event says.
    invoking = invoking_of(event)
    assert parsed.message_type.value == invoking["messageType"]
    assert parsed.result_token == event["resultToken"]
    assert isinstance(parsed.result_token, str)
    assert parsed.result_token
    candidates = [event.get("accountId"), invoking.get("awsAccountId")]
    for key in ("configurationItem", "configurationItemSummary"):
        item = invoking.get(key)
        if isinstance(item, Mapping):
            candidates += [item.get("awsAccountId"), item.get("accountId")]
    assert parsed.account_id in candidates
    assert isinstance(parsed.account_id, str)
    assert parsed.account_id
    assert parsed.region
    assert parsed.region in (
        *environment.values(),
        *(str(event.get("configRuleArn")).split(":")[3:4]),
    )
    assert all(isinstance(value, str) for value in parsed.rule_parameters.values())
    assert parsed.invoking_event == invoking


def _delete(key: str) -> Callable[[dict[str, Any], st.DataObject], str]:
    def mutate(event: dict[str, Any], data: st.DataObject) -> str:
        del event[key]
        return key

    return mutate


def _truncate_invoking(event: dict[str, Any], data: st.DataObject) -> str:
    text = event["invokingEvent"]
    # No strict prefix of a JSON object is a JSON object; the empty one is a missing field.
    event["invokingEvent"] = text[: data.draw(st.integers(0, len(text) - 1), "cut at")]
    return "invokingEvent"


def _decodes_to_object(value: Any) -> bool:
    try:
        return isinstance(value, str) and isinstance(json.loads(value), dict)
    except ValueError:
        return False


def _not_an_object(key: str) -> Callable[[dict[str, Any], st.DataObject], str]:
    """The field as JSON of something else, a string that is not JSON, or a bare non-string value."""

    def mutate(event: dict[str, Any], data: st.DataObject) -> str:
        document = data.draw(
            json_values().filter(lambda value: not isinstance(value, dict) and value is not None and value != ""),
            key,
        )
        spelled = data.draw(st.sampled_from([json.dumps(document), document]), "spelling")
        assume(not _decodes_to_object(spelled))
        event[key] = spelled
        return key

    return mutate


def _unknown_message_type(event: dict[str, Any], data: st.DataObject) -> str:
    invoking = json.loads(event["invokingEvent"])
    invoking["messageType"] = data.draw(json_values().filter(lambda value: value not in MESSAGE_TYPES), "type")
    event["invokingEvent"] = json.dumps(invoking)
    return "invokingEvent.messageType"


def _not_a_string(key: str) -> Callable[[dict[str, Any], st.DataObject], str]:
    def mutate(event: dict[str, Any], data: st.DataObject) -> str:
        event[key] = data.draw(non_strings, key)
        return key

    return mutate


def _parameter_not_a_string(event: dict[str, Any], data: st.DataObject) -> str:
    parameters = json.loads(event["ruleParameters"])
    name = data.draw(st.text(min_size=1, max_size=20), "parameter")
    parameters[name] = data.draw(st.one_of(non_strings, st.none()), "value")
    event["ruleParameters"] = data.draw(st.sampled_from([json.dumps(parameters), parameters]), "spelling")
    return f"ruleParameters.{name}"


def _no_account_anywhere(event: dict[str, Any], data: st.DataObject) -> str:
    del event["accountId"]
    invoking = json.loads(event["invokingEvent"])
    invoking.pop("awsAccountId", None)
    for key in ("configurationItem", "configurationItemSummary"):
        if key in invoking:
            invoking[key].pop("awsAccountId", None)
            invoking[key].pop("accountId", None)
    event["invokingEvent"] = json.dumps(invoking)
    return "accountId"


def _no_region_anywhere(event: dict[str, Any], data: st.DataObject) -> str:
    event["configRuleArn"] = data.draw(st.sampled_from([None, "", "not-an-arn", "arn:aws:config::123456789012:x"]))
    return "configRuleArn"


MUTATIONS = {
    "no invokingEvent": _delete("invokingEvent"),
    "no resultToken": _delete("resultToken"),
    "invokingEvent cut short": _truncate_invoking,
    "invokingEvent not an object": _not_an_object("invokingEvent"),
    "unknown messageType": _unknown_message_type,
    "resultToken not a string": _not_a_string("resultToken"),
    "accountId not a string": _not_a_string("accountId"),
    "configRuleArn not a string": _not_a_string("configRuleArn"),
    "configRuleName not a string": _not_a_string("configRuleName"),
    "executionRoleArn not a string": _not_a_string("executionRoleArn"),
    "a parameter not a string": _parameter_not_a_string,
    "ruleParameters not an object": _not_an_object("ruleParameters"),
    "no account anywhere": _no_account_anywhere,
    "no region anywhere": _no_region_anywhere,
}


@given(valid_events(), st.sampled_from(sorted(MUTATIONS)), st.data())
def test_a_broken_valid_event_raises_one_event_error_naming_the_field(
    case: tuple[dict[str, Any], dict[str, Any]], mutation: str, data: st.DataObject
) -> None:
    event = dict(case[0])
    field = MUTATIONS[mutation](event, data)
    with pytest.raises(EventError) as raised:
        RuleEvent.parse(event, {})
    assert_one_event_error(raised.value)
    assert raised.value.field == field


@given(valid_events(), st.sampled_from(EVENT_KEYS), json_values(), environments)
def test_any_field_of_a_valid_event_replaced_by_any_json_parses_or_raises_event_error(
    case: tuple[dict[str, Any], dict[str, Any]], key: str, value: Any, environment: dict[str, str]
) -> None:
    event = {**case[0], key: value}
    try:
        parsed = RuleEvent.parse(event, environment)
    except EventError as error:
        assert_one_event_error(error)
        return
    expected = case[1]
    assert parsed.result_token == event["resultToken"]
    if key == "invokingEvent":
        assert parsed.invoking_event == invoking_of(event)
        return
    assert parsed.message_type is expected["message_type"]
    # The event's accountId wins; without one the invoking event names the same account.
    given_account = key == "accountId" and value is not None and value != ""
    assert parsed.account_id == (value if given_account else expected["account_id"])


def test_deeply_nested_invoking_event_is_an_event_error() -> None:
    event = scheduled_event(CHECK, {"desiredInstanceType": "t3.micro"})
    event["invokingEvent"] = "[" * 100_000
    with pytest.raises(EventError) as raised:
        RuleEvent.parse(event, {})
    assert raised.value.field == "invokingEvent"
