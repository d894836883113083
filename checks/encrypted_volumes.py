"""encrypted-volumes: attached EBS volumes are encrypted, optionally with one KMS key (ENCRYPTED_VOLUMES)."""

from __future__ import annotations

from typing import Any

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

VOLUME = "AWS::EC2::Volume"
ATTACHED = "in-use"


def _key_id(key: str) -> str | None:
    """The key id of a bare key id or a key ARN (arn:aws:kms:region:account:key/<id>); None for any other ARN."""
    if not key.startswith("arn:"):
        return key
    parts = key.split(":", 5)
    resource = parts[5] if len(parts) == 6 else ""
    kind, _, key_id = resource.partition("/")
    return key_id if kind == "key" and key_id else None


def _same_key(actual: str, wanted: str) -> bool:
    """Two ARNs must be equal; a bare id matches an ARN of that key in any account and region."""
    if actual.startswith("arn:") and wanted.startswith("arn:"):
        return actual == wanted
    actual_id = _key_id(actual)
    return actual_id is not None and actual_id == _key_id(wanted)


class _KmsKeyParameter(Parameter):
    def convert(self, check_id: str, raw: Any) -> Any:
        key: str = super().convert(check_id, raw)
        # A volume records its key's ARN, never an alias, and resolving an alias would need a KMS call.
        if "alias/" in key or _key_id(key) is None:
            raise ParameterError(check_id, self.name, f"expected a KMS key id or key ARN (not an alias), got {raw!r}")
        return key


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    wanted: str | None = params["kmsId"]
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    state = configuration.get("state")
    # The managed rule evaluates attached volumes only; without a state, judge the volume rather than skip it.
    if isinstance(state, str) and state != ATTACHED:
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
    if _same_key(actual, wanted):
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
    severity=Severity.MEDIUM,
    remediation=(
        "Snapshot the volume, copy the snapshot with encryption (under the required KMS key), create a volume "
        "from the copy and swap it in; enable EBS encryption by default for new volumes."
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(VOLUME,),
    parameters=ParameterSchema(
        (
            _KmsKeyParameter(
                "kmsId",
                ParameterType.STRING,
                "id or ARN of the KMS key attached volumes must be encrypted with, e.g. "
                "1234abcd-12ab-34cd-56ef-1234567890ab",
            ),
        )
    ),
    evaluate_resource=evaluate,
)
