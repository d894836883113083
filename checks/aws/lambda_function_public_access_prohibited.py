"""lambda-function-public-access-prohibited: a Lambda function's resource-based policy does not allow public access
(managed rule LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED).

The policy is the item's supplementaryConfiguration.Policy (a JSON string). An Allow statement is public when its
principal is empty, "*" or contains a wildcard or policy variable ({"AWS": "*"}, arn:aws:iam::*:root), when it
uses NotPrincipal, or when it names a service principal, unless a condition pins the caller to fixed accounts:
aws:SourceAccount, aws:SourceOwner, aws:PrincipalAccount or aws:PrincipalOrgID with fixed values, or aws:SourceArn
or aws:PrincipalArn with fixed ARNs that name an account. An S3 bucket ARN names no account (a deleted bucket's
name can be taken by anyone), so S3 needs aws:SourceAccount, as the managed rule requires. Deny statements are
not weighed against Allows: a policy can only come out less compliant for it, never wrongly compliant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from checks.shared.common import UnreadableFieldError, checked_statements, fit_findings
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, ParameterValues, Result, Severity, Snapshot

FUNCTION = "AWS::Lambda::Function"
POLICY = "Policy"
# Condition keys whose fixed values limit callers to known accounts or an organization.
_ACCOUNT_KEYS = frozenset({"aws:sourceaccount", "aws:sourceowner", "aws:principalaccount", "aws:principalorgid"})
# Condition keys whose fixed ARN values limit callers to the account the ARN names.
_ARN_KEYS = frozenset({"aws:sourcearn", "aws:principalarn"})
# Operators that require a match; their IfExists forms and the negated ones let a request without the key through.
_MATCHING_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})
_ACCOUNT_IN_ARN = re.compile(r"arn:[^:]+:[^:]*:[^:]*:\d{12}:.+")
_PUBLIC = "the resource policy allows public access: "


class UnreadablePolicyError(ValueError):
    """A Policy value that is not a policy document."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def policy_document(value: Any) -> Mapping[str, Any]:
    """The policy document; AWS Config's API model may encode it as a JSON string twice."""
    for _ in range(3):
        if not isinstance(value, str):
            break
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise UnreadablePolicyError("the Policy is not JSON") from exc
    if not isinstance(value, Mapping) or "Statement" not in value:
        raise UnreadablePolicyError("the Policy is not a policy document with a Statement")
    return value


def _is_fixed(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not any(mark in value for mark in ("*", "?", "${"))


def _pins_accounts(condition: Any) -> bool:
    """Whether some condition limits callers to fixed accounts (see the module docstring)."""
    if not isinstance(condition, Mapping):
        return False
    for operator, tests in condition.items():
        if str(operator).lower() not in _MATCHING_OPERATORS or not isinstance(tests, Mapping):
            continue
        for key, raw_values in tests.items():
            values = _as_list(raw_values)
            if not values or not all(_is_fixed(value) for value in values):
                continue
            name = str(key).lower()
            if name in _ACCOUNT_KEYS:
                return True
            if name in _ARN_KEYS and all(_ACCOUNT_IN_ARN.fullmatch(value) for value in values):
                return True
    return False


def _open_principals(principal: Any) -> Iterator[str]:
    """The parts of a Principal element that do not name a fixed account or role, described for an annotation."""
    if principal is None or principal == "" or principal == {} or principal == []:
        yield "an empty principal"
        return
    if not isinstance(principal, Mapping):
        for value in _as_list(principal):
            if not _is_fixed(value):
                yield f"principal {value}"
        return
    for kind, raw_values in principal.items():
        values = _as_list(raw_values)
        if not values:
            yield f"an empty {kind} principal"
        for value in values:
            if not _is_fixed(value):
                yield f"{kind} principal {value or 'empty'}"
            elif kind == "Service":
                yield f"service {value}"


def _statement_name(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid}" if isinstance(sid, str) and sid else f"statement {index + 1}"


def public_statements(statements: Sequence[Any]) -> list[str]:
    """One finding per Allow statement that grants public access."""
    findings = []
    for index, statement in enumerate(statements):
        if not isinstance(statement, Mapping) or str(statement.get("Effect", "")).lower() == "deny":
            continue
        if "NotPrincipal" in statement:
            opened = ["everyone but its NotPrincipal"]
        else:
            opened = list(_open_principals(statement.get("Principal")))
        if opened and not _pins_accounts(statement.get("Condition")):
            findings.append(f"{_statement_name(statement, index)} allows {', '.join(opened)} without a source account")
    return findings


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    # An empty configuration is an item read without its data, not a function known to have no policy.
    if not item.configuration:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    raw_policy = item.supplementary.get(POLICY)
    if raw_policy is None or raw_policy == "":
        return Result(Compliance.COMPLIANT, "the function has no resource-based policy")
    try:
        statements = checked_statements(policy_document(raw_policy), "the Policy")
    except (UnreadablePolicyError, UnreadableFieldError) as exc:
        return Result(Compliance.NON_COMPLIANT, f"{exc}, so it cannot be judged")
    findings = public_statements(statements)
    if findings:
        return Result(Compliance.NON_COMPLIANT, _PUBLIC + fit_findings(findings, ANNOTATION_LIMIT - len(_PUBLIC)))
    return Result(Compliance.COMPLIANT, "the resource policy grants access only to fixed accounts")


CHECK = Check(
    id="lambda-function-public-access-prohibited",
    title="Lambda function policies prohibit public access",
    description=(
        "No Allow statement of a Lambda function's resource-based policy grants access to everyone: a wildcard, "
        "empty or variable principal, NotPrincipal, or a service principal, unless a condition pins the caller to "
        "fixed accounts (aws:SourceAccount, or an aws:SourceArn naming an account), as in the managed rule "
        "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED. A function without a policy is compliant."
    ),
    rationale=(
        "A function policy open to everyone lets any AWS account invoke the function, running its code with its "
        "execution role's permissions and at the owner's expense. A service principal without a source account "
        "condition lets another account's bucket, topic or rule trigger it (the confused deputy problem)."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Remove the public statement from the function's resource-based policy by its statement id, then grant "
        "access again only to named accounts, or to a service principal with a condition on the source account "
        "(and the source ARN)."
    ),
    remediation_cli="aws lambda remove-permission --function-name FUNCTION_NAME --statement-id STATEMENT_ID",
    scope=CheckScope.RESOURCE,
    resource_types=(FUNCTION,),
    evaluate_resource=evaluate,
)
