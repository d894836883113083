"""AWS Security Finding Format (ASFF, schema 2018-10-08) findings as BatchImportFindings takes them, and a validator.

One finding in, one dict out; pure apart from `now` defaulting to the current time. The mapping:

- `Id`: `Finding.uid` (shared with OCSF), the same on every run, so a re-import updates the same finding.
- `ProductArn`: unless given, `arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`, the "default"
  product every account has for custom integrations. `ProductName`, `CompanyName`: cloudsweep.
- `GeneratorId`: `cloudsweep/CHECK_ID`. `AwsAccountId`, `Region`: the evaluation's.
- `Types` (and `FindingProviderFields.Types`): "Software and Configuration Checks/AWS Security Best Practices",
  plus ".../Industry and Regulatory Standards/CIS AWS Foundations Benchmark" when the check maps to CIS controls.
- `CreatedAt`, `FirstObservedAt`, `LastObservedAt`: the evaluation's ordering timestamp (the scan's start).
  `UpdatedAt`: `now`, since Security Hub applies a re-import only when `UpdatedAt` moves forward.
- `Severity` (and `FindingProviderFields.Severity`): Label the check's severity in capitals, Original cloudsweep's.
- `Title`: the check's title (<= 256). `Description`: its description, then "Result: " and the annotation (<= 1024).
- `Remediation.Recommendation.Text`: the check's remediation, with the AWS CLI example when the whole fits in 512.
- `Resources[0]`: Type the ASFF name of the AWS Config type (`RESOURCE_TYPES`), else "Other"; Id the ARN when the
  resource id gives it (`AWS::::Account:ID` for accounts, as Security Hub writes them), else the resource id;
  Partition; Region.
- `Compliance`: Status PASSED, FAILED or NOT_AVAILABLE (what Security Hub makes of AWS Config's NOT_APPLICABLE);
  RelatedRequirements "CIS AWS Foundations Benchmark v3.0.0/1.4" per CIS control.
- `Workflow.Status`: SUPPRESSED when a mutelist entry suppresses the finding, else NEW for NON_COMPLIANT and
  RESOLVED for the others. `RecordState`: ARCHIVED for NOT_APPLICABLE (Security Hub archives its own), else ACTIVE.
- `Note`: the suppression's entry, expiry and reason, by "cloudsweep mutelist", at `now`.
- `ProductFields`: ProviderName, ProviderVersion, and `cloudsweep/...` check, compliance, resource_type,
  resource_id, scan_id, annotation, remediation_cli and suppression/reason, /entry, /expires.

Lossy: text longer than its limit is cut by characters (code points, as the limits are documented; never bytes)
with " [truncated]"; the check's rationale and parameters are not carried; IAM users and policies and RDS
instances keep AWS Config's resource id (a unique id such as AIDA..., db-...) because their ARNs need the name,
which an evaluation does not carry; `CreatedAt` and `FirstObservedAt` are this scan's time, not the first scan
that saw the finding. Once a finding exists, BatchImportFindings no longer changes its `Note` or `Workflow`
(customers own them; see BatchUpdateFindings), so a suppression added or lifted later shows in `ProductFields` only.

`validate_asff` checks the attributes cloudsweep writes for what BatchImportFindings would refuse: the required
fields (`ASFF_REQUIRED`, the Security Hub user guide's list; the API model itself requires all but Severity and
Types), length and count limits, enums, timestamp formats and the 240 KB size, as the Security Hub API reference
documents them. Attributes it does not know are not checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final

from scanner.model import ACCOUNT_RESOURCE_TYPE, TRUNCATION_MARKER, Compliance
from scanner.outputs.findings import Finding, ScanInfo
from scanner.outputs.ocsf import aws_partition
from scanner.registry import CIS_BENCHMARK, Severity

SCHEMA_VERSION: Final = "2018-10-08"
PRODUCT_NAME: Final = "cloudsweep"
COMPANY_NAME: Final = "cloudsweep"
NOTE_AUTHOR: Final = "cloudsweep mutelist"
BEST_PRACTICES_TYPE: Final = "Software and Configuration Checks/AWS Security Best Practices"
CIS_TYPE: Final = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"

ASFF_REQUIRED: Final = (
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
)

# Documented maxima, in characters (AwsSecurityFinding, Note, Recommendation, Resource, Severity).
TITLE_LIMIT: Final = 256
DESCRIPTION_LIMIT: Final = 1024
ID_LIMIT: Final = 512
GENERATOR_ID_LIMIT: Final = 512
PRODUCT_ARN_MIN: Final = 12
PRODUCT_ARN_LIMIT: Final = 2048
REGION_LIMIT: Final = 16
NAME_LIMIT: Final = 128  # ProductName, CompanyName
RECOMMENDATION_LIMIT: Final = 512
NOTE_LIMIT: Final = 512
SEVERITY_ORIGINAL_LIMIT: Final = 64
RESOURCE_TYPE_LIMIT: Final = 256
PRODUCT_FIELDS_MAX: Final = 50
PRODUCT_FIELD_KEY_LIMIT: Final = 128
PRODUCT_FIELD_VALUE_LIMIT: Final = 2048
TYPES_MAX: Final = 50
RESOURCES_MAX: Final = 32
RELATED_REQUIREMENTS_MAX: Final = 32
FINDING_BYTES_LIMIT: Final = 240 * 1024

TYPE_NAMESPACES: Final = (
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
)
PARTITIONS: Final = ("aws", "aws-cn", "aws-us-gov")


class SeverityLabel(Enum):
    INFORMATIONAL = "INFORMATIONAL"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class ComplianceStatus(Enum):
    PASSED = "PASSED"
    WARNING = "WARNING"
    FAILED = "FAILED"
    NOT_AVAILABLE = "NOT_AVAILABLE"


class WorkflowStatus(Enum):
    NEW = "NEW"
    NOTIFIED = "NOTIFIED"
    RESOLVED = "RESOLVED"
    SUPPRESSED = "SUPPRESSED"


class RecordState(Enum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


SEVERITY_LABELS: Final[dict[Severity, SeverityLabel]] = {
    severity: SeverityLabel[severity.name] for severity in Severity
}
COMPLIANCE_STATUSES: Final[dict[Compliance, ComplianceStatus]] = {
    Compliance.COMPLIANT: ComplianceStatus.PASSED,
    Compliance.NON_COMPLIANT: ComplianceStatus.FAILED,
    # Security Hub's own controls report AWS Config's NOT_APPLICABLE as NOT_AVAILABLE.
    Compliance.NOT_APPLICABLE: ComplianceStatus.NOT_AVAILABLE,
}

# AWS Config resource type -> ASFF `Resources[].Type`; any other type is "Other".
RESOURCE_TYPES: Final[dict[str, str]] = {
    "AWS::EC2::Instance": "AwsEc2Instance",
    "AWS::EC2::SecurityGroup": "AwsEc2SecurityGroup",
    "AWS::EC2::Volume": "AwsEc2Volume",
    "AWS::S3::Bucket": "AwsS3Bucket",
    "AWS::IAM::User": "AwsIamUser",
    "AWS::IAM::Policy": "AwsIamPolicy",
    "AWS::RDS::DBInstance": "AwsRdsDbInstance",
    "AWS::Lambda::Function": "AwsLambdaFunction",
    "AWS::CloudTrail::Trail": "AwsCloudTrailTrail",
    ACCOUNT_RESOURCE_TYPE: "AwsAccount",
}
OTHER_RESOURCE_TYPE: Final = "Other"

# ARNs that follow from AWS Config's resource id alone (for these types the id is the name or the AWS id in the ARN).
_ARN_TEMPLATES: Final[dict[str, str]] = {
    "AWS::EC2::Instance": "arn:{partition}:ec2:{region}:{account}:instance/{id}",
    "AWS::EC2::SecurityGroup": "arn:{partition}:ec2:{region}:{account}:security-group/{id}",
    "AWS::EC2::Volume": "arn:{partition}:ec2:{region}:{account}:volume/{id}",
    "AWS::S3::Bucket": "arn:{partition}:s3:::{id}",
    "AWS::Lambda::Function": "arn:{partition}:lambda:{region}:{account}:function:{id}",
    "AWS::CloudTrail::Trail": "arn:{partition}:cloudtrail:{region}:{account}:trail/{id}",
}

# YYYY-MM-DDTHH:MM:SS, up to 9 fraction digits, then Z or an offset +HH, +HHMM or +HH:MM (API reference, Timestamps).
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|([+-])(\d{2})(?::?(\d{2}))?)",
    re.ASCII,
)
_ACCOUNT_ID = re.compile(r"\d{12}", re.ASCII)
_MAX_OFFSET_MINUTES: Final = 18 * 60


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters (code points, never bytes), marked, never ending in whitespace."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATION_MARKER)].rstrip() + TRUNCATION_MARKER


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z, as the scan's own records write times."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def default_product_arn(account_id: str, region: str) -> str:
    """The "default" product every account has for custom integrations (BatchImportFindings from that account)."""
    return f"arn:{aws_partition(region)}:securityhub:{region}:{account_id}:product/{account_id}/default"


def resource_arn(resource_type: str, resource_id: str, account_id: str, region: str) -> str:
    """ASFF's `Resources[].Id`: the ARN when the resource id gives it, Security Hub's form for accounts, else the id."""
    if resource_id.startswith("arn:"):
        return resource_id
    if resource_type == ACCOUNT_RESOURCE_TYPE:
        return f"AWS::::Account:{resource_id}"
    template = _ARN_TEMPLATES.get(resource_type)
    if template is None:
        return resource_id
    return template.format(partition=aws_partition(region), region=region, account=account_id, id=resource_id)


def to_asff(
    finding: Finding,
    scan: ScanInfo,
    *,
    product_arn: str | None = None,
    now: datetime | None = None,
    importing_account: str | None = None,
) -> dict[str, Any]:
    """One ASFF finding for BatchImportFindings (see the module docstring for the mapping).

    `importing_account`: the account that imports the finding, when not the resource's own (an aggregation
    account): Security Hub takes a finding only from the account in its AwsAccountId, so that is the importing
    account, with its own default product; the resource's account stays in the resource's ARN and in
    ProductFields `cloudsweep/account_id`.
    """
    evaluation = finding.evaluation
    check = finding.check
    suppression = finding.suppression
    account, region = evaluation.account_id, evaluation.region
    owner = importing_account or account
    observed = timestamp(evaluation.ordering_timestamp)
    updated = timestamp(now if now is not None else datetime.now(UTC))
    severity = {"Label": SEVERITY_LABELS[check.severity].value, "Original": check.severity.value}
    types = [BEST_PRACTICES_TYPE, CIS_TYPE] if check.cis else [BEST_PRACTICES_TYPE]

    description = check.description
    if evaluation.annotation:
        description = f"{description}\n\nResult: {evaluation.annotation}"
    recommendation = f"{check.remediation}\n\nAWS CLI: {check.remediation_cli}"
    if len(recommendation) > RECOMMENDATION_LIMIT:
        # A command cut short is worse than none: the full CLI stays in ProductFields.
        recommendation = truncate(check.remediation, RECOMMENDATION_LIMIT)

    compliance: dict[str, Any] = {"Status": COMPLIANCE_STATUSES[evaluation.compliance].value}
    if check.cis:
        compliance["RelatedRequirements"] = [f"{CIS_BENCHMARK}/{control}" for control in check.cis]

    if suppression:
        workflow = WorkflowStatus.SUPPRESSED
    elif evaluation.compliance is Compliance.NON_COMPLIANT:
        workflow = WorkflowStatus.NEW
    else:
        workflow = WorkflowStatus.RESOLVED
    record_state = RecordState.ARCHIVED if evaluation.compliance is Compliance.NOT_APPLICABLE else RecordState.ACTIVE

    product_fields = {
        "ProviderName": PRODUCT_NAME,
        "ProviderVersion": scan.tool_version,
        "cloudsweep/account_id": account,
        "cloudsweep/check": check.id,
        "cloudsweep/compliance": evaluation.compliance.value,
        "cloudsweep/resource_type": evaluation.resource_type,
        "cloudsweep/resource_id": evaluation.resource_id,
        "cloudsweep/scan_id": scan.scan_id,
        "cloudsweep/annotation": evaluation.annotation or "",
        "cloudsweep/remediation_cli": check.remediation_cli,
    }
    if suppression:
        product_fields["cloudsweep/suppression/reason"] = suppression.reason
        product_fields["cloudsweep/suppression/entry"] = suppression.entry
        if suppression.expires:
            product_fields["cloudsweep/suppression/expires"] = suppression.expires.isoformat()

    result: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding.uid,
        "ProductArn": product_arn or default_product_arn(owner, region),
        "ProductName": PRODUCT_NAME,
        "CompanyName": COMPANY_NAME,
        "GeneratorId": f"cloudsweep/{check.id}",
        "AwsAccountId": owner,
        "Region": region,
        "Types": types,
        "CreatedAt": observed,
        "UpdatedAt": updated,
        "FirstObservedAt": observed,
        "LastObservedAt": observed,
        "Severity": severity,
        "Title": truncate(check.title, TITLE_LIMIT),
        "Description": truncate(description, DESCRIPTION_LIMIT),
        "Remediation": {"Recommendation": {"Text": recommendation}},
        "ProductFields": {
            key: truncate(value, PRODUCT_FIELD_VALUE_LIMIT) for key, value in product_fields.items() if value.strip()
        },
        "Resources": [
            {
                "Type": RESOURCE_TYPES.get(evaluation.resource_type, OTHER_RESOURCE_TYPE),
                "Id": resource_arn(evaluation.resource_type, evaluation.resource_id, account, region),
                "Partition": aws_partition(region),
                "Region": region,
            }
        ],
        "Compliance": compliance,
        "Workflow": {"Status": workflow.value},
        "RecordState": record_state.value,
        # Re-imports may update these only here: the top-level copies belong to the customer once they edit them.
        "FindingProviderFields": {"Severity": dict(severity), "Types": list(types)},
    }
    if suppression:
        expires = f", expires {suppression.expires.isoformat()}" if suppression.expires else ""
        result["Note"] = {
            "Text": truncate(f"Suppressed by {suppression.entry}{expires}: {suppression.reason}", NOTE_LIMIT),
            "UpdatedBy": NOTE_AUTHOR,
            "UpdatedAt": updated,
        }
    return result


# --- validation ---------------------------------------------------------------------------------------------------


def validate_asff(finding: Mapping[str, Any]) -> list[str]:
    """Every reason BatchImportFindings would refuse `finding`, as "Path: problem" messages; empty when it is valid."""
    if not isinstance(finding, Mapping):
        return [f"finding: must be a JSON object, not {type(finding).__name__}"]
    problems: list[str] = []
    problems.extend(f"{name}: is required" for name in ASFF_REQUIRED if name not in finding)

    _text(problems, finding, "SchemaVersion")
    if isinstance(finding.get("SchemaVersion"), str) and finding["SchemaVersion"] != SCHEMA_VERSION:
        problems.append(f"SchemaVersion: {finding['SchemaVersion']!r} is not {SCHEMA_VERSION}")
    _text(problems, finding, "Id", ID_LIMIT)
    _text(problems, finding, "ProductArn", PRODUCT_ARN_LIMIT, minimum=PRODUCT_ARN_MIN)
    _text(problems, finding, "GeneratorId", GENERATOR_ID_LIMIT)
    _text(problems, finding, "AwsAccountId")
    account = finding.get("AwsAccountId")
    if isinstance(account, str) and account.strip() and not _ACCOUNT_ID.fullmatch(account):
        problems.append(f"AwsAccountId: {account!r} is not a 12-digit account id")
    _text(problems, finding, "Region", REGION_LIMIT)
    _text(problems, finding, "ProductName", NAME_LIMIT)
    _text(problems, finding, "CompanyName", NAME_LIMIT)
    _text(problems, finding, "Title", TITLE_LIMIT)
    _text(problems, finding, "Description", DESCRIPTION_LIMIT)
    for name in ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"):
        _timestamp(problems, finding, name)
    _types(problems, finding, "Types")
    _severity(problems, finding, "Severity")
    _enum(problems, finding, "RecordState", RecordState)
    _resources(problems, finding)

    remediation = _object(problems, finding, "Remediation")
    if remediation is not None:
        recommendation = _object(problems, remediation, "Recommendation", "Remediation.")
        if recommendation is not None:
            _text(problems, recommendation, "Text", RECOMMENDATION_LIMIT, "Remediation.Recommendation.")
            _text(problems, recommendation, "Url", prefix="Remediation.Recommendation.")
    compliance = _object(problems, finding, "Compliance")
    if compliance is not None:
        _enum(problems, compliance, "Status", ComplianceStatus, "Compliance.")
        _text_list(problems, compliance, "RelatedRequirements", RELATED_REQUIREMENTS_MAX, "Compliance.")
    workflow = _object(problems, finding, "Workflow")
    if workflow is not None:
        _enum(problems, workflow, "Status", WorkflowStatus, "Workflow.")
    note = _object(problems, finding, "Note")
    if note is not None:
        for name in ("Text", "UpdatedBy", "UpdatedAt"):
            if name not in note:
                problems.append(f"Note.{name}: is required")
        _text(problems, note, "Text", NOTE_LIMIT, "Note.")
        _text(problems, note, "UpdatedBy", NOTE_LIMIT, "Note.")
        _timestamp(problems, note, "UpdatedAt", "Note.")
    _product_fields(problems, finding)
    provider = _object(problems, finding, "FindingProviderFields")
    if provider is not None:
        _severity(problems, provider, "Severity", "FindingProviderFields.")
        _types(problems, provider, "Types", "FindingProviderFields.")

    size = len(json.dumps(finding, ensure_ascii=False, default=str).encode("utf-8"))
    if size > FINDING_BYTES_LIMIT:
        problems.append(f"finding: is {size} bytes as JSON, at most {FINDING_BYTES_LIMIT} allowed")
    return problems


def _text(
    problems: list[str],
    parent: Mapping[str, Any],
    name: str,
    limit: int | None = None,
    prefix: str = "",
    *,
    minimum: int = 1,
) -> None:
    """`parent[name]`, when present, as a NonEmptyString (pattern .*\\S.*) of `minimum`..`limit` characters."""
    if name in parent:
        _string(problems, prefix + name, parent[name], limit, minimum=minimum)


def _string(problems: list[str], path: str, value: Any, limit: int | None = None, *, minimum: int = 1) -> None:
    if not isinstance(value, str):
        problems.append(f"{path}: must be a string, not {type(value).__name__}")
    elif not value.strip():
        problems.append(f"{path}: must contain a non-whitespace character")
    elif limit is not None and len(value) > limit:
        problems.append(f"{path}: is {len(value)} characters, at most {limit} allowed")
    elif len(value) < minimum:
        problems.append(f"{path}: is {len(value)} characters, at least {minimum} required")


def _enum(problems: list[str], parent: Mapping[str, Any], name: str, allowed: type[Enum], prefix: str = "") -> None:
    if name not in parent:
        return
    values = [member.value for member in allowed]
    if parent[name] not in values:
        problems.append(f"{prefix}{name}: {parent[name]!r} is not one of {', '.join(values)}")


def _object(problems: list[str], parent: Mapping[str, Any], name: str, prefix: str = "") -> Mapping[str, Any] | None:
    """The nested object `name`, or None when absent or not an object (reported)."""
    if name not in parent:
        return None
    value = parent[name]
    if not isinstance(value, Mapping):
        problems.append(f"{prefix}{name}: must be an object, not {type(value).__name__}")
        return None
    return value


def _list(
    problems: list[str], parent: Mapping[str, Any], name: str, maximum: int, prefix: str = "", *, minimum: int = 0
) -> list[Any] | None:
    if name not in parent:
        return None
    value = parent[name]
    path = prefix + name
    if not isinstance(value, list):
        problems.append(f"{path}: must be a list, not {type(value).__name__}")
        return None
    if len(value) > maximum:
        problems.append(f"{path}: has {len(value)} items, at most {maximum} allowed")
    if len(value) < minimum:
        problems.append(f"{path}: has {len(value)} items, at least {minimum} required")
    return value


def _text_list(problems: list[str], parent: Mapping[str, Any], name: str, maximum: int, prefix: str = "") -> None:
    items = _list(problems, parent, name, maximum, prefix)
    for index, item in enumerate(items or ()):
        _string(problems, f"{prefix}{name}[{index}]", item)


def _types(problems: list[str], parent: Mapping[str, Any], name: str, prefix: str = "") -> None:
    """namespace/category/classifier paths; only the namespace is a closed list."""
    items = _list(problems, parent, name, TYPES_MAX, prefix, minimum=1)
    for index, item in enumerate(items or ()):
        path = f"{prefix}{name}[{index}]"
        _string(problems, path, item)
        namespace = item.split("/")[0] if isinstance(item, str) else None
        if namespace is not None and item.strip() and namespace not in TYPE_NAMESPACES:
            problems.append(f"{path}: namespace {namespace!r} is not one of {', '.join(TYPE_NAMESPACES)}")


def _severity(problems: list[str], parent: Mapping[str, Any], name: str, prefix: str = "") -> None:
    severity = _object(problems, parent, name, prefix)
    if severity is None:
        return
    path = f"{prefix}{name}."
    # Security Hub derives Label from Normalized; we check the Label the way we send it.
    if "Label" not in severity and "Normalized" not in severity:
        problems.append(f"{path}Label: is required")
    _enum(problems, severity, "Label", SeverityLabel, path)
    _text(problems, severity, "Original", SEVERITY_ORIGINAL_LIMIT, path)


def _resources(problems: list[str], finding: Mapping[str, Any]) -> None:
    resources = _list(problems, finding, "Resources", RESOURCES_MAX, minimum=1)
    for index, resource in enumerate(resources or ()):
        path = f"Resources[{index}]"
        if not isinstance(resource, Mapping):
            problems.append(f"{path}: must be an object, not {type(resource).__name__}")
            continue
        prefix = f"{path}."
        for required in ("Type", "Id"):
            if required not in resource:
                problems.append(f"{prefix}{required}: is required")
        _text(problems, resource, "Type", RESOURCE_TYPE_LIMIT, prefix)
        _text(problems, resource, "Id", prefix=prefix)
        _text(problems, resource, "Region", REGION_LIMIT, prefix)
        if "Partition" in resource and resource["Partition"] not in PARTITIONS:
            problems.append(f"{prefix}Partition: {resource['Partition']!r} is not one of {', '.join(PARTITIONS)}")


def _product_fields(problems: list[str], finding: Mapping[str, Any]) -> None:
    fields = _object(problems, finding, "ProductFields")
    if fields is None:
        return
    if len(fields) > PRODUCT_FIELDS_MAX:
        problems.append(f"ProductFields: has {len(fields)} pairs, at most {PRODUCT_FIELDS_MAX} allowed")
    for key in fields:
        if not isinstance(key, str) or not key.strip():
            problems.append(f"ProductFields: key {key!r} must contain a non-whitespace character")
            continue
        if len(key) > PRODUCT_FIELD_KEY_LIMIT:
            problems.append(
                f"ProductFields: key {key!r} is {len(key)} characters, at most {PRODUCT_FIELD_KEY_LIMIT} allowed"
            )
        _text(problems, fields, key, PRODUCT_FIELD_VALUE_LIMIT, "ProductFields.")


def _timestamp(problems: list[str], parent: Mapping[str, Any], name: str, prefix: str = "") -> None:
    if name not in parent:
        return
    value = parent[name]
    if not isinstance(value, str) or not _valid_timestamp(value):
        problems.append(
            f"{prefix}{name}: {value!r} is not an ASFF timestamp "
            "(YYYY-MM-DDTHH:MM:SS, up to 9 fraction digits, then Z or an offset up to +/-18:00)"
        )


def _valid_timestamp(value: str) -> bool:
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second, sign, offset_hours, offset_minutes = match.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return False
    if sign is None:
        return True
    hours, minutes = int(offset_hours), int(offset_minutes or 0)
    return minutes < 60 and hours * 60 + minutes <= _MAX_OFFSET_MINUTES
