"""rds-storage-encrypted: storageEncrypted must be true, and with kmsKeyId's key when it is given."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import rds_storage_encrypted
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = rds_storage_encrypted.CHECK
SNAPSHOT = Snapshot("264683526309", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
KEY_ID = "e20f3a10-781f-4582-93d7-6dfe67cac827"
KEY_ARN = f"arn:aws:kms:us-east-1:264683526309:key/{KEY_ID}"  # the reference instance's key
OTHER_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
MISSING = object()


def db_instance(**configuration: Any) -> ConfigurationItem:
    """The reference DB instance (encrypted with KEY_ARN) with configuration fields replaced or removed."""
    raw = json.loads((REFERENCE / "AWS_RDS_DBInstance.json").read_text())
    for name, value in configuration.items():
        if value is MISSING:
            del raw["configuration"][name]
        else:
            raw["configuration"][name] = value
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def test_the_check_evaluates_db_instances_and_kms_key_id_is_optional() -> None:
    assert CHECK.id == "rds-storage-encrypted"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::RDS::DBInstance",)
    assert not CHECK.parameters.has_required()
    assert dict(CHECK.parameters.parse(CHECK.id, {})) == {"kmsKeyId": None}
    assert CHECK.remediation_cli == (
        "aws rds copy-db-snapshot --source-db-snapshot-identifier SNAPSHOT_ID --target-db-snapshot-identifier "
        "ENCRYPTED_SNAPSHOT_ID --kms-key-id KMS_KEY_ID"
    )


def test_the_reference_instance_is_encrypted() -> None:
    assert run(db_instance()) == Result(Compliance.COMPLIANT, "storage is encrypted")


def test_unencrypted_storage_is_not_compliant() -> None:
    result = run(db_instance(storageEncrypted=False, kmsKeyId=MISSING))
    assert result == Result(Compliance.NON_COMPLIANT, "storage is not encrypted")


def test_unencrypted_storage_is_not_compliant_whatever_key_is_asked_for() -> None:
    result = run(db_instance(storageEncrypted=False), {"kmsKeyId": KEY_ID})
    assert result == Result(Compliance.NON_COMPLIANT, "storage is not encrypted")


@pytest.mark.parametrize("value", [MISSING, None, "true", 1])
def test_a_missing_or_malformed_flag_is_never_compliant(value: Any) -> None:
    result = run(db_instance(storageEncrypted=value))
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no storageEncrypted flag")


def test_an_item_without_configuration_is_not_compliant() -> None:
    raw = json.loads((REFERENCE / "AWS_RDS_DBInstance.json").read_text())
    raw["configuration"] = None
    result = run(ConfigurationItem.parse(raw))
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")


@pytest.mark.parametrize("wanted", [KEY_ID, KEY_ARN])
def test_the_right_key_by_id_or_arn_is_compliant(wanted: str) -> None:
    assert run(db_instance(), {"kmsKeyId": wanted}) == Result(
        Compliance.COMPLIANT, f"storage is encrypted with KMS key {KEY_ARN}"
    )


def test_the_same_key_id_in_another_account_and_region_is_another_key() -> None:
    wanted = f"arn:aws:kms:eu-west-1:111122223333:key/{KEY_ID}"
    assert run(db_instance(), {"kmsKeyId": wanted}) == Result(
        Compliance.NON_COMPLIANT, f"storage is encrypted with KMS key {KEY_ARN}, not {wanted}"
    )


def test_another_key_is_not_compliant() -> None:
    result = run(db_instance(), {"kmsKeyId": OTHER_ID})
    assert result == Result(Compliance.NON_COMPLIANT, f"storage is encrypted with KMS key {KEY_ARN}, not {OTHER_ID}")


@pytest.mark.parametrize("recorded", [MISSING, None, ""])
def test_an_encrypted_instance_naming_no_key_is_not_compliant_when_a_key_is_asked_for(recorded: Any) -> None:
    result = run(db_instance(kmsKeyId=recorded), {"kmsKeyId": KEY_ID})
    assert result == Result(Compliance.NON_COMPLIANT, f"storage is encrypted but names no KMS key, expected {KEY_ID}")


def test_an_encrypted_instance_naming_no_key_is_compliant_when_no_key_is_asked_for() -> None:
    assert run(db_instance(kmsKeyId=MISSING)) == Result(Compliance.COMPLIANT, "storage is encrypted")


def test_parameters_arrive_as_an_aws_config_json_string() -> None:
    result = run(db_instance(), json.dumps({"kmsKeyId": f" {KEY_ID} "}))
    assert result.compliance is Compliance.COMPLIANT


@pytest.mark.parametrize(
    "value",
    [
        "alias/aws/rds",
        "arn:aws:kms:us-east-1:264683526309:alias/my-key",
        "arn:aws:s3:::bucket",
        "arn:aws:kms:us-east-1:264683526309:key/",
    ],
)
def test_an_alias_or_a_non_key_arn_is_rejected(value: str) -> None:
    with pytest.raises(
        ParameterError, match="rds-storage-encrypted, parameter kmsKeyId: expected a KMS key id"
    ) as info:
        CHECK.parameters.parse(CHECK.id, {"kmsKeyId": value})
    assert info.value.parameter == "kmsKeyId"


def test_an_empty_key_is_rejected() -> None:
    with pytest.raises(ParameterError, match="parameter kmsKeyId: expected a non-empty string"):
        CHECK.parameters.parse(CHECK.id, {"kmsKeyId": "  "})


def test_not_applicable_cannot_occur() -> None:
    """The managed rule judges every DB instance on its storageEncrypted flag: NOT_APPLICABLE is never returned."""
    results = {run(db_instance(storageEncrypted=value)).compliance for value in (True, False, MISSING)}
    assert results == {Compliance.COMPLIANT, Compliance.NON_COMPLIANT}
