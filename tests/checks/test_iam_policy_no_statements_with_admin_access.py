"""iam-policy-no-statements-with-admin-access: the default version's URL-encoded document has no Allow statement
with "*" among its actions and "*" among its resources."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from checks.aws import iam_policy_no_statements_with_admin_access
from checks.aws.iam_policy_no_statements_with_admin_access import UnreadableDocumentError, policy_documents
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = iam_policy_no_statements_with_admin_access.CHECK
SNAPSHOT = Snapshot("264683526309", "us-east-1", datetime(2026, 3, 1, tzinfo=UTC))
# The reference item carries its document already parsed, as a list of one document (the RDK's example shape).
REFERENCE_POLICY: dict[str, Any] = json.loads((REFERENCE / "AWS_IAM_Policy.json").read_text())
ADMIN = {"Sid": "FullAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}
DESCRIBE_ELB = {"Effect": "Allow", "Action": ["elasticloadbalancing:Describe*"], "Resource": ["*"]}


def encoded(*statements: dict[str, Any], single: bool = False) -> str:
    """A document as AWS Config records it: compact JSON, URL-encoded (as IAM returns it)."""
    body: Any = statements[0] if single else list(statements)
    return quote(json.dumps({"Version": "2012-10-17", "Statement": body}, separators=(",", ":")), safe="")


def policy(document: Any = None, **configuration: Any) -> ConfigurationItem:
    """The reference policy; `document` replaces its one version's document, `configuration` its fields."""
    raw = copy.deepcopy(REFERENCE_POLICY)
    if document is not None:
        raw["configuration"]["policyVersionList"][0]["document"] = document
    raw["configuration"].update(configuration)
    return ConfigurationItem.parse(raw)


def version(version_id: str, document: str, default: bool) -> dict[str, Any]:
    return {
        "document": document,
        "versionId": version_id,
        "isDefaultVersion": default,
        "createDate": "2025-05-04T10:11:26.000Z",
    }


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def test_the_check_evaluates_policies_and_reads_nothing_else() -> None:
    assert CHECK.id == "iam-policy-no-statements-with-admin-access"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::IAM::Policy",)
    assert CHECK.extra_data == ()
    assert CHECK.remediation_cli == (
        "aws iam create-policy-version --policy-arn POLICY_ARN --policy-document file://POLICY_DOCUMENT.json "
        "--set-as-default"
    )


def test_the_reference_policy_allows_only_describe_actions() -> None:
    assert run(policy()) == Result(
        Compliance.COMPLIANT,
        'policy ELB-policy default version v1 has no statement allowing Action "*" on Resource "*"',
    )


def test_an_encoded_admin_statement_is_not_compliant() -> None:
    assert run(policy(encoded(DESCRIBE_ELB, ADMIN))) == Result(
        Compliance.NON_COMPLIANT,
        'policy ELB-policy default version v1 allows Action "*" on Resource "*" in: statement \'FullAccess\'',
    )


def test_a_list_of_actions_including_star_is_admin_access() -> None:
    statement = {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["arn:aws:s3:::logs/*", "*"]}
    assert run(policy(encoded(statement))) == Result(
        Compliance.NON_COMPLIANT,
        'policy ELB-policy default version v1 allows Action "*" on Resource "*" in: statement 1',
    )


def test_a_single_statement_object_is_read() -> None:
    assert run(policy(encoded(ADMIN, single=True))).compliance is Compliance.NON_COMPLIANT


def test_a_plain_json_document_is_read_too() -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": [ADMIN]})
    assert run(policy(document)).compliance is Compliance.NON_COMPLIANT


