"""desired-instance-type: an EC2 instance runs one of the listed instance types, exactly."""

from __future__ import annotations

from scanner.model import Compliance, ConfigurationItem
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

INSTANCE = "AWS::EC2::Instance"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    desired: tuple[str, ...] = params["desiredInstanceType"]
    instance_type = (item.configuration or {}).get("instanceType")
    if not isinstance(instance_type, str):
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no instanceType")
    # AWS's sample tested a substring ("t2.micro" in "t2.micro,t2.small" matched "t2.mic"): compare whole names.
    if instance_type in desired:
        return Result(Compliance.COMPLIANT, f"instance type {instance_type} is desired")
    return Result(Compliance.NON_COMPLIANT, f"instance type {instance_type} is not one of {', '.join(desired)}")


CHECK = Check(
    id="desired-instance-type",
    title="EC2 instances use a desired instance type",
    description="Each EC2 instance's instance type is exactly one of the types listed in desiredInstanceType.",
    rationale=(
        "Which types are desired is the organisation's choice, usually for cost control, reserved capacity and "
        "Savings Plans coverage, or a vetted hardware generation; an instance of another type falls outside that "
        "policy, typically costing more than planned."
    ),
    severity=Severity.LOW,
    remediation=(
        "Stop the instance, change its instance type to one listed in desiredInstanceType (one its AMI and "
        "architecture support) and start it again; or retire the instance."
    ),
    remediation_cli=(
        "aws ec2 modify-instance-attribute --instance-id INSTANCE_ID --instance-type Value=DESIRED_INSTANCE_TYPE"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(INSTANCE,),
    parameters=ParameterSchema(
        (
            Parameter(
                "desiredInstanceType",
                ParameterType.STRING_LIST,
                "comma-separated instance types, e.g. t3.micro,t3.small",
                required=True,
                aliases=("instanceType",),
            ),
        )
    ),
    evaluate_resource=evaluate,
    demo_parameters={"desiredInstanceType": "t3.micro,t3.small"},
)
