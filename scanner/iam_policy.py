"""Least privilege: the IAM policies a scan needs, from the checks it runs and the way it runs.

Two principals call AWS during a scan:

- the **scan role** in every scanned account (and the caller itself in its own account): AWS Config's reads, the
  extra data the selected checks declare (the IAM credential report, the password policy), `ec2:DescribeRegions`
  for `--regions all`, `config:PutEvaluations` for `--result-token` (and what a Lambda rule reads back);
- the **caller** (where cloudsweep runs): `sts:AssumeRole` on the scan role in the other accounts (for a Lambda
  rule: the rule's execution role, named with --role-name), Organizations' list calls for `--org` / `--ou` /
  `--tag`, and `s3:PutObject` under the results location of a scheduled Lambda scan. `sts:GetCallerIdentity`
  needs no permission.

None of these read APIs supports resource-level permissions, so the scan role's statement is on `*`; the caller's
AssumeRole is limited to the role's name in any account. `tests/test_iam_policy.py` records every call a full scan
makes (botocore's `before-send` event) and checks that these policies allow each one and nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from scanner.registry import CONFIG_READ_PERMISSIONS, Check

POLICY_VERSION = "2012-10-17"
DESCRIBE_REGIONS = "ec2:DescribeRegions"
PUT_EVALUATIONS = "config:PutEvaluations"
SECURITY_HUB = ("securityhub:BatchImportFindings", "securityhub:BatchUpdateFindings", "securityhub:GetFindings")
# A Lambda rule reads its earlier results back to mark resources that are gone NOT_APPLICABLE.
LAMBDA_RULE_READS = ("config:GetComplianceDetailsByConfigRule",)
ASSUME_ROLE = "sts:AssumeRole"
ORGANIZATION_LISTING = ("organizations:ListAccounts",)
OU_LISTING = ("organizations:ListAccountsForParent", "organizations:ListChildren")
TAG_LISTING = ("organizations:ListTagsForResource",)


@dataclass(frozen=True)
class ScanShape:
    """What, beyond the checks, decides the permissions: how accounts, regions and results are found and sent."""

    role_name: str = "CloudSweepAudit"  # a name, or path/name as --role-name takes it
    session_seconds: int = 3600  # --session-duration: the role's MaxSessionDuration must allow it
    results_location: str | None = None  # s3://bucket/prefix a scheduled Lambda scan writes to
    all_regions: bool = False  # --regions all
    put_evaluations: bool = False  # --result-token
    lambda_rule: bool = False  # run as an AWS Config rule's Lambda function
    organization: bool = False  # --org
    organizational_unit: bool = False  # --ou
    account_tags: bool = False  # --tag
    external_id: bool = False  # the trust policy requires sts:ExternalId
    security_hub: bool = False  # --security-hub: into each scanned account's Security Hub
    security_hub_aggregation: bool = False  # --security-hub-account: into the caller's Security Hub


def scan_role_actions(checks: Iterable[Check], shape: ScanShape) -> list[str]:
    """The scan role's actions, sorted: nothing the selected checks and the scan's shape do not use."""
    actions = set(CONFIG_READ_PERMISSIONS)
    for check in checks:
        actions.update(check.permissions)
    if shape.all_regions:
        actions.add(DESCRIBE_REGIONS)
    if shape.put_evaluations or shape.lambda_rule:
        actions.add(PUT_EVALUATIONS)
    if shape.lambda_rule:
        actions.update(LAMBDA_RULE_READS)
    if shape.security_hub and not shape.security_hub_aggregation:
        actions.update(SECURITY_HUB)
    return sorted(actions)


def role_path_and_name(role_name: str) -> tuple[str, str]:
    """("/path/", "Name") for "path/Name"; ("/", "Name") for a bare name."""
    path, _, name = role_name.strip("/").rpartition("/")
    return (f"/{path}/" if path else "/"), name


def _results_object_arn(location: str, partition: str) -> str:
    if not location.startswith("s3://") or not location[5:].split("/", 1)[0]:
        raise ValueError(f"expected an S3 location like s3://bucket/prefix, got {location!r}")
    bucket, _, prefix = location[5:].partition("/")
    return f"arn:{partition}:s3:::{bucket}/{prefix.strip('/') + '/' if prefix.strip('/') else ''}*"


def caller_actions(shape: ScanShape) -> list[str]:
    """The caller's actions besides AssumeRole (which is scoped to the role): the Organizations listings it needs,
    and Security Hub's when it imports every finding into its own account."""
    actions: set[str] = set()
    if shape.organization and not shape.organizational_unit:
        actions.update(ORGANIZATION_LISTING)
    if shape.organizational_unit:
        actions.update(OU_LISTING)
    if shape.account_tags:
        actions.update(TAG_LISTING)
    if shape.security_hub_aggregation:
        actions.update(SECURITY_HUB)
    return sorted(actions)


