"""ec2-volume-inuse-check: attached volumes pass (marked for deletion too when deleteOnTermination is "true")."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import ec2_volume_inuse_check
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = ec2_volume_inuse_check.CHECK
SNAPSHOT = Snapshot("264683526309", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
REFERENCE_VOLUME: dict[str, Any] = json.loads((REFERENCE / "AWS_EC2_Volume.json").read_text())
REFERENCE_ATTACHMENT: dict[str, Any] = REFERENCE_VOLUME["configuration"]["attachments"][0]
INSTANCE = "i-29e75b19"  # the reference volume's instance; the attachment is marked for deletion
OTHER = "i-0123456789abcdef0"
MISSING = object()
ATTACHED = Result(Compliance.COMPLIANT, f"volume is attached to instance {INSTANCE}")
DELETED_WITH_IT = Result(
    Compliance.COMPLIANT, f"volume is attached to instance {INSTANCE} and marked for deletion on termination"
)
REQUIRE = {"deleteOnTermination": "true"}


def attachment(**fields: Any) -> dict[str, Any]:
    """The reference attachment with fields replaced or removed."""
    result = copy.deepcopy(REFERENCE_ATTACHMENT)
    for name, value in fields.items():
        if value is MISSING:
            del result[name]
        else:
            result[name] = value
    return result


def volume(**configuration: Any) -> ConfigurationItem:
    """The reference volume (in-use, attached to INSTANCE) with configuration fields replaced or removed."""
    raw = copy.deepcopy(REFERENCE_VOLUME)
    for name, value in configuration.items():
        if value is MISSING:
            del raw["configuration"][name]
        else:
            raw["configuration"][name] = value
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def test_the_check_evaluates_volumes_and_needs_no_parameter() -> None:
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::EC2::Volume",)
    assert CHECK.lookup_types == ()
    assert not CHECK.parameters.has_required()
    assert CHECK.parameters.parse(CHECK.id, {})["deleteOnTermination"] is False
    described = json.loads(json.dumps(CHECK.describe()))
    assert [(parameter["name"], parameter["type"]) for parameter in described["parameters"]] == [
        ("deleteOnTermination", "boolean")
    ]
    assert described["remediation_cli"] == "aws ec2 delete-volume --volume-id VOLUME_ID"


def test_the_reference_volume_is_attached() -> None:
    assert run(volume()) == ATTACHED


def test_the_reference_volume_is_marked_for_deletion_with_its_instance() -> None:
    assert run(volume(), REQUIRE) == DELETED_WITH_IT


@pytest.mark.parametrize("state", ["available", "creating", "deleting", "error"])
@pytest.mark.parametrize("params", [None, REQUIRE, {"deleteOnTermination": "false"}])
def test_a_volume_not_in_use_is_not_compliant(state: str, params: dict[str, Any] | None) -> None:
    result = run(volume(state=state, attachments=[]), params)
    assert result == Result(Compliance.NON_COMPLIANT, f"volume is {state}, not attached to an instance")


@pytest.mark.parametrize("params", [None, {"deleteOnTermination": "false"}, {"deleteOnTermination": False}])
def test_deletion_on_termination_is_not_checked_unless_required(params: dict[str, Any] | None) -> None:
    assert run(volume(attachments=[attachment(deleteOnTermination=False)]), params) == ATTACHED
    assert run(volume(attachments=[attachment(deleteOnTermination=MISSING)]), params) == ATTACHED


@pytest.mark.parametrize("flag", ["true", " true ", True])
def test_a_volume_kept_after_termination_fails_a_required_deletion(flag: Any) -> None:
    result = run(volume(attachments=[attachment(deleteOnTermination=False)]), {"deleteOnTermination": flag})
    expected = f"volume is not marked for deletion on termination of instance {INSTANCE}"
    assert result == Result(Compliance.NON_COMPLIANT, expected)


@pytest.mark.parametrize("flag", [MISSING, None, "true", 1])
def test_a_missing_deletion_flag_is_never_compliant_when_required(flag: Any) -> None:
    result = run(volume(attachments=[attachment(deleteOnTermination=flag)]), REQUIRE)
    unjudged = f"the attachment to instance {INSTANCE} has no deleteOnTermination flag, so it cannot be judged"
    assert result == Result(Compliance.NON_COMPLIANT, unjudged)


@pytest.mark.parametrize("state", ["attaching", "detaching", "detached"])
def test_an_in_use_volume_whose_attachment_is_not_attached_is_not_compliant(state: str) -> None:
    # Terminating the instance detaches a volume it does not delete: this is the managed rule's terminated case.
    result = run(volume(attachments=[attachment(state=state)]))
    expected = f"volume is not attached to an instance: attachment to {INSTANCE} is {state}"
    assert result == Result(Compliance.NON_COMPLIANT, expected)


@pytest.mark.parametrize("state", [MISSING, None, ""])
def test_an_attachment_without_a_state_is_never_compliant(state: Any) -> None:
    result = run(volume(attachments=[attachment(state=state)]))
    expected = f"volume is not attached to an instance: attachment to {INSTANCE} is of unknown state"
    assert result == Result(Compliance.NON_COMPLIANT, expected)


def test_a_busy_attachment_is_attached() -> None:
    assert run(volume(attachments=[attachment(state="busy")])) == ATTACHED


def test_an_attachment_without_an_instance_id_is_still_attached() -> None:
    result = run(volume(attachments=[attachment(instanceId=MISSING)]))
    assert result == Result(Compliance.COMPLIANT, "volume is attached to instance (no instanceId)")


def test_a_multi_attached_volume_names_its_instances() -> None:
    attachments = [attachment(), attachment(instanceId=OTHER, deleteOnTermination=False)]
    result = run(volume(multiAttachEnabled=True, attachments=attachments))
    assert result == Result(Compliance.COMPLIANT, f"volume is attached to instances {INSTANCE}, {OTHER}")
    required = run(volume(multiAttachEnabled=True, attachments=attachments), REQUIRE)
    expected = f"volume is not marked for deletion on termination of instance {OTHER}"
    assert required == Result(Compliance.NON_COMPLIANT, expected)


def test_only_attached_attachments_count() -> None:
    attachments = [attachment(state="detaching", deleteOnTermination=False), attachment(instanceId=OTHER)]
    result = run(volume(multiAttachEnabled=True, attachments=attachments), REQUIRE)
    expected = f"volume is attached to instance {OTHER} and marked for deletion on termination"
    assert result == Result(Compliance.COMPLIANT, expected)


def test_an_in_use_volume_recording_no_attachment_is_never_compliant() -> None:
    result = run(volume(attachments=[]))
    unjudged = "volume is in-use but records no attachment, so it cannot be judged"
    assert result == Result(Compliance.NON_COMPLIANT, unjudged)


@pytest.mark.parametrize(
    ("attachments", "what"),
    [
        (["vol-a416b170"], "attachments[0] as a string, not an object"),
        # Skipped, the malformed attachment let the attached one pass the volume.
        ([None, attachment()], "attachments[0] as null, not an object"),
        ([attachment(state=["attached"])], "attachments[0].state as a list, not a string"),
    ],
)
def test_attachments_of_the_wrong_type_are_never_compliant(attachments: list[Any], what: str) -> None:
    unjudged = f"the configuration item records {what}, so it cannot be judged"
    assert run(volume(attachments=attachments)) == Result(Compliance.NON_COMPLIANT, unjudged)


@pytest.mark.parametrize("attachments", [MISSING, None, "attached"])
def test_an_in_use_volume_without_attachments_is_never_compliant(attachments: Any) -> None:
    result = run(volume(attachments=attachments))
    unjudged = "volume is in-use but the configuration item has no attachments, so it cannot be judged"
    assert result == Result(Compliance.NON_COMPLIANT, unjudged)


@pytest.mark.parametrize("state", [MISSING, None, "", 1])
def test_a_volume_without_a_state_is_never_compliant(state: Any) -> None:
    result = run(volume(state=state))
    assert result == Result(
        Compliance.NON_COMPLIANT, "the configuration item has no volume state, so it cannot be judged"
    )


def test_an_item_without_configuration_is_never_compliant() -> None:
    raw = copy.deepcopy(REFERENCE_VOLUME)
    raw["configuration"] = None
    result = run(ConfigurationItem.parse(raw))
    assert result == Result(
        Compliance.NON_COMPLIANT, "the configuration item has no configuration, so it cannot be judged"
    )


def test_parameters_arrive_as_an_aws_config_json_string() -> None:
    result = run(volume(attachments=[attachment(deleteOnTermination=False)]), json.dumps(REQUIRE))
    expected = f"volume is not marked for deletion on termination of instance {INSTANCE}"
    assert result == Result(Compliance.NON_COMPLIANT, expected)


@pytest.mark.parametrize("raw", ["yes", "1", "", "enabled", 1, None, ["true"]])
def test_a_value_other_than_true_or_false_is_refused(raw: Any) -> None:
    with pytest.raises(
        ParameterError, match=r'^check ec2-volume-inuse-check, parameter deleteOnTermination: expected "true"'
    ) as info:
        CHECK.parameters.parse(CHECK.id, {"deleteOnTermination": raw})
    assert info.value.parameter == "deleteOnTermination"


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(ParameterError, match="check ec2-volume-inuse-check, parameter DeleteOnTermination: unknown"):
        CHECK.parameters.parse(CHECK.id, {"DeleteOnTermination": "true"})


def test_no_volume_is_ever_not_applicable() -> None:
    """NOT_APPLICABLE cannot occur: the managed rule fails every volume not attached, whatever its state."""
    items = [volume(), volume(state="available", attachments=[]), volume(attachments=[attachment(state="detached")])]
    assert all(run(item, REQUIRE).compliance is not Compliance.NOT_APPLICABLE for item in items)
