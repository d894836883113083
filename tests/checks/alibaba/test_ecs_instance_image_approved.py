"""ecs-instance-image-approved: the instance's own ImageId is exactly one of imageIds (no substring match)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from checks.alibaba import ecs_instance_image_approved
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, Cloud, ParameterError, Result, Snapshot
from scanner.testing import assert_evaluations, run_check
from scanner.testing.alibaba import DELETE, alibaba_item

CHECK = ecs_instance_image_approved.CHECK
IMAGE = "aliyun_3_x64_20G_alibase_20240528.vhd"  # the example instance's image
INSTANCE_ID = "i-bp12g4xbl4i0brkn7x3a"


def instance(**configuration: Any) -> ConfigurationItem:
    return alibaba_item("ACS::ECS::Instance", configuration=configuration)


def run(item: ConfigurationItem, params: dict[str, Any] | str | None) -> Result:
    evaluations = run_check(CHECK, [item], params)
    assert len(evaluations) == 1
    return Result(evaluations[0].compliance, evaluations[0].annotation)


def test_the_check_is_an_alibaba_resource_check_of_instances() -> None:
    assert CHECK.id == "ecs-instance-image-approved"
    assert CHECK.cloud is Cloud.ALIBABA
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("ACS::ECS::Instance",)
    assert CHECK.parameters.has_required()


def test_the_exact_image_id_is_approved() -> None:
    evaluations = run_check(CHECK, [instance()], {"imageIds": IMAGE})
    assert_evaluations(evaluations, {INSTANCE_ID: (Compliance.COMPLIANT, f"image {IMAGE} is approved")})


@pytest.mark.parametrize(
    "image_ids",
    [f"m-bp1other000000001,{IMAGE}", f" , {IMAGE} ,, m-bp1other000000001 ", ["m-bp1other000000001", IMAGE]],
    ids=["second-of-two", "blanks-ignored", "a-list"],
)
def test_any_listed_id_is_approved_and_blanks_are_ignored(image_ids: Any) -> None:
    assert run(instance(), {"imageIds": image_ids}) == Result(Compliance.COMPLIANT, f"image {IMAGE} is approved")


def test_an_unlisted_image_is_not_compliant() -> None:
    result = run(instance(), {"imageIds": "m-bp1approved0000001, m-bp1approved0000002"})
    assert result == Result(
        Compliance.NON_COMPLIANT, f"image {IMAGE} is not one of m-bp1approved0000001, m-bp1approved0000002"
    )


@pytest.mark.parametrize(("image", "listed"), [("m-1", "m-12"), ("m-12", "m-1"), ("m-1", "M-1")])
def test_a_substring_or_other_spelling_is_not_approved(image: str, listed: str) -> None:
    """The sample's `image_id in configuration_item` would approve "m-1" when "m-12" is listed; this check does not."""
    result = run(instance(ImageId=image), {"imageIds": listed})
    assert result == Result(Compliance.NON_COMPLIANT, f"image {image} is not one of {listed}")


def test_an_approved_id_elsewhere_in_the_item_does_not_approve_the_instance() -> None:
    item = instance(ImageId="m-bp1unapproved00001", Description="built from m-bp1approved0000001")
    result = run(item, {"imageIds": "m-bp1approved0000001"})
    assert result == Result(Compliance.NON_COMPLIANT, "image m-bp1unapproved00001 is not one of m-bp1approved0000001")


@pytest.mark.parametrize("image", [DELETE, None, "", 42])
def test_a_missing_image_id_is_never_compliant(image: Any) -> None:
    result = run(instance(ImageId=image), {"imageIds": IMAGE})
    assert result == Result(Compliance.NON_COMPLIANT, "the instance's configuration has no ImageId")


@pytest.mark.parametrize("params", [None, {}, "", "{}"])
def test_image_ids_are_required(params: Any) -> None:
    with pytest.raises(ParameterError, match=r"^check ecs-instance-image-approved, parameter imageIds: is required$"):
        run_check(CHECK, [instance()], params)


@pytest.mark.parametrize("raw", ["", " , ", None, 7, []])
def test_an_empty_or_malformed_list_is_refused(raw: Any) -> None:
    with pytest.raises(ParameterError, match=r"^check ecs-instance-image-approved, parameter imageIds: expected a"):
        CHECK.parameters.parse(CHECK.id, {"imageIds": raw})


def test_a_deleted_instance_is_not_applicable() -> None:
    item = alibaba_item("ACS::ECS::Instance", configuration={"ImageId": "m-other"}, resourceDeleted=0)
    assert item.deleted
    assert run(item, {"imageIds": "m-1"}) == Result(Compliance.NOT_APPLICABLE, "the instance is deleted")


def test_another_resource_type_is_not_applicable() -> None:
    # A scan never hands the check another type (run_check neither): call it as a careless caller would.
    disk = alibaba_item("ACS::ECS::Disk")
    params = CHECK.parameters.parse(CHECK.id, {"imageIds": "m-1"})
    snapshot = Snapshot(disk.account_id, disk.region, datetime(2026, 1, 1, tzinfo=UTC))
    assert CHECK.run_resource(disk, params, snapshot) == Result(
        Compliance.NOT_APPLICABLE, "the rule evaluates ACS::ECS::Instance, not ACS::ECS::Disk"
    )
