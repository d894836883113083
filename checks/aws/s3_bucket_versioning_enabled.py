"""s3-bucket-versioning-enabled: versioning, and optionally MFA delete, is on (S3_BUCKET_VERSIONING_ENABLED)."""

from __future__ import annotations

from collections.abc import Mapping

from scanner.model import Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    Parameter,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

BUCKET = "AWS::S3::Bucket"
VERSIONING = "BucketVersioningConfiguration"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    mfa_delete_required = params["isMfaDeleteEnabled"] is True
    versioning = item.supplementary.get(VERSIONING)
    if not isinstance(versioning, Mapping):
        return Result(Compliance.NON_COMPLIANT, f"the configuration item has no {VERSIONING}")
    status = versioning.get("status")
    if not isinstance(status, str) or not status:
        return Result(Compliance.NON_COMPLIANT, "bucket versioning has no status")
    if status != "Enabled":
        return Result(Compliance.NON_COMPLIANT, f"bucket versioning is {status}")
    if not mfa_delete_required:
        return Result(Compliance.COMPLIANT, "bucket versioning is Enabled")
    if versioning.get("isMfaDeleteEnabled") is True:
        return Result(Compliance.COMPLIANT, "bucket versioning and MFA delete are enabled")
    return Result(Compliance.NON_COMPLIANT, "bucket versioning is Enabled but MFA delete is not")


CHECK = Check(
    id="s3-bucket-versioning-enabled",
    title="S3 buckets have versioning enabled",
    description=(
        "Each S3 bucket's versioning status is Enabled (Suspended or never enabled is not), and when "
        "isMfaDeleteEnabled is true MFA delete is enabled too, as in the managed rule S3_BUCKET_VERSIONING_ENABLED."
    ),
    rationale=(
        "Without versioning, an overwrite or delete, by mistake, by a faulty deployment or by ransomware using "
        "stolen credentials, destroys the only copy of an object. MFA delete additionally requires the root "
        "user's MFA code to delete versions permanently or to suspend versioning."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Enable versioning on the bucket, with lifecycle rules that expire old noncurrent versions so storage "
        "does not grow without bound. Where isMfaDeleteEnabled is true, the root user enables MFA delete in the "
        "same call, giving its MFA device's serial number and a current code."
    ),
    remediation_cli="aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled",
    scope=CheckScope.RESOURCE,
    resource_types=(BUCKET,),
    parameters=ParameterSchema(
        (
            Parameter(
                "isMfaDeleteEnabled",
                ParameterType.BOOLEAN,
                '"true" to require MFA delete as well as versioning, "false" (the default) not to',
                default=False,
            ),
        )
    ),
    evaluate_resource=evaluate,
)
