"""ecs-instance-image-approved: an ECS instance runs one of the listed images (Alibaba Cloud Config's sample rule).

The sample tests `image_id in configuration_item`: a substring test on the whole item, which approves an instance
whenever the id appears anywhere in it (a tag, a description) and approves "m-1" when "m-12" is listed. Here the
instance's own ImageId must be exactly one of imageIds.
"""

from __future__ import annotations

from checks.shared.common import approved_image
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import (
    Check,
    CheckScope,
    Cloud,
    Parameter,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

INSTANCE = "ACS::ECS::Instance"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    approved: tuple[str, ...] = params["imageIds"]
    # The handler never hands this check either; said here too, so the rule reads whole wherever it runs.
    if item.resource_type != INSTANCE:
        return Result(Compliance.NOT_APPLICABLE, f"the rule evaluates {INSTANCE}, not {item.resource_type}")
    if item.deleted:
        return Result(Compliance.NOT_APPLICABLE, "the instance is deleted")
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    return approved_image(configuration.get("ImageId"), approved, "the instance's configuration has no ImageId")


CHECK = Check(
    id="ecs-instance-image-approved",
    title="ECS instances run approved images",
    description=(
        "Each ECS instance's ImageId is exactly one of the image ids listed in imageIds: the rule of Alibaba Cloud "
        "Config's custom-rule sample, without its substring match."
    ),
    rationale=(
        "An instance started from an image outside the approved list may run unpatched, unhardened or untrusted "
        "software, such as a marketplace or shared image, that never went through the organisation's image build "
        "and vulnerability scanning."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Replace the instance's system disk from an approved image (or start a new instance from one and retire "
        "this one); or, once the image has been reviewed and approved, add its id to imageIds."
    ),
    remediation_cli="aliyun ecs ReplaceSystemDisk --InstanceId INSTANCE_ID --ImageId APPROVED_IMAGE_ID",
    scope=CheckScope.RESOURCE,
    cloud=Cloud.ALIBABA,
    resource_types=(INSTANCE,),
    parameters=ParameterSchema(
        (
            Parameter(
                "imageIds",
                ParameterType.STRING_LIST,
                "comma-separated approved image ids, e.g. "
                "m-bp1g7004ksh0oeuc6a1x,ubuntu_22_04_x64_20G_alibase_20240130.vhd",
                required=True,
            ),
        )
    ),
    evaluate_resource=evaluate,
)
