"""AWS Security Finding Format findings, and `validate_asff`: what BatchImportFindings would accept or refuse."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from checks import BUILTIN
from scanner.model import ACCOUNT_RESOURCE_TYPE, Compliance, Evaluation, Suppression
from scanner.outputs.asff import (
    ASFF_REQUIRED,
    DESCRIPTION_LIMIT,
    RECOMMENDATION_LIMIT,
    resource_arn,
    to_asff,
    truncate,
    validate_asff,
)
from scanner.outputs.findings import Finding, ScanInfo
from scanner.outputs.ocsf import to_ocsf
from scanner.registry import Check, CheckScope

ACCOUNT = "123456789012"
REGION = "us-east-1"
STARTED = datetime(2026, 11, 23, 21, 57, 25, 842000, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 22, 0, 1, 5000, tzinfo=UTC)
SCAN = ScanInfo(scan_id="4f1c2e9a-6a53-4c37-9a5e-8f7d2b3c1a10", started=STARTED, tool_version="0.1.0")
SG = "sg-0123456789abcdef0"
ID_SG = "cloudsweep/123456789012/us-east-1/restricted-ssh/44f6f5a59e0daf95f55592bd6634944b"
BEST_PRACTICES = "Software and Configuration Checks/AWS Security Best Practices"
CIS = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"
SUPPRESSION = Suppression("bastion host, reviewed 2026-11", "mutelist.yaml entries[3]", date(2027, 1, 31))
# Multi-byte in UTF-8 (2, 3 and 4 bytes) and, for the clef, two UTF-16 code units: limits count characters.
WIDE = "ßé€𝄞"


def finding(
    check: str | Check = "restricted-ssh",
    compliance: Compliance = Compliance.NON_COMPLIANT,
    *,
    annotation: str | None = "ingress 0.0.0.0/0 tcp 22",
    resource_type: str | None = None,
    resource_id: str | None = None,
    region: str = REGION,
    suppression: Suppression | None = None,
    ordering_timestamp: datetime = STARTED,
) -> Finding:
    check = BUILTIN.get(check) if isinstance(check, str) else check
    account_level = check.scope is CheckScope.ACCOUNT
    evaluation = Evaluation(
        account_id=ACCOUNT,
        region=region,
        check=check.id,
        resource_type=resource_type or (ACCOUNT_RESOURCE_TYPE if account_level else check.resource_types[0]),
        resource_id=resource_id or (ACCOUNT if account_level else SG),
        compliance=compliance,
        annotation=annotation,
        ordering_timestamp=ordering_timestamp,
        suppression=suppression,
    )
    return Finding(evaluation, check)


def asff(some: Finding | None = None, **options: Any) -> dict[str, Any]:
    options.setdefault("now", NOW)
    result = to_asff(some or finding(), SCAN, **options)
    assert validate_asff(result) == []
    return result


# --- the finding --------------------------------------------------------------------------------------------------


def test_a_suppressed_cis_mapped_finding_exactly() -> None:
    check = BUILTIN.get("restricted-ssh")

    assert asff(finding(suppression=SUPPRESSION)) == {
        "SchemaVersion": "2018-10-08",
        "Id": ID_SG,
        "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
        "ProductName": "cloudsweep",
        "CompanyName": "cloudsweep",
        "GeneratorId": "cloudsweep/restricted-ssh",
        "AwsAccountId": ACCOUNT,
        "Region": "us-east-1",
        "Types": [BEST_PRACTICES, CIS],
        "CreatedAt": "2026-11-23T21:57:25.842Z",
        "UpdatedAt": "2026-11-23T22:00:01.005Z",
        "FirstObservedAt": "2026-11-23T21:57:25.842Z",
        "LastObservedAt": "2026-11-23T21:57:25.842Z",
        "Severity": {"Label": "HIGH", "Original": "high"},
        "Title": "Security groups do not allow SSH from the internet",
        "Description": check.description + "\n\nResult: ingress 0.0.0.0/0 tcp 22",
        "Remediation": {
            "Recommendation": {
                "Text": check.remediation
                + "\n\nAWS CLI: aws ec2 revoke-security-group-ingress --group-id SECURITY_GROUP_ID --protocol tcp "
                "--port 22 --cidr 0.0.0.0/0"
            }
        },
        "ProductFields": {
            "ProviderName": "cloudsweep",
            "ProviderVersion": "0.1.0",
            "cloudsweep/account_id": ACCOUNT,
            "cloudsweep/check": "restricted-ssh",
            "cloudsweep/compliance": "NON_COMPLIANT",
            "cloudsweep/resource_type": "AWS::EC2::SecurityGroup",
            "cloudsweep/resource_id": SG,
            "cloudsweep/scan_id": "4f1c2e9a-6a53-4c37-9a5e-8f7d2b3c1a10",
            "cloudsweep/annotation": "ingress 0.0.0.0/0 tcp 22",
            "cloudsweep/remediation_cli": check.remediation_cli,
            "cloudsweep/suppression/reason": "bastion host, reviewed 2026-11",
            "cloudsweep/suppression/entry": "mutelist.yaml entries[3]",
            "cloudsweep/suppression/expires": "2027-01-31",
        },
        "Resources": [
            {
                "Type": "AwsEc2SecurityGroup",
                "Id": "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0",
                "Partition": "aws",
                "Region": "us-east-1",
            }
        ],
        "Compliance": {
            "Status": "FAILED",
            "RelatedRequirements": [
                "CIS AWS Foundations Benchmark v3.0.0/5.2",
                "CIS AWS Foundations Benchmark v3.0.0/5.3",
            ],
        },
        "Workflow": {"Status": "SUPPRESSED"},
        "RecordState": "ACTIVE",
        "FindingProviderFields": {"Severity": {"Label": "HIGH", "Original": "high"}, "Types": [BEST_PRACTICES, CIS]},
        "Note": {
            "Text": "Suppressed by mutelist.yaml entries[3], expires 2027-01-31: bastion host, reviewed 2026-11",
            "UpdatedBy": "cloudsweep mutelist",
            "UpdatedAt": "2026-11-23T22:00:01.005Z",
        },
    }


@pytest.mark.parametrize(
    ("compliance", "status", "workflow", "record_state"),
    [
        (Compliance.COMPLIANT, "PASSED", "RESOLVED", "ACTIVE"),
        (Compliance.NON_COMPLIANT, "FAILED", "NEW", "ACTIVE"),
        (Compliance.NOT_APPLICABLE, "NOT_AVAILABLE", "RESOLVED", "ARCHIVED"),
    ],
)
def test_every_compliance_outcome(compliance: Compliance, status: str, workflow: str, record_state: str) -> None:
    result = asff(finding(compliance=compliance))

    assert result["Compliance"]["Status"] == status
    assert result["Workflow"] == {"Status": workflow}
    assert result["RecordState"] == record_state
    assert result["ProductFields"]["cloudsweep/compliance"] == compliance.value
    assert "Note" not in result
    assert not any(key.startswith("cloudsweep/suppression/") for key in result["ProductFields"])


@pytest.mark.parametrize(
    ("compliance", "record_state"),
    [(Compliance.COMPLIANT, "ACTIVE"), (Compliance.NON_COMPLIANT, "ACTIVE"), (Compliance.NOT_APPLICABLE, "ARCHIVED")],
)
def test_a_suppressed_finding_is_suppressed_whatever_its_outcome(compliance: Compliance, record_state: str) -> None:
    suppression = Suppression("accepted risk", "mutelist.yaml entries[0]")
    result = asff(finding(compliance=compliance, suppression=suppression))

    assert result["Workflow"] == {"Status": "SUPPRESSED"}
    assert result["RecordState"] == record_state
    assert result["Note"] == {
        "Text": "Suppressed by mutelist.yaml entries[0]: accepted risk",
        "UpdatedBy": "cloudsweep mutelist",
        "UpdatedAt": "2026-11-23T22:00:01.005Z",
    }
    assert result["ProductFields"]["cloudsweep/suppression/reason"] == "accepted risk"
    assert "cloudsweep/suppression/expires" not in result["ProductFields"]


def test_an_account_level_cis_check() -> None:
    result = asff(finding("iam-root-access-key-check", annotation=None))

    assert result["Severity"] == {"Label": "CRITICAL", "Original": "critical"}
    assert result["Types"] == [BEST_PRACTICES, CIS]
    assert result["Compliance"]["RelatedRequirements"] == ["CIS AWS Foundations Benchmark v3.0.0/1.4"]
    assert result["Resources"] == [
        {"Type": "AwsAccount", "Id": "AWS::::Account:123456789012", "Partition": "aws", "Region": "us-east-1"}
    ]
    assert result["Description"] == BUILTIN.get("iam-root-access-key-check").description
    assert "cloudsweep/annotation" not in result["ProductFields"]


def test_a_check_without_cis_controls() -> None:
    result = asff(finding("desired-instance-type", resource_id="i-0abc"))

    assert result["Types"] == [BEST_PRACTICES]
    assert result["FindingProviderFields"]["Types"] == [BEST_PRACTICES]
    assert result["Compliance"] == {"Status": "FAILED"}
    assert result["Severity"] == {"Label": "LOW", "Original": "low"}


@pytest.mark.parametrize(
    ("resource_type", "resource_id", "asff_type", "asff_id"),
    [
        ("AWS::EC2::Instance", "i-0abc", "AwsEc2Instance", "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"),
        ("AWS::EC2::SecurityGroup", SG, "AwsEc2SecurityGroup", f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{SG}"),
        ("AWS::EC2::Volume", "vol-1", "AwsEc2Volume", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1"),
        ("AWS::S3::Bucket", "my-bucket", "AwsS3Bucket", "arn:aws:s3:::my-bucket"),
        ("AWS::Lambda::Function", "fn", "AwsLambdaFunction", "arn:aws:lambda:us-east-1:123456789012:function:fn"),
        (
            "AWS::CloudTrail::Trail",
            "main",
            "AwsCloudTrailTrail",
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/main",
        ),
        # AWS Config's ids for these are unique ids, not the names their ARNs need.
        ("AWS::IAM::User", "AIDAILEDWOGIPJFAKOJKW", "AwsIamUser", "AIDAILEDWOGIPJFAKOJKW"),
        ("AWS::IAM::Policy", "ANPAIJWML3NX3NT6UAGO4", "AwsIamPolicy", "ANPAIJWML3NX3NT6UAGO4"),
        ("AWS::RDS::DBInstance", "db-HHTTSRD6HXUIKXPFPI6WFVZ4PA", "AwsRdsDbInstance", "db-HHTTSRD6HXUIKXPFPI6WFVZ4PA"),
        ("AWS::::Account", ACCOUNT, "AwsAccount", "AWS::::Account:123456789012"),
        ("AWS::KMS::Key", "k-1", "Other", "k-1"),
        ("AWS::SNS::Topic", "arn:aws:sns:us-east-1:123456789012:t", "Other", "arn:aws:sns:us-east-1:123456789012:t"),
    ],
)
def test_resource_types_and_ids(resource_type: str, resource_id: str, asff_type: str, asff_id: str) -> None:
    result = asff(finding("required-tags", resource_type=resource_type, resource_id=resource_id))

    assert result["Resources"] == [{"Type": asff_type, "Id": asff_id, "Partition": "aws", "Region": "us-east-1"}]
    assert result["ProductFields"]["cloudsweep/resource_type"] == resource_type
    assert result["ProductFields"]["cloudsweep/resource_id"] == resource_id


def test_other_partitions() -> None:
    china = asff(finding(region="cn-north-1"))
    assert china["ProductArn"] == "arn:aws-cn:securityhub:cn-north-1:123456789012:product/123456789012/default"
    assert china["Resources"][0]["Id"] == f"arn:aws-cn:ec2:cn-north-1:{ACCOUNT}:security-group/{SG}"
    assert china["Resources"][0]["Partition"] == "aws-cn"
    assert resource_arn("AWS::S3::Bucket", "b", ACCOUNT, "us-gov-west-1") == "arn:aws-us-gov:s3:::b"


def test_a_given_product_arn_is_used() -> None:
    arn = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    other = "arn:aws:securityhub:eu-west-1:999999999999:product/999999999999/default"

    assert asff(product_arn=other)["ProductArn"] == other
    assert asff()["ProductArn"] == arn


def test_timestamps() -> None:
    plus_two = STARTED.astimezone(timezone(timedelta(hours=2)))
    result = asff(finding(ordering_timestamp=plus_two), now=NOW.astimezone(timezone(timedelta(hours=-5))))
    assert (result["CreatedAt"], result["FirstObservedAt"], result["LastObservedAt"]) == (
        "2026-11-23T21:57:25.842Z",
        "2026-11-23T21:57:25.842Z",
        "2026-11-23T21:57:25.842Z",
    )
    assert result["UpdatedAt"] == "2026-11-23T22:00:01.005Z"

    before = datetime.now(UTC).replace(microsecond=0) - timedelta(milliseconds=1)
    updated = datetime.fromisoformat(to_asff(finding(), SCAN)["UpdatedAt"].replace("Z", "+00:00"))
    assert before <= updated <= datetime.now(UTC)


def test_the_id_is_deterministic_and_shared_with_ocsf() -> None:
    later = ScanInfo("another-scan", STARTED + timedelta(days=1), "0.2.0")
    first = to_asff(finding(), SCAN, now=NOW)
    again = to_asff(
        finding(compliance=Compliance.COMPLIANT, annotation=None, ordering_timestamp=later.started),
        later,
        now=NOW + timedelta(days=1),
    )

    assert first["Id"] == again["Id"] == ID_SG == to_ocsf(finding(), SCAN)["finding_info"]["uid"]
    assert to_asff(finding(resource_id="sg-2"), SCAN, now=NOW)["Id"] != ID_SG
    assert to_asff(finding("restricted-common-ports"), SCAN, now=NOW)["Id"] != ID_SG


@pytest.mark.parametrize("compliance", list(Compliance))
def test_every_builtin_check_validates(compliance: Compliance) -> None:
    for check in BUILTIN:
        asff(finding(check.id, compliance, suppression=SUPPRESSION))
        asff(finding(check.id, compliance, annotation=None))


# --- truncation ---------------------------------------------------------------------------------------------------


def test_long_multibyte_description_is_cut_by_characters() -> None:
    description = (WIDE * 400).strip()
    check = replace(BUILTIN.get("restricted-ssh"), description=description)
    result = asff(finding(check, annotation=None))

    text = result["Description"]
    assert len(text) == DESCRIPTION_LIMIT
    assert len(text.encode("utf-8")) > DESCRIPTION_LIMIT  # bytes were not what was counted
    assert text == description[: DESCRIPTION_LIMIT - len(" [truncated]")] + " [truncated]"


def test_the_annotation_is_cut_with_the_description_not_dropped() -> None:
    check = replace(BUILTIN.get("restricted-ssh"), description="d" * 900)
    result = asff(finding(check, annotation=WIDE * 60))

    whole = "d" * 900 + "\n\nResult: " + WIDE * 60
    assert result["Description"] == whole[: DESCRIPTION_LIMIT - len(" [truncated]")] + " [truncated]"
    assert result["ProductFields"]["cloudsweep/annotation"] == WIDE * 60


def test_long_remediation_drops_the_cli_rather_than_cutting_a_command() -> None:
    fits = replace(BUILTIN.get("restricted-ssh"), remediation="r" * 300)
    long = replace(BUILTIN.get("restricted-ssh"), remediation=WIDE * 200)

    assert asff(finding(fits))["Remediation"]["Recommendation"]["Text"].endswith("--cidr 0.0.0.0/0")
    text = asff(finding(long))["Remediation"]["Recommendation"]["Text"]
    assert len(text) == RECOMMENDATION_LIMIT
    assert text == (WIDE * 200)[: RECOMMENDATION_LIMIT - len(" [truncated]")] + " [truncated]"
    assert asff(finding(long))["ProductFields"]["cloudsweep/remediation_cli"] == long.remediation_cli


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("x" * 10, 10) == "x" * 10
    assert truncate("abc def ghi jkl", 14) == "ab [truncated]"
    # A cut never leaves whitespace before the marker.
    assert truncate("word   " + "y" * 20, 19) == "word [truncated]"
    assert truncate("𝄞" * 300, 256) == "𝄞" * 244 + " [truncated]"


# --- validate_asff ------------------------------------------------------------------------------------------------


def test_required_fields_are_the_documented_ones() -> None:
    assert set(ASFF_REQUIRED) == {
        "AwsAccountId",
        "CreatedAt",
        "Description",
        "GeneratorId",
        "Id",
        "ProductArn",
        "Resources",
        "SchemaVersion",
        "Severity",
        "Title",
        "Types",
        "UpdatedAt",
    }
    minimal = {name: asff()[name] for name in ASFF_REQUIRED}
    assert validate_asff(minimal) == []
    assert validate_asff({}) == [f"{name}: is required" for name in ASFF_REQUIRED]


@pytest.mark.parametrize(
    "value",
    [
        "2019-01-31T23:00:00Z",
        "2019-01-31T23:00:00.123456789Z",
        "2024-01-04T15:25:10+17:59",
        "2024-01-04T15:25:10-1759",
        "2024-01-04T15:25:10.123456789+17:59",
        "2024-01-04T15:25:10+18",
        "2024-02-29T00:00:00.1Z",
    ],
)
def test_documented_timestamp_forms_are_accepted(value: str) -> None:
    result = asff()
    result["CreatedAt"] = value
    assert validate_asff(result) == []


TIMESTAMP_FORMS = "(YYYY-MM-DDTHH:MM:SS, up to 9 fraction digits, then Z or an offset up to +/-18:00)"


def set_path(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(result: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = result
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[last] = value

    return change


def delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(result: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = result
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        del target[last]

    return change


@pytest.mark.parametrize(
    ("change", "messages"),
    [
        (delete("Id"), ["Id: is required"]),
        (delete("Severity"), ["Severity: is required"]),
        (set_path("SchemaVersion", "2018-10-09"), ["SchemaVersion: '2018-10-09' is not 2018-10-08"]),
        (set_path("Title", "x" * 257), ["Title: is 257 characters, at most 256 allowed"]),
        (set_path("Title", 7), ["Title: must be a string, not int"]),
        (set_path("Description", " \n "), ["Description: must contain a non-whitespace character"]),
        (set_path("Description", "é" * 1025), ["Description: is 1025 characters, at most 1024 allowed"]),
        (set_path("Id", "i" * 513), ["Id: is 513 characters, at most 512 allowed"]),
        (set_path("GeneratorId", "g" * 513), ["GeneratorId: is 513 characters, at most 512 allowed"]),
        (set_path("ProductArn", "arn:aws"), ["ProductArn: is 7 characters, at least 12 required"]),
        (set_path("AwsAccountId", "12345"), ["AwsAccountId: '12345' is not a 12-digit account id"]),
        (set_path("Region", "a-very-long-region-1"), ["Region: is 20 characters, at most 16 allowed"]),
        (
            set_path("CreatedAt", "2026-11-23 21:57:25Z"),
            [f"CreatedAt: '2026-11-23 21:57:25Z' is not an ASFF timestamp {TIMESTAMP_FORMS}"],
        ),
        (
            set_path("UpdatedAt", "2026-02-30T00:00:00Z"),
            [f"UpdatedAt: '2026-02-30T00:00:00Z' is not an ASFF timestamp {TIMESTAMP_FORMS}"],
        ),
        (
            set_path("FirstObservedAt", "2026-11-23T21:57:25+18:30"),
            [f"FirstObservedAt: '2026-11-23T21:57:25+18:30' is not an ASFF timestamp {TIMESTAMP_FORMS}"],
        ),
        (
            set_path("LastObservedAt", "2026-11-23T21:57:25.1234567890Z"),
            [f"LastObservedAt: '2026-11-23T21:57:25.1234567890Z' is not an ASFF timestamp {TIMESTAMP_FORMS}"],
        ),
        (
            set_path("Severity.Label", "SEVERE"),
            ["Severity.Label: 'SEVERE' is not one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL"],
        ),
        (delete("Severity.Label"), ["Severity.Label: is required"]),
        (set_path("Severity.Original", "o" * 65), ["Severity.Original: is 65 characters, at most 64 allowed"]),
        (set_path("Types", []), ["Types: has 0 items, at least 1 required"]),
        (
            set_path("Types", ["Compliance/CIS"]),
            [
                "Types[0]: namespace 'Compliance' is not one of Software and Configuration Checks, TTPs, Effects, "
                "Unusual Behaviors, Sensitive Data Identifications"
            ],
        ),
        (set_path("Types", ["TTPs"] * 51), ["Types: has 51 items, at most 50 allowed"]),
        (set_path("Resources", []), ["Resources: has 0 items, at least 1 required"]),
        (delete("Resources.0.Id"), ["Resources[0].Id: is required"]),
        (
            set_path("Resources.0.Partition", "aws-iso"),
            ["Resources[0].Partition: 'aws-iso' is not one of aws, aws-cn, aws-us-gov"],
        ),
        (set_path("Resources.0.Type", "T" * 257), ["Resources[0].Type: is 257 characters, at most 256 allowed"]),
        (
            set_path("Compliance.Status", "PASS"),
            ["Compliance.Status: 'PASS' is not one of PASSED, WARNING, FAILED, NOT_AVAILABLE"],
        ),
        (
            set_path("Compliance.RelatedRequirements", ["r"] * 33),
            ["Compliance.RelatedRequirements: has 33 items, at most 32 allowed"],
        ),
        (
            set_path("Workflow.Status", "OPEN"),
            ["Workflow.Status: 'OPEN' is not one of NEW, NOTIFIED, RESOLVED, SUPPRESSED"],
        ),
        (set_path("RecordState", "DELETED"), ["RecordState: 'DELETED' is not one of ACTIVE, ARCHIVED"]),
        (
            set_path("Remediation.Recommendation.Text", "é" * 513),
            ["Remediation.Recommendation.Text: is 513 characters, at most 512 allowed"],
        ),
        (delete("Note.UpdatedBy"), ["Note.UpdatedBy: is required"]),
        (set_path("Note.Text", "n" * 513), ["Note.Text: is 513 characters, at most 512 allowed"]),
        (
            set_path("ProductFields", {f"k{index}": "v" for index in range(51)}),
            ["ProductFields: has 51 pairs, at most 50 allowed"],
        ),
        (
            set_path("ProductFields.cloudsweep/annotation", "a" * 2049),
            ["ProductFields.cloudsweep/annotation: is 2049 characters, at most 2048 allowed"],
        ),
        (
            set_path("ProductFields." + "k" * 129, "v"),
            [f"ProductFields: key {'k' * 129!r} is 129 characters, at most 128 allowed"],
        ),
        (
            set_path("FindingProviderFields.Severity.Label", "high"),
            ["FindingProviderFields.Severity.Label: 'high' is not one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL"],
        ),
    ],
)
def test_a_broken_finding_is_rejected_with_exact_messages(
    change: Callable[[dict[str, Any]], None], messages: list[str]
) -> None:
    result = copy.deepcopy(asff(finding(suppression=SUPPRESSION)))
    change(result)

    assert validate_asff(result) == messages


def test_a_finding_over_240_kb_is_rejected() -> None:
    result = asff()
    result["UserDefinedFields"] = {"padding": "p" * 250_000}
    size = len(json.dumps(result, ensure_ascii=False).encode("utf-8"))

    assert size > 240 * 1024
    assert validate_asff(result) == [f"finding: is {size} bytes as JSON, at most 245760 allowed"]


def test_several_problems_are_all_reported() -> None:
    result = asff()
    del result["Title"]
    result["Severity"] = "HIGH"
    result["Workflow"] = {"Status": "DONE"}

    assert validate_asff(result) == [
        "Title: is required",
        "Severity: must be an object, not str",
        "Workflow.Status: 'DONE' is not one of NEW, NOTIFIED, RESOLVED, SUPPRESSED",
    ]


def test_not_an_object() -> None:
    assert validate_asff([]) == ["finding: must be a JSON object, not list"]  # type: ignore[arg-type]


def test_an_aggregation_account_imports_the_finding_as_its_own() -> None:
    """Security Hub takes a finding only from the account in its AwsAccountId."""
    imported = to_asff(finding(), SCAN, now=NOW, importing_account="999988887777")
    assert imported["AwsAccountId"] == "999988887777"
    assert imported["ProductArn"] == "arn:aws:securityhub:us-east-1:999988887777:product/999988887777/default"
    assert imported["ProductFields"]["cloudsweep/account_id"] == ACCOUNT
    assert ACCOUNT in imported["Resources"][0]["Id"]
    assert validate_asff(imported) == []
    assert imported["Id"] == to_asff(finding(), SCAN, now=NOW)["Id"], "the same finding, whoever imports it"
