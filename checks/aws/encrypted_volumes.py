"""encrypted-volumes: attached EBS volumes are encrypted, optionally with one KMS key (ENCRYPTED_VOLUMES)."""

from __future__ import annotations

from checks.shared.common import KmsKeyParameter, UnreadableFieldError, cannot_judge, same_kms_key, text_field
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

VOLUME = "AWS::EC2::Volume"
ATTACHED = "in-use"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    wanted: str | None = params["kmsId"]
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    try:
        state = text_field(configuration, "state")
    except UnreadableFieldError as error:
        return cannot_judge(error)
    # The managed rule evaluates attached volumes only; without a state, judge the volume rather than skip it.
    if state is not None and state != ATTACHED:
        return Result(Compliance.NOT_APPLICABLE, f"volume is {state}, not attached to an instance")
    encrypted = configuration.get("encrypted")
    if not isinstance(encrypted, bool):
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no encrypted flag")
    if not encrypted:
        return Result(Compliance.NON_COMPLIANT, "attached volume is not encrypted")
    if wanted is None:
        return Result(Compliance.COMPLIANT, "volume is encrypted")
    actual = configuration.get("kmsKeyId")
    if not isinstance(actual, str) or not actual:
        return Result(Compliance.NON_COMPLIANT, f"volume is encrypted but names no KMS key, expected {wanted}")
    if same_kms_key(actual, wanted):
        return Result(Compliance.COMPLIANT, f"volume is encrypted with KMS key {actual}")
    return Result(Compliance.NON_COMPLIANT, f"volume is encrypted with KMS key {actual}, not {wanted}")


CHECK = Check(
    id="encrypted-volumes",
    title="Attached EBS volumes are encrypted",
    description=(
        "Each EBS volume attached to an instance (state in-use) is encrypted, and with the KMS key kmsId when it "
        "is given (a key id, or a key ARN). Unattached volumes are not applicable, as in the managed rule "
        "ENCRYPTED_VOLUMES."
    ),
    rationale=(
        "An unencrypted volume's data, and every snapshot taken of it, is stored unencrypted, so a snapshot shared "
        "or made public by mistake exposes it and no KMS key policy governs who can read it. When kmsId is given, a "
        "volume under another key escapes the key policy and key controls the organisation intends."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "A volume cannot be encrypted in place: snapshot it, create an encrypted volume from the snapshot (under "
        "the KMS key kmsId when given) in the same Availability Zone, and swap it in for the original. Enable EBS "
        "encryption by default in each region so new volumes are encrypted."
    ),
    remediation_cli=(
        "aws ec2 create-volume --snapshot-id SNAPSHOT_ID --availability-zone AVAILABILITY_ZONE --encrypted "
        "--kms-key-id KMS_KEY_ID"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(VOLUME,),
    parameters=ParameterSchema(
        (
            KmsKeyParameter(
                "kmsId",
                ParameterType.STRING,
                "id or ARN of the KMS key attached volumes must be encrypted with, e.g. "
                "1234abcd-12ab-34cd-56ef-1234567890ab",
            ),
        )
    ),
    evaluate_resource=evaluate,
)
