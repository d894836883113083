"""s3-bucket-public-write-prohibited: neither the bucket ACL nor the bucket policy lets the public write
(managed rule S3_BUCKET_PUBLIC_WRITE_PROHIBITED).

Public write is a grant of Write, WriteAcp or FullControl to the AllUsers or AuthenticatedUsers group in the item's
AccessControlList (WriteAcp counts because whoever may rewrite the ACL can grant themselves Write), or an Allow
statement of the bucket policy, to everyone and without a condition pinning callers to fixed values, for an action
S3 counts as a write: s3:Put*, s3:Delete*, s3:AbortMultipartUpload or s3:RestoreObject, named in Action or left out of
NotAction. Principals, conditions and the block settings are judged exactly as in s3-bucket-public-read-prohibited:
ignorePublicAcls neutralises ACL grants, restrictPublicBuckets neutralises a public policy, and blockPublicAcls and
blockPublicPolicy, which leave an existing ACL or policy in force, excuse nothing. The account-level block is not
read (the managed rule does not evaluate it either).

An item without its AccessControlList or BucketPolicy, or with one that does not parse, is NON_COMPLIANT saying that
public write access could not be judged, unless the block settings make that part moot. Every bucket is in scope, so
the answer is never NOT_APPLICABLE.
"""

from __future__ import annotations

from checks.shared.s3_access import BUCKET, Access, evaluate_public_access
from scanner.model import ConfigurationItem
from scanner.registry import Check, CheckScope, ParameterValues, Result, Severity, Snapshot

WRITE = Access(
    name="write",
    acl_permissions=frozenset({"write", "writeacp", "fullcontrol"}),
    action_prefixes=("s3:put", "s3:delete"),
    actions=(
        "s3:putobject",
        "s3:putobjectacl",
        "s3:putbucketacl",
        "s3:putbucketpolicy",
        "s3:deleteobject",
        "s3:deleteobjectversion",
        "s3:deletebucket",
        "s3:deletebucketpolicy",
        "s3:abortmultipartupload",
        "s3:restoreobject",
    ),
)


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    return evaluate_public_access(item, WRITE)


CHECK = Check(
    id="s3-bucket-public-write-prohibited",
    title="S3 buckets do not allow public write access",
    description=(
        "Neither the bucket ACL (Write, WriteAcp or FullControl to AllUsers or AuthenticatedUsers) nor the bucket "
        "policy (an Allow of s3:Put*, s3:Delete*, s3:AbortMultipartUpload or s3:RestoreObject to everyone without a "
        "condition pinning callers to fixed values) lets the public write, unless the bucket's ignorePublicAcls or "
        "restrictPublicBuckets setting neutralises it, as in the managed rule S3_BUCKET_PUBLIC_WRITE_PROHIBITED."
    ),
    rationale=(
        "Anyone on the internet, or anyone with any AWS account, can upload, overwrite or delete the bucket's "
        "objects (and, with WriteAcp, rewrite its ACL): data can be destroyed or replaced with malware served "
        "under the owner's name, and the owner pays for whatever is stored."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Remove the public grants from the bucket ACL (make it private) and remove or narrow the public bucket "
        "policy statements, or turn on the bucket's Block Public Access settings, whose IgnorePublicAcls and "
        "RestrictPublicBuckets neutralise both."
    ),
    remediation_cli=(
        "aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(BUCKET,),
    evaluate_resource=evaluate,
)
