"""lambda-function-public-access-prohibited: wildcard, empty and unconditioned service principals are public."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import lambda_function_public_access_prohibited
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = lambda_function_public_access_prohibited.CHECK
SNAPSHOT = Snapshot("823362693882", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
# The file holds a list of one item, and spells its name AWS_LAMBDA_FUNCTION.
REFERENCE_FUNCTION: dict[str, Any] = json.loads((REFERENCE / "AWS_LAMBDA_FUNCTION.json").read_text())[0]
ARN = "arn:aws:lambda:us-east-1:823362693882:function:test-function"
PUBLIC = "the resource policy allows public access: "
PRIVATE = Result(Compliance.COMPLIANT, "the resource policy grants access only to fixed accounts")


def statement(principal: Any, condition: dict[str, Any] | None = None, sid: str | None = "s1") -> dict[str, Any]:
    """An Allow statement as `aws lambda add-permission` writes it."""
    body: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "lambda:InvokeFunction"}
    body["Resource"] = ARN
    if sid is not None:
        body["Sid"] = sid
    if condition is not None:
        body["Condition"] = condition
    return body


def function(*statements: dict[str, Any], policy: Any = None, encode: int = 1) -> ConfigurationItem:
    """The reference function with a policy of these statements in supplementaryConfiguration.Policy.

    `encode` is how many times the policy is JSON-encoded (the API model may carry it twice), `policy` a raw value.
    """
    raw = copy.deepcopy(REFERENCE_FUNCTION)
    value: Any = policy if policy is not None else {"Version": "2012-10-17", "Id": "default", "Statement": statements}
    for _ in range(encode):
        value = json.dumps(value)
    raw["supplementaryConfiguration"]["Policy"] = value
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def test_the_check_evaluates_functions_without_parameters() -> None:
    assert CHECK.id == "lambda-function-public-access-prohibited"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::Lambda::Function",)
    assert not CHECK.parameters.has_required()
    assert CHECK.remediation_cli == (
        "aws lambda remove-permission --function-name FUNCTION_NAME --statement-id STATEMENT_ID"
    )
    with pytest.raises(ParameterError, match="lambda-function-public-access-prohibited, parameter x: unknown"):
        CHECK.parameters.parse(CHECK.id, {"x": "1"})


def test_the_reference_function_has_no_policy() -> None:
    assert "Policy" not in REFERENCE_FUNCTION["supplementaryConfiguration"]
    item = ConfigurationItem.parse(REFERENCE_FUNCTION)
    assert run(item) == Result(Compliance.COMPLIANT, "the function has no resource-based policy")


def test_an_empty_policy_value_is_no_policy() -> None:
    raw = copy.deepcopy(REFERENCE_FUNCTION)
    raw["supplementaryConfiguration"]["Policy"] = ""
    assert run(ConfigurationItem.parse(raw)) == Result(
        Compliance.COMPLIANT, "the function has no resource-based policy"
    )


@pytest.mark.parametrize(
    ("principal", "described"),
    [
        ("*", "principal *"),
        ({"AWS": "*"}, "AWS principal *"),
        ({"AWS": ["arn:aws:iam::111122223333:root", "*"]}, "AWS principal *"),
        ({"AWS": "arn:aws:iam::*:root"}, "AWS principal arn:aws:iam::*:root"),
        ({"AWS": "arn:aws:iam::${aws:username}:root"}, "AWS principal arn:aws:iam::${aws:username}:root"),
        ({"CanonicalUser": "*"}, "CanonicalUser principal *"),
        ("", "an empty principal"),
        ({}, "an empty principal"),
        ({"AWS": ""}, "AWS principal empty"),
        ({"AWS": []}, "an empty AWS principal"),
    ],
)
def test_a_wildcard_or_empty_principal_is_public(principal: Any, described: str) -> None:
    result = run(function(statement(principal)))
    assert result == Result(
        Compliance.NON_COMPLIANT, f"{PUBLIC}statement s1 allows {described} without a source account"
    )


def test_a_statement_without_principal_is_public() -> None:
    body = statement("*")
    del body["Principal"]
    result = run(function(body))
    assert result == Result(
        Compliance.NON_COMPLIANT, f"{PUBLIC}statement s1 allows an empty principal without a source account"
    )


def test_not_principal_in_an_allow_is_public() -> None:
    body = statement("*")
    del body["Principal"]
    body["NotPrincipal"] = {"AWS": "arn:aws:iam::111122223333:root"}
    result = run(function(body))
    assert result == Result(
        Compliance.NON_COMPLIANT, f"{PUBLIC}statement s1 allows everyone but its NotPrincipal without a source account"
    )


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": "arn:aws:iam::111122223333:root"},
        {"AWS": "111122223333"},
        {"AWS": ["arn:aws:iam::111122223333:role/caller", "444455556666"]},
        "arn:aws:iam::111122223333:root",
    ],
)
def test_fixed_accounts_and_roles_are_not_public(principal: Any) -> None:
    assert run(function(statement(principal))) == PRIVATE


def test_a_service_principal_without_condition_is_public() -> None:
    result = run(function(statement({"Service": "s3.amazonaws.com"})))
    assert result == Result(
        Compliance.NON_COMPLIANT, f"{PUBLIC}statement s1 allows service s3.amazonaws.com without a source account"
    )


def test_s3_with_a_source_account_is_not_public() -> None:
    condition = {"StringEquals": {"AWS:SourceAccount": "823362693882"}, "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}}
    assert run(function(statement({"Service": "s3.amazonaws.com"}, condition))) == PRIVATE


def test_s3_with_only_a_bucket_arn_is_public() -> None:
    # A bucket ARN names no account: after the bucket is deleted anyone can create one with its name.
    condition = {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"}}
    result = run(function(statement({"Service": "s3.amazonaws.com"}, condition)))
    assert result.compliance is Compliance.NON_COMPLIANT


def test_a_service_with_a_source_arn_naming_an_account_is_not_public() -> None:
    condition = {"ArnLike": {"AWS:SourceArn": "arn:aws:sns:us-east-1:823362693882:alerts"}}
    assert run(function(statement({"Service": "sns.amazonaws.com"}, condition))) == PRIVATE


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": "823362693882"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        {"StringEquals": {"aws:PrincipalAccount": ["823362693882", "111122223333"]}},
        {"StringEquals": {"AWS:SourceOwner": "823362693882"}},
        {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::823362693882:role/caller"}},
    ],
)
def test_a_wildcard_principal_pinned_to_fixed_accounts_is_not_public(condition: dict[str, Any]) -> None:
    assert run(function(statement("*", condition))) == PRIVATE


@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {"aws:SourceAccount": "*"}},
        {"StringLike": {"aws:SourceAccount": "8233626938??"}},
        {"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}},
        {"StringNotEquals": {"aws:SourceAccount": "111122223333"}},
        {"StringEqualsIfExists": {"aws:SourceAccount": "823362693882"}},
        {"StringEquals": {"aws:SourceAccount": []}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:*:alerts"}},
        {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
    ],
)
def test_a_condition_that_does_not_pin_fixed_accounts_leaves_a_statement_public(condition: Any) -> None:
    result = run(function(statement({"Service": "events.amazonaws.com"}, condition)))
    assert result == Result(
        Compliance.NON_COMPLIANT, f"{PUBLIC}statement s1 allows service events.amazonaws.com without a source account"
    )


@pytest.mark.parametrize(
    ("condition", "what"),
    [
        ({"StringEquals": "823362693882"}, "Statement[0].Condition.StringEquals as a string, not an object"),
        ("aws:SourceAccount", "Statement[0].Condition as a string, not an object"),
        (
            {"StringEquals": {"aws:SourceAccount": {"account": "1"}}},
            "Statement[0].Condition.StringEquals.aws:SourceAccount as an object, not a value or a list of values",
        ),
    ],
)
def test_a_condition_of_the_wrong_type_is_never_compliant(condition: Any, what: str) -> None:
    result = run(function(statement({"Service": "events.amazonaws.com"}, condition)))
    assert result == Result(Compliance.NON_COMPLIANT, f"the Policy records {what}, so it cannot be judged")


def test_a_deny_statement_is_not_public() -> None:
    deny = statement("*")
    deny["Effect"] = "Deny"
    assert run(function(deny, statement({"AWS": "111122223333"}, sid="s2"))) == PRIVATE


def test_every_public_statement_is_named_and_an_unnamed_one_by_position() -> None:
    result = run(
        function(
            statement({"AWS": "111122223333"}, sid="private"),
            statement("*", sid="public-invoke"),
            statement({"Service": "s3.amazonaws.com"}, sid=None),
        )
    )
    assert result == Result(
        Compliance.NON_COMPLIANT,
        f"{PUBLIC}statement public-invoke allows principal * without a source account; "
        "statement 3 allows service s3.amazonaws.com without a source account",
    )


def test_many_public_statements_fit_the_annotation() -> None:
    result = run(function(*(statement("*", sid=f"public-statement-{index:02d}") for index in range(20))))
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert len(result.annotation) <= ANNOTATION_LIMIT
    assert result.annotation.startswith(f"{PUBLIC}statement public-statement-00 allows principal *")
    assert result.annotation.endswith(" more")


def test_a_single_statement_object_is_read() -> None:
    policy = {"Version": "2012-10-17", "Statement": statement("*")}
    assert run(function(policy=policy)).compliance is Compliance.NON_COMPLIANT


@pytest.mark.parametrize("encode", [0, 1, 2])
def test_the_policy_is_read_as_an_object_or_a_json_string_encoded_once_or_twice(encode: int) -> None:
    result = run(function(statement("*"), encode=encode))
    assert result == Result(
        Compliance.NON_COMPLIANT, f"{PUBLIC}statement s1 allows principal * without a source account"
    )


def test_a_policy_with_no_statements_is_not_public() -> None:
    assert run(function()) == PRIVATE


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("{not json", "the Policy is not JSON, so it cannot be judged"),
        ({"Version": "2012-10-17"}, "the Policy is not a policy document with a Statement, so it cannot be judged"),
        ([1, 2], "the Policy is not a policy document with a Statement, so it cannot be judged"),
    ],
)
def test_an_unreadable_policy_is_never_compliant(policy: Any, message: str) -> None:
    raw = copy.deepcopy(REFERENCE_FUNCTION)
    raw["supplementaryConfiguration"]["Policy"] = policy if isinstance(policy, str) else json.dumps(policy)
    assert run(ConfigurationItem.parse(raw)) == Result(Compliance.NON_COMPLIANT, message)


@pytest.mark.parametrize("configuration", [None, {}])
def test_an_item_without_configuration_is_not_compliant(configuration: Any) -> None:
    raw = copy.deepcopy(REFERENCE_FUNCTION)
    raw["configuration"] = configuration
    result = run(ConfigurationItem.parse(raw))
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")


def test_not_applicable_cannot_occur() -> None:
    """The managed rule judges every function's policy (none at all is compliant): never NOT_APPLICABLE."""
    items = (ConfigurationItem.parse(REFERENCE_FUNCTION), function(statement("*")), function())
    assert {run(item).compliance for item in items} == {Compliance.COMPLIANT, Compliance.NON_COMPLIANT}


@pytest.mark.parametrize(
    ("changes", "what"),
    [
        ({"Effect": ["Allow"]}, "Statement[0].Effect as a list, not Allow or Deny"),
        ({"Principal": {"AWS": [7]}}, "Statement[0].Principal.AWS as a list, not a string or a list of strings"),
        ({"Action": {"lambda": "*"}}, "Statement[0].Action as an object, not a string or a list of strings"),
    ],
)
def test_a_statement_of_the_wrong_types_is_never_compliant(changes: dict[str, Any], what: str) -> None:
    pinned = statement("*", {"StringEquals": {"AWS:SourceAccount": "823362693882"}})
    assert run(function(pinned)) == PRIVATE
    public = {**statement("*"), **changes}
    assert run(function(public)) == Result(
        Compliance.NON_COMPLIANT, f"the Policy records {what}, so it cannot be judged"
    )
