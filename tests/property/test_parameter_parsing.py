"""`Check.parameters.parse` over every built-in check: typed values for good input, one `ParameterError` otherwise."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from checks import BUILTIN
from checks.aws.s3_bucket_level_public_access_prohibited import _BucketNamesParameter
from checks.shared.common import KmsKeyParameter
from scanner.registry import Check, Parameter, ParameterError, ParameterType, PortRange
from tests.property.strategies import account_ids, json_objects, json_scalars, json_values, padding, regions

CHECKS = list(BUILTIN)
checks = st.sampled_from(CHECKS)
WITH_PARAMETERS = [check for check in CHECKS if check.parameters.parameters or check.parameters.free_form]
PYTHON_TYPES: dict[ParameterType, type] = {
    ParameterType.STRING: str,
    ParameterType.INTEGER: int,
    ParameterType.BOOLEAN: bool,
    ParameterType.STRING_LIST: tuple,
    ParameterType.PORT_RANGE: PortRange,
    ParameterType.RESOURCE_TYPE: str,
}
identifiers = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,15}", fullmatch=True)
# Text with no blank at either end (the parsers strip padding) and something in it.
words = st.text(min_size=1, max_size=15).filter(lambda text: text == text.strip() and text != "")
list_items = st.text(min_size=1, max_size=10).filter(lambda text: "," not in text and text == text.strip() and text)
bucket_names = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]", fullmatch=True)
kms_key_ids = st.one_of(
    st.uuids().map(str),
    st.tuples(regions, account_ids, st.uuids()).map(lambda parts: "arn:aws:kms:{}:{}:key/{}".format(*parts)),
)
resource_types = st.from_regex(r"AWS::[A-Za-z0-9]{1,10}::[A-Za-z0-9]{1,12}", fullmatch=True)


def names_of(check: Check) -> set[str]:
    return {name for parameter in check.parameters.parameters for name in (parameter.name, *parameter.aliases)}


@st.composite
def valid_value(draw: st.DrawFn, parameter: Parameter, as_string: bool) -> tuple[Any, Any]:
    """A raw value for `parameter` (as AWS Config passes it, or typed as a parameters file may) and its parsed form."""
    kind = parameter.type
    if isinstance(parameter, KmsKeyParameter):
        key = draw(kms_key_ids)
        return draw(padding) + key + draw(padding), key
    if isinstance(parameter, _BucketNamesParameter):
        buckets = draw(st.lists(bucket_names, min_size=1, max_size=4))
        return (", ".join(buckets) if as_string else buckets), tuple(buckets)
    if kind is ParameterType.STRING:
        word = draw(words)
        return draw(padding) + word + draw(padding), word
    if kind is ParameterType.RESOURCE_TYPE:
        name = draw(resource_types)
        return draw(padding) + name + draw(padding), name
    if kind is ParameterType.INTEGER:
        lowest, highest = parameter.integer_bounds
        number = draw(st.integers(min_value=lowest, max_value=highest))
        return (draw(padding) + str(number) + draw(padding) if as_string else number), number
    if kind is ParameterType.BOOLEAN:
        flag = draw(st.booleans())
        return (draw(padding) + str(flag).lower() + draw(padding) if as_string else flag), flag
    if kind is ParameterType.STRING_LIST:
        items = draw(st.lists(list_items, min_size=1, max_size=5))
        if not as_string:
            return items, tuple(items)
        # Blanks around items and empty items between commas are dropped.
        blanks = st.lists(st.sampled_from(["", " ", "\t"]), max_size=2)
        parts = [part for item in items for part in (*draw(blanks), draw(padding) + item + draw(padding))]
        return ",".join(parts), tuple(items)
    first = draw(st.integers(0, 65535))
    last = draw(st.integers(first, 65535))
    if not as_string:
        return first, PortRange(first, first)
    spelled = f"{first}" if first == last and draw(st.booleans()) else f"{first}{draw(padding)}-{draw(padding)}{last}"
    return draw(padding) + spelled + draw(padding), PortRange(first, last)


@st.composite
def valid_parameters(draw: st.DrawFn, check: Check) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid parameters document for `check` and the values it must parse to (defaults filled in)."""
    as_string = draw(st.booleans(), "as AWS Config passes them")
    raw: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for parameter in check.parameters.parameters:
        if parameter.required or draw(st.booleans(), f"give {parameter.name}"):
            name = draw(st.sampled_from((parameter.name, *parameter.aliases)))
            raw[name], expected[parameter.name] = draw(valid_value(parameter, as_string))
        elif parameter.type is ParameterType.PORT_RANGE and isinstance(parameter.default, int):
            expected[parameter.name] = PortRange(parameter.default, parameter.default)
        else:
            expected[parameter.name] = parameter.default
    free_form = check.parameters.free_form
    if free_form is not None:
        free_names = draw(
            st.lists(
                identifiers.filter(lambda name: name not in names_of(check)),
                min_size=check.parameters.min_free_form,
                max_size=3,
                unique=True,
            )
        )
        for name in free_names:
            raw[name], expected[name] = draw(valid_value(Parameter(name, free_form.type, "free"), as_string))
    if check.id == "required-tags":
        _required_tags_rules(raw, expected)
    return raw, expected


