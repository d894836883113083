"""oss-bucket-public-read-prohibited: an OSS bucket's ACL does not let the public read (Alibaba Cloud Config's managed
rule of that name).

Read from the bucket ACL Cloud Config records, `AccessControlList.Grant`: private passes, public-read and
public-read-write (which reads too) fail. A grant that is missing or is none of these fails too, saying so: a
bucket whose ACL cannot be read is not known to be private. Only the bucket ACL is read: neither the bucket policy
(which can grant anonymous access on its own), object ACLs (an object's public-read overrides a private bucket) nor
Block Public Access is evaluated, so a private bucket ACL passes even where a policy or an object is public.
"""

from __future__ import annotations

from collections.abc import Mapping

from scanner.model import Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, Cloud, ParameterValues, Result, Severity, Snapshot

BUCKET = "ACS::OSS::Bucket"
PRIVATE = "private"
PUBLIC_GRANTS = frozenset({"public-read", "public-read-write"})


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    acl = configuration.get("AccessControlList")
    grant = acl.get("Grant") if isinstance(acl, Mapping) else None
    if not isinstance(grant, str) or not grant.strip():
        return Result(
            Compliance.NON_COMPLIANT, "the bucket's configuration has no AccessControlList Grant: public read unknown"
        )
    spelled = grant.strip().lower()
    if spelled == PRIVATE:
        return Result(Compliance.COMPLIANT, "bucket ACL is private")
    if spelled in PUBLIC_GRANTS:
        return Result(Compliance.NON_COMPLIANT, f"bucket ACL is {spelled}: anyone can read its objects")
    return Result(
        Compliance.NON_COMPLIANT,
        f"bucket ACL grant {grant!r} is not private, public-read or public-read-write: public read unknown",
    )


CHECK = Check(
    id="oss-bucket-public-read-prohibited",
    title="OSS buckets do not allow public read access",
    description=(
        "Each OSS bucket's ACL (AccessControlList.Grant) is private, not public-read or public-read-write, as in "
        "Alibaba Cloud Config's managed rule oss-bucket-public-read-prohibited. A missing or unknown grant is not "
        "compliant. Bucket policies, object ACLs and Block Public Access are not evaluated."
    ),
    rationale=(
        "With a public-read or public-read-write bucket ACL, anyone on the internet, without credentials, can list "
        "and download every object that does not set its own ACL, a frequent cause of data leaks, and the owner "
        "pays for the traffic; public-read-write also lets anyone write and overwrite objects."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Set the bucket ACL to private, and serve content that must be public through CDN with back-to-origin "
        "authentication or signed URLs instead. Then review the bucket policy and object ACLs, which this check "
        "does not read, and turn on Block Public Access for the bucket or the account."
    ),
    remediation_cli="aliyun oss set-acl oss://BUCKET_NAME private -b",
    scope=CheckScope.RESOURCE,
    cloud=Cloud.ALIBABA,
    resource_types=(BUCKET,),
    evaluate_resource=evaluate,
)