def scan_role_policy(checks: Iterable[Check], shape: ScanShape) -> dict[str, Any]:
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "CloudSweepScan",
                "Effect": "Allow",
                "Action": scan_role_actions(checks, shape),
                "Resource": "*",
            }
        ],
    }


def caller_policy(shape: ScanShape, partition: str = "aws") -> dict[str, Any]:
    path, name = role_path_and_name(shape.role_name)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "CloudSweepAssumeScanRole",
            "Effect": "Allow",
            "Action": [ASSUME_ROLE],
            "Resource": f"arn:{partition}:iam::*:role{path}{name}",
        }
    ]
    listing = caller_actions(shape)
    if listing:
        statements.append({"Sid": "CloudSweepCallerReads", "Effect": "Allow", "Action": listing, "Resource": "*"})
    if shape.results_location:
        statements.append(
            {
                "Sid": "CloudSweepWriteResults",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": _results_object_arn(shape.results_location, partition),
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


def role_template(checks: Iterable[Check], shape: ScanShape) -> dict[str, Any]:
    """A CloudFormation template of the scan role: trust in the scanner's principal, the scan policy inline.

    Deploy it to every account with a StackSet; `ExternalId` is a parameter when the trust requires one.
    """
    trust_statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": {"Ref": "ScannerPrincipalArn"}},
        "Action": ASSUME_ROLE,
    }
    parameters: dict[str, Any] = {
        "ScannerPrincipalArn": {
            "Type": "String",
            "Description": "The role or account (arn:aws:iam::ACCOUNT_ID:root) that runs cloudsweep",
        }
    }
    if shape.external_id:
        parameters["ExternalId"] = {
            "Type": "String",
            "NoEcho": True,
            "MinLength": 2,
            "Description": "The ExternalId cloudsweep passes (--external-id)",
        }
        trust_statement["Condition"] = {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "cloudsweep scan role: read-only access to AWS Config and what the selected checks read",
        "Parameters": parameters,
        "Resources": {
            "CloudSweepScanRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": role_path_and_name(shape.role_name)[1],
                    "Path": role_path_and_name(shape.role_name)[0],
                    "MaxSessionDuration": max(3600, shape.session_seconds),
                    "AssumeRolePolicyDocument": {"Version": POLICY_VERSION, "Statement": [trust_statement]},
                    "Policies": [{"PolicyName": "cloudsweep-scan", "PolicyDocument": scan_role_policy(checks, shape)}],
                },
            }
        },
        "Outputs": {"ScanRoleArn": {"Value": {"Fn::GetAtt": ["CloudSweepScanRole", "Arn"]}}},
    }


def render(checks: list[Check], shape: ScanShape, output: str) -> str:
    """`policy`: the scan role's policy (JSON); `caller`: the caller's (JSON); `cloudformation`: the role (YAML);
    `all`: the three, each under a `#` heading line."""
    policy = json.dumps(scan_role_policy(checks, shape), indent=2)
    caller = json.dumps(caller_policy(shape), indent=2)
    template = yaml.safe_dump(role_template(checks, shape), sort_keys=False, width=120)
    if output == "policy":
        return policy + "\n"
    if output == "caller":
        return caller + "\n"
    if output == "cloudformation":
        return template
    ids = ", ".join(check.id for check in checks)
    return (
        f"# Scan role policy: attach to {shape.role_name} in every scanned account (checks: {ids})\n{policy}\n\n"
        f"# Caller policy: for the principal that runs cloudsweep\n{caller}\n\n"
        f"# CloudFormation: the scan role, for a StackSet across the accounts\n{template}"
    )
