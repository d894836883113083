"""The policy documents the demo attaches: who may assume a role, what IAM policies allow, what bucket policies say."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cloudsweep_emulator.seed.plan import DEMO_REGIONS, _AccountPlan, _bucket_name


def _trust_account(account_id: str) -> str:
    return _policy_document(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "sts:AssumeRole"}
    )


def _trust_service(service: str) -> str:
    return _policy_document({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def _policy_document(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


_AUDIT_POLICY = _policy_document(
    {
        "Effect": "Allow",
        "Action": [
            "config:Describe*",
            "config:Get*",
            "config:List*",
            "config:PutEvaluations",
            "cloudtrail:DescribeTrails",
            "cloudtrail:GetTrailStatus",
            "ec2:Describe*",
            "iam:GenerateCredentialReport",
            "iam:Get*",
            "iam:List*",
            "lambda:GetPolicy",
            "lambda:List*",
            "rds:Describe*",
            "s3:GetBucket*",
            "s3:ListAllMyBuckets",
        ],
        "Resource": "*",
    }
)
_CI_DEPLOY_POLICY = _policy_document(
    {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:TerminateInstances", "ec2:CreateTags"], "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::cloudsweep-demo-*/*"},
)
_ADMIN_POLICY = _policy_document({"Effect": "Allow", "Action": "*", "Resource": "*"})
# The most a developer role may ever do, whatever policies it is given later.
_DEVELOPER_BOUNDARY = _policy_document(
    {"Effect": "Allow", "Action": ["ec2:*", "s3:*", "lambda:*", "logs:*"], "Resource": "*"},
    {"Effect": "Deny", "Action": ["iam:*", "organizations:*"], "Resource": "*"},
)


def _app_data_policy(plan: _AccountPlan) -> str:
    return _policy_document(
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [f"arn:aws:s3:::{_bucket_name(plan, 'data', region)}/*" for region in DEMO_REGIONS],
        }
    )


def _public_policy(bucket: str) -> str:
    """Anyone may read, and (the classic upload-bucket mistake) anyone may write."""
    return _policy_document(
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        },
        {
            "Sid": "PublicUpload",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/uploads/*",
        },
    )


def _deny_insecure_transport_policy(bucket: str) -> str:
    return _policy_document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
