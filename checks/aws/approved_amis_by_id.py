"""approved-amis-by-id: an EC2 instance was launched from one of the listed AMIs (APPROVED_AMIS_BY_ID).

The AWS counterpart of Alibaba Cloud Config's approved-image rule: the instance's imageId must be exactly one of
the ids in amiIds.
"""

from __future__ import annotations

from checks.shared.common import approved_image
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
    approved: tuple[str, ...] = params["amiIds"]
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    return approved_image(configuration.get("imageId"), approved, "the configuration item has no imageId")


CHECK = Check(
    id="approved-amis-by-id",
    title="EC2 instances use approved AMIs",
    description=(
        "Each EC2 instance's imageId is exactly one of the AMI ids listed in amiIds, as in the managed rule "
        "APPROVED_AMIS_BY_ID."
    ),
    rationale=(
        "An instance launched from an image outside the approved list may run unpatched, unhardened or untrusted "
        "software, such as a public AMI shared by an unknown account, that never went through the organisation's "
        "image build and vulnerability scanning."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Launch a replacement instance from an approved AMI, move the workload to it and terminate the old "
        "instance; or, once the AMI has been reviewed and approved, add its id to amiIds."
    ),
    remediation_cli=(
        "aws ec2 run-instances --image-id APPROVED_AMI_ID --instance-type INSTANCE_TYPE --subnet-id SUBNET_ID "
        "--security-group-ids SECURITY_GROUP_ID"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(INSTANCE,),
    parameters=ParameterSchema(
        (
            Parameter(
                "amiIds",
                ParameterType.STRING_LIST,
                "comma-separated approved AMI ids, e.g. ami-0123456789abcdef0,ami-0fedcba9876543210",
                required=True,
            ),
        )
    ),
    evaluate_resource=evaluate,
    demo_parameters={"amiIds": "ami-0c02fb55956c7d316,ami-0d71ea30463e0ff8d"},
)
