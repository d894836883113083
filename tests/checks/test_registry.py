"""The check contract: the registry refuses duplicates, parameters parse or fail naming check and parameter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks import BUILTIN
from scanner.model import Compliance
from scanner.registry import (
    INTEGER_CEILING,
    Check,
    CheckDefinitionError,
    CheckScope,
    DuplicateCheckError,
    ExtraData,
    Parameter,
    ParameterError,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    PortRange,
    Registry,
    Result,
    Severity,
    Snapshot,
    UnknownCheckError,
)
from scanner.scan.inventory import EXTRA_DATA_READERS
from tests.support import BUILTIN_IDS

SCHEMA = ParameterSchema(
    (
        Parameter("names", ParameterType.STRING_LIST, "names", required=True, aliases=("nameList",)),
        Parameter("limit", ParameterType.INTEGER, "a limit", default=5, minimum=1),
        Parameter("label", ParameterType.STRING, "a label"),
        Parameter("port", ParameterType.PORT_RANGE, "a port"),
    )
)


def account_check(check_id: str = "some-check", **overrides: Any) -> Check:
    def evaluate(snapshot: Snapshot, params: ParameterValues) -> Result:
        return Result(Compliance.COMPLIANT)

    fields: dict[str, Any] = {
        "id": check_id,
        "title": "t",
        "description": "d",
        "rationale": "why",
        "severity": Severity.LOW,
        "remediation": "r",
        "remediation_cli": "aws iam get-account-summary",
        "scope": CheckScope.ACCOUNT,
        "evaluate_account": evaluate,
    }
    return Check(**(fields | overrides))


class TestRegistry:
    def test_the_builtins_are_registered_once_each(self) -> None:
        assert [check.id for check in BUILTIN] == BUILTIN_IDS
        assert len(BUILTIN) == 31
        assert "iam-inactive-user" in BUILTIN
        assert "nope" not in BUILTIN

    def test_a_duplicate_id_at_construction_raises(self) -> None:
        with pytest.raises(DuplicateCheckError, match="check id 'some-check' is registered twice"):
            Registry([account_check(), account_check()])

    def test_a_duplicate_id_on_register_raises_and_keeps_the_first(self) -> None:
        first = account_check(title="first")
        registry = Registry([first])
        with pytest.raises(DuplicateCheckError):
            registry.register(account_check(title="second"))
        assert registry.get("some-check") is first

    def test_registering_a_builtin_again_raises(self) -> None:
        registry = Registry(BUILTIN)
        with pytest.raises(DuplicateCheckError, match="resource-count-max"):
            registry.register(BUILTIN.get("resource-count-max"))

    def test_an_unknown_check_names_itself_and_the_known_ones(self) -> None:
        with pytest.raises(UnknownCheckError) as info:
            BUILTIN.get("ec2-exposed-instances")
        message = str(info.value)
        assert message.startswith("unknown check 'ec2-exposed-instances' (known: access-keys-rotated, ")
        assert "resource-count-max" in message
        assert isinstance(info.value, KeyError)

    @pytest.mark.parametrize("check_id", ["Has-Caps", "under_score", "-lead", "trail-", "two--dashes", ""])
    def test_malformed_check_ids_are_refused(self, check_id: str) -> None:
        with pytest.raises(ValueError, match="must be lower-case words"):
            account_check(check_id)

    def test_the_evaluator_must_match_the_scope(self) -> None:
        with pytest.raises(ValueError, match="a resource-scope check has evaluate_resource, and only it"):
            account_check(scope=CheckScope.RESOURCE)

    @pytest.mark.parametrize(
        ("overrides", "problem"),
        [
            ({"rationale": " "}, "rationale is empty"),
            ({"title": ""}, "title is empty"),
            ({"remediation": ""}, "remediation is empty"),
            ({"title": "two\nlines"}, "the title must be one line of at most 100 characters"),
            (
                {"remediation_cli": "delete it"},
                "remediation_cli must be AWS CLI commands, one per line, each starting with 'aws '",
            ),
            (
                {"remediation_cli": "aws s3 ls\nrm -rf /"},
                "remediation_cli must be AWS CLI commands, one per line, each starting with 'aws '",
            ),
            ({"cis": ("1.4", "CIS 1.5")}, "CIS control id 'CIS 1.5' is not like 1.4 or 2.1.1"),
            ({"severity": "high"}, "severity and scope must be Severity and CheckScope members"),
            ({"lookup_types": ("EC2::Instance",)}, "resource type 'EC2::Instance' is not like AWS::EC2::Instance"),
            ({"extra_data": ("iam_credential_report",)}, "extra_data holds ExtraData members"),
            (
                {
                    "parameters": ParameterSchema(
                        (Parameter("n", ParameterType.INTEGER, "n", required=True, default=1),)
                    )
                },
                "parameter n is required and has a default",
            ),
            (
                {"parameters": ParameterSchema((Parameter("n", ParameterType.INTEGER, "n", default="5"),))},
                "parameter n's default '5' is not a int (integer)",
            ),
            (
                {"parameters": ParameterSchema((Parameter("n", ParameterType.INTEGER, "n", default=True),))},
                "parameter n's default True is not a int (integer)",
            ),
            (
                {"parameters": ParameterSchema((Parameter("on", ParameterType.BOOLEAN, "on", default="true"),))},
                "parameter on's default 'true' is not a bool (boolean)",
            ),
            (
                {
                    "parameters": ParameterSchema(
                        (
                            Parameter("a", ParameterType.STRING, "a"),
                            Parameter("b", ParameterType.STRING, "b", aliases=("a",)),
                        )
                    )
                },
                "parameter name 'a' is declared twice",
            ),
            ({"parameters": ParameterSchema((Parameter("a b", ParameterType.STRING, "a"),))}, "not an identifier"),
            ({"parameters": ParameterSchema((Parameter("a", ParameterType.STRING, " "),))}, "a has no description"),
            (
                {"lookup_types": "AWS::EC2::Volume"},
                "lookup_types must be a tuple (one element needs a trailing comma: ('AWS::EC2::Volume',))",
            ),
            ({"extra_data": ExtraData.IAM_CREDENTIAL_REPORT}, "extra_data must be a tuple"),
            ({"cis": "2.2.1"}, "cis must be a tuple (one element needs a trailing comma: ('2.2.1',))"),
            ({"rationale": None}, "rationale must be a string"),
            ({"parameters": ()}, "parameters must be a ParameterSchema"),
            (
                {"parameters": ParameterSchema((Parameter("n", ParameterType.INTEGER, "n", default=0, minimum=1),))},
                "parameter n's default 0 is below its minimum",
            ),
            (
                {"parameters": ParameterSchema((Parameter("n", ParameterType.INTEGER, "n", default=9, maximum=5),))},
                "parameter n's default 9 is beyond -999999999..5",
            ),
            (
                {"parameters": ParameterSchema((Parameter("n", ParameterType.INTEGER, "n", minimum=5, maximum=1),))},
                "parameter n's minimum 5 is above its maximum",
            ),
            (
                {"parameters": ParameterSchema((Parameter("s", ParameterType.STRING, "s", maximum=5),))},
                "parameter s has a maximum, which only integer parameters take",
            ),
        ],
    )
    def test_incomplete_metadata_is_refused_when_the_check_is_defined(
        self, overrides: dict[str, Any], problem: str
    ) -> None:
        with pytest.raises(CheckDefinitionError) as raised:
            account_check("half-done", **overrides)
        assert str(raised.value).startswith("check 'half-done': ")
        assert problem in str(raised.value)

    def test_every_problem_is_named_at_once(self) -> None:
        with pytest.raises(CheckDefinitionError) as raised:
            account_check("Bad Id", rationale="", remediation_cli="")
        assert str(raised.value) == (
            "check 'Bad Id': the id must be lower-case words joined by '-'; rationale is empty; "
            "remediation_cli must be AWS CLI commands, one per line, each starting with 'aws '"
        )

    def test_a_resource_check_names_its_types(self) -> None:
        def evaluate(item: Any, params: ParameterValues, snapshot: Snapshot) -> Result:
            return Result(Compliance.COMPLIANT)

        with pytest.raises(CheckDefinitionError, match="names the resource types it evaluates"):
            account_check(scope=CheckScope.RESOURCE, evaluate_account=None, evaluate_resource=evaluate)

    @pytest.mark.parametrize("check", list(BUILTIN), ids=lambda check: check.id)
    def test_every_builtin_runs_with_its_demo_parameters_and_describes_itself(self, check: Check) -> None:
        params = check.parameters.parse(check.id, json.dumps(dict(check.demo_parameters)))
        check.needs(params)
        described = json.loads(json.dumps(check.describe()))
        assert described["id"] == check.id
        assert all(isinstance(value, str) for value in check.demo_parameters.values())
        assert (check.evaluate_account is not None) == (check.scope is CheckScope.ACCOUNT)

    def test_every_kind_of_extra_data_has_a_reader_and_permissions(self) -> None:
        assert set(EXTRA_DATA_READERS) == set(ExtraData)
        assert all(data.permissions for data in ExtraData)

    def test_permissions_include_the_extra_data_reads(self) -> None:
        check = BUILTIN.get("iam-inactive-user")
        assert check.permissions[-2:] == ExtraData.IAM_CREDENTIAL_REPORT.permissions
        assert "iam:GenerateCredentialReport" not in BUILTIN.get("resource-count-max").permissions


class TestParameters:
    def test_typed_values_and_defaults(self) -> None:
        parsed = SCHEMA.parse("c", {"names": "a, b,,c ", "limit": "7", "label": " x ", "port": "1-1024"})
        assert dict(parsed) == {"names": ("a", "b", "c"), "limit": 7, "label": "x", "port": PortRange(1, 1024)}
        defaults = SCHEMA.parse("c", {"names": ["a"]})
        assert dict(defaults) == {"names": ("a",), "limit": 5, "label": None, "port": None}

    def test_aws_config_input_parameters_arrive_as_a_json_string_of_strings(self) -> None:
        parsed = SCHEMA.parse("c", '{"names":"a,b","limit":"3","port":"22"}')
        assert parsed["names"] == ("a", "b")
        assert parsed["limit"] == 3
        assert parsed["port"] == PortRange(22, 22)

    def test_an_alias_is_stored_under_the_canonical_name(self) -> None:
        assert dict(SCHEMA.parse("c", {"nameList": "a"}))["names"] == ("a",)
        assert "nameList" not in SCHEMA.parse("c", {"nameList": "a"})

    def test_a_name_and_its_alias_together_are_refused(self) -> None:
        with pytest.raises(ParameterError, match="check c, parameter names: given twice"):
            SCHEMA.parse("c", {"names": "a", "nameList": "b"})

    @pytest.mark.parametrize("raw", [{}, None, "", "{}", {"limit": "3"}])
    def test_a_missing_required_parameter_names_check_and_parameter(self, raw: Any) -> None:
        with pytest.raises(ParameterError, match=r"^check c, parameter names: is required$") as info:
            SCHEMA.parse("c", raw)
        assert (info.value.check_id, info.value.parameter) == ("c", "names")

    @pytest.mark.parametrize(
        ("name", "value", "message"),
        [
            ("limit", "0", "must be at least 1, got 0"),
            ("limit", "five", "expected an integer, got 'five'"),
            ("limit", True, "expected an integer, got True"),
            ("limit", "2.5", "expected an integer"),
            ("label", "", "expected a non-empty string"),
            ("label", 5, "expected a non-empty string, got 5"),
            ("names", " , ", "expected a comma-separated list"),
            ("port", "65536", "expected ports within 0-65535"),
            ("port", "20-10", "low to high"),
            ("port", "http", "expected a port like 8080 or a range like 1-1024"),
            ("limit", "\u0661\u0662", "expected an integer, got '\u0661\u0662'"),
            ("port", "\uff18\uff10", "expected a port like 8080"),
            ("names", None, "expected a comma-separated list, got None"),
            ("names", {"a": 1}, "expected a comma-separated list, got {'a': 1}"),
            ("names", [{"a": 1}], "expected a comma-separated list"),
        ],
    )
    def test_a_malformed_value_names_check_and_parameter(self, name: str, value: Any, message: str) -> None:
        raw = {"names": "a", name: value}
        with pytest.raises(ParameterError, match=f"^check c, parameter {name}: ") as info:
            SCHEMA.parse("c", raw)
        assert message in str(info.value)
        assert info.value.parameter == name

    @pytest.mark.parametrize("spelled", ["1_000", "0_7"])
    def test_an_integer_is_plain_decimal_digits(self, spelled: str) -> None:
        # int() reads "1_000" as 1000; AWS Config passes digits, and anything else is a mistake to report.
        with pytest.raises(ParameterError, match=f"^check c, parameter limit: expected an integer, got {spelled!r}$"):
            SCHEMA.parse("c", {"names": "a", "limit": spelled})

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("1" + "0" * 26, "must be at most 36500, got 1" + "0" * 26),
            (10**26, f"must be at most 36500, got {10**26}"),
            ("36501", "must be at most 36500, got 36501"),
            ("9" * 5000, "must be at most 36500, got " + "9" * 37 + "..."),
            ("-" + "9" * 5000, "must be at least 1, got -" + "9" * 36 + "..."),
        ],
        ids=["spelled-out", "typed", "one-above", "beyond-int-digits", "far-below"],
    )
    def test_a_day_count_beyond_its_maximum_is_refused(self, raw: Any, message: str) -> None:
        # timedelta(days=...) overflows past 999999999 days: every evaluation would fail instead.
        check = BUILTIN.get("iam-inactive-user")
        with pytest.raises(ParameterError) as info:
            check.parameters.parse(check.id, {"maxInactiveDays": raw})
        assert str(info.value) == f"check iam-inactive-user, parameter maxInactiveDays: {message}"
        assert check.parameters.parse(check.id, {"maxInactiveDays": "36500"})["maxInactiveDays"] == 36500

    def test_an_integer_without_a_declared_maximum_stops_at_the_ceiling(self) -> None:
        assert SCHEMA.parse("c", {"names": "a", "limit": str(INTEGER_CEILING)})["limit"] == INTEGER_CEILING
        with pytest.raises(
            ParameterError, match=f"parameter limit: must be at most {INTEGER_CEILING}, got 1000000000$"
        ):
            SCHEMA.parse("c", {"names": "a", "limit": "1000000000"})
        unbounded = ParameterSchema((Parameter("n", ParameterType.INTEGER, "n"),))
        with pytest.raises(ParameterError, match=f"parameter n: must be at least -{INTEGER_CEILING}, got -1000000000$"):
            unbounded.parse("c", {"n": -(10**9)})

    def test_a_free_form_integer_keeps_its_bounds(self) -> None:
        schema = ParameterSchema(free_form=Parameter("n", ParameterType.INTEGER, "a count", minimum=0, maximum=10))
        assert schema.parse("c", {"anything": "10"})["anything"] == 10
        with pytest.raises(ParameterError, match=r"parameter anything: must be at least 0, got -1$"):
            schema.parse("c", {"anything": "-1"})

    def test_every_builtin_integer_parameter_declares_its_maximum_and_documents_its_bounds(self) -> None:
        declared = {
            (check.id, parameter.name): (parameter.minimum, parameter.maximum)
            for check in BUILTIN
            for parameter in check.parameters.parameters
            if parameter.type is ParameterType.INTEGER
        }
        assert declared == {
            ("access-keys-rotated", "maxAccessKeyAge"): (1, 36500),
            ("iam-inactive-user", "maxInactiveDays"): (1, 36500),
            ("iam-user-unused-credentials-check", "maxCredentialUsageAge"): (1, 36500),
            ("iam-password-policy", "MinimumPasswordLength"): (6, 128),
            ("iam-password-policy", "PasswordReusePrevention"): (0, 24),
            ("iam-password-policy", "MaxPasswordAge"): (0, 36500),
            ("resource-count-max", "maxCount"): (0, None),
        }
        described = {
            parameter["name"]: parameter for parameter in BUILTIN.get("resource-count-max").describe()["parameters"]
        }
        assert described["maxCount"]["description"].endswith(f"; an integer from 0 to {INTEGER_CEILING}")
        inactive = BUILTIN.get("iam-inactive-user").describe()["parameters"][0]
        assert inactive["description"].endswith("; an integer from 1 to 36500")

    def test_typed_values_from_a_parameters_file_are_accepted(self) -> None:
        parsed = SCHEMA.parse("c", {"names": ["a", "b"], "limit": 9, "port": 443})
        assert (parsed["names"], parsed["limit"], parsed["port"]) == (("a", "b"), 9, PortRange(443, 443))

    def test_an_unknown_parameter_is_refused_listing_the_known_ones(self) -> None:
        with pytest.raises(ParameterError, match="parameter nmes: unknown parameter") as info:
            SCHEMA.parse("c", {"names": "a", "nmes": "b"})
        assert "(known: label, limit, nameList, names, port)" in str(info.value)
        assert info.value.parameter == "nmes"

    def test_a_builtin_refuses_an_unknown_parameter(self) -> None:
        check = BUILTIN.get("iam-inactive-user")
        with pytest.raises(ParameterError, match="check iam-inactive-user, parameter maxInactiveDay: unknown"):
            check.parameters.parse(check.id, '{"maxInactiveDay":"90"}')

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ('{"names": "a"', "parameters are not valid JSON"),
            ('["names"]', "parameters must be a JSON object"),
            ("42", "parameters must be a JSON object"),
        ],
    )
    def test_malformed_parameter_documents_name_the_check(self, raw: str, message: str) -> None:
        with pytest.raises(ParameterError, match=f"^check c: {message}") as info:
            SCHEMA.parse("c", raw)
        assert info.value.parameter is None

    def test_free_form_parameters_keep_their_names(self) -> None:
        schema = ParameterSchema(
            free_form=Parameter("port", ParameterType.PORT_RANGE, "forbidden port"), min_free_form=1
        )
        parsed = schema.parse("c", {"anything": "22", "else": "1-3"})
        assert parsed == ParameterValues({"anything": PortRange(22, 22), "else": PortRange(1, 3)})
        assert schema.has_required()
        with pytest.raises(ParameterError, match=r"^check c: needs at least 1 forbidden port$"):
            schema.parse("c", {})

    def test_has_required(self) -> None:
        assert SCHEMA.has_required()
        assert not ParameterSchema((Parameter("x", ParameterType.INTEGER, "x", default=1),)).has_required()


class TestPortRange:
    @pytest.mark.parametrize(
        ("first", "last", "expected"),
        [(1, 21, False), (1, 22, True), (30, 40, True), (100, 200, True), (101, 200, False), (0, 65535, True)],
    )
    def test_inclusive_interval_intersection(self, first: int, last: int, expected: bool) -> None:
        assert PortRange(22, 100).intersects(first, last) is expected

    def test_display(self) -> None:
        assert (str(PortRange(22, 22)), str(PortRange(1, 1024))) == ("22", "1-1024")


def test_a_snapshot_derives_each_value_once_and_keeps_no_exception() -> None:
    snapshot = Snapshot("111111111111", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
    calls: list[str] = []

    def compute(name: str) -> str:
        calls.append(name)
        return name.upper()

    assert snapshot.derived(("check", "a"), lambda: compute("a")) == "A"
    assert snapshot.derived(("check", "a"), lambda: compute("again")) == "A"
    assert snapshot.derived(("check", "b"), lambda: compute("b")) == "B"
    assert calls == ["a", "b"]
    # Another snapshot of the same target derives its own values.
    other = Snapshot("111111111111", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
    assert other.derived(("check", "a"), lambda: compute("fresh")) == "FRESH"
    assert other == snapshot  # what was derived is no part of a snapshot's value

    def fail() -> str:
        calls.append("failed")
        raise ValueError("unreadable")

    for _ in range(2):
        with pytest.raises(ValueError, match="unreadable"):
            snapshot.derived(("check", "c"), fail)
    assert calls.count("failed") == 2
