"""required-tags: a resource carries up to six required tags, each optionally with an allowed value (REQUIRED_TAGS).

tag1Key is required; tag2Key..tag6Key are optional; tagNValue, when given, is a comma-separated list of allowed
values for tagNKey and needs tagNKey. Keys and values are compared exactly (case-sensitive).

Resource types: the managed rule's documented scope (ACM certificates, Auto Scaling groups, CloudFormation stacks,
CodeBuild projects, DynamoDB tables, EC2 instances, volumes, security groups and network resources, load
balancers, RDS and Redshift resources, S3 buckets) limited to the types this project's emulator and endpoint
produce: AWS::EC2::Instance, AWS::EC2::Volume, AWS::EC2::SecurityGroup, AWS::S3::Bucket and AWS::RDS::DBInstance.
AWS::Lambda::Function is not in the managed rule's list, so it is not evaluated (lambda-function-tagged covers it).

Tags come from the item's tags (or its configuration's tags list); BatchGetResourceConfig items carry no tags, so
without them the supplementary configuration's Tags, or an S3 bucket's BucketTaggingConfiguration, are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.shared.common import UnreadableFieldError, cannot_judge, fit_findings
from scanner.model import ANNOTATION_LIMIT, Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    Parameter,
    ParameterError,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

CHECK_ID = "required-tags"
TAG_SLOTS = 6
RESOURCE_TYPES = (
    "AWS::EC2::Instance",
    "AWS::EC2::Volume",
    "AWS::EC2::SecurityGroup",
    "AWS::S3::Bucket",
    "AWS::RDS::DBInstance",
)
_ORDINALS = ("", "second ", "third ", "fourth ", "fifth ", "sixth ")


@dataclass(frozen=True)
class RequiredTag:
    key: str
    allowed: tuple[str, ...] | None  # None: any value


def _tag_parameters() -> tuple[Parameter, ...]:
    parameters = []
    for slot in range(1, TAG_SLOTS + 1):
        ordinal = _ORDINALS[slot - 1]
        parameters.append(
            Parameter(f"tag{slot}Key", ParameterType.STRING, f"key of a {ordinal}required tag", required=slot == 1)
        )
        parameters.append(
            Parameter(
                f"tag{slot}Value",
                ParameterType.STRING_LIST,
                f"comma-separated allowed values of the {ordinal}required tag (any value when not given)",
            )
        )
    return tuple(parameters)


@dataclass(frozen=True)
class _RequiredTagsSchema(ParameterSchema):
    """Checks what one parameter alone cannot: a value needs its key, and no key is required twice."""

    def parse(self, check_id: str, raw: Mapping[str, Any] | str | None) -> ParameterValues:
        values = super().parse(check_id, raw)
        seen: dict[str, str] = {}
        for slot in range(1, TAG_SLOTS + 1):
            key: str | None = values[f"tag{slot}Key"]
            if key is None:
                if values[f"tag{slot}Value"] is not None:
                    raise ParameterError(check_id, f"tag{slot}Value", f"is given without tag{slot}Key")
                continue
            if key in seen:
                raise ParameterError(check_id, f"tag{slot}Key", f"repeats {seen[key]} ({key!r})")
            seen[key] = f"tag{slot}Key"
        return values


def required_tags(params: ParameterValues) -> tuple[RequiredTag, ...]:
    return tuple(
        RequiredTag(params[f"tag{slot}Key"], params[f"tag{slot}Value"])
        for slot in range(1, TAG_SLOTS + 1)
        if params[f"tag{slot}Key"] is not None
    )


def _tag_map(value: Any, where: str) -> dict[str, str]:
    """Tags as {key: value}, from a mapping or a list of {key, value} (either capitalisation); a null value is no tag.
    UnreadableFieldError for tags of another type, or a key or value that is not a string."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        entries = [(f"{where}.{key}", key, value[key]) for key in value]
    elif isinstance(value, list):
        entries = []
        for index, entry in enumerate(value):
            if not isinstance(entry, Mapping):
                raise UnreadableFieldError(f"{where}[{index}]", entry, "a tag object")
            key_name = "key" if "key" in entry else "Key"
            value_name = "value" if "value" in entry else "Value"
            if not isinstance(entry.get(key_name), str):
                raise UnreadableFieldError(f"{where}[{index}].{key_name}", entry.get(key_name), "a tag key")
            entries.append((f"{where}[{index}].{value_name}", entry[key_name], entry.get(value_name)))
    else:
        raise UnreadableFieldError(where, value, "a list or an object of tags")
    tags = {}
    for at, key, item in entries:
        if item is None:
            continue
        if not isinstance(item, str):
            raise UnreadableFieldError(at, item, "a tag value")
        tags[str(key)] = item
    return tags


