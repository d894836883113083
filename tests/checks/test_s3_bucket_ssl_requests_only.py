"""s3-bucket-ssl-requests-only: a Deny of s3:* to everyone on aws:SecureTransport false, covering the bucket and all
its objects; no policy, or data that cannot be read, is not compliant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import s3_bucket_ssl_requests_only
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = s3_bucket_ssl_requests_only.CHECK
SNAPSHOT = Snapshot("934654633380", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
MISSING = object()
NAME = "mborch-test-bucket-config-item"
ARN = f"arn:aws:s3:::{NAME}"
SID = "Stmt1478389920384"  # the reference policy's statement
BOTH = [ARN, f"{ARN}/*"]


def bucket(policy: Any = None, *, arn: str | None = None) -> ConfigurationItem:
    """The reference bucket, whose policy denies s3:* over HTTP on the bucket ARN only, with its BucketPolicy
    replaced (MISSING removes it)."""
    raw = json.loads((REFERENCE / "AWS_S3_Bucket.json").read_text())
    if policy is MISSING:
        del raw["supplementaryConfiguration"]["BucketPolicy"]
    elif policy is not None:
        raw["supplementaryConfiguration"]["BucketPolicy"] = policy
    if arn is not None:
        raw["ARN"] = arn
    return ConfigurationItem.parse(raw)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"policyText": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def deny(**fields: Any) -> dict[str, Any]:
    """The reference statement, with fields replaced (MISSING removes one)."""
    statement: dict[str, Any] = {
        "Sid": SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ARN,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(fields)
    return {key: value for key, value in statement.items() if value is not MISSING}


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def enforced(labels: str = f"statement {SID}") -> Result:
    return Result(
        Compliance.COMPLIANT,
        f"the bucket policy denies all S3 actions to everyone when aws:SecureTransport is false ({labels})",
    )


NOT_DENIED = Result(
    Compliance.NON_COMPLIANT,
    "the bucket policy does not deny all S3 actions to everyone when aws:SecureTransport is false",
)


def test_the_check_evaluates_buckets_and_takes_no_parameter() -> None:
    assert CHECK.id == "s3-bucket-ssl-requests-only"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::S3::Bucket",)
    assert not CHECK.parameters.has_required()
    assert CHECK.remediation_cli == (
        "aws s3api get-bucket-policy --bucket BUCKET --query Policy --output text\n"
        "aws s3api put-bucket-policy --bucket BUCKET --policy "
        '\'{"Version": "2012-10-17", "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", '
        '"Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"], '
        '"Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}\''
    )
    with pytest.raises(ParameterError, match="parameter x: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"x": "1"})


def test_the_reference_policy_leaves_the_objects_reachable_over_http() -> None:
    """Its Deny names only the bucket ARN, so a GetObject over HTTP matches no Deny."""
    assert run(bucket()) == Result(
        Compliance.NON_COMPLIANT,
        f"the bucket policy does not deny requests over HTTP to the bucket's objects (statement {SID})",
    )


def test_a_deny_on_the_bucket_and_its_objects_is_compliant() -> None:
    assert run(bucket(policy(deny(Resource=BOTH)))) == enforced()


@pytest.mark.parametrize("resource", ["*", "arn:aws:s3:::*", f"{ARN}*", ["arn:aws:s3:::*/*", ARN]])
def test_a_wildcard_resource_covering_both_is_compliant(resource: Any) -> None:
    assert run(bucket(policy(deny(Resource=resource)))) == enforced()


def test_the_bucket_and_its_objects_may_be_covered_by_two_statements() -> None:
    item = bucket(policy(deny(Sid="Bucket"), deny(Sid=MISSING, Resource=f"{ARN}/*")))
    assert run(item) == enforced("statements Bucket, #2")


@pytest.mark.parametrize(
    ("resource", "missing"),
    [
        (f"{ARN}/*", "the bucket itself"),
        ([ARN, f"{ARN}/public/*"], "the bucket's objects"),
        (["arn:aws:s3:::another-bucket", "arn:aws:s3:::another-bucket/*"], "the bucket or its objects"),
    ],
)
def test_a_deny_that_misses_part_of_the_bucket_is_not_compliant(resource: Any, missing: str) -> None:
    result = run(bucket(policy(deny(Resource=resource))))
    assert result == Result(
        Compliance.NON_COMPLIANT, f"the bucket policy does not deny requests over HTTP to {missing} (statement {SID})"
    )


def test_a_not_resource_deny_covers_nothing_for_sure() -> None:
    result = run(bucket(policy(deny(Resource=MISSING, NotResource=f"{ARN}/public/*"))))
    assert result == Result(
        Compliance.NON_COMPLIANT,
        f"the bucket policy does not deny requests over HTTP to the bucket or its objects (statement {SID})",
    )


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}])
def test_principal_as_a_string_or_an_object(principal: Any) -> None:
    assert run(bucket(policy(deny(Resource=BOTH, Principal=principal)))) == enforced()


@pytest.mark.parametrize(
    "fields",
    [
        {"Principal": {"AWS": "arn:aws:iam::111122223333:root"}},
        {"Principal": MISSING, "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}},
        {"Action": "s3:GetObject"},
        {"Action": ["s3:GetObject", "s3:PutObject"]},
        {"Action": MISSING, "NotAction": "s3:ListBucket"},
        {"Effect": "Allow"},
    ],
)
def test_a_deny_narrower_than_everyone_and_every_action_does_not_count(fields: dict[str, Any]) -> None:
    assert run(bucket(policy(deny(Resource=BOTH, **fields)))) == NOT_DENIED


@pytest.mark.parametrize("action", ["s3:*", "S3:*", "*", ["s3:*"], ["s3:GetObject", "s3:*"]])
def test_any_spelling_of_every_s3_action_counts(action: Any) -> None:
    assert run(bucket(policy(deny(Resource=BOTH, Action=action)))) == enforced()


@pytest.mark.parametrize(
    "condition",
    [
        {"Bool": {"aws:SecureTransport": "false"}},
        {"Bool": {"aws:SecureTransport": False}},
        {"Bool": {"aws:SecureTransport": ["false"]}},
        {"Bool": {"AWS:SecureTransport": "False"}},
        {"BoolIfExists": {"aws:SecureTransport": "false"}},
    ],
)
def test_the_insecure_transport_condition_in_any_spelling(condition: dict[str, Any]) -> None:
    assert run(bucket(policy(deny(Resource=BOTH, Condition=condition)))) == enforced()


@pytest.mark.parametrize(
    "condition",
    [
        {"Bool": {"aws:SecureTransport": "true"}},
        {"Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"Bool": {"aws:SecureTransport": "false", "aws:MultiFactorAuthPresent": "false"}},
        {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        {"Bool": {}},
        {},
        MISSING,
    ],
)
def test_any_other_condition_does_not_deny_exactly_the_insecure_requests(condition: Any) -> None:
    assert run(bucket(policy(deny(Resource=BOTH, Condition=condition)))) == NOT_DENIED


def test_an_allow_for_secure_transport_only_is_not_compliant() -> None:
    """AWS's own example of a policy that does not comply: without a Deny, another grant still admits HTTP."""
    statement = deny(Effect="Allow", Action="s3:GetObject", Condition={"Bool": {"aws:SecureTransport": "true"}})
    assert run(bucket(policy(statement))) == NOT_DENIED


