"""s3-bucket-server-side-encryption-enabled: default encryption (AES256, aws:kms, aws:kms:dsse) is on, or the bucket
policy denies uploads without server-side encryption; no recorded encryption and no such policy is not compliant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import s3_bucket_server_side_encryption_enabled
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = s3_bucket_server_side_encryption_enabled.CHECK
SNAPSHOT = Snapshot("934654633380", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
MISSING = object()
NAME = "mborch-test-bucket-config-item"
KEY = "arn:aws:kms:us-east-1:934654633380:key/1234abcd-12ab-34cd-56ef-1234567890ab"
NOT_RECORDED = (
    "the configuration item has no ServerSideEncryptionConfiguration (default encryption is off, or was not recorded)"
)
NO_DENY = Result(Compliance.NON_COMPLIANT, f"{NOT_RECORDED}, and the bucket policy does not deny unencrypted uploads")


def bucket(encryption: Any = MISSING, policy: Any = None) -> ConfigurationItem:
    """The reference bucket (no ServerSideEncryptionConfiguration; a policy denying HTTP only) with its encryption
    set and its BucketPolicy replaced (MISSING removes it)."""
    raw = json.loads((REFERENCE / "AWS_S3_Bucket.json").read_text())
    supplementary = raw["supplementaryConfiguration"]
    if encryption is not MISSING:
        supplementary["ServerSideEncryptionConfiguration"] = encryption
    if policy is MISSING:
        del supplementary["BucketPolicy"]
    elif policy is not None:
        supplementary["BucketPolicy"] = policy
    return ConfigurationItem.parse(raw)


def sse(algorithm: Any, key: str | None = None) -> dict[str, Any]:
    """A ServerSideEncryptionConfiguration as AWS Config records it."""
    default = {"sseAlgorithm": algorithm, "kmsMasterKeyID": key}
    return {"rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": False}]}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"policyText": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def deny(**fields: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "DenyUnencrypted",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{NAME}/*",
        "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
    }
    statement.update(fields)
    return {key: value for key, value in statement.items() if value is not MISSING}


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def enforced(labels: str = "statement DenyUnencrypted") -> Result:
    return Result(Compliance.COMPLIANT, f"the bucket policy denies uploads without server-side encryption ({labels})")


def test_the_check_evaluates_buckets_and_takes_no_parameter() -> None:
    assert CHECK.id == "s3-bucket-server-side-encryption-enabled"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::S3::Bucket",)
    assert not CHECK.parameters.has_required()
    assert CHECK.remediation_cli == (
        "aws s3api put-bucket-encryption --bucket BUCKET --server-side-encryption-configuration "
        '\'{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": true}]}\''
    )
    with pytest.raises(ParameterError, match="parameter x: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"x": "1"})


def test_the_reference_bucket_records_no_default_encryption_and_its_policy_only_denies_http() -> None:
    assert run(bucket()) == NO_DENY


@pytest.mark.parametrize(
    ("configuration", "annotation"),
    [
        (sse("AES256"), "default encryption is AES256"),
        (sse("aws:kms"), "default encryption is aws:kms"),
        (sse("aws:kms", KEY), f"default encryption is aws:kms with KMS key {KEY}"),
        (sse("aws:kms:dsse", KEY), f"default encryption is aws:kms:dsse with KMS key {KEY}"),
    ],
)
def test_default_encryption_is_compliant(configuration: dict[str, Any], annotation: str) -> None:
    assert run(bucket(configuration)) == Result(Compliance.COMPLIANT, annotation)


def test_default_encryption_as_the_api_models_json_string_is_read() -> None:
    assert run(bucket(json.dumps(sse("AES256")))) == Result(Compliance.COMPLIANT, "default encryption is AES256")


def test_a_later_rule_with_an_algorithm_counts() -> None:
    configuration = {"rules": ["junk", {"applyServerSideEncryptionByDefault": None}, *sse("AES256")["rules"]]}
    assert run(bucket(configuration)) == Result(Compliance.COMPLIANT, "default encryption is AES256")


def test_default_encryption_does_not_need_the_policy() -> None:
    assert run(bucket(sse("AES256"), policy=MISSING)) == Result(Compliance.COMPLIANT, "default encryption is AES256")


@pytest.mark.parametrize("configuration", [{"rules": []}, sse(None), sse("aes256"), sse("AES128")])
def test_default_encryption_without_an_accepted_algorithm_is_not_compliant(configuration: dict[str, Any]) -> None:
    assert run(bucket(configuration)) == Result(
        Compliance.NON_COMPLIANT,
        "no rule of the bucket's default encryption applies AES256, aws:kms or aws:kms:dsse, "
        "and the bucket policy does not deny unencrypted uploads",
    )


@pytest.mark.parametrize("configuration", [{}, {"rules": None}, "{not json", ["AES256"]])
def test_default_encryption_that_cannot_be_read_is_never_compliant(configuration: Any) -> None:
    assert run(bucket(configuration)) == Result(
        Compliance.NON_COMPLIANT,
        "the ServerSideEncryptionConfiguration has no list of rules, so default encryption cannot be judged, "
        "and the bucket policy does not deny unencrypted uploads",
    )


# --- the policy alternative ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {"Null": {"s3:x-amz-server-side-encryption": "true"}},
        {"Null": {"s3:x-amz-server-side-encryption": True}},
        {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}},
        {"StringNotEquals": {"s3:x-amz-server-side-encryption": ["AES256", "aws:kms"]}},
        {
            "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
            "Null": {"s3:x-amz-server-side-encryption": "true"},
        },
    ],
)
def test_a_policy_denying_unencrypted_uploads_is_compliant_without_default_encryption(
    condition: dict[str, Any],
) -> None:
    assert run(bucket(policy=policy(deny(Condition=condition)))) == enforced()


@pytest.mark.parametrize(
    "fields",
    [
        {"Action": "s3:Put*"},
        {"Action": ["s3:GetObject", "s3:*"]},
        {"Principal": {"AWS": "*"}},
        {"Resource": "*"},
        {"Resource": [f"arn:aws:s3:::{NAME}", f"arn:aws:s3:::{NAME}*"]},
    ],
)
def test_any_spelling_of_the_enforcing_statement_counts(fields: dict[str, Any]) -> None:
    assert run(bucket(policy=policy(deny(**fields)))) == enforced()


def test_the_usual_pair_of_statements_is_named() -> None:
    wrong = deny(
        Sid="DenyWrongEncryption", Condition={"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}
    )
    assert run(bucket(policy=policy(deny(), wrong))) == enforced("statements DenyUnencrypted, DenyWrongEncryption")


@pytest.mark.parametrize(
    "fields",
    [
        {"Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "AES256"}}},
        {"Condition": {"Null": {"s3:x-amz-server-side-encryption": "false"}}},
        {"Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES128"}}},
        {"Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}, "Bool": {"aws:SecureTransport": "false"}}},
        {"Condition": {"Null": {"s3:x-amz-server-side-encryption": []}}},
        {"Condition": MISSING},
        {"Resource": f"arn:aws:s3:::{NAME}"},
        {"Resource": f"arn:aws:s3:::{NAME}/uploads/*"},
        {"Principal": {"AWS": "arn:aws:iam::111122223333:root"}},
        {"Principal": MISSING, "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}},
        {"Action": "s3:GetObject"},
        {"Action": MISSING, "NotAction": "s3:GetObject"},
        {"Effect": "Allow"},
    ],
)
def test_a_statement_that_does_not_deny_every_unencrypted_upload_does_not_count(fields: dict[str, Any]) -> None:
    assert run(bucket(policy=policy(deny(**fields)))) == NO_DENY


def test_no_default_encryption_and_no_policy_is_not_compliant() -> None:
    assert run(bucket(policy={"policyText": None})) == Result(
        Compliance.NON_COMPLIANT, f"{NOT_RECORDED}, and the bucket has no policy"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (MISSING, "the configuration item has no BucketPolicy"),
        ({"policyText": "{not json"}, "the bucket policy is not valid JSON"),
    ],
)
def test_a_policy_that_cannot_be_read_is_never_taken_as_enforcing(value: Any, reason: str) -> None:
    assert run(bucket(policy=value)) == Result(
        Compliance.NON_COMPLIANT,
        f"{NOT_RECORDED}; whether the bucket policy denies unencrypted uploads could not be judged: {reason}",
    )


def test_the_answer_is_never_not_applicable() -> None:
    """Like the managed rule, every bucket is in scope: there is no input for which the check does not apply."""
    items = [bucket(), bucket(policy=MISSING), bucket(sse("AES256")), bucket(policy=policy(deny()))]
    assert all(run(item).compliance is not Compliance.NOT_APPLICABLE for item in items)