def resource_tags(item: ConfigurationItem) -> dict[str, str]:
    """The item's tags (see the module docstring); UnreadableFieldError for supplementary tags of the wrong type."""
    if item.tags:
        return dict(item.tags)
    tags = _tag_map(item.supplementary.get("Tags"), "Tags")
    bucket_tagging = item.supplementary.get("BucketTaggingConfiguration")
    if not tags and isinstance(bucket_tagging, Mapping):
        tag_sets = bucket_tagging.get("tagSets")
        if tag_sets is not None and not isinstance(tag_sets, list):
            raise UnreadableFieldError("BucketTaggingConfiguration.tagSets", tag_sets, "a list")
        for index, tag_set in enumerate(tag_sets or ()):
            where = f"BucketTaggingConfiguration.tagSets[{index}]"
            if not isinstance(tag_set, Mapping):
                raise UnreadableFieldError(where, tag_set, "an object")
            tags.update(_tag_map(tag_set.get("tags"), f"{where}.tags"))
    return tags


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    if item.resource_type not in RESOURCE_TYPES:
        return Result(Compliance.NOT_APPLICABLE, f"{item.resource_type} is not a type required-tags evaluates")
    try:
        tags = resource_tags(item)
    except UnreadableFieldError as error:
        return cannot_judge(error)
    findings = []
    for required in required_tags(params):
        value = tags.get(required.key)
        if value is None:
            findings.append(f"tag {required.key} is missing")
        elif required.allowed is not None and value not in required.allowed:
            findings.append(f"tag {required.key} is {value!r}, not one of {', '.join(required.allowed)}")
    if findings:
        return Result(Compliance.NON_COMPLIANT, fit_findings(findings, ANNOTATION_LIMIT))
    keys = ", ".join(required.key for required in required_tags(params))
    return Result(Compliance.COMPLIANT, f"required tags are present with allowed values: {keys}")


CHECK = Check(
    id=CHECK_ID,
    title="Resources carry the required tags",
    description=(
        "Each EC2 instance, EBS volume, security group, S3 bucket and RDS DB instance has every tag tag1Key.."
        "tag6Key given, with one of the comma-separated values of tagNValue when that is given, as in the managed "
        "rule REQUIRED_TAGS. Keys and values are case-sensitive."
    ),
    rationale=(
        "A resource without its required tags cannot be attributed to an owner or cost center, so nobody answers "
        "for it in an incident and its cost cannot be allocated. Tag-based access policies and automation "
        "(backups, patching, shutdown schedules) silently skip it."
    ),
    severity=Severity.LOW,
    remediation=(
        "Add the missing tags, or correct their values to allowed ones, on each reported resource; tag new "
        "resources when they are created, through tag policies or infrastructure-as-code defaults."
    ),
    remediation_cli=(
        "aws resourcegroupstaggingapi tag-resources --resource-arn-list RESOURCE_ARN --tags TAG_KEY=TAG_VALUE"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=RESOURCE_TYPES,
    parameters=_RequiredTagsSchema(_tag_parameters()),
    evaluate_resource=evaluate,
    demo_parameters={"tag1Key": "CostCenter", "tag2Key": "Owner"},
)
