"""s3-bucket-public-read-prohibited: no public Read through the ACL or the bucket policy, unless the bucket's
ignorePublicAcls or restrictPublicBuckets neutralises it; missing data is never compliant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import s3_bucket_public_read_prohibited
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = s3_bucket_public_read_prohibited.CHECK
SNAPSHOT = Snapshot("934654633380", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
MISSING = object()
NAME = "mborch-test-bucket-config-item"
OWNER = {"id": "8ac813c84b8ad4d9f3e35f80aaeb254f85922a902ce87ed6b49ccbfa188f5a12", "displayName": None}
ALL_USERS_URI = "http://acs.amazonaws.com/groups/global/AllUsers"
PRIVATE = Result(Compliance.COMPLIANT, "the bucket ACL grants no public read; the bucket policy allows no public read")


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
    """An AccessControlList as AWS Config records it: a JSON string, the owner's FullControl first."""
    grant_list = [{"grantee": OWNER, "permission": "FullControl"}, *grants]
    return json.dumps({"grantSet": None, "grantList": grant_list, "owner": OWNER, "isRequesterCharged": False})


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    """A BucketPolicy as a rule event carries it: an object whose policyText is a JSON string."""
    return {"policyText": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def allow(**fields: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
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


def policy_public(labels: str = "statement PublicRead") -> Result:
    return Result(Compliance.NON_COMPLIANT, f"the bucket policy allows public read ({labels})")


def test_the_check_evaluates_buckets_and_takes_no_parameter() -> None:
    assert CHECK.id == "s3-bucket-public-read-prohibited"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::S3::Bucket",)
    assert not CHECK.parameters.has_required()
    assert CHECK.remediation_cli == (
        "aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
    )


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(ParameterError, match="check s3-bucket-public-read-prohibited, parameter x: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"x": "1"})


def test_the_reference_bucket_is_private() -> None:
    assert run(bucket()) == PRIVATE


# --- the ACL ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grantee",
    [
        "AllUsers",  # AWS Config's spelling
        ALL_USERS_URI,
        {"type": "Group", "uRI": ALL_USERS_URI},  # the SDK's Grantee, camel-cased (the emulator)
        {"identifier": ALL_USERS_URI, "typeIdentifier": "uri"},
    ],
)
@pytest.mark.parametrize("permission", ["Read", "READ", "FullControl", "FULL_CONTROL"])
def test_a_read_grant_to_all_users_is_public(grantee: Any, permission: str) -> None:
    result = run(bucket(AccessControlList=acl({"grantee": grantee, "permission": permission})))
    assert result == Result(Compliance.NON_COMPLIANT, f"the bucket ACL grants {permission} to AllUsers")


def test_a_read_grant_to_authenticated_users_is_public() -> None:
    result = run(bucket(AccessControlList=acl({"grantee": "AuthenticatedUsers", "permission": "Read"})))
    assert result == Result(Compliance.NON_COMPLIANT, "the bucket ACL grants Read to AuthenticatedUsers")


@pytest.mark.parametrize(
    "grant",
    [
        {"grantee": "AllUsers", "permission": "ReadAcp"},
        {"grantee": "AllUsers", "permission": "Write"},
        {"grantee": "LogDelivery", "permission": "Read"},
        # A canonical user's display name is free text, not a group.
        {"grantee": {"id": OWNER["id"], "displayName": "AllUsers"}, "permission": "Read"},
    ],
)
def test_grants_that_do_not_let_the_public_read_are_private(grant: dict[str, Any]) -> None:
    assert run(bucket(AccessControlList=acl(grant))) == PRIVATE


def test_an_acl_object_as_a_rule_event_carries_it_is_read() -> None:
    document = json.loads(acl({"grantee": "AllUsers", "permission": "Read"}))
    result = run(bucket(AccessControlList=document))
    assert result == Result(Compliance.NON_COMPLIANT, "the bucket ACL grants Read to AllUsers")


def test_an_acl_encoded_twice_as_the_api_model_nests_it_is_read() -> None:
    result = run(bucket(AccessControlList=json.dumps(acl({"grantee": "AllUsers", "permission": "Read"}))))
    assert result == Result(Compliance.NON_COMPLIANT, "the bucket ACL grants Read to AllUsers")


# --- the policy ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        {"AWS": "*"},
        {"AWS": ["arn:aws:iam::111122223333:root", "*"]},
        {"AWS": "arn:aws:iam::*:root"},
        {"AWS": "arn:aws:iam::${aws:PrincipalAccount}:root"},
    ],
)
def test_an_allow_to_everyone_is_public_whatever_the_principal_spelling(principal: Any) -> None:
    assert run(bucket(BucketPolicy=policy(allow(Principal=principal)))) == policy_public()


