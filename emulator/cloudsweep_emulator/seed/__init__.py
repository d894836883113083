"""The demo organization: a realistic multi-account AWS estate, built through the real AWS APIs.

`seed_demo` drives a running emulator the way an operator would drive AWS: the management account creates an
organization, its member accounts and OUs, then assumes `OrganizationAccountAccessRole` into each member and
builds EC2, IAM, S3, RDS, Lambda and CloudTrail resources there with ordinary boto3 calls. Whatever it creates is
moto state, so our AWS Config layer later reports it as inventory. What no AWS API can set, the root user's MFA and
access keys, goes through the emulator's `/_cloudsweep/root-users` control.

Every built-in check meets at least one planted violation, and where it can, compliant and not-applicable
resources too: tests/test_demo_outcomes.py holds the whole matrix.

The same `seed` gives the same organization: names, counts and configurations come from `random.Random(seed)`,
and moto's own identifier generator is seeded through `/moto-api/seed`, so account, organization and resource
ids repeat too, as long as nothing else talks to the emulator while it is being seeded.

The modules, in the order `seed_demo` needs them:

- `build`: `seed_demo` itself, the order of the work;
- `plan`: the blueprint, as data: the accounts and their postures, security group templates, databases,
  functions, names and tags;
- `policies`: the policy documents: trust, IAM and bucket policies;
- `placements`: where the seed's random choices put the deliberately bad things;
- `api`: talking to the emulator: boto3 clients bound to an account and a region, `SeedError`, control paths;
- `organization`: the organization, its member accounts and OUs, the roles the seed assumes into them;
- one builder per service: `iam`, `ec2`, `s3`, `account_settings` (root user, password policy), `cloudtrail`,
  `rds`, `functions` (Lambda);
- `expected`: what was built, for tests and the demo to assert on: `DemoOrganization`, `KnownViolations`,
  `CompliantExamples`, and the inventory that counts them while seeding.
"""

from __future__ import annotations

from cloudsweep_emulator.seed.api import ROOT_USER_CONTROL_PATH, UNENCRYPTED_BUCKETS_PATH, SeedError
from cloudsweep_emulator.seed.build import seed_demo
from cloudsweep_emulator.seed.expected import (
    CLOUDTRAIL_TRAIL,
    EC2_INSTANCE,
    EC2_SECURITY_GROUP,
    EC2_VOLUME,
    EC2_VPC,
    IAM_POLICY,
    IAM_ROLE,
    IAM_USER,
    LAMBDA_FUNCTION,
    RDS_DB_INSTANCE,
    S3_BUCKET,
    CompliantExamples,
    CountKey,
    DemoAccount,
    DemoOrganization,
    KnownViolations,
    OpenIngressRule,
    ResourceRef,
)
from cloudsweep_emulator.seed.plan import (
    ADMINISTRATOR_ACCESS,
    AUDIT_ROLE_NAME,
    DEMO_REGIONS,
    GLOBAL_REGION,
    MANAGEMENT_ACCOUNT_ID,
    ORGANIZATION_ACCESS_ROLE_NAME,
    WORLD_IPV4,
    WORLD_IPV6,
)

__all__ = [
    "ADMINISTRATOR_ACCESS",
    "AUDIT_ROLE_NAME",
    "CLOUDTRAIL_TRAIL",
    "DEMO_REGIONS",
    "EC2_INSTANCE",
    "EC2_SECURITY_GROUP",
    "EC2_VOLUME",
    "EC2_VPC",
    "GLOBAL_REGION",
    "IAM_POLICY",
    "IAM_ROLE",
    "IAM_USER",
    "LAMBDA_FUNCTION",
    "MANAGEMENT_ACCOUNT_ID",
    "ORGANIZATION_ACCESS_ROLE_NAME",
    "RDS_DB_INSTANCE",
    "ROOT_USER_CONTROL_PATH",
    "S3_BUCKET",
    "UNENCRYPTED_BUCKETS_PATH",
    "WORLD_IPV4",
    "WORLD_IPV6",
    "CompliantExamples",
    "CountKey",
    "DemoAccount",
    "DemoOrganization",
    "KnownViolations",
    "OpenIngressRule",
    "ResourceRef",
    "SeedError",
    "seed_demo",
]
