"""OCSF Compliance Finding events (class_uid 2003, category_uid 2, schema 1.5.0): one finding in, one dict out.

1.5.0 is the OCSF version py-ocsf-models 0.10.0 implements (its `OCSF_VERSION`); the tests validate every event
against that library's `ComplianceFinding` model. Pure: no I/O, no clock, nothing held between calls.

The mapping, from a `Finding` (evaluation + check metadata + suppression) and its `ScanInfo`:

- `time`, `finding_info.created_time` / `first_seen_time` / `last_seen_time`: the evaluation's ordering timestamp,
  in epoch milliseconds.
- `compliance.status_id` / `status`: COMPLIANT 1 Pass, NON_COMPLIANT 3 Fail, NOT_APPLICABLE 99 Other with the
  source's caption "Not Applicable" (OCSF has no such status). `compliance.control`: the check id.
- `compliance.standards` / `requirements`: `CIS_BENCHMARK` and the check's CIS control ids ("1.4"); a check mapped
  to no CIS control names "cloudsweep" (OCSF requires `standards`).
- `severity_id` / `severity`: informational 1, low 2, medium 3, high 4, critical 5.
- `status_id` / `status` / `status_detail`: 3 Suppressed with the mutelist entry's reason when suppressed, else
  NON_COMPLIANT 1 New, COMPLIANT 4 Resolved, NOT_APPLICABLE 5 Archived (as ASFF's Workflow and RecordState).
- `finding_info`: uid `Finding.uid` (the same on every run), title and desc the check's title and description.
- `message` and `unmapped.annotation`: the evaluation's annotation.
- `resources[0]`: uid the resource id, type the AWS Config resource type, region, cloud_partition, and the
  account in `data.account_uid`. `cloud`: provider AWS, region, account (uid, type_id 10 "AWS Account").
- `metadata`: product cloudsweep (vendor cloudsweep, version the tool's), event_code the check id,
  correlation_uid the scan id, uid scan id + finding uid, profiles ["cloud"], version "1.5.0".
- `remediation.desc`: the check's remediation, then its AWS CLI example.
- `unmapped`: AWS Config's own `compliance` value, `annotation`, `remediation_cli`, `scan_id` and the
  `suppression` (reason, entry, expires).

Lossy: `activity_id` is always 1 Create (a formatter sees one scan, so it cannot tell a new finding from an update
of last run's); `first_seen_time` is this scan's time, not the first scan that saw the finding; the check's
rationale and parameters are not carried; the account's name is unknown, so `cloud.account.name` repeats its id
(py-ocsf-models requires a name). The resource's account goes in `resources[].data`, not in `owner.account` (AWS's
OCSF extension's place for it): py-ocsf-models' `User` requires a user name, uid and type we do not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any, Final

from scanner.model import Compliance
from scanner.outputs.findings import Finding, ScanInfo
from scanner.registry import CIS_BENCHMARK, Severity

OCSF_VERSION: Final = "1.5.0"
PRODUCT_NAME: Final = "cloudsweep"
VENDOR_NAME: Final = "cloudsweep"
CLOUD_PROVIDER: Final = "AWS"
# `compliance.standards` is required; a check with no CIS mapping answers to cloudsweep's own catalogue.
OWN_STANDARD: Final = "cloudsweep"
NOT_APPLICABLE_STATUS: Final = "Not Applicable"

CATEGORY_UID: Final = 2
CATEGORY_NAME: Final = "Findings"
CLASS_UID: Final = 2003
CLASS_NAME: Final = "Compliance Finding"
ACTIVITY_CREATE: Final = 1
TYPE_UID: Final = CLASS_UID * 100 + ACTIVITY_CREATE
ACCOUNT_TYPE_AWS: Final = 10  # the account object's type_id "AWS Account"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class SeverityId(IntEnum):
    INFORMATIONAL = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @property
    def caption(self) -> str:
        return self.name.capitalize()


class ComplianceStatusId(IntEnum):
    PASS = 1
    FAIL = 3
    OTHER = 99


class FindingStatusId(IntEnum):
    NEW = 1
    SUPPRESSED = 3
    RESOLVED = 4
    ARCHIVED = 5

    @property
    def caption(self) -> str:
        return self.name.capitalize()


@dataclass(frozen=True)
class ComplianceStatus:
    id: ComplianceStatusId
    caption: str


SEVERITY_IDS: Final[dict[Severity, SeverityId]] = {
    Severity.INFORMATIONAL: SeverityId.INFORMATIONAL,
    Severity.LOW: SeverityId.LOW,
    Severity.MEDIUM: SeverityId.MEDIUM,
    Severity.HIGH: SeverityId.HIGH,
    Severity.CRITICAL: SeverityId.CRITICAL,
}
COMPLIANCE_STATUSES: Final[dict[Compliance, ComplianceStatus]] = {
    Compliance.COMPLIANT: ComplianceStatus(ComplianceStatusId.PASS, "Pass"),
    Compliance.NON_COMPLIANT: ComplianceStatus(ComplianceStatusId.FAIL, "Fail"),
    # 99 Other: OCSF has no "not applicable"; its caption is then the source's own.
    Compliance.NOT_APPLICABLE: ComplianceStatus(ComplianceStatusId.OTHER, NOT_APPLICABLE_STATUS),
}
FINDING_STATUSES: Final[dict[Compliance, FindingStatusId]] = {
    Compliance.NON_COMPLIANT: FindingStatusId.NEW,
    Compliance.COMPLIANT: FindingStatusId.RESOLVED,
    Compliance.NOT_APPLICABLE: FindingStatusId.ARCHIVED,
}


def finding_uid(finding: Finding) -> str:
    """The finding's id in every format: `Finding.uid`."""
    return finding.uid


