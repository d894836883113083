"""s3-bucket-versioning-enabled: versioning status Enabled, and MFA delete too when isMfaDeleteEnabled is "true"."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import s3_bucket_versioning_enabled
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = s3_bucket_versioning_enabled.CHECK
SNAPSHOT = Snapshot("934654633380", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
MISSING = object()
ENABLED = Result(Compliance.COMPLIANT, "bucket versioning is Enabled")


def bucket(versioning: Any = None, *, as_json_string: bool = False) -> ConfigurationItem:
    """The reference bucket (versioning Enabled, MFA delete null) with its BucketVersioningConfiguration replaced."""
    raw = json.loads((REFERENCE / "AWS_S3_Bucket.json").read_text())
    supplementary = raw["supplementaryConfiguration"]
    if versioning is MISSING:
        del supplementary["BucketVersioningConfiguration"]
    elif versioning is not None:
        supplementary["BucketVersioningConfiguration"] = versioning
    if as_json_string:
        # The API model (BatchGetResourceConfig) carries each supplementary value as a JSON string.
        supplementary["BucketVersioningConfiguration"] = json.dumps(supplementary["BucketVersioningConfiguration"])
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def test_the_check_evaluates_buckets_and_needs_no_parameter() -> None:
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::S3::Bucket",)
    assert not CHECK.parameters.has_required()
    assert CHECK.parameters.parse(CHECK.id, {})["isMfaDeleteEnabled"] is False
    assert CHECK.describe()["parameters"][0]["type"] == "boolean"


def test_the_reference_bucket_has_versioning_enabled() -> None:
    assert run(bucket()) == ENABLED


def test_a_json_string_supplementary_value_is_read() -> None:
    assert run(bucket(as_json_string=True)) == ENABLED
    suspended = bucket({"status": "Suspended", "isMfaDeleteEnabled": None}, as_json_string=True)
    assert run(suspended) == Result(Compliance.NON_COMPLIANT, "bucket versioning is Suspended")


@pytest.mark.parametrize("status", ["Suspended", "Off", "enabled"])
def test_versioning_that_is_not_enabled_is_not_compliant(status: str) -> None:
    result = run(bucket({"status": status, "isMfaDeleteEnabled": None}))
    assert result == Result(Compliance.NON_COMPLIANT, f"bucket versioning is {status}")


@pytest.mark.parametrize("versioning", [{"status": None, "isMfaDeleteEnabled": None}, {}, {"status": ""}])
def test_a_missing_status_is_not_compliant(versioning: dict[str, Any]) -> None:
    assert run(bucket(versioning)) == Result(Compliance.NON_COMPLIANT, "bucket versioning has no status")


@pytest.mark.parametrize("versioning", [MISSING, "Enabled", ["Enabled"]])
def test_a_missing_or_malformed_versioning_configuration_is_never_compliant(versioning: Any) -> None:
    result = run(bucket(versioning))
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no BucketVersioningConfiguration")


@pytest.mark.parametrize("flag", ["true", " true ", True])
def test_required_mfa_delete_enabled_is_compliant(flag: Any) -> None:
    result = run(bucket({"status": "Enabled", "isMfaDeleteEnabled": True}), {"isMfaDeleteEnabled": flag})
    assert result == Result(Compliance.COMPLIANT, "bucket versioning and MFA delete are enabled")


@pytest.mark.parametrize("mfa_delete", [None, False, "true"])
def test_required_mfa_delete_not_enabled_is_not_compliant(mfa_delete: Any) -> None:
    result = run(bucket({"status": "Enabled", "isMfaDeleteEnabled": mfa_delete}), {"isMfaDeleteEnabled": "true"})
    assert result == Result(Compliance.NON_COMPLIANT, "bucket versioning is Enabled but MFA delete is not")


def test_required_mfa_delete_does_not_excuse_suspended_versioning() -> None:
    result = run(bucket({"status": "Suspended", "isMfaDeleteEnabled": True}), {"isMfaDeleteEnabled": "true"})
    assert result == Result(Compliance.NON_COMPLIANT, "bucket versioning is Suspended")


@pytest.mark.parametrize("flag", ["false", False])
def test_mfa_delete_is_not_checked_unless_required(flag: Any) -> None:
    assert run(bucket(), {"isMfaDeleteEnabled": flag}) == ENABLED
    assert run(bucket({"status": "Enabled", "isMfaDeleteEnabled": True}), {"isMfaDeleteEnabled": flag}) == ENABLED


def test_parameters_arrive_as_an_aws_config_json_string() -> None:
    result = run(bucket(), json.dumps({"isMfaDeleteEnabled": "true"}))
    assert result == Result(Compliance.NON_COMPLIANT, "bucket versioning is Enabled but MFA delete is not")


@pytest.mark.parametrize("raw", ["yes", "1", "", "enabled", 1, None, ["true"]])
def test_a_value_other_than_true_or_false_is_refused(raw: Any) -> None:
    with pytest.raises(
        ParameterError, match=r'^check s3-bucket-versioning-enabled, parameter isMfaDeleteEnabled: expected "true"'
    ) as info:
        CHECK.parameters.parse(CHECK.id, {"isMfaDeleteEnabled": raw})
    assert info.value.parameter == "isMfaDeleteEnabled"