def test_an_allow_with_not_principal_is_public() -> None:
    statement = allow(Principal=MISSING, NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"})
    assert run(bucket(BucketPolicy=policy(statement))) == policy_public()


@pytest.mark.parametrize(
    "action",
    ["s3:GetObject", "S3:GETOBJECT", "s3:Get*", "s3:List*", ["s3:ListBucket"], "s3:*", "*", "s3:*Object", "s3:G*"],
)
def test_any_read_action_is_public(action: Any) -> None:
    assert run(bucket(BucketPolicy=policy(allow(Action=action)))) == policy_public()


def test_not_action_that_leaves_a_read_action_in_is_public() -> None:
    statement = allow(Action=MISSING, NotAction=["s3:PutObject", "s3:Get*"])
    assert run(bucket(BucketPolicy=policy(statement))) == policy_public()


@pytest.mark.parametrize(
    "fields",
    [
        {"Action": ["s3:PutObject", "s3:DeleteObject"]},
        {"Action": MISSING, "NotAction": ["s3:Get*", "s3:List*"]},
        {"Principal": {"AWS": "arn:aws:iam::111122223333:root"}},
        {"Principal": {"Service": "cloudfront.amazonaws.com"}},
        {"Effect": "Deny"},
    ],
)
def test_a_statement_that_does_not_give_everyone_read_is_private(fields: dict[str, Any]) -> None:
    assert run(bucket(BucketPolicy=policy(allow(**fields)))) == PRIVATE


@pytest.mark.parametrize(
    "condition",
    [
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}},
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}},
        {"ForAnyValue:StringEquals": {"AWS:SourceAccount": ["111122223333"]}},
        # One pinning entry is enough: conditions are ANDed.
        {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:SourceVpc": "vpc-111bbb22"}},
    ],
)
def test_a_condition_that_pins_callers_to_fixed_values_makes_the_statement_private(
    condition: dict[str, Any],
) -> None:
    assert run(bucket(BucketPolicy=policy(allow(Condition=condition)))) == PRIVATE