def aws_partition(region: str) -> str:
    """The partition a region is in (the ones ASFF's `Partition` knows)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def epoch_ms(moment: datetime) -> int:
    # Integer arithmetic: float seconds * 1000 can be off by one millisecond.
    return (moment.astimezone(UTC) - _EPOCH) // timedelta(milliseconds=1)


def to_ocsf(finding: Finding, scan: ScanInfo) -> dict[str, Any]:
    """One OCSF 1.5.0 Compliance Finding event for one finding (see the module docstring for the mapping)."""
    evaluation = finding.evaluation
    check = finding.check
    suppression = finding.suppression
    uid = finding.uid
    observed = epoch_ms(evaluation.ordering_timestamp)
    severity = SEVERITY_IDS[check.severity]
    compliance = COMPLIANCE_STATUSES[evaluation.compliance]
    status = FindingStatusId.SUPPRESSED if suppression else FINDING_STATUSES[evaluation.compliance]

    compliance_object: dict[str, Any] = {
        "control": check.id,
        "standards": [CIS_BENCHMARK] if check.cis else [OWN_STANDARD],
        "status": compliance.caption,
        "status_id": int(compliance.id),
    }
    if check.cis:
        compliance_object["requirements"] = list(check.cis)

    unmapped: dict[str, Any] = {
        "compliance": evaluation.compliance.value,
        "remediation_cli": check.remediation_cli,
        "scan_id": scan.scan_id,
    }
    if evaluation.annotation:
        unmapped["annotation"] = evaluation.annotation
    if suppression:
        unmapped["suppression"] = {"reason": suppression.reason, "entry": suppression.entry}
        if suppression.expires:
            unmapped["suppression"]["expires"] = suppression.expires.isoformat()

    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": CATEGORY_NAME,
        "class_uid": CLASS_UID,
        "class_name": CLASS_NAME,
        "type_uid": TYPE_UID,
        "type_name": f"{CLASS_NAME}: Create",
        "time": observed,
        "severity_id": int(severity),
        "severity": severity.caption,
        "status_id": int(status),
        "status": status.caption,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": PRODUCT_NAME, "vendor_name": VENDOR_NAME, "version": scan.tool_version},
            "event_code": check.id,
            "uid": f"{scan.scan_id}/{uid}",
            "correlation_uid": scan.scan_id,
            "profiles": ["cloud"],
        },
        "finding_info": {
            "uid": uid,
            "title": check.title,
            "desc": check.description,
            "created_time": observed,
            "first_seen_time": observed,
            "last_seen_time": observed,
        },
        "compliance": compliance_object,
        "remediation": {"desc": f"{check.remediation}\n\nAWS CLI:\n{check.remediation_cli}"},
        "resources": [
            {
                "uid": evaluation.resource_id,
                "type": evaluation.resource_type,
                "region": evaluation.region,
                "cloud_partition": aws_partition(evaluation.region),
                "data": {"account_uid": evaluation.account_id},
            }
        ],
        "cloud": {
            "provider": CLOUD_PROVIDER,
            "region": evaluation.region,
            "account": {
                "uid": evaluation.account_id,
                "name": evaluation.account_id,
                "type_id": ACCOUNT_TYPE_AWS,
                "type": "AWS Account",
            },
        },
        "unmapped": unmapped,
    }
    if suppression:
        event["status_detail"] = suppression.reason
    if evaluation.annotation:
        event["message"] = evaluation.annotation
    return event