def test_every_admin_statement_is_named() -> None:
    second = ADMIN | {"Sid": "", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    assert run(policy(encoded(ADMIN, DESCRIBE_ELB, second))) == Result(
        Compliance.NON_COMPLIANT,
        'policy ELB-policy default version v1 allows Action "*" on Resource "*" in: statement \'FullAccess\'; '
        "statement 3",
    )


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param({"Effect": "Allow", "Action": "service:*", "Resource": "*"}, id="one-service"),
        pytest.param({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"}, id="one-resource"),
        pytest.param({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, id="not-action"),
        pytest.param({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret"}, id="not-resource"),
        pytest.param({"Effect": "Deny", "Action": "*", "Resource": "*"}, id="deny"),
        pytest.param({"Effect": "Allow", "Action": ["*:*", "s3:*"], "Resource": "*"}, id="no-bare-star"),
    ],
)
def test_statements_short_of_action_star_on_resource_star_are_compliant(statement: dict[str, Any]) -> None:
    assert run(policy(encoded(statement))) == Result(
        Compliance.COMPLIANT,
        'policy ELB-policy default version v1 has no statement allowing Action "*" on Resource "*"',
    )


def test_only_the_default_version_is_judged() -> None:
    versions = [version("v1", encoded(ADMIN), default=False), version("v2", encoded(DESCRIBE_ELB), default=True)]
    assert run(policy(defaultVersionId="v2", policyVersionList=versions)) == Result(
        Compliance.COMPLIANT,
        'policy ELB-policy default version v2 has no statement allowing Action "*" on Resource "*"',
    )
    versions = [version("v1", encoded(DESCRIBE_ELB), default=False), version("v2", encoded(ADMIN), default=True)]
    assert run(policy(defaultVersionId="v2", policyVersionList=versions)).compliance is Compliance.NON_COMPLIANT


def test_without_the_flag_the_default_version_id_finds_the_version() -> None:
    versions = [version("v1", encoded(DESCRIBE_ELB), default=False), version("v2", encoded(ADMIN), default=False)]
    for entry in versions:
        del entry["isDefaultVersion"]
    assert run(policy(defaultVersionId="v2", policyVersionList=versions)) == Result(
        Compliance.NON_COMPLIANT,
        'policy ELB-policy default version v2 allows Action "*" on Resource "*" in: statement \'FullAccess\'',
    )


@pytest.mark.parametrize("versions", [[], None, [version("v1", encoded(ADMIN), default=False)]])
def test_no_default_version_is_never_compliant(versions: Any) -> None:
    assert run(policy(defaultVersionId="v9", policyVersionList=versions)) == Result(
        Compliance.NON_COMPLIANT, "policy ELB-policy records no default version"
    )


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        pytest.param("%7B%22Version%22%3A", "the document is not JSON: ", id="truncated"),
        pytest.param(quote('["a"]', safe=""), "the document is not a JSON object", id="not-an-object"),
        pytest.param(quote('{"Version":"2012-10-17"}', safe=""), "the document has no list of statements", id="none"),
        pytest.param(
            quote('{"Statement":["Allow"]}', safe=""),
            "the document records Statement[0] as a string, not an object",
            id="not-objects",
        ),
        pytest.param(12, "the document is not a JSON object", id="a-number"),
    ],
)
def test_an_unreadable_document_is_never_compliant(document: Any, problem: str) -> None:
    result = run(policy(document))
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert result.annotation.startswith(f"policy ELB-policy default version v1: {problem}")


def test_a_missing_document_is_never_compliant() -> None:
    raw = copy.deepcopy(REFERENCE_POLICY)
    del raw["configuration"]["policyVersionList"][0]["document"]
    assert run(ConfigurationItem.parse(raw)) == Result(
        Compliance.NON_COMPLIANT, "policy ELB-policy default version v1: the document is not a JSON object"
    )


def test_an_aws_managed_policy_is_not_applicable() -> None:
    raw = copy.deepcopy(REFERENCE_POLICY)
    raw["arn"] = raw["configuration"]["arn"] = "arn:aws:iam::aws:policy/AdministratorAccess"
    raw["resourceName"] = "AdministratorAccess"
    raw["configuration"]["policyVersionList"][0]["document"] = encoded(ADMIN)
    assert run(ConfigurationItem.parse(raw)) == Result(
        Compliance.NOT_APPLICABLE, "policy AdministratorAccess is AWS managed; only customer managed ones are judged"
    )


def test_a_permissions_boundary_is_not_applicable_only_when_excluded() -> None:
    boundary = policy(encoded(ADMIN), permissionsBoundaryUsageCount=2)
    assert run(boundary, {"excludePermissionBoundaryPolicy": "true"}) == Result(
        Compliance.NOT_APPLICABLE,
        "policy ELB-policy is the permissions boundary of 2 identities; excludePermissionBoundaryPolicy is true",
    )
    assert run(boundary, {"excludePermissionBoundaryPolicy": "false"}).compliance is Compliance.NON_COMPLIANT
    assert run(boundary).compliance is Compliance.NON_COMPLIANT


@pytest.mark.parametrize("uses", [0, None])
def test_a_policy_not_used_as_a_boundary_is_judged_even_when_boundaries_are_excluded(uses: int | None) -> None:
    item = policy(encoded(ADMIN), permissionsBoundaryUsageCount=uses)
    assert run(item, {"excludePermissionBoundaryPolicy": True}).compliance is Compliance.NON_COMPLIANT


def test_an_item_without_configuration_is_never_compliant() -> None:
    raw = copy.deepcopy(REFERENCE_POLICY)
    raw["configuration"] = None
    assert run(ConfigurationItem.parse(raw)) == Result(
        Compliance.NON_COMPLIANT, "the configuration item has no configuration"
    )


def test_many_admin_statements_fit_aws_configs_limit() -> None:
    statements = [ADMIN | {"Sid": f"Admin{number:02d}Everything"} for number in range(20)]
    result = run(policy(encoded(*statements)))
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert len(result.annotation) <= ANNOTATION_LIMIT
    assert result.annotation.endswith(" more")


def test_exclude_permission_boundary_policy_is_a_boolean_defaulting_to_false() -> None:
    name = "excludePermissionBoundaryPolicy"
    assert CHECK.parameters.parse(CHECK.id, None)[name] is False
    assert CHECK.parameters.parse(CHECK.id, '{"excludePermissionBoundaryPolicy": "true"}')[name] is True
    assert CHECK.parameters.parse(CHECK.id, {name: False})[name] is False
    # AWS Config would read "TRUE" as false: refused rather than guessed either way.
    for wrong in ("yes", "TRUE", "True"):
        with pytest.raises(ParameterError) as raised:
            CHECK.parameters.parse(CHECK.id, {name: wrong})
        assert str(raised.value) == (
            f'check {CHECK.id}, parameter {name}: expected "true" or "false" (lower case, as AWS Config reads them), '
            f"got {wrong!r}"
        )


def test_the_demo_parameters_parse() -> None:
    assert dict(CHECK.parameters.parse(CHECK.id, dict(CHECK.demo_parameters))) == {
        "excludePermissionBoundaryPolicy": False
    }


class TestPolicyDocuments:
    def test_url_encoded_json_as_aws_config_records_it(self) -> None:
        assert policy_documents("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D") == [
            {"Version": "2012-10-17", "Statement": []}
        ]

    def test_an_encoded_plus_stays_a_plus(self) -> None:
        document = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a+b/*"}]}
        assert policy_documents(quote(json.dumps(document), safe="")) == [document]

    def test_objects_and_lists_of_objects_as_in_the_rdk_examples(self) -> None:
        document = {"Version": "2012-10-17", "Statement": [ADMIN]}
        assert policy_documents(document) == [document]
        assert policy_documents([document, document]) == [document, document]

    @pytest.mark.parametrize("raw", [None, [], ["text"], "%ZZ", "not json"])
    def test_anything_else_is_unreadable(self, raw: Any) -> None:
        with pytest.raises(UnreadableDocumentError):
            policy_documents(raw)


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ({**ADMIN, "Effect": ["Allow"]}, "Statement[0].Effect as a list, not Allow or Deny"),
        ({**ADMIN, "Effect": "allow"}, "Statement[0].Effect as 'allow', not Allow or Deny"),
        ({**ADMIN, "Resource": {"arn": "*"}}, "Statement[0].Resource as an object, not a string or a list of strings"),
        ({**ADMIN, "Action": ["*", 7]}, "Statement[0].Action as a list, not a string or a list of strings"),
    ],
)
def test_a_statement_of_the_wrong_types_is_never_compliant(statement: dict[str, Any], what: str) -> None:
    # Each hid an admin statement: skipped as neither Allow nor a list of actions, the policy passed.
    assert run(policy(encoded(statement))) == Result(
        Compliance.NON_COMPLIANT, f"policy ELB-policy default version v1: the document records {what}"
    )


def test_a_boundary_count_that_is_no_count_is_never_compliant() -> None:
    # True counted as 1 use, so an admin policy was excused as a permissions boundary.
    item = policy(encoded(ADMIN), permissionsBoundaryUsageCount=True)
    assert run(item, {"excludePermissionBoundaryPolicy": "true"}) == Result(
        Compliance.NON_COMPLIANT,
        "the configuration item records permissionsBoundaryUsageCount as a boolean, not a count, "
        "so it cannot be judged",
    )


def test_a_default_flag_of_the_wrong_type_is_never_compliant() -> None:
    raw_versions = [version("v1", encoded(DESCRIBE_ELB), default=False) | {"isDefaultVersion": 0}]
    item = policy(policyVersionList=raw_versions, defaultVersionId="v1")
    assert run(item) == Result(
        Compliance.NON_COMPLIANT,
        "the configuration item records policyVersionList[0].isDefaultVersion as a number, not true or false, "
        "so it cannot be judged",
    )