@pytest.mark.parametrize(
    "condition",
    [
        {"Bool": {"aws:SecureTransport": "true"}},  # restricts how, not who
        {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
        {"IpAddress": {"aws:SourceIp": "::/0"}},
        {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        {"ForAllValues:StringEquals": {"aws:SourceAccount": "111122223333"}},
        {"StringLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/*"}},
        {"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}},
        {"StringEquals": {"aws:SourceVpce": []}},
        {"StringEquals": {"s3:prefix": "public/"}},
    ],
)
def test_a_condition_that_does_not_pin_callers_leaves_the_statement_public(condition: dict[str, Any]) -> None:
    assert run(bucket(BucketPolicy=policy(allow(Condition=condition)))) == policy_public()


def test_statements_without_a_sid_are_numbered() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": f"arn:aws:s3:::{NAME}"}
    item = bucket(BucketPolicy=policy(deny, allow(Sid=MISSING), allow(Sid="Listing", Action="s3:ListBucket")))
    assert run(item) == policy_public("statements #2, Listing")


def test_a_policy_as_the_api_model_encodes_it_is_read() -> None:
    assert run(bucket(BucketPolicy=json.dumps(policy(allow())))) == policy_public()


def test_a_bucket_without_a_policy_is_judged_by_its_acl() -> None:
    result = run(bucket(BucketPolicy={"policyText": None}))
    assert result == Result(Compliance.COMPLIANT, "the bucket ACL grants no public read; the bucket has no policy")


def test_a_public_acl_and_a_public_policy_are_both_reported() -> None:
    item = bucket(AccessControlList=acl({"grantee": "AllUsers", "permission": "Read"}), BucketPolicy=policy(allow()))
    assert run(item) == Result(
        Compliance.NON_COMPLIANT,
        "the bucket ACL grants Read to AllUsers; the bucket policy allows public read (statement PublicRead)",
    )


# --- block public access ---------------------------------------------------------------------------------------

PUBLIC_ACL = acl({"grantee": "AllUsers", "permission": "Read"})


def test_ignore_public_acls_neutralises_a_public_acl() -> None:
    result = run(bucket(AccessControlList=PUBLIC_ACL, PublicAccessBlockConfiguration=block(ignorePublicAcls=True)))
    assert result == Result(
        Compliance.COMPLIANT, "public ACLs are ignored (ignorePublicAcls); the bucket policy allows no public read"
    )


def test_restrict_public_buckets_neutralises_a_public_policy() -> None:
    item = bucket(BucketPolicy=policy(allow()), PublicAccessBlockConfiguration=block(restrictPublicBuckets=True))
    assert run(item) == Result(
        Compliance.COMPLIANT,
        "the bucket ACL grants no public read; public policies are restricted (restrictPublicBuckets)",
    )


def test_block_settings_as_a_json_string_are_read() -> None:
    settings = json.dumps(block(ignorePublicAcls=True, restrictPublicBuckets=True))
    item = bucket(AccessControlList=PUBLIC_ACL, BucketPolicy=policy(allow()), PublicAccessBlockConfiguration=settings)
    assert run(item).compliance is Compliance.COMPLIANT


def test_block_public_acls_does_not_excuse_a_public_acl_already_in_place() -> None:
    """S3: blockPublicAcls refuses new public ACLs but "doesn't affect existing policies or ACLs"."""
    item = bucket(AccessControlList=PUBLIC_ACL, PublicAccessBlockConfiguration=block(blockPublicAcls=True))
    assert run(item) == Result(Compliance.NON_COMPLIANT, "the bucket ACL grants Read to AllUsers")


def test_block_public_policy_does_not_excuse_a_public_policy_already_in_place() -> None:
    item = bucket(BucketPolicy=policy(allow()), PublicAccessBlockConfiguration=block(blockPublicPolicy=True))
    assert run(item) == policy_public()


def test_a_block_setting_on_the_other_path_does_not_help() -> None:
    item = bucket(AccessControlList=PUBLIC_ACL, PublicAccessBlockConfiguration=block(restrictPublicBuckets=True))
    assert run(item) == Result(Compliance.NON_COMPLIANT, "the bucket ACL grants Read to AllUsers")


@pytest.mark.parametrize("settings", ["not json", ["ignorePublicAcls"], {"ignorePublicAcls": "true"}])
def test_unreadable_block_settings_block_nothing(settings: Any) -> None:
    item = bucket(AccessControlList=PUBLIC_ACL, PublicAccessBlockConfiguration=settings)
    assert run(item) == Result(Compliance.NON_COMPLIANT, "the bucket ACL grants Read to AllUsers")


# --- data that cannot be read ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("supplementary", "reason"),
    [
        ({"AccessControlList": MISSING}, "the configuration item has no AccessControlList"),
        ({"AccessControlList": "{not json"}, "the AccessControlList is not valid JSON"),
        ({"AccessControlList": ["Read"]}, "the AccessControlList is not a JSON object"),
        ({"AccessControlList": {"grantList": None, "grantSet": None}}, "the AccessControlList has no grantList"),
        (
            {"AccessControlList": {"grantList": ["AllUsers"]}},
            "the AccessControlList records grantList[0] as a string, not an object",
        ),
        ({"BucketPolicy": MISSING}, "the configuration item has no BucketPolicy"),
        ({"BucketPolicy": {}}, "the BucketPolicy has no policyText"),
        ({"BucketPolicy": {"policyText": "{not json"}}, "the bucket policy is not valid JSON"),
        ({"BucketPolicy": {"policyText": "[]"}}, "the bucket policy is not a JSON object"),
        (
            {"BucketPolicy": {"policyText": '{"Statement": ["Allow"]}'}},
            "the bucket policy records Statement[0] as a string, not an object",
        ),
        (
            {"BucketPolicy": policy(allow(Action=MISSING))},
            "bucket policy statement PublicRead has neither Action nor NotAction",
        ),
        (
            {"BucketPolicy": policy(allow(Action=[1]))},
            "the bucket policy records Statement[0].Action as a list, not a string or a list of strings",
        ),
    ],
)
def test_data_that_cannot_be_read_is_never_compliant(supplementary: dict[str, Any], reason: str) -> None:
    result = run(bucket(**supplementary))
    assert result == Result(Compliance.NON_COMPLIANT, f"public read access could not be judged: {reason}")


def test_both_parts_missing_are_both_named() -> None:
    result = run(bucket(AccessControlList=MISSING, BucketPolicy=MISSING))
    assert result == Result(
        Compliance.NON_COMPLIANT,
        "public read access could not be judged: the configuration item has no AccessControlList; "
        "the configuration item has no BucketPolicy",
    )


def test_what_is_public_is_reported_even_when_another_part_cannot_be_read() -> None:
    result = run(bucket(AccessControlList=MISSING, BucketPolicy=policy(allow())))
    assert result == policy_public()


def test_a_missing_part_made_moot_by_the_block_settings_is_not_needed() -> None:
    item = bucket(
        AccessControlList=MISSING,
        BucketPolicy=MISSING,
        PublicAccessBlockConfiguration=block(ignorePublicAcls=True, restrictPublicBuckets=True),
    )
    assert run(item) == Result(
        Compliance.COMPLIANT,
        "public ACLs are ignored (ignorePublicAcls); public policies are restricted (restrictPublicBuckets)",
    )


def test_the_answer_is_never_not_applicable() -> None:
    """Like the managed rule, every bucket is in scope: there is no input for which the check does not apply."""
    items = [bucket(), bucket(AccessControlList=MISSING), bucket(BucketPolicy=policy(allow()))]
    assert all(run(item).compliance is not Compliance.NOT_APPLICABLE for item in items)


@pytest.mark.parametrize(
    ("supplementary", "reason"),
    [
        # Each hid public read: skipped or read as nothing, the bucket passed.
        (
            {"BucketPolicy": policy(allow(Effect=["Allow"]))},
            "the bucket policy records Statement[0].Effect as a list, not Allow or Deny",
        ),
        (
            {"BucketPolicy": policy(allow(Principal=["*"]))},
            'the bucket policy records Statement[0].Principal as a list, not "*" or an object',
        ),
        (
            {"BucketPolicy": {"policyText": json.dumps({"Version": "2012-10-17"})}},
            "the bucket policy records Statement as null, not a statement or a list of them",
        ),
        (
            {"AccessControlList": acl({"grantee": "AllUsers", "permission": ["Read"]})},
            "the AccessControlList records grantList[1].permission as a list, not a permission",
        ),
        (
            {"AccessControlList": acl({"grantee": ["AllUsers"], "permission": "Read"})},
            "the AccessControlList records grantList[1].grantee as a list, not a grantee",
        ),
        (
            {
                "AccessControlList": json.dumps(
                    {"grantList": [], "grantSet": {"grantee": "AllUsers", "permission": "Read"}}
                )
            },
            "the AccessControlList records grantSet as an object, not a list",
        ),
    ],
)
def test_a_policy_or_acl_of_the_wrong_types_is_never_compliant(supplementary: dict[str, Any], reason: str) -> None:
    result = run(bucket(**supplementary))
    assert result == Result(Compliance.NON_COMPLIANT, f"public read access could not be judged: {reason}")