def test_a_bucket_without_a_policy_is_not_compliant() -> None:
    assert run(bucket({"policyText": None})) == Result(
        Compliance.NON_COMPLIANT, "the bucket has no policy, so requests over HTTP are not denied"
    )


def test_a_policy_as_the_api_model_encodes_it_is_read() -> None:
    assert run(bucket(json.dumps(policy(deny(Resource=BOTH))))) == enforced()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (MISSING, "the configuration item has no BucketPolicy"),
        ({"policyText": "{not json"}, "the bucket policy is not valid JSON"),
        (
            {"policyText": json.dumps({"Statement": [ARN]})},
            "the bucket policy records Statement[0] as a string, not an object",
        ),
        ({"text": "{}"}, "the BucketPolicy has no policyText"),
    ],
)
def test_a_policy_that_cannot_be_read_is_never_compliant(value: Any, reason: str) -> None:
    result = run(bucket(value))
    assert result == Result(
        Compliance.NON_COMPLIANT, f"whether only TLS requests are allowed could not be judged: {reason}"
    )


def test_the_bucket_arn_keeps_its_partition() -> None:
    china = "arn:aws-cn:s3:::" + NAME
    compliant = bucket(policy(deny(Resource=[china, f"{china}/*"])), arn=china)
    assert run(compliant) == enforced()
    other_partition = bucket(policy(deny(Resource=BOTH)), arn=china)
    assert run(other_partition).compliance is Compliance.NON_COMPLIANT


def test_the_answer_is_never_not_applicable() -> None:
    """Like the managed rule, every bucket is in scope: there is no input for which the check does not apply."""
    items = [bucket(), bucket(MISSING), bucket({"policyText": None}), bucket(policy(deny(Resource=BOTH)))]
    assert all(run(item).compliance is not Compliance.NOT_APPLICABLE for item in items)
