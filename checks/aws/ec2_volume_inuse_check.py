"""ec2-volume-inuse-check: an EBS volume is attached, and optionally deleted on termination (EC2_VOLUME_INUSE_CHECK).

A volume is in use when its state is in-use and an attachment is attached (or busy); every other volume state, and an
in-use volume whose attachments are all attaching, detaching or detached, is NON_COMPLIANT, never NOT_APPLICABLE. With
deleteOnTermination "true", each attached attachment must also be marked for deletion on termination; "false" asks
nothing more, as the managed rule documents only what true does. A value other than true or false is refused when the
parameters are parsed, where the managed rule would mark every volume NON_COMPLIANT.

Instance state: the managed rule passes volumes of running or stopped instances and fails those of terminated ones.
The instance is not looked up: terminating it detaches the volume (attachment detaching, then volume available) or
deletes it, which the volume's own item records, and a terminated instance's item is deleted and never read anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from checks.shared.common import UnreadableFieldError, cannot_judge, objects, text_field
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

VOLUME = "AWS::EC2::Volume"
IN_USE = "in-use"
ATTACHED_STATES = frozenset({"attached", "busy"})


def _instance_id(attachment: Mapping[str, Any]) -> str:
    instance_id = attachment.get("instanceId")
    return instance_id if isinstance(instance_id, str) and instance_id else "(no instanceId)"


def _instances(attachments: Sequence[Mapping[str, Any]]) -> str:
    ids = list(dict.fromkeys(_instance_id(attachment) for attachment in attachments))
    return ("instance " if len(ids) == 1 else "instances ") + ", ".join(ids)


def _not_attached(attachments: Sequence[Mapping[str, Any]]) -> Result:
    if not attachments:
        return Result(Compliance.NON_COMPLIANT, "volume is in-use but records no attachment, so it cannot be judged")
    states = "; ".join(
        f"attachment to {_instance_id(attachment)} is {attachment.get('state') or 'of unknown state'}"
        for attachment in attachments
    )
    return Result(Compliance.NON_COMPLIANT, f"volume is not attached to an instance: {states}")


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    delete_required = params["deleteOnTermination"] is True
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration, so it cannot be judged")
    state = configuration.get("state")
    if not isinstance(state, str) or not state:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no volume state, so it cannot be judged")
    if state != IN_USE:
        return Result(Compliance.NON_COMPLIANT, f"volume is {state}, not attached to an instance")
    recorded = configuration.get("attachments")
    if not isinstance(recorded, list):
        unjudged = "volume is in-use but the configuration item has no attachments, so it cannot be judged"
        return Result(Compliance.NON_COMPLIANT, unjudged)
    try:
        attachments = objects(recorded, "attachments")
        states = [
            text_field(attachment, "state", f"attachments[{index}].state")
            for index, attachment in enumerate(attachments)
        ]
    except UnreadableFieldError as error:
        return cannot_judge(error)
    attached = [attachment for attachment, state in zip(attachments, states, strict=True) if state in ATTACHED_STATES]
    if not attached:
        return _not_attached(attachments)
    if not delete_required:
        return Result(Compliance.COMPLIANT, f"volume is attached to {_instances(attached)}")
    kept = [attachment for attachment in attached if attachment.get("deleteOnTermination") is False]
    if kept:
        return Result(
            Compliance.NON_COMPLIANT, f"volume is not marked for deletion on termination of {_instances(kept)}"
        )
    unknown = [attachment for attachment in attached if attachment.get("deleteOnTermination") is not True]
    if unknown:
        unjudged = f"the attachment to {_instances(unknown)} has no deleteOnTermination flag, so it cannot be judged"
        return Result(Compliance.NON_COMPLIANT, unjudged)
    return Result(
        Compliance.COMPLIANT, f"volume is attached to {_instances(attached)} and marked for deletion on termination"
    )


CHECK = Check(
    id="ec2-volume-inuse-check",
    title="EBS volumes are attached to instances",
    description=(
        "Each EBS volume is attached to an EC2 instance (state in-use, attachment attached), and when "
        'deleteOnTermination is "true" it is also marked for deletion when that instance terminates, as in the '
        "managed rule EC2_VOLUME_INUSE_CHECK. Unattached volumes are not compliant."
    ),
    rationale=(
        "An unattached EBS volume keeps costing money and keeps whatever data it held, usually forgotten by backup, "
        "retention and access reviews. With deleteOnTermination, a volume that outlives its instance becomes such "
        "an orphan."
    ),
    severity=Severity.LOW,
    remediation=(
        "Attach an unattached volume to the instance that needs it, or delete it, after taking a snapshot if its "
        "data is still needed. When deleteOnTermination is true, also set DeleteOnTermination on the volume's block "
        "device mapping in its instance's attributes."
    ),
    remediation_cli="aws ec2 delete-volume --volume-id VOLUME_ID",
    scope=CheckScope.RESOURCE,
    resource_types=(VOLUME,),
    parameters=ParameterSchema(
        (
            Parameter(
                "deleteOnTermination",
                ParameterType.BOOLEAN,
                '"true" to require attached volumes to be deleted with their instance, "false" (the default) not to',
                default=False,
            ),
        )
    ),
    evaluate_resource=evaluate,
)
