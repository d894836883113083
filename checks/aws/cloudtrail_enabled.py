"""cloudtrail-enabled: a logging CloudTrail trail covers the account in the region, optionally one delivering to
given destinations (managed rule CLOUD_TRAIL_ENABLED).

Account scope: one evaluation per account and region, from DescribeTrails (includeShadowTrails) and GetTrailStatus
in that region, as the managed rule reads them, not from AWS::CloudTrail::Trail items: AWS Config records a trail
in its home region only, so a multi-region trail would look absent everywhere else, and its items do not say
whether the trail is logging. A trail counts when it is logging (GetTrailStatus IsLogging); with s3BucketName,
snsTopicArn or cloudWatchLogsLogGroupArn given, one counting trail must match every given parameter (a log group
ARN matches with or without its ":*" suffix). NOT_APPLICABLE cannot occur: every region has trails or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.shared.common import declared_extra, fit_findings
from scanner.model import ANNOTATION_LIMIT, Compliance
from scanner.registry import (
    Check,
    CheckScope,
    ExtraData,
    Parameter,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

CHECK_ID = "cloudtrail-enabled"
_NO_TRAIL = "no trail qualifies: "


@dataclass(frozen=True)
class Destination:
    """One optional parameter and the DescribeTrails field that holds its value."""

    parameter: str
    keys: tuple[str, ...]
    description: str


DESTINATIONS = (
    Destination("s3BucketName", ("S3BucketName",), "name of the S3 bucket the trail delivers logs to"),
    Destination(
        "snsTopicArn",
        ("SnsTopicARN",),
        "ARN of the SNS topic the trail notifies",
    ),
    Destination(
        "cloudWatchLogsLogGroupArn",
        ("CloudWatchLogsLogGroupArn",),
        "ARN of the CloudWatch Logs log group the trail sends events to",
    ),
)


def _value(trail: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = trail.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _comparable(parameter: str, value: str) -> str:
    # CloudTrail records a log group ARN with a ":*" suffix that users often leave out; both name one group.
    if parameter == "cloudWatchLogsLogGroupArn" and value.endswith(":*"):
        return value[:-2]
    return value


def _mismatches(trail: Mapping[str, Any], wanted: Mapping[str, str]) -> list[str]:
    """The given parameters this trail does not match, each as "parameter is actual"."""
    mismatches = []
    for destination in DESTINATIONS:
        expected = wanted.get(destination.parameter)
        if expected is None:
            continue
        actual = _value(trail, destination.keys)
        if actual is None or _comparable(destination.parameter, actual) != _comparable(destination.parameter, expected):
            mismatches.append(f"{destination.parameter} is {actual or 'not set'}")
    return mismatches


def _name(trail: Mapping[str, Any]) -> str:
    name = trail.get("Name") or trail.get("TrailARN")
    return str(name) if name else "an unnamed trail"


def _where(trail: Mapping[str, Any], region: str) -> str:
    home = trail.get("HomeRegion")
    return f" (multi-region, home {home})" if trail.get("IsMultiRegionTrail") and home and home != region else ""


def evaluate(snapshot: Snapshot, params: ParameterValues) -> Result:
    trails: list[Mapping[str, Any]] = declared_extra(
        snapshot, ExtraData.CLOUDTRAIL_TRAILS, CHECK_ID, "CloudTrail trails"
    )
    wanted = {
        destination.parameter: params[destination.parameter]
        for destination in DESTINATIONS
        if params[destination.parameter] is not None
    }
    if not trails:
        return Result(Compliance.NON_COMPLIANT, f"no CloudTrail trail logs {snapshot.region}")
    findings: list[str] = []
    for trail in sorted(trails, key=_name):
        if trail.get("IsLogging") is not True:
            findings.append(f"{_name(trail)} is not logging")
            continue
        mismatches = _mismatches(trail, wanted)
        if not mismatches:
            matched = f" matching {', '.join(f'{key} {value}' for key, value in wanted.items())}" if wanted else ""
            where = _where(trail, snapshot.region)
            return Result(Compliance.COMPLIANT, f"trail {_name(trail)}{where} is logging{matched}")
        findings.append(f"{_name(trail)}: {', '.join(mismatches)}")
    return Result(Compliance.NON_COMPLIANT, _NO_TRAIL + fit_findings(findings, ANNOTATION_LIMIT - len(_NO_TRAIL)))


CHECK = Check(
    id=CHECK_ID,
    title="CloudTrail is enabled",
    description=(
        "In each account and region, a CloudTrail trail logs (one of the region's own or a multi-region trail) and, "
        "when s3BucketName, snsTopicArn or cloudWatchLogsLogGroupArn are given, delivers to all of them, as in the "
        "managed rule CLOUD_TRAIL_ENABLED (cloudtrail-enabled). Read with DescribeTrails and GetTrailStatus."
    ),
    rationale=(
        "Without a trail that is logging, the region's API calls are kept only in CloudTrail's 90-day event "
        "history of management events and never delivered to a bucket or log group you control, so who changed "
        "what cannot be investigated, alerted on or kept as evidence."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Create a multi-region trail delivering to an S3 bucket (and to the SNS topic and CloudWatch Logs log group "
        "when the parameters name them), then start logging on it: a trail created from the CLI or API does not log "
        "until started. Restart a stopped trail, or point an existing trail at the required destinations."
    ),
    remediation_cli=(
        "aws cloudtrail create-trail --name TRAIL_NAME --s3-bucket-name BUCKET --is-multi-region-trail\n"
        "aws cloudtrail start-logging --name TRAIL_NAME"
    ),
    scope=CheckScope.ACCOUNT,
    extra_data=(ExtraData.CLOUDTRAIL_TRAILS,),
    parameters=ParameterSchema(
        tuple(
            Parameter(destination.parameter, ParameterType.STRING, destination.description)
            for destination in DESTINATIONS
        )
    ),
    cis=("3.1",),
    evaluate_account=evaluate,
)
