"""ecs-disk-encrypted: an ECS disk is encrypted, optionally under one of the listed KMS keys (Alibaba Cloud Config's
managed rule of that name).

Every disk is judged, system or data, attached or not: an unattached unencrypted disk still holds its data, and its
snapshots are unencrypted too. The configuration follows ECS's DescribeDisks: `Encrypted` (a boolean) and `KMSKeyId`
(the id of the key the disk is encrypted with; a disk under the ECS service key records that key's id too). A flag
that is missing or not a boolean is NON_COMPLIANT: what cannot be read is never passed. Key ids are compared exactly
as written; aliases are not resolved (that would need a KMS call).
"""

from __future__ import annotations

from scanner.model import Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    Cloud,
    Parameter,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

DISK = "ACS::ECS::Disk"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    wanted: tuple[str, ...] | None = params["kmsKeyIds"]
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    encrypted = configuration.get("Encrypted")
    if not isinstance(encrypted, bool):
        return Result(
            Compliance.NON_COMPLIANT,
            f"the disk's configuration has no boolean Encrypted flag (got {encrypted!r}), so it cannot be judged",
        )
    if not encrypted:
        return Result(Compliance.NON_COMPLIANT, "disk is not encrypted")
    if wanted is None:
        return Result(Compliance.COMPLIANT, "disk is encrypted")
    key = configuration.get("KMSKeyId")
    if not isinstance(key, str) or not key.strip():
        return Result(
            Compliance.NON_COMPLIANT, f"disk is encrypted but names no KMSKeyId, expected one of {', '.join(wanted)}"
        )
    if key.strip() in wanted:
        return Result(Compliance.COMPLIANT, f"disk is encrypted with KMS key {key.strip()}")
    return Result(
        Compliance.NON_COMPLIANT, f"disk is encrypted with KMS key {key.strip()}, not one of {', '.join(wanted)}"
    )


CHECK = Check(
    id="ecs-disk-encrypted",
    title="ECS disks are encrypted",
    description=(
        "Each ECS disk, system or data disk, attached or not, is encrypted (Encrypted is true), and, when kmsKeyIds "
        "is given, with one of those KMS keys (its KMSKeyId), as in Alibaba Cloud Config's managed rule "
        "ecs-disk-encrypted. A disk whose Encrypted flag is missing is not compliant."
    ),
    rationale=(
        "An unencrypted disk's data, and every snapshot and image made from it, is stored unencrypted: a snapshot "
        "or image shared by mistake exposes it, and no KMS key policy governs who can read it. When kmsKeyIds is "
        "given, a disk under another key (such as the service key) escapes the key rotation, auditing and "
        "revocation the organisation manages on its own keys."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "A disk cannot be encrypted in place: snapshot it, copy the snapshot with encryption under the KMS key "
        "(one of kmsKeyIds when given), create a disk from the encrypted copy in the same zone, then detach the "
        "original and attach the new disk (for a system disk, replace it from an encrypted image instead). Turn on "
        "account-level default disk encryption in each region so new disks are encrypted."
    ),
    remediation_cli=(
        "aliyun ecs CreateSnapshot --DiskId DISK_ID\n"
        "aliyun ecs CopySnapshot --RegionId REGION --SnapshotId SNAPSHOT_ID --DestinationRegionId REGION "
        "--Encrypted true --KMSKeyId KMS_KEY_ID\n"
        "aliyun ecs CreateDisk --RegionId REGION --ZoneId ZONE_ID --SnapshotId ENCRYPTED_SNAPSHOT_ID "
        "--DiskCategory cloud_essd --Encrypted true --KMSKeyId KMS_KEY_ID\n"
        "aliyun ecs EnableDiskEncryptionByDefault --RegionId REGION"
    ),
    scope=CheckScope.RESOURCE,
    cloud=Cloud.ALIBABA,
    resource_types=(DISK,),
    parameters=ParameterSchema(
        (
            Parameter(
                "kmsKeyIds",
                ParameterType.STRING_LIST,
                "comma-separated KMS key ids an encrypted disk's KMSKeyId must be one of, e.g. "
                "0e478b7a-4262-4802-b8cb-00d3fb40****; when not given, any key will do",
            ),
        )
    ),
    evaluate_resource=evaluate,
)
