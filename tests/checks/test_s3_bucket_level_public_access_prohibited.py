"""s3-bucket-level-public-access-prohibited: all four bucket-level block settings on, unless the bucket is listed in
excludedPublicBuckets (then not applicable); no recorded settings is not compliant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import s3_bucket_level_public_access_prohibited
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = s3_bucket_level_public_access_prohibited.CHECK
SNAPSHOT = Snapshot("934654633380", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
MISSING = object()
NAME = "mborch-test-bucket-config-item"
SETTINGS = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
ALL_ON = dict.fromkeys(SETTINGS, True)
BLOCKED = Result(Compliance.COMPLIANT, "all four bucket-level public access block settings are on")
NOT_RECORDED = Result(
    Compliance.NON_COMPLIANT,
    "the configuration item has no PublicAccessBlockConfiguration: bucket-level public access is not blocked "
    "(or was not recorded)",
)


def bucket(settings: Any = MISSING) -> ConfigurationItem:
    """The reference bucket (it records no PublicAccessBlockConfiguration) with one set, unless MISSING."""
    raw = json.loads((REFERENCE / "AWS_S3_Bucket.json").read_text())
    if settings is not MISSING:
        raw["supplementaryConfiguration"]["PublicAccessBlockConfiguration"] = settings
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def test_the_check_evaluates_buckets_and_its_parameter_is_optional() -> None:
    assert CHECK.id == "s3-bucket-level-public-access-prohibited"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::S3::Bucket",)
    assert not CHECK.parameters.has_required()
    assert CHECK.parameters.parse(CHECK.id, {})["excludedPublicBuckets"] is None
    assert CHECK.describe()["parameters"][0]["type"] == "string_list"


def test_the_reference_bucket_records_no_block_settings() -> None:
    assert run(bucket()) == NOT_RECORDED


def test_all_four_settings_on_is_compliant() -> None:
    assert run(bucket(ALL_ON)) == BLOCKED


def test_settings_as_the_api_models_json_string_are_read() -> None:
    assert run(bucket(json.dumps(ALL_ON))) == BLOCKED


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("value", [False, None, "true", MISSING])
def test_any_setting_not_true_is_not_compliant(setting: str, value: Any) -> None:
    """Only a boolean true blocks: absent, null, or a string in place of a boolean is not shown to block."""
    settings = dict(ALL_ON)
    if value is MISSING:
        del settings[setting]
    else:
        settings[setting] = value
    result = run(bucket(settings))
    assert result == Result(Compliance.NON_COMPLIANT, f"bucket-level public access block is off for {setting}")


def test_every_setting_that_is_off_is_named() -> None:
    result = run(bucket(dict.fromkeys(SETTINGS, False)))
    assert result == Result(
        Compliance.NON_COMPLIANT,
        "bucket-level public access block is off for blockPublicAcls, ignorePublicAcls, blockPublicPolicy, "
        "restrictPublicBuckets",
    )


@pytest.mark.parametrize("settings", ["{not json", ["blockPublicAcls"], None])
def test_settings_that_cannot_be_read_are_never_compliant(settings: Any) -> None:
    result = run(bucket(settings))
    assert result == Result(
        Compliance.NON_COMPLIANT, "the PublicAccessBlockConfiguration is not a JSON object, so it cannot be judged"
    )


@pytest.mark.parametrize("settings", [MISSING, dict.fromkeys(SETTINGS, False), ALL_ON])
def test_a_listed_bucket_is_not_applicable_whatever_its_settings(settings: Any) -> None:
    result = run(bucket(settings), {"excludedPublicBuckets": f"my-site, {NAME}"})
    assert result == Result(Compliance.NOT_APPLICABLE, f"bucket {NAME} is listed in excludedPublicBuckets")


@pytest.mark.parametrize("excluded", ["my-site", f"{NAME}-2", NAME.upper(), "mborch-test-bucket"])
def test_only_an_exact_name_is_excluded(excluded: str) -> None:
    assert run(bucket(), {"excludedPublicBuckets": excluded}) == NOT_RECORDED


def test_parameters_arrive_as_an_aws_config_json_string() -> None:
    result = run(bucket(), json.dumps({"excludedPublicBuckets": NAME}))
    assert result.compliance is Compliance.NOT_APPLICABLE


def test_a_list_of_names_from_a_parameters_file_is_accepted() -> None:
    assert run(bucket(), {"excludedPublicBuckets": ["my-site", NAME]}).compliance is Compliance.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "expected a comma-separated list"),
        (" , ", "expected a comma-separated list"),
        (f"arn:aws:s3:::{NAME}", "expected bucket names (not ARNs or patterns)"),
        ("logs-*", "expected bucket names (not ARNs or patterns)"),
        ("ab", "expected bucket names (not ARNs or patterns)"),
        ("my-site,s3://my-site", "expected bucket names (not ARNs or patterns)"),
    ],
)
def test_a_bad_excluded_list_is_refused_naming_check_and_parameter(raw: Any, message: str) -> None:
    with pytest.raises(
        ParameterError, match=r"^check s3-bucket-level-public-access-prohibited, parameter excludedPublicBuckets: "
    ) as info:
        CHECK.parameters.parse(CHECK.id, {"excludedPublicBuckets": raw})
    assert message in str(info.value)


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(ParameterError, match="parameter excludedBuckets: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"excludedBuckets": NAME})
