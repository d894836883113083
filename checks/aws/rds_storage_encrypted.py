"""rds-storage-encrypted: RDS DB instance storage is encrypted, optionally with one KMS key (RDS_STORAGE_ENCRYPTED)."""

from __future__ import annotations

from checks.shared.common import KmsKeyParameter, same_kms_key
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

DB_INSTANCE = "AWS::RDS::DBInstance"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    wanted: str | None = params["kmsKeyId"]
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    encrypted = configuration.get("storageEncrypted")
    if not isinstance(encrypted, bool):
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no storageEncrypted flag")
    if not encrypted:
        return Result(Compliance.NON_COMPLIANT, "storage is not encrypted")
    if wanted is None:
        return Result(Compliance.COMPLIANT, "storage is encrypted")
    actual = configuration.get("kmsKeyId")
    if not isinstance(actual, str) or not actual:
        return Result(Compliance.NON_COMPLIANT, f"storage is encrypted but names no KMS key, expected {wanted}")
    if same_kms_key(actual, wanted):
        return Result(Compliance.COMPLIANT, f"storage is encrypted with KMS key {actual}")
    return Result(Compliance.NON_COMPLIANT, f"storage is encrypted with KMS key {actual}, not {wanted}")


CHECK = Check(
    id="rds-storage-encrypted",
    title="RDS DB instances have encrypted storage",
    description=(
        "Each RDS DB instance's storageEncrypted flag is true, and its kmsKeyId is the key kmsKeyId when that "
        "parameter is given (a key id, or a key ARN), as in the managed rule RDS_STORAGE_ENCRYPTED."
    ),
    rationale=(
        "Unencrypted storage keeps the database, its automated backups, read replicas and snapshots in plain "
        "text, readable by whoever obtains a copy of a snapshot, and access to the data cannot be controlled or "
        "revoked through a KMS key policy. Encryption cannot be added to an existing instance later, only by "
        "migrating it."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Storage encryption cannot be turned on in place: snapshot the instance, copy the snapshot encrypted with "
        "the KMS key (the one kmsKeyId names, when given), restore a new instance from the encrypted copy, switch "
        "over to it, then delete the unencrypted instance and its snapshots."
    ),
    remediation_cli=(
        "aws rds copy-db-snapshot --source-db-snapshot-identifier SNAPSHOT_ID --target-db-snapshot-identifier "
        "ENCRYPTED_SNAPSHOT_ID --kms-key-id KMS_KEY_ID"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(DB_INSTANCE,),
    parameters=ParameterSchema(
        (
            KmsKeyParameter(
                "kmsKeyId",
                ParameterType.STRING,
                "id or ARN of the KMS key DB instance storage must be encrypted with, e.g. "
                "1234abcd-12ab-34cd-56ef-1234567890ab",
            ),
        )
    ),
    cis=("2.3.1",),
    evaluate_resource=evaluate,
)