def _required_tags_rules(raw: dict[str, Any], expected: dict[str, Any]) -> None:
    """required-tags: a tagNValue needs its tagNKey, and no key is required twice (drop slots that break either)."""
    seen = set()
    for slot in range(1, 7):
        key = expected[f"tag{slot}Key"]
        if key is None or key in seen:
            assert slot > 1
            for name in (f"tag{slot}Key", f"tag{slot}Value"):
                raw.pop(name, None)
                expected[name] = None
        else:
            seen.add(key)


@st.composite
def checks_with_valid_parameters(draw: st.DrawFn) -> tuple[Check, dict[str, Any], dict[str, Any]]:
    check = draw(checks)
    raw, expected = draw(valid_parameters(check))
    return check, raw, expected


@given(checks_with_valid_parameters(), st.booleans())
def test_valid_parameters_parse_to_typed_values(
    case: tuple[Check, dict[str, Any], dict[str, Any]], as_json: bool
) -> None:
    check, raw, expected = case
    values = check.parameters.parse(check.id, json.dumps(raw) if as_json else raw)
    assert dict(values) == expected
    for name, value in values.items():
        assert value is None or isinstance(value, PYTHON_TYPES[_type_of(check, name)]), name


def _type_of(check: Check, name: str) -> ParameterType:
    for parameter in check.parameters.parameters:
        if name == parameter.name:
            return parameter.type
    assert check.parameters.free_form is not None
    return check.parameters.free_form.type


def assert_one_parameter_error(error: ParameterError, check: Check, given: Mapping[str, Any] | None) -> None:
    assert error.check_id == check.id
    assert str(error).startswith(f"check {check.id}")
    if error.parameter is not None:
        assert error.parameter in names_of(check) | set(given or ())
    if error.parameter:  # an empty name ("") is not spelled out
        assert f"parameter {error.parameter}: " in str(error)


def document_of(raw: Any) -> Mapping[str, Any] | None:
    """The mapping `raw` stands for, if it is one."""
    if isinstance(raw, str) and raw:
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    return raw if isinstance(raw, Mapping) else None


@st.composite
def arbitrary_parameters(draw: st.DrawFn, check: Check) -> Any:
    names = st.one_of(st.sampled_from(sorted(names_of(check) or {"x"})), identifiers, st.text(max_size=8))
    values = st.one_of(json_values(), st.text(max_size=20), st.from_regex(r"\s*\d{1,6}\s*(-\s*\d{1,6}\s*)?"))
    documents = st.dictionaries(names, values, max_size=6)
    return draw(
        st.one_of(
            st.none(),
            st.text(max_size=30),
            json_values().map(json.dumps),
            json_objects,
            documents,
            documents.map(json.dumps),
        )
    )


@pytest.mark.slow
@given(st.data())
def test_arbitrary_parameters_parse_or_raise_one_parameter_error(data: st.DataObject) -> None:
    check = data.draw(checks, "check")
    raw = data.draw(arbitrary_parameters(check), "raw")
    try:
        values = check.parameters.parse(check.id, raw)
    except ParameterError as error:
        assert_one_parameter_error(error, check, document_of(raw))
        return
    document = document_of(raw) or {}
    declared = {parameter.name for parameter in check.parameters.parameters}
    assert declared <= set(values)
    assert set(values) - declared <= set(document)
    for parameter in check.parameters.parameters:
        value = values[parameter.name]
        given_names = [name for name in (parameter.name, *parameter.aliases) if name in document]
        if parameter.required:
            assert given_names
        if not given_names:
            continue
        assert isinstance(value, PYTHON_TYPES[parameter.type]), parameter.name
        if parameter.type is ParameterType.INTEGER:
            assert parameter.integer_bounds[0] <= value <= parameter.integer_bounds[1]
        if parameter.type is ParameterType.STRING_LIST:
            assert value
            assert all(item and item == item.strip() for item in value)
        if parameter.type is ParameterType.PORT_RANGE:
            assert 0 <= value.first <= value.last <= 65535


