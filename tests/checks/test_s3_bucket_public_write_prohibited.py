"""s3-bucket-public-write-prohibited: no public Write (or WriteAcp) through the ACL and no public Put/Delete through
the bucket policy, unless ignorePublicAcls or restrictPublicBuckets neutralises it; missing data is never compliant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import s3_bucket_public_write_prohibited
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = s3_bucket_public_write_prohibited.CHECK
SNAPSHOT = Snapshot("934654633380", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
MISSING = object()
NAME = "mborch-test-bucket-config-item"
OWNER = {"id": "8ac813c84b8ad4d9f3e35f80aaeb254f85922a902ce87ed6b49ccbfa188f5a12", "displayName": None}
PRIVATE = Result(
    Compliance.COMPLIANT, "the bucket ACL grants no public write; the bucket policy allows no public write"
)


def bucket(**supplementary: Any) -> ConfigurationItem:
    """The reference bucket (owner-only ACL, a Deny-only policy, no block settings) with supplementary values
    replaced, or removed with MISSING."""
    raw = json.loads((REFERENCE / "AWS_S3_Bucket.json").read_text())
    for name, value in supplementary.items():
        if value is MISSING:
            del raw["supplementaryConfiguration"][name]
        else:
            raw["supplementaryConfiguration"][name] = value
    return ConfigurationItem.parse(raw)


def acl(*grants: dict[str, Any]) -> str:
    grant_list = [{"grantee": OWNER, "permission": "FullControl"}, *grants]
    return json.dumps({"grantSet": None, "grantList": grant_list, "owner": OWNER, "isRequesterCharged": False})


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"policyText": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def allow(**fields: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "PublicUpload",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{NAME}/*",
    }
    statement.update(fields)
    return {key: value for key, value in statement.items() if value is not MISSING}


def block(**settings: bool) -> dict[str, bool]:
    values = dict.fromkeys(("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"), False)
    values.update(settings)
    return values


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


POLICY_PUBLIC = Result(Compliance.NON_COMPLIANT, "the bucket policy allows public write (statement PublicUpload)")


def test_the_check_evaluates_buckets_and_takes_no_parameter() -> None:
    assert CHECK.id == "s3-bucket-public-write-prohibited"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::S3::Bucket",)
    assert not CHECK.parameters.has_required()
    with pytest.raises(ParameterError, match="parameter x: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"x": "1"})


def test_the_reference_bucket_is_private() -> None:
    assert run(bucket()) == PRIVATE


@pytest.mark.parametrize("permission", ["Write", "WRITE", "WriteAcp", "WRITE_ACP", "FullControl"])
@pytest.mark.parametrize("group", ["AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"])
def test_a_write_grant_to_a_public_group_is_public(permission: str, group: str) -> None:
    result = run(bucket(AccessControlList=acl({"grantee": group, "permission": permission})))
    name = group.rsplit("/", 1)[-1]
    assert result == Result(Compliance.NON_COMPLIANT, f"the bucket ACL grants {permission} to {name}")


def test_the_emulators_grantee_object_is_read() -> None:
    grantee = {"type": "Group", "uRI": "http://acs.amazonaws.com/groups/global/AllUsers"}
    result = run(bucket(AccessControlList=acl({"grantee": grantee, "permission": "WRITE"})))
    assert result == Result(Compliance.NON_COMPLIANT, "the bucket ACL grants WRITE to AllUsers")


@pytest.mark.parametrize("permission", ["Read", "ReadAcp"])
def test_a_read_grant_to_all_users_is_not_public_write(permission: str) -> None:
    assert run(bucket(AccessControlList=acl({"grantee": "AllUsers", "permission": permission}))) == PRIVATE


@pytest.mark.parametrize(
    "action",
    [
        "s3:PutObject",
        "s3:Put*",
        "s3:DeleteObject",
        "s3:Delete*",
        "s3:AbortMultipartUpload",
        "s3:RestoreObject",
        "s3:*",
        "*",
        ["s3:GetObject", "s3:PutObjectAcl"],
    ],
)
def test_any_write_action_to_everyone_is_public(action: Any) -> None:
    assert run(bucket(BucketPolicy=policy(allow(Action=action)))) == POLICY_PUBLIC


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}])
def test_principal_as_a_string_or_an_object_is_public(principal: Any) -> None:
    assert run(bucket(BucketPolicy=policy(allow(Principal=principal)))) == POLICY_PUBLIC


def test_not_action_leaving_writes_in_is_public() -> None:
    assert run(bucket(BucketPolicy=policy(allow(Action=MISSING, NotAction="s3:Get*")))) == POLICY_PUBLIC


@pytest.mark.parametrize(
    "fields",
    [
        {"Action": ["s3:GetObject", "s3:ListBucket"]},
        {"Action": MISSING, "NotAction": ["s3:Put*", "s3:Delete*", "s3:AbortMultipartUpload", "s3:RestoreObject"]},
        {"Principal": {"AWS": "arn:aws:iam::111122223333:role/Uploader"}},
        {"Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
        {"Effect": "Deny"},
    ],
)
def test_a_statement_that_does_not_give_everyone_write_is_private(fields: dict[str, Any]) -> None:
    assert run(bucket(BucketPolicy=policy(allow(**fields)))) == PRIVATE


def test_a_secure_transport_condition_does_not_make_a_write_private() -> None:
    statement = allow(Condition={"Bool": {"aws:SecureTransport": "true"}})
    assert run(bucket(BucketPolicy=policy(statement))) == POLICY_PUBLIC


def test_a_policy_as_the_api_model_encodes_it_is_read() -> None:
    assert run(bucket(BucketPolicy=json.dumps(policy(allow())))) == POLICY_PUBLIC


def test_ignore_public_acls_and_restrict_public_buckets_neutralise_both_paths() -> None:
    item = bucket(
        AccessControlList=acl({"grantee": "AllUsers", "permission": "Write"}),
        BucketPolicy=policy(allow()),
        PublicAccessBlockConfiguration=block(ignorePublicAcls=True, restrictPublicBuckets=True),
    )
    assert run(item) == Result(
        Compliance.COMPLIANT,
        "public ACLs are ignored (ignorePublicAcls); public policies are restricted (restrictPublicBuckets)",
    )


def test_block_public_acls_and_block_public_policy_excuse_nothing_already_in_place() -> None:
    item = bucket(
        AccessControlList=acl({"grantee": "AllUsers", "permission": "Write"}),
        BucketPolicy=policy(allow()),
        PublicAccessBlockConfiguration=block(blockPublicAcls=True, blockPublicPolicy=True),
    )
    assert run(item) == Result(
        Compliance.NON_COMPLIANT,
        "the bucket ACL grants Write to AllUsers; the bucket policy allows public write (statement PublicUpload)",
    )


@pytest.mark.parametrize(
    ("supplementary", "reason"),
    [
        ({"AccessControlList": MISSING}, "the configuration item has no AccessControlList"),
        ({"BucketPolicy": MISSING}, "the configuration item has no BucketPolicy"),
        ({"BucketPolicy": {"policyText": "Statement: []"}}, "the bucket policy is not valid JSON"),
    ],
)
def test_data_that_cannot_be_read_is_never_compliant(supplementary: dict[str, Any], reason: str) -> None:
    result = run(bucket(**supplementary))
    assert result == Result(Compliance.NON_COMPLIANT, f"public write access could not be judged: {reason}")


def test_a_bucket_without_a_policy_is_judged_by_its_acl() -> None:
    result = run(bucket(BucketPolicy={"policyText": None}))
    assert result == Result(Compliance.COMPLIANT, "the bucket ACL grants no public write; the bucket has no policy")


def test_the_answer_is_never_not_applicable() -> None:
    """Like the managed rule, every bucket is in scope: there is no input for which the check does not apply."""
    items = [bucket(), bucket(BucketPolicy=MISSING), bucket(BucketPolicy=policy(allow()))]
    assert all(run(item).compliance is not Compliance.NOT_APPLICABLE for item in items)
