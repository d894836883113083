"""s3-bucket-server-side-encryption-enabled: the bucket encrypts new objects by default, or its policy denies uploads
without server-side encryption (managed rule S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED).

Default encryption is on when a rule of the item's ServerSideEncryptionConfiguration applies an sseAlgorithm S3
accepts by default: AES256, aws:kms or aws:kms:dsse. Otherwise, as the managed rule allows, the bucket policy may
enforce encryption instead: a statement with Effect Deny, Principal "*" (or {"AWS": "*"}), an Action covering
s3:PutObject, a Resource covering every object (arn:aws:s3:::BUCKET/* or a wildcard over it), and a Condition made
only of Null s3:x-amz-server-side-encryption "true" and StringNotEquals s3:x-amz-server-side-encryption with accepted
algorithms (either alone denies an upload without the header: a negated operator matches a request missing the key).

AWS Config records no ServerSideEncryptionConfiguration for a bucket without default encryption, so an item without
one is judged by its policy alone and is NON_COMPLIANT unless the policy enforces encryption, saying that default
encryption is off or was not recorded. A policy that cannot be read is never taken as enforcing: if default
encryption is not on either, the bucket is NON_COMPLIANT saying it could not be judged. Every bucket is in scope,
so the answer is never NOT_APPLICABLE.
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

ENCRYPTION = "ServerSideEncryptionConfiguration"
ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
_ENCRYPTION_HEADER = "s3:x-amz-server-side-encryption"


def _default_encryption(item: ConfigurationItem) -> tuple[str | None, str]:
    """(how default encryption is on, or None; why it is not)."""
    if ENCRYPTION not in item.supplementary:
        return None, f"the configuration item has no {ENCRYPTION} (default encryption is off, or was not recorded)"
    configuration = item.supplementary[ENCRYPTION]
    rules = configuration.get("rules") if isinstance(configuration, Mapping) else None
    if not isinstance(rules, list):
        return None, f"the {ENCRYPTION} has no list of rules, so default encryption cannot be judged"
    for rule in rules:
        default = rule.get("applyServerSideEncryptionByDefault") if isinstance(rule, Mapping) else None
        if not isinstance(default, Mapping):
            continue
        algorithm = default.get("sseAlgorithm")
        if algorithm in ALGORITHMS:
            key = default.get("kmsMasterKeyID")
            with_key = f" with KMS key {key}" if isinstance(key, str) and key else ""
            return f"default encryption is {algorithm}{with_key}", ""
    return None, "no rule of the bucket's default encryption applies AES256, aws:kms or aws:kms:dsse"


def _denies_unencrypted(value: Any, operator: str) -> bool:
    listed = as_list(value)
    if not listed:
        return False
    if operator == "null":
        return all(entry is True or (isinstance(entry, str) and entry.strip().lower() == "true") for entry in listed)
    return all(entry in ALGORITHMS for entry in listed)


def _only_unencrypted_uploads(condition: Any) -> bool:
    """Whether a Condition holds for every upload that does not ask for server-side encryption."""
    if not isinstance(condition, Mapping) or not condition:
        return False
    for operator, block in condition.items():
        name = operator.lower() if isinstance(operator, str) else ""
        if name not in ("null", "stringnotequals") or not isinstance(block, Mapping) or not block:
            return False
        for key, value in block.items():
            if str(key).lower() != _ENCRYPTION_HEADER or not _denies_unencrypted(value, name):
                return False
    return True


def _enforces_encryption(statement: Mapping[str, Any], objects: str) -> bool:
    if statement.get("Effect") != "Deny" or "NotPrincipal" in statement or "NotAction" in statement:
        return False
    if not is_everyone(statement.get("Principal")):
        return False
    actions = [action.lower() for action in as_list(statement.get("Action")) if isinstance(action, str)]
    if not any(glob_match("s3:putobject", action) for action in actions):
        return False
    resources = [resource for resource in as_list(statement.get("Resource")) if isinstance(resource, str)]
    if not any(covers_all(resource, objects) for resource in resources):
        return False
    return _only_unencrypted_uploads(statement.get("Condition"))


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    enabled, reason = _default_encryption(item)
    if enabled is not None:
        return Result(Compliance.COMPLIANT, enabled)
    try:
        statements = bucket_policy_statements(item)
    except UnreadableError as exc:
        return Result(
            Compliance.NON_COMPLIANT,
            f"{reason}; whether the bucket policy denies unencrypted uploads could not be judged: {exc}",
        )
    if statements is None:
        return Result(Compliance.NON_COMPLIANT, f"{reason}, and the bucket has no policy")
    objects = f"{bucket_arn(item)}/"
    enforcing = [
        statement_label(statement, index)
        for index, statement in enumerate(statements, start=1)
        if _enforces_encryption(statement, objects)
    ]
    if enforcing:
        noun = "statement" if len(enforcing) == 1 else "statements"
        return Result(
            Compliance.COMPLIANT,
            f"the bucket policy denies uploads without server-side encryption ({noun} {', '.join(enforcing)})",
        )
    return Result(Compliance.NON_COMPLIANT, f"{reason}, and the bucket policy does not deny unencrypted uploads")


CHECK = Check(
    id="s3-bucket-server-side-encryption-enabled",
    title="S3 buckets have server-side encryption enabled",
    description=(
        "Each S3 bucket has default encryption on (AES256, aws:kms or aws:kms:dsse), or a bucket policy that denies "
        "s3:PutObject to everyone without the x-amz-server-side-encryption header, as in the managed rule "
        "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED."
    ),
    rationale=(
        "Without default encryption, or a bucket policy that refuses unencrypted uploads, objects can be stored "
        "unencrypted at rest, which many data-protection requirements forbid. With a KMS key, reading the data "
        "also takes permission to use the key, a second control logged in CloudTrail."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Turn on default encryption for the bucket (SSE-KMS with an S3 Bucket Key, or SSE-S3), or add a bucket "
        "policy statement that denies s3:PutObject without the x-amz-server-side-encryption header. Objects "
        "already stored keep their encryption until they are copied again."
    ),
    remediation_cli=(
        "aws s3api put-bucket-encryption --bucket BUCKET --server-side-encryption-configuration "
        '\'{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": true}]}\''
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(BUCKET,),
    evaluate_resource=evaluate,
)
