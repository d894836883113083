"""s3-bucket-ssl-requests-only: the bucket policy denies every request made without TLS, to the bucket and to all its
objects (managed rule S3_BUCKET_SSL_REQUESTS_ONLY).

A statement enforces TLS when it has Effect Deny, Principal "*" (or {"AWS": "*"}), an Action covering every S3 action
("s3:*" or "*"), and a Condition that is nothing but Bool (or BoolIfExists) aws:SecureTransport "false". Any other
condition, a NotPrincipal or a NotAction narrows the deny, so the statement does not count. Together, the enforcing
statements' Resource must cover the bucket's ARN and every object in it (arn:aws:s3:::BUCKET and
arn:aws:s3:::BUCKET/*, or a wildcard covering them), as in AWS's example of a policy that complies. Allow statements
conditioned on aws:SecureTransport "true" do not count: without a Deny, another grant still admits HTTP, and AWS
names such a policy as one that does not comply.

A bucket without a policy does not deny HTTP and is NON_COMPLIANT. AWS Config records every bucket's BucketPolicy
({"policyText": null} when there is none), so an item without one, or whose policy does not parse, is NON_COMPLIANT
saying it could not be judged. Every bucket is in scope, so the answer is never NOT_APPLICABLE.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checks.shared.s3_access import (
    BUCKET,
    UnreadableError,
    as_list,
    bucket_arn,
    bucket_policy_statements,
    covers_all,
    glob_match,
    is_everyone,
    statement_label,
)
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, ParameterValues, Result, Severity, Snapshot

SECURE_TRANSPORT = "aws:securetransport"
_BOOL_OPERATORS = frozenset({"bool", "boolifexists"})
_DENIED = "all S3 actions to everyone when aws:SecureTransport is false"


def _is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _only_insecure_transport(condition: Any) -> bool:
    """Whether a Condition holds exactly for requests not made over TLS."""
    if not isinstance(condition, Mapping) or not condition:
        return False
    for operator, block in condition.items():
        if not isinstance(operator, str) or operator.lower() not in _BOOL_OPERATORS:
            return False
        if not isinstance(block, Mapping) or not block:
            return False
        for key, values in block.items():
            listed = as_list(values)
            if str(key).lower() != SECURE_TRANSPORT or not listed or not all(_is_false(value) for value in listed):
                return False
    return True


def _enforces_tls(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny" or "NotPrincipal" in statement or "NotAction" in statement:
        return False
    if not is_everyone(statement.get("Principal")):
        return False
    actions = [action.lower() for action in as_list(statement.get("Action")) if isinstance(action, str)]
    if not any(covers_all(action, "s3:") for action in actions):
        return False
    return _only_insecure_transport(statement.get("Condition"))


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    try:
        statements = bucket_policy_statements(item)
    except UnreadableError as exc:
        return Result(Compliance.NON_COMPLIANT, f"whether only TLS requests are allowed could not be judged: {exc}")
    if statements is None:
        return Result(Compliance.NON_COMPLIANT, "the bucket has no policy, so requests over HTTP are not denied")
    arn = bucket_arn(item)
    labels: list[str] = []
    resources: list[str] = []
    for index, statement in enumerate(statements, start=1):
        if _enforces_tls(statement):
            labels.append(statement_label(statement, index))
            # NotResource would exempt what it names: such a statement covers nothing for sure.
            resources += [resource for resource in as_list(statement.get("Resource")) if isinstance(resource, str)]
    if not labels:
        return Result(Compliance.NON_COMPLIANT, f"the bucket policy does not deny {_DENIED}")
    covers_bucket = any(glob_match(arn, resource) for resource in resources)
    covers_objects = any(covers_all(resource, f"{arn}/") for resource in resources)
    noun = "statement" if len(labels) == 1 else "statements"
    where = f"({noun} {', '.join(labels)})"
    if covers_bucket and covers_objects:
        return Result(Compliance.COMPLIANT, f"the bucket policy denies {_DENIED} {where}")
    if covers_bucket:
        missing = "the bucket's objects"
    elif covers_objects:
        missing = "the bucket itself"
    else:
        missing = "the bucket or its objects"
    return Result(Compliance.NON_COMPLIANT, f"the bucket policy does not deny requests over HTTP to {missing} {where}")


CHECK = Check(
    id="s3-bucket-ssl-requests-only",
    title="S3 buckets require requests to use TLS",
    description=(
        "Each S3 bucket's policy denies all S3 actions to everyone when aws:SecureTransport is false, on the bucket "
        "and all its objects, as in the managed rule S3_BUCKET_SSL_REQUESTS_ONLY. A bucket without a policy fails."
    ),
    rationale=(
        "Unless the bucket policy denies requests over plain HTTP, clients can read and write objects without "
        "TLS, and the data and its metadata can be read or altered by anyone on the network path."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Add a statement to the bucket policy that denies all S3 actions (s3:*) to everyone (Principal *) when "
        "aws:SecureTransport is false, on both the bucket's ARN and BUCKET/*. Setting a bucket policy replaces "
        "the whole policy: read the current one first (first command) and add the statement to it; the second "
        "command, as written, sets a policy holding this statement alone."
    ),
    remediation_cli=(
        "aws s3api get-bucket-policy --bucket BUCKET --query Policy --output text\n"
        "aws s3api put-bucket-policy --bucket BUCKET --policy "
        '\'{"Version": "2012-10-17", "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", '
        '"Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"], '
        '"Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}\''
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(BUCKET,),
    cis=("2.1.1",),
    evaluate_resource=evaluate,
)
