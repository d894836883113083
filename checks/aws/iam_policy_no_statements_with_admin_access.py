"""iam-policy-no-statements-with-admin-access: no customer managed policy allows every action on every resource
(IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS).

The default version's document is judged: a statement with Effect "Allow", "*" among its Action and "*" among its
Resource is admin access. As in the managed rule, NotAction and NotResource statements are not (they grant a lot,
but not "Action": "*"), and neither are Deny statements. AWS Config records the document URL-encoded; a document
already parsed (as in the AWS Config RDK's example items) is read too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from checks.shared.common import UnreadableFieldError, boolean_field, checked_statements, fit_findings, objects
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    Parameter,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

CHECK_ID = "iam-policy-no-statements-with-admin-access"
POLICY = "AWS::IAM::Policy"
AWS_MANAGED = ":iam::aws:policy/"  # in the ARN of every AWS managed policy, in every partition


class UnreadableDocumentError(ValueError):
    """A policy document that is not a policy: judged non-compliant, never skipped."""


def policy_documents(raw: Any) -> list[Mapping[str, Any]]:
    """A version's document: URL-encoded JSON (AWS Config), JSON, an object, or a list of objects (RDK examples)."""
    if isinstance(raw, str):
        text = raw.strip()
        if not text.startswith("{"):
            text = unquote(text)
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise UnreadableDocumentError(f"the document is not JSON: {exc}") from exc
    documents = raw if isinstance(raw, list) else [raw]
    if not documents or not all(isinstance(document, Mapping) for document in documents):
        raise UnreadableDocumentError("the document is not a JSON object")
    return documents


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement")
    if not isinstance(statements, Mapping | list):
        raise UnreadableDocumentError("the document has no list of statements")
    try:
        return checked_statements(document, "the document")
    except UnreadableFieldError as exc:
        raise UnreadableDocumentError(str(exc)) from None


def _values(value: Any) -> Sequence[Any]:
    return [value] if isinstance(value, str) else value if isinstance(value, list) else []


def grants_admin_access(statement: Mapping[str, Any]) -> bool:
    return (
        statement.get("Effect") == "Allow"
        and "*" in _values(statement.get("Action"))
        and "*" in _values(statement.get("Resource"))
    )


def _label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid!r}" if isinstance(sid, str) and sid else f"statement {index}"


def _default_version(configuration: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The default version: the one flagged so, else the one defaultVersionId names; UnreadableFieldError for a
    version, or a flag, of a type AWS Config never records."""
    versions = configuration.get("policyVersionList")
    if not isinstance(versions, list):
        return None
    candidates = objects(versions, "policyVersionList")
    flags = [
        boolean_field(version, "isDefaultVersion", f"policyVersionList[{index}].isDefaultVersion")
        for index, version in enumerate(candidates)
    ]
    flagged = [version for version, default in zip(candidates, flags, strict=True) if default]
    if flagged:
        return flagged[0]
    default_id = configuration.get("defaultVersionId")
    return next((version for version in candidates if default_id and version.get("versionId") == default_id), None)


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    exclude_boundaries = params["excludePermissionBoundaryPolicy"] is True
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    name = item.resource_name or configuration.get("policyName") or item.resource_id
    arn = item.arn or configuration.get("arn") or ""
    if AWS_MANAGED in arn:
        return Result(Compliance.NOT_APPLICABLE, f"policy {name} is AWS managed; only customer managed ones are judged")
    boundary_uses = configuration.get("permissionsBoundaryUsageCount") if exclude_boundaries else None
    if boundary_uses is not None and (not isinstance(boundary_uses, int) or isinstance(boundary_uses, bool)):
        unreadable = UnreadableFieldError("permissionsBoundaryUsageCount", boundary_uses, "a count")
        return Result(Compliance.NON_COMPLIANT, f"{unreadable}, so it cannot be judged")
    if boundary_uses is not None and boundary_uses > 0:
        return Result(
            Compliance.NOT_APPLICABLE,
            f"policy {name} is the permissions boundary of {boundary_uses} identities; "
            "excludePermissionBoundaryPolicy is true",
        )
    try:
        version = _default_version(configuration)
    except UnreadableFieldError as exc:
        return Result(Compliance.NON_COMPLIANT, f"{exc}, so it cannot be judged")
    if version is None:
        return Result(Compliance.NON_COMPLIANT, f"policy {name} records no default version")
    version_id = version.get("versionId") or configuration.get("defaultVersionId") or "?"
    where = f"policy {name} default version {version_id}"
    try:
        statements = [
            statement for document in policy_documents(version.get("document")) for statement in _statements(document)
        ]
    except UnreadableDocumentError as exc:
        return Result(Compliance.NON_COMPLIANT, f"{where}: {exc}")
    admin = [
        _label(statement, index)
        for index, statement in enumerate(statements, start=1)
        if grants_admin_access(statement)
    ]
    if admin:
        text = f'{where} allows Action "*" on Resource "*" in: '
        return Result(Compliance.NON_COMPLIANT, text + fit_findings(admin, ANNOTATION_LIMIT - len(text)))
    return Result(Compliance.COMPLIANT, f'{where} has no statement allowing Action "*" on Resource "*"')


CHECK = Check(
    id=CHECK_ID,
    title="IAM policies grant no admin access",
    description=(
        'No customer managed IAM policy\'s default version has an Allow statement with Action "*" on Resource "*", '
        "as in the managed rule IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS. With excludePermissionBoundaryPolicy "
        "true, policies used as permissions boundaries are not applicable."
    ),
    rationale=(
        "A policy allowing every action on every resource gives whoever holds it full control of the account: they "
        "can read any data, turn off logging and grant any access to themselves or others. Least privilege limits "
        "what a compromised or mistaken identity can do."
    ),
    severity=Severity.HIGH,
    remediation=(
        'Replace each statement allowing Action "*" on Resource "*" with the actions and resources the policy\'s '
        "users need, saved as the policy's new default version; a policy keeps at most five versions, so delete an "
        "old non-default version first if needed."
    ),
    remediation_cli=(
        "aws iam create-policy-version --policy-arn POLICY_ARN --policy-document file://POLICY_DOCUMENT.json "
        "--set-as-default"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(POLICY,),
    parameters=ParameterSchema(
        (
            Parameter(
                "excludePermissionBoundaryPolicy",
                ParameterType.BOOLEAN,
                '"true" to skip policies used as permissions boundaries, "false" (the default) to judge them too',
                default=False,
            ),
        )
    ),
    cis=("1.16",),
    evaluate_resource=evaluate,
    demo_parameters={"excludePermissionBoundaryPolicy": "false"},
)
