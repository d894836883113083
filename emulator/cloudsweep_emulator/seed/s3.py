"""S3 in each account: a central log bucket, a data bucket per region, and the planted public and bare buckets."""

from __future__ import annotations

import random

from cloudsweep_emulator.seed.api import UNENCRYPTED_BUCKETS_PATH, _AccountContext, _control
from cloudsweep_emulator.seed.expected import S3_BUCKET, _Inventory, _ref
from cloudsweep_emulator.seed.placements import _Placements
from cloudsweep_emulator.seed.plan import _BARE_BUCKET, _HOME_REGION, _PUBLIC_BUCKET, _bucket_name, _tags
from cloudsweep_emulator.seed.policies import _deny_insecure_transport_policy, _public_policy


def _seed_s3(
    context: _AccountContext, region: str, placements: _Placements, rng: random.Random, inventory: _Inventory
) -> None:
    # One central log bucket per account, in its home region.
    home = ("logs",) if region == _HOME_REGION else ()
    for kind in (*home, "data", *placements.bucket_kinds.get((context.plan.label, region), ())):
        _create_bucket(context, region, kind, rng, inventory)


def _create_bucket(context: _AccountContext, region: str, kind: str, rng: random.Random, inventory: _Inventory) -> None:
    # One S3 client per account: the bucket's region is its LocationConstraint, not the client's region.
    s3 = context.api("s3")
    name = _bucket_name(context.plan, kind, region)
    if region == "us-east-1":
        s3("create_bucket", Bucket=name)
    else:
        s3("create_bucket", Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    inventory.add(context.account_id, region, S3_BUCKET)
    bucket = _ref(context, region, S3_BUCKET, name, name)

    if kind == _BARE_BUCKET:
        # AWS encrypts every bucket (SSE-S3) since 2023-01-05 and no API turns it off: this one is an item AWS
        # Config recorded before then and has not recorded since, which only the emulator's control can make.
        _control(context, f"{UNENCRYPTED_BUCKETS_PATH}{name}", "POST", {})
        inventory.unencrypted_buckets.append(bucket)
        return
    s3("put_bucket_tagging", Bucket=name, Tagging={"TagSet": _tags(context.plan, name, "team-data")})
    if kind == _PUBLIC_BUCKET:
        # New buckets block public access (April 2023): the classic mistake now starts by turning that off.
        s3("delete_public_access_block", Bucket=name)
        s3("put_bucket_policy", Bucket=name, Policy=_public_policy(name))
        inventory.public_buckets.append(bucket)
        return
    s3(
        "put_public_access_block",
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    algorithm = "aws:kms" if kind == "data" else "AES256"
    s3(
        "put_bucket_encryption",
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}]
        },
    )
    if kind == "logs" or rng.random() < 0.5:
        s3("put_bucket_versioning", Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if kind == "logs":
        s3("put_bucket_policy", Bucket=name, Policy=_deny_insecure_transport_policy(name))