def invalid_value(parameter: Parameter) -> st.SearchStrategy[Any]:
    """Values `parameter` must refuse."""
    kind = parameter.type
    non_strings = st.one_of(st.none(), st.booleans(), st.integers(), st.lists(json_scalars, max_size=2))
    if kind is ParameterType.STRING:
        return st.one_of(non_strings, st.text(alphabet=" \t\n", max_size=3))
    if kind is ParameterType.RESOURCE_TYPE:
        return st.one_of(
            non_strings,
            st.text(max_size=20).filter(lambda text: not _is_resource_type(text)),
            resource_types.map(lambda name: name.replace("::", ":", 1)),
            resource_types.map(lambda name: name + "::Extra"),
        )
    if kind is ParameterType.INTEGER:
        lowest, highest = parameter.integer_bounds
        beyond = st.one_of(st.integers(max_value=lowest - 1), st.integers(min_value=highest + 1)).flatmap(
            lambda number: st.sampled_from([number, str(number)])
        )
        return st.one_of(
            beyond,
            st.sampled_from(["1_000", "1e26", "1.5", "\u0661\u0662"]),
            st.booleans(),
            st.none(),
            st.floats(),  # str() of any float has a point, an exponent, inf or nan
            st.text(max_size=10).filter(lambda text: not _is_int(text)),
            st.sampled_from(["1.0", "1e3", "0x10", "ten", "", " ", "--1", "1 2"]),
        )
    if kind is ParameterType.BOOLEAN:
        return st.one_of(
            st.none(),
            st.integers(),
            st.sampled_from(["True", "FALSE", "yes", "no", "1", "0", "", "t"]),
            st.text(max_size=8).filter(lambda text: text.strip() not in ("true", "false")),
        )
    if kind is ParameterType.STRING_LIST:
        return st.one_of(st.text(alphabet=" ,\t", max_size=6), st.lists(st.sampled_from(["", " ", "\t"]), max_size=3))
    return invalid_ports


def _is_int(text: str) -> bool:
    try:
        int(text.strip())
    except ValueError:
        return False
    return True


def _is_resource_type(text: str) -> bool:
    parts = text.strip().split("::")
    return len(parts) == 3 and parts[0] == "AWS" and all(part.isascii() and part.isalnum() for part in parts[1:])


invalid_ports = st.one_of(
    st.integers(min_value=65536).flatmap(
        lambda port: st.sampled_from([port, str(port), f"1-{port}", f"{port}-{port}"])
    ),
    st.integers(max_value=-1).flatmap(lambda port: st.sampled_from([port, str(port)])),
    st.tuples(st.integers(0, 65534), st.integers(1, 65535))
    .filter(lambda pair: pair[0] < pair[1])
    .map(lambda pair: f"{pair[1]}-{pair[0]}"),
    st.sampled_from(["", " ", "-", "80-", "-80", "80--90", "80-90-100", "http", "080x", "8.0", "1,2", "123456"]),
    st.booleans(),
    st.none(),
    st.floats(),
)


@st.composite
def checks_with_an_invalid_value(draw: st.DrawFn) -> tuple[Check, dict[str, Any], str]:
    """A valid document for a check with one of its values made invalid (the name it must be reported under)."""
    check = draw(st.sampled_from(WITH_PARAMETERS))
    raw, _ = draw(valid_parameters(check))
    if check.parameters.free_form is not None:
        parameter = Parameter(draw(identifiers), check.parameters.free_form.type, "free")
        name = parameter.name
    else:
        parameter = draw(st.sampled_from(check.parameters.parameters))
        name = draw(st.sampled_from((parameter.name, *parameter.aliases)))
        for other in (parameter.name, *parameter.aliases):
            raw.pop(other, None)
    raw[name] = draw(invalid_value(parameter))
    return check, raw, parameter.name


