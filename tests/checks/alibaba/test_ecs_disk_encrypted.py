"""ecs-disk-encrypted: a disk is encrypted (with one of kmsKeyIds' keys when given); a missing flag never passes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from checks.alibaba import ecs_disk_encrypted
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, Cloud, ParameterError, Result
from scanner.testing import assert_evaluations, run_check
from scanner.testing.alibaba import DELETE, alibaba_item

CHECK = ecs_disk_encrypted.CHECK
DISK_ID = "d-bp1c6n5mr7qdl2x0w8zq"
KEY = "0e478b7a-4262-4802-b8cb-00d3fb40****"  # the example disk's key
OTHER = "7906979c-8e06-46a2-be2d-68e3ccbc****"


def disk(**configuration: Any) -> ConfigurationItem:
    """The example disk (attached, encrypted under KEY) with configuration keys replaced or removed."""
    return alibaba_item("ACS::ECS::Disk", configuration=configuration)


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    evaluations = run_check(CHECK, [item], params)
    assert len(evaluations) == 1
    return Result(evaluations[0].compliance, evaluations[0].annotation)


def test_the_check_is_an_alibaba_resource_check_of_disks_without_required_parameters() -> None:
    assert CHECK.id == "ecs-disk-encrypted"
    assert CHECK.cloud is Cloud.ALIBABA
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("ACS::ECS::Disk",)
    assert CHECK.cis == ()
    assert CHECK.extra_data == ()
    assert not CHECK.parameters.has_required()
    assert dict(CHECK.parameters.parse(CHECK.id, None)) == {"kmsKeyIds": None}
    assert all(line.startswith("aliyun ecs ") for line in CHECK.remediation_cli.splitlines())


def test_the_example_disk_is_encrypted() -> None:
    evaluations = run_check(CHECK, [disk()])
    assert_evaluations(evaluations, {DISK_ID: (Compliance.COMPLIANT, "disk is encrypted")})


@pytest.mark.parametrize("status", ["In_use", "Available"])
def test_an_unencrypted_disk_is_not_compliant_attached_or_not(status: str) -> None:
    item = disk(Encrypted=False, KMSKeyId="", Status=status)
    assert run(item) == Result(Compliance.NON_COMPLIANT, "disk is not encrypted")


def test_each_disk_is_evaluated_once() -> None:
    unencrypted = alibaba_item(
        "ACS::ECS::Disk", configuration={"Encrypted": False, "KMSKeyId": ""}, resourceId="d-bp1unencrypted00001"
    )
    assert_evaluations(
        run_check(CHECK, [disk(), unencrypted]),
        {DISK_ID: Compliance.COMPLIANT, "d-bp1unencrypted00001": (Compliance.NON_COMPLIANT, "disk is not encrypted")},
    )


@pytest.mark.parametrize("encrypted", [DELETE, None, "true", "false", 1, 0, {}])
def test_a_missing_or_ill_typed_encrypted_flag_is_never_compliant(encrypted: Any) -> None:
    shown = None if encrypted is DELETE else encrypted
    assert run(disk(Encrypted=encrypted)) == Result(
        Compliance.NON_COMPLIANT,
        f"the disk's configuration has no boolean Encrypted flag (got {shown!r}), so it cannot be judged",
    )


@pytest.mark.parametrize("key_ids", [KEY, f"{OTHER},{KEY}", f" {KEY} , ", [OTHER, KEY]])
def test_a_listed_key_is_compliant(key_ids: Any) -> None:
    assert run(disk(), {"kmsKeyIds": key_ids}) == Result(Compliance.COMPLIANT, f"disk is encrypted with KMS key {KEY}")


@pytest.mark.parametrize("key_ids", [OTHER, KEY[:-1], KEY.upper(), f"alias/{KEY}"])
def test_another_key_is_not_compliant(key_ids: str) -> None:
    assert run(disk(), {"kmsKeyIds": key_ids}) == Result(
        Compliance.NON_COMPLIANT, f"disk is encrypted with KMS key {KEY}, not one of {key_ids}"
    )


@pytest.mark.parametrize("key", [DELETE, None, "", "  ", 42])
def test_an_encrypted_disk_naming_no_key_fails_required_keys(key: Any) -> None:
    assert run(disk(KMSKeyId=key), {"kmsKeyIds": f"{KEY},{OTHER}"}) == Result(
        Compliance.NON_COMPLIANT, f"disk is encrypted but names no KMSKeyId, expected one of {KEY}, {OTHER}"
    )


def test_an_encrypted_disk_naming_no_key_passes_when_no_key_is_required() -> None:
    assert run(disk(KMSKeyId=DELETE)) == Result(Compliance.COMPLIANT, "disk is encrypted")


def test_an_unencrypted_disk_fails_before_its_key_is_compared() -> None:
    assert run(disk(Encrypted=False), {"kmsKeyIds": KEY}) == Result(Compliance.NON_COMPLIANT, "disk is not encrypted")


def test_parameters_arrive_as_a_cloud_config_json_string() -> None:
    result = run(disk(), json.dumps({"kmsKeyIds": OTHER}))
    assert result == Result(Compliance.NON_COMPLIANT, f"disk is encrypted with KMS key {KEY}, not one of {OTHER}")


@pytest.mark.parametrize("raw", ["", " , ", 42, [], None])
def test_a_malformed_key_list_is_refused(raw: Any) -> None:
    with pytest.raises(ParameterError, match=r"^check ecs-disk-encrypted, parameter kmsKeyIds: expected a"):
        CHECK.parameters.parse(CHECK.id, {"kmsKeyIds": raw})


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"^check ecs-disk-encrypted, parameter kmsId: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"kmsId": KEY})
