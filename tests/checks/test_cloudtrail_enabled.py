"""cloudtrail-enabled: one account-level evaluation per region from DescribeTrails and GetTrailStatus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import cloudtrail_enabled
from checks.shared.common import MissingExtraDataError
from scanner.model import ANNOTATION_LIMIT, Compliance
from scanner.registry import CheckScope, ExtraData, ParameterError, ParameterValues, Result, Snapshot
from tests.support import REFERENCE_ITEMS

CHECK = cloudtrail_enabled.CHECK
REGION = "ap-southeast-1"
# The reference AWS::CloudTrail::Trail item's trail, as DescribeTrails lists it.
REFERENCE_TRAIL: dict[str, Any] = json.loads((REFERENCE_ITEMS / "AWS_Cloudtrail_Trail.json").read_text())
BUCKET = REFERENCE_TRAIL["configuration"]["s3BucketName"]
TOPIC = "arn:aws:sns:ap-southeast-1:123456789012:trail-topic"
LOG_GROUP = "arn:aws:logs:ap-southeast-1:123456789012:log-group:trail-logs"
MISSING = object()


def trail(name: str = "APJCCloudTrail", **fields: Any) -> dict[str, Any]:
    """A DescribeTrails entry (the reference trail's name, bucket and region) with GetTrailStatus's IsLogging;
    fields replaced, MISSING removes one."""
    described: dict[str, Any] = {
        "Name": name,
        "S3BucketName": BUCKET,
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": False,
        "HomeRegion": REGION,
        "TrailARN": f"arn:aws:cloudtrail:{REGION}:212591712841:trail/{name}",
        "LogFileValidationEnabled": True,
        "HasCustomEventSelectors": False,
        "HasInsightSelectors": False,
        "IsOrganizationTrail": False,
        "IsLogging": True,
    }
    for key, value in fields.items():
        if value is MISSING:
            del described[key]
        else:
            described[key] = value
    return described


def params(raw: dict[str, Any] | str | None = None) -> ParameterValues:
    return CHECK.parameters.parse(CHECK.id, raw)


def run(trails: list[dict[str, Any]], raw: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_account is not None
    extra = {ExtraData.CLOUDTRAIL_TRAILS: trails}
    snapshot = Snapshot("212591712841", REGION, datetime(2026, 1, 1, tzinfo=UTC), extra=extra)
    return CHECK.evaluate_account(snapshot, params(raw))


def test_the_check_is_account_scoped_and_reads_the_trails_api() -> None:
    assert CHECK.id == "cloudtrail-enabled"
    assert CHECK.scope is CheckScope.ACCOUNT
    assert CHECK.resource_types == ()
    assert CHECK.lookup_types == ()
    assert CHECK.evaluate_resource is None
    needs = CHECK.needs(params())
    assert needs.item_types == frozenset()
    assert needs.extra == frozenset({ExtraData.CLOUDTRAIL_TRAILS})
    assert CHECK.permissions[-2:] == ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus")
    assert not ExtraData.CLOUDTRAIL_TRAILS.is_global, "trails are read in every region"
    assert needs.count_types == frozenset()
    assert not CHECK.parameters.has_required()
    assert CHECK.remediation_cli == (
        "aws cloudtrail create-trail --name TRAIL_NAME --s3-bucket-name BUCKET --is-multi-region-trail\n"
        "aws cloudtrail start-logging --name TRAIL_NAME"
    )


def test_the_reference_trail_makes_the_account_compliant() -> None:
    assert run([trail()]) == Result(Compliance.COMPLIANT, "trail APJCCloudTrail is logging")


def test_a_multi_region_trail_of_another_home_region_covers_this_one() -> None:
    shadow = trail("org-audit", IsMultiRegionTrail=True, HomeRegion="us-east-1")
    assert run([shadow]) == Result(Compliance.COMPLIANT, "trail org-audit (multi-region, home us-east-1) is logging")


def test_no_trail_is_not_compliant() -> None:
    assert run([]) == Result(Compliance.NON_COMPLIANT, "no CloudTrail trail logs ap-southeast-1")


@pytest.mark.parametrize("logging", [False, None, MISSING])
def test_a_trail_that_is_not_logging_does_not_count(logging: Any) -> None:
    result = run([trail(IsLogging=logging)])
    assert result == Result(Compliance.NON_COMPLIANT, "no trail qualifies: APJCCloudTrail is not logging")


def test_a_logging_trail_beside_a_stopped_one_is_enough() -> None:
    result = run([trail("stopped", IsLogging=False), trail("running", IsLogging=True)])
    assert result == Result(Compliance.COMPLIANT, "trail running is logging")


def test_a_matching_bucket_is_compliant() -> None:
    result = run([trail()], {"s3BucketName": BUCKET})
    assert result == Result(Compliance.COMPLIANT, f"trail APJCCloudTrail is logging matching s3BucketName {BUCKET}")


def test_another_bucket_is_not_compliant() -> None:
    result = run([trail()], {"s3BucketName": "other-bucket"})
    assert result == Result(Compliance.NON_COMPLIANT, f"no trail qualifies: APJCCloudTrail: s3BucketName is {BUCKET}")


def test_an_unset_destination_is_not_compliant() -> None:
    result = run([trail()], {"snsTopicArn": TOPIC})
    assert result == Result(Compliance.NON_COMPLIANT, "no trail qualifies: APJCCloudTrail: snsTopicArn is not set")


def test_one_trail_must_match_every_given_parameter() -> None:
    # One trail has the bucket, another the topic: neither delivers to both.
    by_bucket = trail("by-bucket")
    by_topic = trail("by-topic", S3BucketName="other-bucket", SnsTopicARN=TOPIC)
    result = run([by_bucket, by_topic], {"s3BucketName": BUCKET, "snsTopicArn": TOPIC})
    assert result == Result(
        Compliance.NON_COMPLIANT,
        "no trail qualifies: by-bucket: snsTopicArn is not set; by-topic: s3BucketName is other-bucket",
    )
    both = trail("both", SnsTopicARN=TOPIC, CloudWatchLogsLogGroupArn=f"{LOG_GROUP}:*")
    result = run(
        [by_bucket, by_topic, both],
        {"s3BucketName": BUCKET, "snsTopicArn": TOPIC, "cloudWatchLogsLogGroupArn": LOG_GROUP},
    )
    assert result == Result(
        Compliance.COMPLIANT,
        f"trail both is logging matching s3BucketName {BUCKET}, snsTopicArn {TOPIC}, "
        f"cloudWatchLogsLogGroupArn {LOG_GROUP}",
    )


def test_the_topic_is_read_from_describe_trails_spelling() -> None:
    assert run([trail(SnsTopicARN=TOPIC)], {"snsTopicArn": TOPIC}).compliance is Compliance.COMPLIANT
    assert run([trail(snsTopicArn=TOPIC)], {"snsTopicArn": TOPIC}).compliance is Compliance.NON_COMPLIANT


@pytest.mark.parametrize(("recorded", "wanted"), [(f"{LOG_GROUP}:*", LOG_GROUP), (LOG_GROUP, f"{LOG_GROUP}:*")])
def test_a_log_group_arn_matches_with_or_without_its_wildcard_suffix(recorded: str, wanted: str) -> None:
    result = run([trail(CloudWatchLogsLogGroupArn=recorded)], {"cloudWatchLogsLogGroupArn": wanted})
    assert result.compliance is Compliance.COMPLIANT


def test_another_log_group_is_not_compliant() -> None:
    result = run([trail(CloudWatchLogsLogGroupArn=f"{LOG_GROUP}-old:*")], {"cloudWatchLogsLogGroupArn": LOG_GROUP})
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
    with pytest.raises(MissingExtraDataError, match=r"cloudtrail-enabled: .* has no CloudTrail trails"):
        CHECK.evaluate_account(snapshot, params())


@pytest.mark.parametrize("name", ["s3BucketName", "snsTopicArn", "cloudWatchLogsLogGroupArn"])
def test_an_empty_parameter_is_rejected(name: str) -> None:
    with pytest.raises(ParameterError, match=f"cloudtrail-enabled, parameter {name}: expected a non-empty string"):
        params({name: " "})


def test_an_unknown_parameter_is_rejected() -> None:
    with pytest.raises(ParameterError, match="cloudtrail-enabled, parameter s3BucketNames: unknown parameter"):
        params({"s3BucketNames": BUCKET})


def test_not_applicable_cannot_occur() -> None:
    """An account always has or lacks a qualifying trail, as with the managed rule: never NOT_APPLICABLE."""
    results = {run(trails).compliance for trails in ([], [trail()], [trail(IsLogging=False)])}
    assert results == {Compliance.COMPLIANT, Compliance.NON_COMPLIANT}
