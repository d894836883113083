"""s3-bucket-public-read-prohibited: neither the bucket ACL nor the bucket policy lets the public read
(managed rule S3_BUCKET_PUBLIC_READ_PROHIBITED).

Public read is a grant of Read or FullControl to the AllUsers or AuthenticatedUsers group in the item's
AccessControlList (Config spells the grantee "AllUsers"; its group URI http://acs.amazonaws.com/groups/global/AllUsers
is read too), or an Allow statement of the bucket policy for an s3:Get* or s3:List* action, through Action or
NotAction, to everyone: Principal "*", {"AWS": "*"}, any principal with a wildcard or policy variable, or NotPrincipal.
A Condition excuses the statement only when it pins callers to fixed values, as S3's own meaning of "public" does:
IpAddress on aws:SourceIp with CIDRs narrower than /0, or StringEquals/StringLike/ArnEquals/ArnLike (not negated,
not IfExists, not ForAllValues) with wildcard-free values on aws:SourceArn, aws:SourceVpc, aws:SourceVpce,
aws:SourceOwner, aws:SourceAccount, aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID, aws:userid,
s3:DataAccessPointArn, s3:DataAccessPointAccount or s3:x-amz-server-side-encryption-aws-kms-key-id. A condition such
as aws:SecureTransport restricts how, not who: the statement stays public.

The bucket's PublicAccessBlockConfiguration overrides what it neutralises: ignorePublicAcls makes ACL grants
ineffective and restrictPublicBuckets makes a public policy ineffective. blockPublicAcls and blockPublicPolicy do not
excuse anything: S3 documents that they refuse new public ACLs and policies but leave one already in place in force,
and the item records the ACL and policy in force. The account-level block (AWS::S3::AccountPublicAccessBlock) is not
read, and Deny statements are not weighed against Allows: both can only make a bucket come out less compliant,
never wrongly compliant.

Data that cannot be read is never compliant. AWS Config records every bucket's AccessControlList and its BucketPolicy
({"policyText": null} when there is none), so an item without one of them, or with one that does not parse, is
NON_COMPLIANT saying that public access could not be judged, unless the block setting above makes that part moot.
Every bucket is in scope, so, as with the managed rule, the answer is never NOT_APPLICABLE.

The reading of ACLs and bucket policies, shared with the other S3 checks, is in `checks/s3_access.py`.
"""

from __future__ import annotations

from checks.shared.s3_access import BUCKET, READ, evaluate_public_access
from scanner.model import ConfigurationItem
from scanner.registry import Check, CheckScope, ParameterValues, Result, Severity, Snapshot


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    return evaluate_public_access(item, READ)


CHECK = Check(
    id="s3-bucket-public-read-prohibited",
    title="S3 buckets do not allow public read access",
    description=(
        "Neither the bucket ACL (Read or FullControl to AllUsers or AuthenticatedUsers) nor the bucket policy (an "
        "Allow of s3:Get* or s3:List* to everyone without a condition pinning callers to fixed values) lets the "
        "public read, unless the bucket's ignorePublicAcls or restrictPublicBuckets setting neutralises it, as in "
        "the managed rule S3_BUCKET_PUBLIC_READ_PROHIBITED."
    ),
    rationale=(
        "Anyone on the internet, or anyone with any AWS account, can list and download the bucket's objects, "
        "a frequent cause of data leaks, and the owner pays for every download."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Remove the public grants from the bucket ACL (make it private) and remove or narrow the public bucket "
        "policy statements, or turn on the bucket's Block Public Access settings, whose IgnorePublicAcls and "
        "RestrictPublicBuckets neutralise both. Serve content that must be public through CloudFront with origin "
        "access control instead."
    ),
    remediation_cli=(
        "aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(BUCKET,),
    evaluate_resource=evaluate,
)
