"""OCSF Compliance Finding events: every event is validated through py-ocsf-models' own pydantic models.

`validated` parses an event with `ComplianceFinding` in strict mode (a missing required field, a wrong enum value or
a wrong JSON type fails) and then asks for the model's dump back: the library ignores keys it does not know, so a
misspelled key would otherwise pass unnoticed. Only the two attributes OCSF 1.5.0 has and py-ocsf-models 0.10.0
does not model (`cloud`, validated with the library's `Cloud` model instead, and `compliance.status`) may differ.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import py_ocsf_models  # type: ignore[import-untyped]
import pytest
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding  # type: ignore[import-untyped]
from py_ocsf_models.objects.cloud import Cloud  # type: ignore[import-untyped]
from pydantic import ValidationError

from checks import BUILTIN
from scanner.model import ACCOUNT_RESOURCE_TYPE, Compliance, Evaluation, Suppression
from scanner.outputs.findings import Finding, ScanInfo
from scanner.outputs.ocsf import OCSF_VERSION, epoch_ms, finding_uid, to_ocsf
from scanner.registry import CheckScope, Severity

ACCOUNT = "123456789012"
REGION = "us-east-1"
STARTED = datetime(2026, 11, 23, 21, 57, 25, 842000, tzinfo=UTC)
STARTED_MS = 1795471045842
SCAN = ScanInfo(scan_id="4f1c2e9a-6a53-4c37-9a5e-8f7d2b3c1a10", started=STARTED, tool_version="0.1.0")
SG = "sg-0123456789abcdef0"
UID_SG = "cloudsweep/123456789012/us-east-1/restricted-ssh/" + "44f6f5a59e0daf95f55592bd6634944b"
SUPPRESSION = Suppression("bastion host, reviewed 2026-11", "mutelist.yaml entries[3]", date(2027, 1, 31))
# What py-ocsf-models 0.10.0 does not model (see the module docstring).
NOT_MODELLED = (("cloud",), ("compliance", "status"))


def finding(
    check_id: str = "restricted-ssh",
    compliance: Compliance = Compliance.NON_COMPLIANT,
    *,
    annotation: str | None = "ingress 0.0.0.0/0 tcp 22",
    resource_id: str | None = None,
    region: str = REGION,
    suppression: Suppression | None = None,
    ordering_timestamp: datetime = STARTED,
) -> Finding:
    check = BUILTIN.get(check_id)
    account_level = check.scope is CheckScope.ACCOUNT
    evaluation = Evaluation(
        account_id=ACCOUNT,
        region=region,
        check=check.id,
        resource_type=ACCOUNT_RESOURCE_TYPE if account_level else check.resource_types[0],
        resource_id=resource_id or (ACCOUNT if account_level else SG),
        compliance=compliance,
        annotation=annotation,
        ordering_timestamp=ordering_timestamp,
        suppression=suppression,
    )
    return Finding(evaluation, check)


def without(event: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(event))
    for path in paths:
        parent = copy
        for key in path[:-1]:
            parent = parent[key]
        parent.pop(path[-1], None)
    return copy


def validated(event: dict[str, Any]) -> Any:
    """The event parsed by py-ocsf-models (strictly, from JSON), checked to have lost nothing but NOT_MODELLED."""
    model = ComplianceFinding.model_validate_json(json.dumps(event), strict=True)
    Cloud.model_validate_json(json.dumps(event["cloud"]), strict=True)
    assert model.model_dump(mode="json", exclude_unset=True) == without(event, NOT_MODELLED)
    return model


# --- the event --------------------------------------------------------------------------------------------------


def test_library_models_the_schema_version_we_emit() -> None:
    assert OCSF_VERSION == py_ocsf_models.OCSF_VERSION == "1.5.0"


def test_a_suppressed_cis_mapped_event_exactly() -> None:
    event = to_ocsf(finding(suppression=SUPPRESSION), SCAN)

    validated(event)
    check = BUILTIN.get("restricted-ssh")
    assert event == {
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2003,
        "class_name": "Compliance Finding",
        "type_uid": 200301,
        "type_name": "Compliance Finding: Create",
        "time": STARTED_MS,
        "severity_id": 4,
        "severity": "High",
        "status_id": 3,
        "status": "Suppressed",
        "status_detail": "bastion host, reviewed 2026-11",
        "message": "ingress 0.0.0.0/0 tcp 22",
        "metadata": {
            "version": "1.5.0",
            "product": {"name": "cloudsweep", "vendor_name": "cloudsweep", "version": "0.1.0"},
            "event_code": "restricted-ssh",
            "uid": f"4f1c2e9a-6a53-4c37-9a5e-8f7d2b3c1a10/{UID_SG}",
            "correlation_uid": "4f1c2e9a-6a53-4c37-9a5e-8f7d2b3c1a10",
            "profiles": ["cloud"],
        },
        "finding_info": {
            "uid": UID_SG,
            "title": "Security groups do not allow SSH from the internet",
            "desc": check.description,
            "created_time": STARTED_MS,
            "first_seen_time": STARTED_MS,
            "last_seen_time": STARTED_MS,
        },
        "compliance": {
            "control": "restricted-ssh",
            "standards": ["CIS AWS Foundations Benchmark v3.0.0"],
            "requirements": ["5.2", "5.3"],
            "status": "Fail",
            "status_id": 3,
        },
        "remediation": {
            "desc": check.remediation
            + "\n\nAWS CLI:\n"
            + "aws ec2 revoke-security-group-ingress --group-id SECURITY_GROUP_ID --protocol tcp --port 22 "
            "--cidr 0.0.0.0/0"
        },
        "resources": [
            {
                "uid": SG,
                "type": "AWS::EC2::SecurityGroup",
                "region": "us-east-1",
                "cloud_partition": "aws",
                "data": {"account_uid": ACCOUNT},
            }
        ],
        "cloud": {
            "provider": "AWS",
            "region": "us-east-1",
            "account": {"uid": ACCOUNT, "name": ACCOUNT, "type_id": 10, "type": "AWS Account"},
        },
        "unmapped": {
            "compliance": "NON_COMPLIANT",
            "annotation": "ingress 0.0.0.0/0 tcp 22",
            "remediation_cli": check.remediation_cli,
            "scan_id": "4f1c2e9a-6a53-4c37-9a5e-8f7d2b3c1a10",
            "suppression": {
                "reason": "bastion host, reviewed 2026-11",
                "entry": "mutelist.yaml entries[3]",
                "expires": "2027-01-31",
            },
        },
    }


@pytest.mark.parametrize(
    ("compliance", "compliance_id", "compliance_caption", "status_id", "status"),
    [
        (Compliance.COMPLIANT, 1, "Pass", 4, "Resolved"),
        (Compliance.NON_COMPLIANT, 3, "Fail", 1, "New"),
        (Compliance.NOT_APPLICABLE, 99, "Not Applicable", 5, "Archived"),
    ],
)
def test_every_compliance_outcome(
    compliance: Compliance, compliance_id: int, compliance_caption: str, status_id: int, status: str
) -> None:
    event = to_ocsf(finding(compliance=compliance), SCAN)

    model = validated(event)
    assert model.compliance.status_id == compliance_id
    assert event["compliance"]["status_id"] == compliance_id
    assert event["compliance"]["status"] == compliance_caption
    assert (event["status_id"], event["status"]) == (status_id, status)
    assert "status_detail" not in event
    assert event["unmapped"]["compliance"] == compliance.value
    assert "suppression" not in event["unmapped"]


@pytest.mark.parametrize("compliance", list(Compliance))
def test_a_suppressed_finding_is_suppressed_whatever_its_outcome(compliance: Compliance) -> None:
    suppression = Suppression("accepted risk", "mutelist.yaml entries[0]")
    event = to_ocsf(finding(compliance=compliance, suppression=suppression), SCAN)

    validated(event)
    assert (event["status_id"], event["status"], event["status_detail"]) == (3, "Suppressed", "accepted risk")
    assert event["unmapped"]["suppression"] == {"reason": "accepted risk", "entry": "mutelist.yaml entries[0]"}
    # The outcome itself is still reported.
    assert event["compliance"]["status_id"] == {Compliance.COMPLIANT: 1, Compliance.NON_COMPLIANT: 3}.get(
        compliance, 99
    )


@pytest.mark.parametrize(
    ("severity", "severity_id", "caption"),
    [
        (Severity.INFORMATIONAL, 1, "Informational"),
        (Severity.LOW, 2, "Low"),
        (Severity.MEDIUM, 3, "Medium"),
        (Severity.HIGH, 4, "High"),
        (Severity.CRITICAL, 5, "Critical"),
    ],
)
def test_every_severity(severity: Severity, severity_id: int, caption: str) -> None:
    base = finding()
    event = to_ocsf(Finding(base.evaluation, replace(base.check, severity=severity)), SCAN)

    model = validated(event)
    assert model.severity_id == severity_id
    assert (event["severity_id"], event["severity"]) == (severity_id, caption)


def test_cis_controls_of_an_account_level_check() -> None:
    event = to_ocsf(finding("iam-root-access-key-check", annotation="the root user has an active access key"), SCAN)

    model = validated(event)
    assert model.compliance.standards == ["CIS AWS Foundations Benchmark v3.0.0"]
    assert model.compliance.requirements == ["1.4"]
    assert event["compliance"]["control"] == "iam-root-access-key-check"
    assert (event["severity_id"], event["severity"]) == (5, "Critical")
    assert event["resources"][0]["uid"] == ACCOUNT
    assert event["resources"][0]["type"] == "AWS::::Account"


def test_a_check_without_cis_controls_names_cloudsweep_as_its_standard() -> None:
    event = to_ocsf(finding("desired-instance-type", resource_id="i-0abc"), SCAN)

    validated(event)
    assert event["compliance"] == {
        "control": "desired-instance-type",
        "standards": ["cloudsweep"],
        "status": "Fail",
        "status_id": 3,
    }
    assert event["resources"][0]["type"] == "AWS::EC2::Instance"


def test_without_an_annotation_there_is_no_message() -> None:
    event = to_ocsf(finding(annotation=None), SCAN)

    validated(event)
    assert "message" not in event
    assert "annotation" not in event["unmapped"]


def test_partition_follows_the_region() -> None:
    event = to_ocsf(finding(region="cn-north-1"), SCAN)

    validated(event)
    assert event["resources"][0]["cloud_partition"] == "aws-cn"
    assert event["resources"][0]["region"] == event["cloud"]["region"] == "cn-north-1"
    assert to_ocsf(finding(region="us-gov-west-1"), SCAN)["resources"][0]["cloud_partition"] == "aws-us-gov"


def test_times_are_epoch_milliseconds_of_the_ordering_timestamp_in_any_zone() -> None:
    plus_two = STARTED.astimezone(timezone(timedelta(hours=2)))
    event = to_ocsf(finding(ordering_timestamp=plus_two), SCAN)

    assert event["time"] == event["finding_info"]["created_time"] == STARTED_MS
    assert epoch_ms(datetime(1970, 1, 1, 0, 0, 0, 999999, tzinfo=UTC)) == 999


def test_the_finding_uid_is_stable_across_runs_and_outcomes() -> None:
    later = ScanInfo("another-scan", STARTED + timedelta(days=1), "0.2.0")
    first = to_ocsf(finding(), SCAN)
    again = to_ocsf(
        finding(
            compliance=Compliance.COMPLIANT,
            annotation=None,
            ordering_timestamp=later.started,
            suppression=SUPPRESSION,
        ),
        later,
    )

    assert first["finding_info"]["uid"] == again["finding_info"]["uid"] == UID_SG
    assert first["metadata"]["uid"] != again["metadata"]["uid"]
    assert finding_uid(finding(resource_id="sg-1")) != finding_uid(finding(resource_id="sg-2"))
    assert finding_uid(finding(region="eu-west-1")) != UID_SG


@pytest.mark.parametrize("compliance", list(Compliance))
def test_every_builtin_check_validates(compliance: Compliance) -> None:
    for check in BUILTIN:
        event = to_ocsf(finding(check.id, compliance), SCAN)
        validated(event)
        assert json.loads(json.dumps(event)) == event


# --- the validation is strict enough to matter --------------------------------------------------------------------


def broken(change: Any) -> dict[str, Any]:
    event = to_ocsf(finding(), SCAN)
    change(event)
    return event


@pytest.mark.parametrize(
    ("change", "location", "error_type"),
    [
        (lambda event: event["finding_info"].pop("uid"), ("finding_info", "uid"), "missing"),
        (lambda event: event["metadata"].pop("product"), ("metadata", "product"), "missing"),
        (lambda event: event.pop("compliance"), ("compliance",), "missing"),
        (lambda event: event.pop("time"), ("time",), "missing"),
        (lambda event: event.update(severity_id=7), ("severity_id",), "enum"),
        (lambda event: event.update(status_id=6), ("status_id",), "enum"),
        (lambda event: event["compliance"].update(status_id=4), ("compliance", "status_id"), "enum"),
        (lambda event: event.update(type_uid=200305), ("type_uid",), "enum"),
        (lambda event: event.update(activity_id=4), ("activity_id",), "enum"),
        (lambda event: event.update(time=str(STARTED_MS)), ("time",), "int_type"),
        (lambda event: event["resources"][0].update(uid=12), ("resources", 0, "uid"), "string_type"),
    ],
)
def test_a_broken_event_is_rejected(change: Any, location: tuple[str | int, ...], error_type: str) -> None:
    with pytest.raises(ValidationError) as raised:
        validated(broken(change))

    assert [(error["loc"], error["type"]) for error in raised.value.errors()] == [(location, error_type)]


def test_a_misspelled_key_is_caught_by_the_round_trip() -> None:
    event = broken(lambda event: event["finding_info"].update(titel=event["finding_info"].pop("title")))

    with pytest.raises(ValidationError):
        validated(event)  # title is now missing
    event["finding_info"]["title"] = "x"
    with pytest.raises(AssertionError):
        validated(event)  # titel is dropped by the model


def test_a_broken_cloud_object_is_rejected() -> None:
    with pytest.raises(ValidationError) as raised:
        validated(broken(lambda event: event["cloud"].pop("provider")))

    assert [(error["loc"], error["type"]) for error in raised.value.errors()] == [(("provider",), "missing")]
