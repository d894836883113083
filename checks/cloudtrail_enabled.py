"""cloudtrail-enabled: the account has a CloudTrail trail in the region, optionally one delivering to given
destinations (managed rule CLOUD_TRAIL_ENABLED).

Account scope: one evaluation per account and region, from the AWS::CloudTrail::Trail items AWS Config recorded
there (read as lookup items). With s3BucketName, snsTopicArn or cloudWatchLogsLogGroupArn given, one trail must
match every given parameter. A trail whose item says it is not logging (isLogging false) does not count, nor does
one whose item has no configuration: without a counting trail the account is not compliant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.common import fit_findings
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    Parameter,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

CHECK_ID = "cloudtrail-enabled"
TRAIL = "AWS::CloudTrail::Trail"
_NO_TRAIL = "no trail qualifies: "


@dataclass(frozen=True)
class Destination:
    """One optional parameter: the configuration keys that hold its value (AWS Config's and the API's spelling)."""

    parameter: str
    keys: tuple[str, ...]
    description: str


DESTINATIONS = (
    Destination("s3BucketName", ("s3BucketName", "S3BucketName"), "name of the S3 bucket the trail delivers logs to"),
    Destination(
        "snsTopicArn",
        ("snsTopicARN", "snsTopicArn", "SnsTopicARN"),
        "ARN of the SNS topic the trail notifies",
    ),
    Destination(
        "cloudWatchLogsLogGroupArn",
        ("cloudWatchLogsLogGroupArn", "CloudWatchLogsLogGroupArn"),
        "ARN of the CloudWatch Logs log group the trail sends events to",
    ),
)


class MissingItemsError(KeyError):
    """The scanner did not read the trails this check declared: a scanner bug, never a compliant account."""

    def __str__(self) -> str:
        return str(self.args[0])


def _value(configuration: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = configuration.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _comparable(parameter: str, value: str) -> str:
    # CloudTrail records a log group ARN with a ":*" suffix that users often leave out; both name one group.
    if parameter == "cloudWatchLogsLogGroupArn" and value.endswith(":*"):
        return value[:-2]
    return value


def _mismatches(configuration: Mapping[str, Any], wanted: Mapping[str, str]) -> list[str]:
    """The given parameters this trail does not match, each as "parameter is actual"."""
    mismatches = []
    for destination in DESTINATIONS:
        expected = wanted.get(destination.parameter)
        if expected is None:
            continue
        actual = _value(configuration, destination.keys)
        if actual is None or _comparable(destination.parameter, actual) != _comparable(destination.parameter, expected):
            mismatches.append(f"{destination.parameter} is {actual or 'not set'}")
    return mismatches


def _name(item: ConfigurationItem) -> str:
    configuration = item.configuration or {}
    name = configuration.get("name")
    return name if isinstance(name, str) and name else item.resource_name or item.resource_id


def evaluate(snapshot: Snapshot, params: ParameterValues) -> Result:
    if TRAIL not in snapshot.items:
        raise MissingItemsError(
            f"{CHECK_ID}: the snapshot of {snapshot.account_id} {snapshot.region} has no {TRAIL} items"
        )
    wanted = {
        destination.parameter: params[destination.parameter]
        for destination in DESTINATIONS
        if params[destination.parameter] is not None
    }
    trails = [item for item in snapshot.items[TRAIL] if not item.deleted]
    if not trails:
        return Result(Compliance.NON_COMPLIANT, f"no CloudTrail trail is recorded in {snapshot.region}")
    findings: list[str] = []
    for trail in sorted(trails, key=_name):
        configuration = trail.configuration
        if configuration is None:
            findings.append(f"{_name(trail)} has no configuration")
            continue
        if configuration.get("isLogging") is False:
            findings.append(f"{_name(trail)} is not logging")
            continue
        mismatches = _mismatches(configuration, wanted)
        if not mismatches:
            matched = f" matching {', '.join(f'{key} {value}' for key, value in wanted.items())}" if wanted else ""
            return Result(Compliance.COMPLIANT, f"trail {_name(trail)} is enabled{matched}")
        findings.append(f"{_name(trail)}: {', '.join(mismatches)}")
    return Result(Compliance.NON_COMPLIANT, _NO_TRAIL + fit_findings(findings, ANNOTATION_LIMIT - len(_NO_TRAIL)))


CHECK = Check(
    id=CHECK_ID,
    title="CloudTrail is enabled",
    description=(
        "In each account and region, AWS Config records at least one CloudTrail trail that is not stopped and, when "
        "s3BucketName, snsTopicArn or cloudWatchLogsLogGroupArn are given, delivers to all of them, as in the "
        "managed rule CLOUD_TRAIL_ENABLED (cloudtrail-enabled)."
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
    lookup_types=(TRAIL,),
    parameters=ParameterSchema(
        tuple(
            Parameter(destination.parameter, ParameterType.STRING, destination.description)
            for destination in DESTINATIONS
        )
    ),
    cis=("3.1",),
    evaluate_account=evaluate,
)
