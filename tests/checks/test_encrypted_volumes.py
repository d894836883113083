"""encrypted-volumes: attached volumes are encrypted (with kmsId's key when given); unattached ones do not apply."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import encrypted_volumes
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = encrypted_volumes.CHECK
SNAPSHOT = Snapshot("264683526309", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
KEY_ID = "bd41e26b-d347-4c59-ab0b-32aee30fcf8d"
KEY_ARN = f"arn:aws:kms:ap-southeast-1:055409840355:key/{KEY_ID}"  # the reference volume's key
OTHER_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
MISSING = object()


def volume(**configuration: Any) -> ConfigurationItem:
    """The reference volume (attached, encrypted with KEY_ARN) with configuration fields replaced or removed."""
    raw = json.loads((REFERENCE / "AWS_EC2_Volume.json").read_text())
    for name, value in configuration.items():
        if value is MISSING:
            del raw["configuration"][name]
        else:
            raw["configuration"][name] = value
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def test_the_check_evaluates_volumes_and_needs_no_parameter() -> None:
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::EC2::Volume",)
    assert not CHECK.parameters.has_required()
    assert CHECK.parameters.parse(CHECK.id, {})["kmsId"] is None


def test_the_reference_volume_is_attached_and_encrypted() -> None:
    assert run(volume()) == Result(Compliance.COMPLIANT, "volume is encrypted")


def test_an_attached_unencrypted_volume_is_not_compliant() -> None:
    result = run(volume(encrypted=False, kmsKeyId=None))
    assert result == Result(Compliance.NON_COMPLIANT, "attached volume is not encrypted")


@pytest.mark.parametrize("encrypted", [False, True])
def test_an_unattached_volume_is_not_applicable_encrypted_or_not(encrypted: bool) -> None:
    result = run(volume(state="available", attachments=[], encrypted=encrypted), {"kmsId": OTHER_ID})
    assert result == Result(Compliance.NOT_APPLICABLE, "volume is available, not attached to an instance")


def test_a_volume_without_a_state_is_judged_not_skipped() -> None:
    assert run(volume(state=MISSING, encrypted=False)) == Result(
        Compliance.NON_COMPLIANT, "attached volume is not encrypted"
    )


@pytest.mark.parametrize("kms_id", [KEY_ID, KEY_ARN, f" {KEY_ID} "])
def test_the_key_matches_by_bare_id_or_by_arn(kms_id: str) -> None:
    result = run(volume(), {"kmsId": kms_id})
    assert result == Result(Compliance.COMPLIANT, f"volume is encrypted with KMS key {KEY_ARN}")


def test_a_volume_recording_a_bare_key_id_matches_the_keys_arn() -> None:
    result = run(volume(kmsKeyId=KEY_ID), {"kmsId": KEY_ARN})
    assert result == Result(Compliance.COMPLIANT, f"volume is encrypted with KMS key {KEY_ID}")


@pytest.mark.parametrize(
    "kms_id",
    [
        OTHER_ID,
        f"arn:aws:kms:ap-southeast-1:055409840355:key/{OTHER_ID}",
        # The same key id under another account is another key.
        f"arn:aws:kms:ap-southeast-1:111122223333:key/{KEY_ID}",
        KEY_ID[:-1],
        KEY_ID.upper(),
    ],
)
def test_another_key_is_not_compliant(kms_id: str) -> None:
    result = run(volume(), {"kmsId": kms_id})
    assert result == Result(Compliance.NON_COMPLIANT, f"volume is encrypted with KMS key {KEY_ARN}, not {kms_id}")


@pytest.mark.parametrize("kms_key_id", [None, "", MISSING])
def test_an_encrypted_volume_naming_no_key_fails_a_required_key(kms_key_id: Any) -> None:
    result = run(volume(kmsKeyId=kms_key_id), {"kmsId": KEY_ID})
    assert result == Result(Compliance.NON_COMPLIANT, f"volume is encrypted but names no KMS key, expected {KEY_ID}")


def test_an_unencrypted_volume_fails_before_its_key_is_compared() -> None:
    result = run(volume(encrypted=False, kmsKeyId=None), {"kmsId": KEY_ID})
    assert result == Result(Compliance.NON_COMPLIANT, "attached volume is not encrypted")


@pytest.mark.parametrize("encrypted", [MISSING, None, "true", 1])
def test_a_missing_or_malformed_encrypted_flag_is_never_compliant(encrypted: Any) -> None:
    result = run(volume(encrypted=encrypted))
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no encrypted flag")


def test_an_item_without_configuration_is_never_compliant() -> None:
    raw = json.loads((REFERENCE / "AWS_EC2_Volume.json").read_text())
    raw["configuration"] = None
    result = run(ConfigurationItem.parse(raw))
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")


def test_parameters_arrive_as_an_aws_config_json_string() -> None:
    result = run(volume(), json.dumps({"kmsId": OTHER_ID}))
    assert result.compliance is Compliance.NON_COMPLIANT


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "expected a non-empty string"),
        (42, "expected a non-empty string"),
        ("alias/aws/ebs", "expected a KMS key id or key ARN (not an alias)"),
        ("arn:aws:kms:us-east-1:111122223333:alias/ebs", "expected a KMS key id or key ARN (not an alias)"),
        ("arn:aws:kms:us-east-1:111122223333:key/", "expected a KMS key id or key ARN"),
        ("arn:aws:iam::111122223333:role/Admin", "expected a KMS key id or key ARN"),
    ],
)
def test_a_bad_kms_id_is_refused_naming_check_and_parameter(raw: Any, message: str) -> None:
    with pytest.raises(ParameterError, match=r"^check encrypted-volumes, parameter kmsId: ") as info:
        CHECK.parameters.parse(CHECK.id, {"kmsId": raw})
    assert message in str(info.value)


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(ParameterError, match="check encrypted-volumes, parameter kmsKeyId: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"kmsKeyId": KEY_ID})


@pytest.mark.parametrize(
    ("state", "shown"), [(["in-use"], "a list"), ({"name": "in-use"}, "an object"), (1, "a number")]
)
def test_a_state_of_the_wrong_type_is_never_compliant(state: Any, shown: str) -> None:
    # Taken for no state, the volume was judged and passed on its encryption alone.
    assert run(volume(state=state)) == Result(
        Compliance.NON_COMPLIANT,
        f"the configuration item records state as {shown}, not a string, so it cannot be judged",
    )
