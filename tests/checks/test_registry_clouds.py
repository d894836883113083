"""The check contract's second cloud: Alibaba Cloud checks are held to their own types, CLI and scope, and live in
their own registry, so AWS scans never see them and the Function Compute handler sees only them."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from checks import BUILTIN
from checks.alibaba import BUILTIN as ALIBABA_BUILTIN
from scanner.model import Compliance, ConfigurationItem
from scanner.plugins import load_registry
from scanner.registry import (
    ALIBABA_CONFIG_READ_PERMISSIONS,
    Check,
    CheckDefinitionError,
    CheckScope,
    Cloud,
    ExtraData,
    Parameter,
    ParameterError,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

ONE_AT_A_TIME = (
    "Alibaba Cloud checks evaluate one resource at a time: no extra_data, lookups, counts, resource-type parameters "
    "or cis"
)
ALIBABA_IDS = [
    "ecs-disk-encrypted",
    "ecs-instance-image-approved",
    "ecs-security-group-risky-ports",
    "oss-bucket-public-read-prohibited",
    "ram-user-mfa-enabled",
]


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    return Result(Compliance.COMPLIANT)


def alibaba_check(**overrides: Any) -> Check:
    fields: dict[str, Any] = {
        "id": "my-acs-check",
        "title": "t",
        "description": "d",
        "rationale": "why",
        "severity": Severity.LOW,
        "remediation": "r",
        "remediation_cli": "aliyun ecs DescribeInstances --RegionId REGION",
        "scope": CheckScope.RESOURCE,
        "cloud": Cloud.ALIBABA,
        "resource_types": ("ACS::ECS::Instance",),
        "evaluate_resource": evaluate,
    }
    return Check(**(fields | overrides))


def test_the_alibaba_builtins_are_their_own_registry() -> None:
    assert [check.id for check in ALIBABA_BUILTIN] == ALIBABA_IDS
    assert all(check.cloud is Cloud.ALIBABA for check in ALIBABA_BUILTIN)
    assert all(check.cloud is Cloud.AWS for check in BUILTIN)
    assert not set(ALIBABA_IDS) & {check.id for check in BUILTIN}


def test_an_alibaba_check_reads_with_cloud_configs_permissions() -> None:
    check = alibaba_check()
    assert (
        check.permissions
        == ALIBABA_CONFIG_READ_PERMISSIONS
        == (
            "config:ListDiscoveredResources",
            "config:GetDiscoveredResource",
        )
    )
    assert check.describe()["cloud"] == "alibaba"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        (
            {"resource_types": ("AWS::EC2::Instance",)},
            "resource type 'AWS::EC2::Instance' is not like ACS::ECS::Instance",
        ),
        (
            {"remediation_cli": "aws ec2 describe-instances"},
            "remediation_cli must be Alibaba Cloud CLI commands, one per line, each starting with 'aliyun '",
        ),
        (
            {"cis": ("1.4",)},
            ONE_AT_A_TIME,
        ),
        (
            {"extra_data": (ExtraData.IAM_CREDENTIAL_REPORT,)},
            ONE_AT_A_TIME,
        ),
        (
            {"lookup_types": ("ACS::ECS::SecurityGroup",)},
            ONE_AT_A_TIME,
        ),
        ({"cloud": "alibaba"}, "cloud must be a Cloud member"),
        (
            {"parameters": ParameterSchema((Parameter("t", ParameterType.RESOURCE_TYPE, "a type"),))},
            ONE_AT_A_TIME,
        ),
    ],
)
def test_an_alibaba_check_is_held_to_its_cloud(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(CheckDefinitionError) as info:
        alibaba_check(**overrides)
    assert problem in str(info.value)


def test_an_aws_check_may_not_name_alibaba_types() -> None:
    with pytest.raises(CheckDefinitionError, match="resource type 'ACS::ECS::Instance' is not like AWS::EC2::Instance"):
        alibaba_check(cloud=Cloud.AWS, remediation_cli="aws ec2 describe-instances")


def test_a_resource_type_parameter_of_an_aws_check_refuses_alibaba_types() -> None:
    parameter = Parameter("applicableResourceType", ParameterType.RESOURCE_TYPE, "a type")
    assert parameter.convert("c", "AWS::S3::Bucket") == "AWS::S3::Bucket"
    with pytest.raises(
        ParameterError, match="expected a resource type like AWS::EC2::Instance, got 'ACS::OSS::Bucket'"
    ):
        parameter.convert("c", "ACS::OSS::Bucket")


def test_a_checks_directory_feeds_each_cloud_its_own_checks(tmp_path: Path) -> None:
    (tmp_path / "both.py").write_text(
        textwrap.dedent(
            """
            from scanner.model import Compliance
            from scanner.registry import Check, CheckScope, Cloud, Result, Severity

            def evaluate(item, params, snapshot):
                return Result(Compliance.COMPLIANT)

            COMMON = dict(title="t", description="d", rationale="r", severity=Severity.LOW, remediation="r",
                          scope=CheckScope.RESOURCE, evaluate_resource=evaluate)
            CHECKS = [
                Check(id="user-aws", remediation_cli="aws ec2 describe-instances",
                      resource_types=("AWS::EC2::Instance",), **COMMON),
                Check(id="user-acs", remediation_cli="aliyun ecs DescribeInstances", cloud=Cloud.ALIBABA,
                      resource_types=("ACS::ECS::Instance",), **COMMON),
            ]
            """
        ),
        encoding="utf-8",
    )
    aws = load_registry([tmp_path])
    alibaba = load_registry([tmp_path], cloud=Cloud.ALIBABA)
    assert "user-aws" in aws
    assert "user-acs" not in aws
    assert [check.id for check in alibaba] == sorted([*ALIBABA_IDS, "user-acs"])
    assert alibaba.source("user-acs") == str(tmp_path / "both.py")
