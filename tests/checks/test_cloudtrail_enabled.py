"""cloudtrail-enabled: one account-level evaluation per region from the recorded AWS::CloudTrail::Trail items."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks import cloudtrail_enabled
from checks.cloudtrail_enabled import MissingItemsError
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, ParameterValues, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = cloudtrail_enabled.CHECK
TRAIL = "AWS::CloudTrail::Trail"
REFERENCE_TRAIL: dict[str, Any] = json.loads((REFERENCE / "AWS_Cloudtrail_Trail.json").read_text())
BUCKET = "mborch-apjc-cloudtrail-bucket"  # the reference trail's bucket
TOPIC = "arn:aws:sns:ap-southeast-1:123456789012:trail-topic"
LOG_GROUP = "arn:aws:logs:ap-southeast-1:123456789012:log-group:trail-logs"
MISSING = object()


def trail(name: str = "APJCCloudTrail", status: str = "OK", **configuration: Any) -> ConfigurationItem:
    """The reference trail renamed, with configuration fields replaced (MISSING removes one)."""
    raw = copy.deepcopy(REFERENCE_TRAIL)
    raw["resourceId"] = raw["configuration"]["name"] = name
    raw["configurationItemStatus"] = status
    for key, value in configuration.items():
        if value is MISSING:
            del raw["configuration"][key]
        else:
            raw["configuration"][key] = value
    return ConfigurationItem.parse(raw)


def params(raw: dict[str, Any] | str | None = None) -> ParameterValues:
    return CHECK.parameters.parse(CHECK.id, raw)


def run(trails: list[ConfigurationItem], raw: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_account is not None
    snapshot = Snapshot("212591712841", "ap-southeast-1", datetime(2026, 1, 1, tzinfo=UTC), items={TRAIL: trails})
    return CHECK.evaluate_account(snapshot, params(raw))


def test_the_check_is_account_scoped_and_looks_up_trails() -> None:
    assert CHECK.id == "cloudtrail-enabled"
    assert CHECK.scope is CheckScope.ACCOUNT
    assert CHECK.resource_types == ()
    assert CHECK.lookup_types == (TRAIL,)
    assert CHECK.evaluate_resource is None
    needs = CHECK.needs(params())
    assert needs.item_types == frozenset({TRAIL})
    assert needs.count_types == frozenset()
    assert not CHECK.parameters.has_required()
    assert CHECK.remediation_cli == (
        "aws cloudtrail create-trail --name TRAIL_NAME --s3-bucket-name BUCKET --is-multi-region-trail\n"
        "aws cloudtrail start-logging --name TRAIL_NAME"
    )


def test_the_reference_trail_makes_the_account_compliant() -> None:
    assert run([trail()]) == Result(Compliance.COMPLIANT, "trail APJCCloudTrail is enabled")


def test_no_trail_is_not_compliant() -> None:
    assert run([]) == Result(Compliance.NON_COMPLIANT, "no CloudTrail trail is recorded in ap-southeast-1")


def test_a_deleted_trail_does_not_count() -> None:
    deleted = trail(status="ResourceDeleted")
    assert run([deleted]) == Result(Compliance.NON_COMPLIANT, "no CloudTrail trail is recorded in ap-southeast-1")


def test_a_trail_recorded_as_not_logging_does_not_count() -> None:
    result = run([trail(isLogging=False)])
    assert result == Result(Compliance.NON_COMPLIANT, "no trail qualifies: APJCCloudTrail is not logging")


def test_a_logging_trail_beside_a_stopped_one_is_enough() -> None:
    result = run([trail("stopped", isLogging=False), trail("running", isLogging=True)])
    assert result == Result(Compliance.COMPLIANT, "trail running is enabled")


def test_a_trail_without_configuration_cannot_be_judged() -> None:
    raw = copy.deepcopy(REFERENCE_TRAIL)
    raw["configuration"] = None
    result = run([ConfigurationItem.parse(raw)])
    assert result == Result(Compliance.NON_COMPLIANT, "no trail qualifies: APJCCloudTrail has no configuration")


def test_a_matching_bucket_is_compliant() -> None:
    result = run([trail()], {"s3BucketName": BUCKET})
    assert result == Result(Compliance.COMPLIANT, f"trail APJCCloudTrail is enabled matching s3BucketName {BUCKET}")


def test_another_bucket_is_not_compliant() -> None:
    result = run([trail()], {"s3BucketName": "other-bucket"})
    assert result == Result(Compliance.NON_COMPLIANT, f"no trail qualifies: APJCCloudTrail: s3BucketName is {BUCKET}")


def test_an_unset_destination_is_not_compliant() -> None:
    result = run([trail()], {"snsTopicArn": TOPIC})
    assert result == Result(Compliance.NON_COMPLIANT, "no trail qualifies: APJCCloudTrail: snsTopicArn is not set")


def test_one_trail_must_match_every_given_parameter() -> None:
    # One trail has the bucket, another the topic: neither delivers to both.
    by_bucket = trail("by-bucket")
    by_topic = trail("by-topic", s3BucketName="other-bucket", snsTopicARN=TOPIC)
    result = run([by_bucket, by_topic], {"s3BucketName": BUCKET, "snsTopicArn": TOPIC})
    assert result == Result(
        Compliance.NON_COMPLIANT,
        "no trail qualifies: by-bucket: snsTopicArn is not set; by-topic: s3BucketName is other-bucket",
    )
    both = trail("both", snsTopicARN=TOPIC, cloudWatchLogsLogGroupArn=f"{LOG_GROUP}:*")
    result = run(
        [by_bucket, by_topic, both],
        {"s3BucketName": BUCKET, "snsTopicArn": TOPIC, "cloudWatchLogsLogGroupArn": LOG_GROUP},
    )
    assert result == Result(
        Compliance.COMPLIANT,
        f"trail both is enabled matching s3BucketName {BUCKET}, snsTopicArn {TOPIC}, "
        f"cloudWatchLogsLogGroupArn {LOG_GROUP}",
    )


@pytest.mark.parametrize("key", ["snsTopicARN", "snsTopicArn", "SnsTopicARN"])
def test_the_topic_is_read_in_every_spelling(key: str) -> None:
    assert run([trail(**{key: TOPIC})], {"snsTopicArn": TOPIC}).compliance is Compliance.COMPLIANT


@pytest.mark.parametrize(("recorded", "wanted"), [(f"{LOG_GROUP}:*", LOG_GROUP), (LOG_GROUP, f"{LOG_GROUP}:*")])
def test_a_log_group_arn_matches_with_or_without_its_wildcard_suffix(recorded: str, wanted: str) -> None:
    result = run([trail(cloudWatchLogsLogGroupArn=recorded)], {"cloudWatchLogsLogGroupArn": wanted})
    assert result.compliance is Compliance.COMPLIANT


def test_another_log_group_is_not_compliant() -> None:
    result = run([trail(cloudWatchLogsLogGroupArn=f"{LOG_GROUP}-old:*")], {"cloudWatchLogsLogGroupArn": LOG_GROUP})
    assert result == Result(
        Compliance.NON_COMPLIANT,
        f"no trail qualifies: APJCCloudTrail: cloudWatchLogsLogGroupArn is {LOG_GROUP}-old:*",
    )


def test_bucket_names_are_compared_exactly() -> None:
    assert run([trail()], {"s3BucketName": BUCKET.upper()}).compliance is Compliance.NON_COMPLIANT


def test_many_failing_trails_fit_the_annotation() -> None:
    trails = [trail(f"trail-{index:03d}-with-a-long-name") for index in range(20)]
    result = run(trails, {"s3BucketName": "other-bucket"})
    assert result.compliance is Compliance.NON_COMPLIANT
    assert result.annotation is not None
    assert len(result.annotation) <= ANNOTATION_LIMIT
    assert result.annotation.startswith("no trail qualifies: trail-000-with-a-long-name: s3BucketName is ")
    assert result.annotation.endswith(" more")


def test_parameters_arrive_as_an_aws_config_json_string() -> None:
    assert run([trail()], json.dumps({"s3BucketName": BUCKET})).compliance is Compliance.COMPLIANT


def test_trails_the_scanner_did_not_read_are_an_error_not_compliance() -> None:
    assert CHECK.evaluate_account is not None
    snapshot = Snapshot("212591712841", "ap-southeast-1", datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(MissingItemsError, match=r"cloudtrail-enabled: .* has no AWS::CloudTrail::Trail items"):
        CHECK.evaluate_account(snapshot, params())
    assert issubclass(MissingItemsError, KeyError)


@pytest.mark.parametrize("name", ["s3BucketName", "snsTopicArn", "cloudWatchLogsLogGroupArn"])
def test_an_empty_parameter_is_rejected(name: str) -> None:
    with pytest.raises(ParameterError, match=f"cloudtrail-enabled, parameter {name}: expected a non-empty string"):
        params({name: " "})


def test_an_unknown_parameter_is_rejected() -> None:
    with pytest.raises(ParameterError, match="cloudtrail-enabled, parameter s3BucketNames: unknown parameter"):
        params({"s3BucketNames": BUCKET})


def test_not_applicable_cannot_occur() -> None:
    """An account always has or lacks a qualifying trail, as with the managed rule: never NOT_APPLICABLE."""
    results = {run(trails).compliance for trails in ([], [trail()], [trail(isLogging=False)])}
    assert results == {Compliance.COMPLIANT, Compliance.NON_COMPLIANT}
