"""oss-bucket-public-read-prohibited: a private bucket ACL passes; public-read(-write), missing or unknown fail."""

from __future__ import annotations

from typing import Any

import pytest

from checks.alibaba import oss_bucket_public_read_prohibited
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, Cloud, ParameterError, Result
from scanner.testing import assert_evaluations, run_check
from scanner.testing.alibaba import DELETE, alibaba_item

CHECK = oss_bucket_public_read_prohibited.CHECK
BUCKET = "example-logs-bucket"
UNKNOWN_GRANT = "the bucket's configuration has no AccessControlList Grant: public read unknown"


def bucket(acl: Any = None, **configuration: Any) -> ConfigurationItem:
    """The example bucket (private), with its AccessControlList replaced when acl is given."""
    if acl is not None:
        configuration["AccessControlList"] = acl
    return alibaba_item("ACS::OSS::Bucket", configuration=configuration)


def run(item: ConfigurationItem) -> Result:
    evaluations = run_check(CHECK, [item])
    assert len(evaluations) == 1
    return Result(evaluations[0].compliance, evaluations[0].annotation)


def test_the_check_is_an_alibaba_resource_check_of_buckets_without_parameters() -> None:
    assert CHECK.id == "oss-bucket-public-read-prohibited"
    assert CHECK.cloud is Cloud.ALIBABA
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("ACS::OSS::Bucket",)
    assert CHECK.parameters.parameters == ()
    assert CHECK.remediation_cli == "aliyun oss set-acl oss://BUCKET_NAME private -b"
    assert "Bucket policies, object ACLs and Block Public Access are not evaluated." in CHECK.description
    assert "bucket policy" in (oss_bucket_public_read_prohibited.__doc__ or "")


def test_the_example_bucket_is_private() -> None:
    assert_evaluations(run_check(CHECK, [bucket()]), {BUCKET: (Compliance.COMPLIANT, "bucket ACL is private")})


@pytest.mark.parametrize("grant", ["public-read", "public-read-write", "Public-Read", " public-read-write "])
def test_a_public_grant_is_not_compliant(grant: str) -> None:
    spelled = grant.strip().lower()
    assert run(bucket({"Grant": grant})) == Result(
        Compliance.NON_COMPLIANT, f"bucket ACL is {spelled}: anyone can read its objects"
    )


@pytest.mark.parametrize("grant", ["private", "Private", " private "])
def test_private_in_any_spelling_is_compliant(grant: str) -> None:
    assert run(bucket({"Grant": grant})) == Result(Compliance.COMPLIANT, "bucket ACL is private")


@pytest.mark.parametrize("grant", ["default", "authenticated-read", "public"])
def test_an_unknown_grant_is_not_compliant(grant: str) -> None:
    assert run(bucket({"Grant": grant})) == Result(
        Compliance.NON_COMPLIANT,
        f"bucket ACL grant {grant!r} is not private, public-read or public-read-write: public read unknown",
    )


@pytest.mark.parametrize(
    "acl",
    [DELETE, {}, {"Grant": None}, {"Grant": ""}, {"Grant": 1}, "private", ["private"]],
    ids=["no-acl", "empty-acl", "null-grant", "empty-grant", "number-grant", "acl-as-string", "acl-as-list"],
)
def test_a_missing_or_malformed_grant_is_never_compliant(acl: Any) -> None:
    assert run(bucket(acl)) == Result(Compliance.NON_COMPLIANT, UNKNOWN_GRANT)


def test_a_private_acl_passes_whatever_the_bucket_policy_says() -> None:
    """The bucket policy is not evaluated (the docstring says so): only the ACL decides."""
    item = bucket({"Grant": "private"}, BucketPolicy={"Statement": [{"Effect": "Allow", "Principal": ["*"]}]})
    assert run(item) == Result(Compliance.COMPLIANT, "bucket ACL is private")


def test_each_bucket_is_evaluated_once() -> None:
    public = alibaba_item(
        "ACS::OSS::Bucket", configuration={"AccessControlList": {"Grant": "public-read"}}, resourceId="public-site"
    )
    assert_evaluations(
        run_check(CHECK, [bucket(), public]),
        {
            BUCKET: Compliance.COMPLIANT,
            "public-site": (Compliance.NON_COMPLIANT, "bucket ACL is public-read: anyone can read its objects"),
        },
    )


def test_no_parameter_is_accepted() -> None:
    with pytest.raises(ParameterError, match=r"^check oss-bucket-public-read-prohibited, parameter grant: unknown"):
        CHECK.parameters.parse(CHECK.id, {"grant": "private"})
