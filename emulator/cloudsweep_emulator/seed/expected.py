"""What the demo built, for tests and the demo to assert on: the organization, its accounts, the violations and the
compliant examples it planted, and the inventory that counts them while seeding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudsweep_emulator.seed.api import _AccountContext

EC2_INSTANCE = "AWS::EC2::Instance"
EC2_SECURITY_GROUP = "AWS::EC2::SecurityGroup"
EC2_VOLUME = "AWS::EC2::Volume"
EC2_VPC = "AWS::EC2::VPC"
IAM_USER = "AWS::IAM::User"
IAM_ROLE = "AWS::IAM::Role"
IAM_POLICY = "AWS::IAM::Policy"
S3_BUCKET = "AWS::S3::Bucket"
RDS_DB_INSTANCE = "AWS::RDS::DBInstance"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
CLOUDTRAIL_TRAIL = "AWS::CloudTrail::Trail"

# (account id, region or "global", AWS Config resource type)
CountKey = tuple[str, str, str]


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    name: str  # as AWS Organizations reports it: moto names the management account "master"
    email: str
    ou_name: str | None  # None: directly under the organization root (the management account)
    audit_role_arn: str
    is_management: bool = False


@dataclass(frozen=True)
class ResourceRef:
    account_id: str
    region: str
    resource_type: str
    resource_id: str
    resource_name: str | None  # as AWS Config names it: None for an untagged volume


@dataclass(frozen=True)
class OpenIngressRule:
    """One security group ingress permission open to the whole internet."""

    account_id: str
    region: str
    group_id: str
    group_name: str
    ip_protocol: str  # "tcp", "icmp" or "-1" (all traffic)
    from_port: int | None  # None for "-1"; -1 for "all ICMP types"
    to_port: int | None
    cidr: str  # 0.0.0.0/0 or ::/0


@dataclass(frozen=True)
class KnownViolations:
    """What the demo plants on purpose, for tests and the demo to assert on.

    `open_ingress` lists only the planted bad rules: every region of the workload accounts also has a web
    security group open to the world on 80 and 443 by design, which common checks authorize.
    """

    open_ingress: tuple[OpenIngressRule, ...]
    unused_iam_users: tuple[ResourceRef, ...]  # have credentials, none of them ever used
    admin_policies: tuple[ResourceRef, ...]  # customer-managed, Allow "*" on "*"
    stopped_instances: tuple[ResourceRef, ...]
    instances_missing_cost_center: tuple[ResourceRef, ...]
    unattached_volumes: tuple[ResourceRef, ...]
    unencrypted_volumes: tuple[ResourceRef, ...]
    # bucket policy grants s3:GetObject and s3:PutObject (uploads/*) to "*", no public access block
    public_buckets: tuple[ResourceRef, ...]
    unencrypted_buckets: tuple[ResourceRef, ...]  # no default encryption configuration
    unapproved_ami_instances: tuple[ResourceRef, ...]  # launched from an AMI not in _AMI_BY_REGION
    public_db_instances: tuple[ResourceRef, ...]  # publicly accessible, unencrypted, no CostCenter tag
    public_functions: tuple[ResourceRef, ...]  # resource policy lets Principal "*" invoke them
    regions_without_trail: tuple[tuple[str, str], ...]  # (account id, region): no trail logs there
    root_without_mfa: tuple[str, ...]  # account ids whose root user has a password and no MFA device
    root_access_keys: tuple[str, ...]  # account ids whose root user has an access key
    weak_password_policies: tuple[str, ...]  # account ids with a password policy short of CIS
    no_password_policy: tuple[str, ...]  # account ids with no password policy at all


@dataclass(frozen=True)
class CompliantExamples:
    """What the demo plants so that checks also see compliant and not-applicable resources, for tests to assert on."""

    imdsv2_instances: tuple[ResourceRef, ...]  # require IMDSv2 (httpTokens required)
    closed_default_groups: tuple[ResourceRef, ...]  # a VPC's default security group with every rule removed
    mfa_users: tuple[ResourceRef, ...]  # IAM users with a virtual MFA device
    boundary_policies: tuple[ResourceRef, ...]  # customer managed, used only as a role's permissions boundary
    private_db_instances: tuple[ResourceRef, ...]  # not public, encrypted with a customer managed KMS key
    private_functions: tuple[ResourceRef, ...]  # no resource policy, or one scoped to the account
    root_without_credentials: tuple[str, ...]  # account ids whose root credentials were removed
    strong_password_policies: tuple[str, ...]  # account ids with a CIS-strength password policy


@dataclass(frozen=True)
class DemoOrganization:
    seed: int
    organization_id: str
    management_account_id: str
    accounts: tuple[DemoAccount, ...]  # management first, then the members in creation order
    regions: tuple[str, ...]
    audit_role_name: str
    organization_access_role_name: str
    # What seed_demo created. Root volumes made by RunInstances count as created.
    counts: Mapping[CountKey, int]
    # What AWS (moto) made on its own: a default VPC and its default security group per account-region,
    # and OrganizationAccountAccessRole in every member account. Config lists these too.
    provider_defaults: Mapping[CountKey, int]
    known_violations: KnownViolations
    compliant_examples: CompliantExamples

    def __deepcopy__(self, memo: dict[int, Any]) -> DemoOrganization:
        return self  # immutable all the way down (tuples, frozen values, read-only mappings)

    @property
    def members(self) -> tuple[DemoAccount, ...]:
        return tuple(account for account in self.accounts if not account.is_management)

    def account(self, name: str) -> DemoAccount:
        for account in self.accounts:
            if account.name == name:
                return account
        raise KeyError(name)

    def count(self, account_id: str, region: str, resource_type: str) -> int:
        return self.counts.get((account_id, region, resource_type), 0)

    def total(self, resource_type: str | None = None) -> int:
        return sum(n for (_, _, kind), n in self.counts.items() if resource_type in (None, kind))


@dataclass
class _Inventory:
    """What has been created so far: mutable while seeding, frozen into the DemoOrganization at the end."""

    counts: dict[CountKey, int] = field(default_factory=dict)
    defaults: dict[CountKey, int] = field(default_factory=dict)
    open_ingress: list[OpenIngressRule] = field(default_factory=list)
    unused_iam_users: list[ResourceRef] = field(default_factory=list)
    admin_policies: list[ResourceRef] = field(default_factory=list)
    stopped_instances: list[ResourceRef] = field(default_factory=list)
    instances_missing_cost_center: list[ResourceRef] = field(default_factory=list)
    unattached_volumes: list[ResourceRef] = field(default_factory=list)
    unencrypted_volumes: list[ResourceRef] = field(default_factory=list)
    public_buckets: list[ResourceRef] = field(default_factory=list)
    unencrypted_buckets: list[ResourceRef] = field(default_factory=list)
    unapproved_ami_instances: list[ResourceRef] = field(default_factory=list)
    public_db_instances: list[ResourceRef] = field(default_factory=list)
    public_functions: list[ResourceRef] = field(default_factory=list)
    regions_without_trail: list[tuple[str, str]] = field(default_factory=list)
    root_without_mfa: list[str] = field(default_factory=list)
    root_access_keys: list[str] = field(default_factory=list)
    weak_password_policies: list[str] = field(default_factory=list)
    no_password_policy: list[str] = field(default_factory=list)
    imdsv2_instances: list[ResourceRef] = field(default_factory=list)
    closed_default_groups: list[ResourceRef] = field(default_factory=list)
    mfa_users: list[ResourceRef] = field(default_factory=list)
    boundary_policies: list[ResourceRef] = field(default_factory=list)
    private_db_instances: list[ResourceRef] = field(default_factory=list)
    private_functions: list[ResourceRef] = field(default_factory=list)
    root_without_credentials: list[str] = field(default_factory=list)
    strong_password_policies: list[str] = field(default_factory=list)

    def add(self, account_id: str, region: str, resource_type: str, n: int = 1) -> None:
        key = (account_id, region, resource_type)
        self.counts[key] = self.counts.get(key, 0) + n

    def add_default(self, account_id: str, region: str, resource_type: str, n: int = 1) -> None:
        key = (account_id, region, resource_type)
        self.defaults[key] = self.defaults.get(key, 0) + n

    def violations(self) -> KnownViolations:
        return KnownViolations(
            open_ingress=tuple(self.open_ingress),
            unused_iam_users=tuple(self.unused_iam_users),
            admin_policies=tuple(self.admin_policies),
            stopped_instances=tuple(self.stopped_instances),
            instances_missing_cost_center=tuple(self.instances_missing_cost_center),
            unattached_volumes=tuple(self.unattached_volumes),
            unencrypted_volumes=tuple(self.unencrypted_volumes),
            public_buckets=tuple(self.public_buckets),
            unencrypted_buckets=tuple(self.unencrypted_buckets),
            unapproved_ami_instances=tuple(self.unapproved_ami_instances),
            public_db_instances=tuple(self.public_db_instances),
            public_functions=tuple(self.public_functions),
            regions_without_trail=tuple(self.regions_without_trail),
            root_without_mfa=tuple(self.root_without_mfa),
            root_access_keys=tuple(self.root_access_keys),
            weak_password_policies=tuple(self.weak_password_policies),
            no_password_policy=tuple(self.no_password_policy),
        )

    def compliant(self) -> CompliantExamples:
        return CompliantExamples(
            imdsv2_instances=tuple(self.imdsv2_instances),
            closed_default_groups=tuple(self.closed_default_groups),
            mfa_users=tuple(self.mfa_users),
            boundary_policies=tuple(self.boundary_policies),
            private_db_instances=tuple(self.private_db_instances),
            private_functions=tuple(self.private_functions),
            root_without_credentials=tuple(self.root_without_credentials),
            strong_password_policies=tuple(self.strong_password_policies),
        )


def _ref(context: _AccountContext, region: str, resource_type: str, resource_id: str, name: str | None) -> ResourceRef:
    return ResourceRef(context.account_id, region, resource_type, resource_id, name)