@given(checks_with_an_invalid_value(), st.booleans())
def test_an_invalid_value_raises_one_parameter_error_naming_it(
    case: tuple[Check, dict[str, Any], str], as_json: bool
) -> None:
    check, raw, name = case
    if as_json:
        try:
            spelled: Any = json.dumps(raw, allow_nan=False)
        except ValueError:
            spelled = raw
    else:
        spelled = raw
    with pytest.raises(ParameterError) as raised:
        check.parameters.parse(check.id, spelled)
    assert_one_parameter_error(raised.value, check, raw)
    assert raised.value.parameter == name


@given(checks, identifiers, json_values())
def test_an_unknown_parameter_raises_one_parameter_error_naming_it(check: Check, name: str, value: Any) -> None:
    assume(check.parameters.free_form is None and name not in names_of(check))
    raw = {name: value}
    with pytest.raises(ParameterError) as raised:
        check.parameters.parse(check.id, raw)
    assert raised.value.parameter == name
    assert "unknown parameter" in str(raised.value)


@given(st.sampled_from([check for check in CHECKS if check.parameters.has_required()]), st.data())
def test_a_missing_required_parameter_raises_one_parameter_error(check: Check, data: st.DataObject) -> None:
    raw, _ = data.draw(valid_parameters(check))
    required = [parameter for parameter in check.parameters.parameters if parameter.required]
    if required:
        missing = data.draw(st.sampled_from(required))
        for name in (missing.name, *missing.aliases):
            raw.pop(name, None)
    else:  # free-form parameters only: give none
        raw = {}
    with pytest.raises(ParameterError) as raised:
        check.parameters.parse(check.id, raw)
    assert_one_parameter_error(raised.value, check, raw)
    if required:
        assert raised.value.parameter == missing.name
        assert str(raised.value).endswith("is required")
    else:
        assert raised.value.parameter is None
        assert "needs at least" in str(raised.value)


@given(st.data())
def test_a_name_and_its_alias_together_raise_one_parameter_error(data: st.DataObject) -> None:
    aliased = [(check, p) for check in CHECKS for p in check.parameters.parameters if p.aliases]
    check, parameter = data.draw(st.sampled_from(aliased))
    value, _ = data.draw(valid_value(parameter, as_string=True))
    alias = data.draw(st.sampled_from(parameter.aliases))
    names = data.draw(st.permutations([parameter.name, alias]))
    with pytest.raises(ParameterError) as raised:
        check.parameters.parse(check.id, {names[0]: value, names[1]: value})
    assert raised.value.parameter == parameter.name
    assert "given twice" in str(raised.value)


@given(checks, json_values().filter(lambda value: not isinstance(value, dict)), st.text(max_size=20), st.data())
def test_a_document_that_is_not_an_object_raises_one_parameter_error(
    check: Check, document: Any, text: str, data: st.DataObject
) -> None:
    raw = data.draw(st.sampled_from([json.dumps(document), document, text]), "spelling")
    assume(raw is not None and raw != "" and document_of(raw) is None)
    with pytest.raises(ParameterError) as raised:
        check.parameters.parse(check.id, raw)
    assert raised.value.parameter is None
    assert raised.value.check_id == check.id
    assert "JSON" in str(raised.value)


@pytest.mark.parametrize(
    ("check_id", "name", "value"),
    [
        ("approved-amis-by-id", "amiIds", None),
        ("desired-instance-type", "desiredInstanceType", None),
        ("required-tags", "tag1Value", None),
        ("approved-amis-by-id", "amiIds", {"ami": "ami-0abc"}),
        ("desired-instance-type", "instanceType", {"t3": "micro"}),
    ],
)
def test_a_string_list_given_null_or_an_object_is_a_parameter_error(check_id: str, name: str, value: Any) -> None:
    check = BUILTIN.get(check_id)
    parameter = next(p for p in check.parameters.parameters if name in (p.name, *p.aliases))
    raw = {p.name: "x" for p in check.parameters.parameters if p.required and p is not parameter}
    raw[name] = value
    with pytest.raises(ParameterError) as raised:
        check.parameters.parse(check.id, raw)
    assert raised.value.parameter == parameter.name


def test_deeply_nested_parameters_json_is_a_parameter_error() -> None:
    check = BUILTIN.get("desired-instance-type")
    with pytest.raises(ParameterError) as raised:
        check.parameters.parse(check.id, "[" * 100_000)
    assert raised.value.parameter is None


def test_every_parameter_type_is_covered() -> None:
    covered = {parameter.type for check in CHECKS for parameter in check.parameters.parameters}
    covered |= {check.parameters.free_form.type for check in CHECKS if check.parameters.free_form}
    assert covered == set(ParameterType)
