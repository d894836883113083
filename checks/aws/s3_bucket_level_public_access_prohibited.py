"""s3-bucket-level-public-access-prohibited: the bucket's own Block Public Access settings are all on, unless the
bucket is listed in excludedPublicBuckets (managed rule S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED).

The bucket-level settings are "public" unless all four of blockPublicAcls, ignorePublicAcls, blockPublicPolicy and
restrictPublicBuckets in the item's PublicAccessBlockConfiguration are true, as Security Hub's control S3.8 (which
this rule backs) states. Only the bucket level counts: the account-level block is another resource and another rule
(s3-account-level-public-access-blocks). The ACL and policy are not read; s3-bucket-public-read-prohibited and
s3-bucket-public-write-prohibited judge what they grant.

AWS Config records no PublicAccessBlockConfiguration for a bucket that has none, so an item without one is
NON_COMPLIANT (nothing is blocked, or the setting was not recorded: either way it is not shown to be blocked), and one
that does not parse is NON_COMPLIANT saying it could not be judged.

excludedPublicBuckets lists bucket names (commas between them) that are meant to be public. A listed bucket is
NOT_APPLICABLE, whatever its settings: the rule exempts it rather than judging it, and calling it COMPLIANT would
claim its public access is blocked when it is deliberately not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from checks.shared.s3_access import BLOCK_SETTINGS, BUCKET, PUBLIC_ACCESS_BLOCK
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    Parameter,
    ParameterError,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

# Wide enough for legacy us-east-1 names (upper case, underscores, up to 255 characters); an ARN, path or
# wildcard is refused, since the rule compares plain names.
_BUCKET_NAME = re.compile(r"[A-Za-z0-9._-]{3,255}")


class _BucketNamesParameter(Parameter):
    def convert(self, check_id: str, raw: Any) -> Any:
        names: tuple[str, ...] = super().convert(check_id, raw)
        for name in names:
            if not _BUCKET_NAME.fullmatch(name):
                raise ParameterError(check_id, self.name, f"expected bucket names (not ARNs or patterns), got {name!r}")
        return names


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    excluded: tuple[str, ...] = params["excludedPublicBuckets"] or ()
    name = item.resource_name or item.resource_id
    if name in excluded:
        return Result(Compliance.NOT_APPLICABLE, f"bucket {name} is listed in excludedPublicBuckets")
    if PUBLIC_ACCESS_BLOCK not in item.supplementary:
        return Result(
            Compliance.NON_COMPLIANT,
            f"the configuration item has no {PUBLIC_ACCESS_BLOCK}: bucket-level public access is not blocked "
            "(or was not recorded)",
        )
    block = item.supplementary[PUBLIC_ACCESS_BLOCK]
    if not isinstance(block, Mapping):
        return Result(
            Compliance.NON_COMPLIANT, f"the {PUBLIC_ACCESS_BLOCK} is not a JSON object, so it cannot be judged"
        )
    off = [setting for setting in BLOCK_SETTINGS if block.get(setting) is not True]
    if off:
        return Result(Compliance.NON_COMPLIANT, f"bucket-level public access block is off for {', '.join(off)}")
    return Result(Compliance.COMPLIANT, "all four bucket-level public access block settings are on")


CHECK = Check(
    id="s3-bucket-level-public-access-prohibited",
    title="S3 buckets block public access at the bucket level",
    description=(
        "Each S3 bucket not listed in excludedPublicBuckets has all four bucket-level Block Public Access settings "
        "on (blockPublicAcls, ignorePublicAcls, blockPublicPolicy, restrictPublicBuckets), as in the managed rule "
        "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED. Listed buckets are not applicable."
    ),
    rationale=(
        "Without all four settings, one public ACL or bucket policy statement, added by mistake or by a "
        "compromised principal, exposes the bucket's data to the internet. The settings refuse new public grants "
        "and neutralise existing ones, whatever the ACL and policy say."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Turn on all four bucket-level Block Public Access settings (BlockPublicAcls, IgnorePublicAcls, "
        "BlockPublicPolicy, RestrictPublicBuckets); a bucket that must stay public belongs in "
        "excludedPublicBuckets."
    ),
    remediation_cli=(
        "aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(BUCKET,),
    parameters=ParameterSchema(
        (
            _BucketNamesParameter(
                "excludedPublicBuckets",
                ParameterType.STRING_LIST,
                "comma-separated names of buckets that are meant to be public, e.g. my-site,my-downloads",
            ),
        )
    ),
    cis=("2.1.4",),
    evaluate_resource=evaluate,
)
