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
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import json
import random
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from cloudsweep_emulator.boto import create_client
from cloudsweep_emulator.identifiers import dbi_resource_id

MANAGEMENT_ACCOUNT_ID = "123456789012"
DEMO_REGIONS: tuple[str, ...] = ("us-east-1", "eu-west-1")
_HOME_REGION = DEMO_REGIONS[0]  # where each account keeps its central log bucket and batch work
GLOBAL_REGION = "global"
AUDIT_ROLE_NAME = "CloudSweepAudit"
ORGANIZATION_ACCESS_ROLE_NAME = "OrganizationAccountAccessRole"

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
ROOT_USER_CONTROL_PATH = "/_cloudsweep/root-users"
ADMINISTRATOR_ACCESS = "AdministratorAccess"
# cloudsweep_emulator.todays_defaults serves it (this module stays free of moto).
UNENCRYPTED_BUCKETS_PATH = "/_cloudsweep/unencrypted-buckets/"

WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"

# (account id, region or "global", AWS Config resource type)
CountKey = tuple[str, str, str]


class SeedError(Exception):
    """Seeding failed; the message names the account, region and step."""

    def __init__(self, message: str, *, account: str | None = None, region: str | None = None) -> None:
        super().__init__(message)
        self.account = account
        self.region = region


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


def seed_demo(endpoint_url: str, *, seed: int = 42) -> DemoOrganization:
    """Build the demo organization in the emulator at `endpoint_url` and describe what was built.

    Expects a freshly reset emulator: bucket names and the organization itself would collide otherwise.
    """
    with _garbage_collection_paused():
        return _seed(endpoint_url, seed)


@contextlib.contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    # Seeding allocates a few hundred thousand short-lived objects on top of moto's and botocore's long-lived
    # ones, and each full collection walks them all (~150 ms, several per seed) to free next to nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _seed(endpoint_url: str, seed: int) -> DemoOrganization:
    rng = random.Random(seed)  # noqa: S311  (deterministic demo data)
    clients = _ClientFactory(endpoint_url)
    management = _AccountContext(_MANAGEMENT_PLAN, MANAGEMENT_ACCOUNT_ID, _MANAGEMENT_CREDENTIALS, clients)
    _check_management_identity(management)
    _seed_moto_identifiers(endpoint_url, seed)

    organization_id = _create_organization(management)
    ou_ids = _create_organizational_units(management)
    members = [_create_member_account(management, plan, ou_ids) for plan in _MEMBER_PLANS]
    contexts = [management, *members]
    placements = _place_violations(rng, [context.plan.label for context in contexts])

    inventory = _Inventory()
    audit_role_arns = {context.account_id: _seed_account(context, placements, rng, inventory) for context in contexts}
    for member in members:
        inventory.add_default(member.account_id, GLOBAL_REGION, IAM_ROLE)

    return DemoOrganization(
        seed=seed,
        organization_id=organization_id,
        management_account_id=MANAGEMENT_ACCOUNT_ID,
        accounts=_describe_accounts(management, contexts, audit_role_arns),
        regions=DEMO_REGIONS,
        audit_role_name=AUDIT_ROLE_NAME,
        organization_access_role_name=ORGANIZATION_ACCESS_ROLE_NAME,
        counts=MappingProxyType(dict(inventory.counts)),
        provider_defaults=MappingProxyType(dict(inventory.defaults)),
        known_violations=inventory.violations(),
        compliant_examples=inventory.compliant(),
    )


# --- The blueprint ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TrailPlan:
    name: str
    region: str  # its home region: AWS Config records a trail there, and only there
    multi_region: bool = False  # logs every region (DescribeTrails lists it everywhere as a shadow trail)


@dataclass(frozen=True)
class _Posture:
    """The account-wide settings: root user, password policy, trails, and how hardened the workloads are."""

    root_user: Mapping[str, Any]  # the body of PUT /_cloudsweep/root-users/ACCOUNT
    password_policy: Mapping[str, Any] | None  # UpdateAccountPasswordPolicy's parameters; None: no policy
    trails: tuple[_TrailPlan, ...]
    # IMDSv2 on the web tier, default security groups emptied, an MFA device for every person.
    hardened: bool = False


_CIS_PASSWORD_POLICY: Mapping[str, Any] = MappingProxyType(
    {
        "MinimumPasswordLength": 14,
        "RequireSymbols": True,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True,
        "PasswordReusePrevention": 24,
        "MaxPasswordAge": 90,
    }
)
_WEAK_PASSWORD_POLICY: Mapping[str, Any] = MappingProxyType({"MinimumPasswordLength": 8})
_ROOT_WITH_MFA: Mapping[str, Any] = MappingProxyType({"mfa_active": True})
# Centralized root access: the member's root user has no password, MFA device or access key left.
_ROOT_WITHOUT_CREDENTIALS: Mapping[str, Any] = MappingProxyType(
    {"password_enabled": False, "mfa_active": False, "access_keys": []}
)
_ROOT_WITH_ACCESS_KEY: Mapping[str, Any] = MappingProxyType({"mfa_active": False, "access_keys": [{"active": True}]})


@dataclass(frozen=True)
class _AccountPlan:
    label: str  # our short name: resource names and tags use it
    email: str
    ou_name: str | None
    environment: str
    cost_center: str
    fleet_scale: int  # 0: no workloads, only a bastion, as AWS recommends for a management account
    batch_instances: int  # in the first region only; prod's exceeds 100 so Config paging (100) is exercised
    human_users: int
    # Only prod encrypts EBS. Besides being a typical finding, this keeps seeding fast: moto makes each
    # account-region's aws/ebs KMS key on first use, with an RSA key pair (~30 ms) behind it.
    encrypts_ebs: bool

    @property
    def posture(self) -> _Posture:
        return _POSTURES[self.label]


_MANAGEMENT_PLAN = _AccountPlan("management", "master@example.com", None, "shared", "CC-1000", 0, 0, 2, False)
_MEMBER_PLANS = (
    _AccountPlan("prod", "aws-prod@example.com", "Workloads", "production", "CC-2000", 3, 90, 2, True),
    _AccountPlan("staging", "aws-staging@example.com", "Workloads", "staging", "CC-3000", 2, 0, 1, False),
    _AccountPlan("sandbox", "aws-sandbox@example.com", "Sandbox", "sandbox", "CC-4000", 1, 0, 1, False),
)
# By account label.
_POSTURES: Mapping[str, _Posture] = MappingProxyType(
    {
        "management": _Posture(_ROOT_WITH_MFA, None, (_TrailPlan("management-audit", "us-east-1"),)),
        "prod": _Posture(
            _ROOT_WITH_MFA,
            _CIS_PASSWORD_POLICY,
            # One multi-region trail: recorded by Config in us-east-1 only, yet every region is covered.
            (_TrailPlan("prod-audit", "us-east-1", multi_region=True),),
            hardened=True,
        ),
        "staging": _Posture(_ROOT_WITH_ACCESS_KEY, _WEAK_PASSWORD_POLICY, (_TrailPlan("staging-audit", "us-east-1"),)),
        "sandbox": _Posture(_ROOT_WITHOUT_CREDENTIALS, None, ()),
    }
)
_OU_NAMES = ("Workloads", "Sandbox")
_ROOT = "Root"


@dataclass(frozen=True)
class _Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


# moto resolves any access key it did not issue to its default account, which is our management account.
_MANAGEMENT_CREDENTIALS = _Credentials("AKIACLOUDSWEEPDEMO00", "cloudsweep-demo-management-secret")

# MOTO_EC2_LOAD_DEFAULT_AMIS=false leaves no AMIs, and moto only checks ImageId when
# MOTO_ENABLE_AMI_VALIDATION is set, so fixed, realistic-looking ids stand in for a golden image.
_AMI_BY_REGION = {"us-east-1": "ami-0c02fb55956c7d316", "eu-west-1": "ami-0d71ea30463e0ff8d"}

_HUMAN_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
_DEMO_PASSWORD = "CloudSweep-Demo-Passw0rd!"  # noqa: S105  (the demo's fake console password)


@dataclass(frozen=True)
class _Ingress:
    protocol: str
    from_port: int | None = None
    to_port: int | None = None
    cidr: str | None = None
    source_group: str | None = None  # another template's name, in the same VPC


@dataclass(frozen=True)
class _GroupTemplate:
    name: str
    description: str
    ingress: tuple[_Ingress, ...]
    owner: str


_COMPLIANT_GROUPS = (
    _GroupTemplate(
        "web",
        "Public HTTP and HTTPS",
        (_Ingress("tcp", 443, 443, cidr=WORLD_IPV4), _Ingress("tcp", 80, 80, cidr=WORLD_IPV4)),
        "team-frontend",
    ),
    _GroupTemplate(
        "app",
        "Application tier, scraped by Prometheus",
        (_Ingress("tcp", 8080, 8080, source_group="web"), _Ingress("tcp", 9100, 9100, cidr="172.16.0.0/12")),
        "team-backend",
    ),
    _GroupTemplate(
        "db",
        "PostgreSQL from the app tier and the office VPN",
        (_Ingress("tcp", 5432, 5432, source_group="app"), _Ingress("tcp", 5432, 5432, cidr="10.20.0.0/16")),
        "team-data",
    ),
    _GroupTemplate(
        "admin-ssh", "SSH from the corporate network", (_Ingress("tcp", 22, 22, cidr="10.0.0.0/8"),), "team-platform"
    ),
)

_VIOLATING_GROUPS = (
    _GroupTemplate("legacy-ssh", "Old bastion access", (_Ingress("tcp", 22, 22, cidr=WORLD_IPV4),), "team-platform"),
    _GroupTemplate("windows-rdp", "Remote desktop", (_Ingress("tcp", 3389, 3389, cidr=WORLD_IPV4),), "team-it"),
    _GroupTemplate("debug-all-traffic", "Temporary debugging", (_Ingress("-1", cidr=WORLD_IPV4),), "team-backend"),
    _GroupTemplate(
        "dev-ipv6-range", "Dev servers over IPv6", (_Ingress("tcp", 8000, 8100, cidr=WORLD_IPV6),), "team-backend"
    ),
    _GroupTemplate(
        "ping-anywhere", "ICMP for diagnostics", (_Ingress("icmp", -1, -1, cidr=WORLD_IPV4),), "team-network"
    ),
)


@dataclass(frozen=True)
class _DatabasePlan:
    account: str  # the account's label
    region: str
    name: str
    engine: str
    public: bool
    encrypted: bool  # with a customer managed KMS key of its own
    cost_center_tag: bool


_DATABASES = (
    _DatabasePlan("prod", "us-east-1", "orders", "postgres", public=False, encrypted=True, cost_center_tag=True),
    # A reporting copy someone opened up to query it from a laptop.
    _DatabasePlan("staging", "eu-west-1", "analytics", "mysql", public=True, encrypted=False, cost_center_tag=False),
)
_PUBLIC_ACCESS = "public"  # Principal "*" may invoke the function
_ACCOUNT_ACCESS = "account"  # S3 in the function's own account may invoke it
_NO_POLICY = "none"


@dataclass(frozen=True)
class _FunctionPlan:
    account: str
    region: str
    name: str
    access: str  # _PUBLIC_ACCESS, _ACCOUNT_ACCESS or _NO_POLICY


_FUNCTIONS = (
    _FunctionPlan("prod", "us-east-1", "thumbnailer", _PUBLIC_ACCESS),
    _FunctionPlan("prod", "us-east-1", "orders-webhook", _ACCOUNT_ACCESS),
    _FunctionPlan("staging", "eu-west-1", "report-builder", _NO_POLICY),
)
_LAMBDA_ROLE = "lambda-exec"
# A community image someone tried out: not one of _AMI_BY_REGION's golden images.
_UNAPPROVED_AMI = "ami-0a1b2c3d4e5f60718"
_UNAPPROVED_AMI_PLACES = (("sandbox", "eu-west-1"),)  # (account label, region)
_BOUNDARY_POLICY = "DeveloperBoundary"
_BOUNDED_ROLE = "developer"
_BOUNDARY_ACCOUNTS = ("sandbox",)

_PUBLIC_BUCKET = "public-assets"
_BARE_BUCKET = "scratch"
_LEGACY_ADMIN = "legacy-admin"
_LEGACY_ADMIN_POLICY = "LegacyAdministrator"
_FORMER_CONTRACTOR = "former-contractor"


@dataclass(frozen=True)
class _Placements:
    """Where the seed put the deliberately bad things."""

    groups: Mapping[tuple[str, str], tuple[_GroupTemplate, ...]]  # (account label, region)
    bucket_kinds: Mapping[tuple[str, str], tuple[str, ...]]
    account_extras: Mapping[str, tuple[str, ...]]  # account label -> IAM extras

    def violating_groups(self, label: str, region: str) -> tuple[_GroupTemplate, ...]:
        return self.groups.get((label, region), ())


def _place_violations(rng: random.Random, labels: Sequence[str]) -> _Placements:
    account_regions = [(label, region) for label in labels for region in DEMO_REGIONS]
    groups: dict[tuple[str, str], list[_GroupTemplate]] = {}
    for template in _VIOLATING_GROUPS:
        for where in rng.sample(account_regions, k=rng.randint(1, 3)):
            groups.setdefault(where, []).append(template)
    bucket_kinds: dict[tuple[str, str], list[str]] = {}
    for kind in (_PUBLIC_BUCKET, _BARE_BUCKET):
        for where in rng.sample(account_regions, k=rng.randint(2, 3)):
            bucket_kinds.setdefault(where, []).append(kind)
    account_extras: dict[str, list[str]] = {}
    for extra in (_LEGACY_ADMIN, _FORMER_CONTRACTOR):
        for label in rng.sample(list(labels), k=2):
            account_extras.setdefault(label, []).append(extra)
    return _Placements(
        groups={where: _in_declared_order(found, _VIOLATING_GROUPS) for where, found in groups.items()},
        bucket_kinds={where: tuple(sorted(kinds)) for where, kinds in bucket_kinds.items()},
        account_extras={label: tuple(sorted(extras)) for label, extras in account_extras.items()},
    )


def _in_declared_order(found: list[_GroupTemplate], declared: Sequence[_GroupTemplate]) -> tuple[_GroupTemplate, ...]:
    return tuple(template for template in declared if template in found)


# --- Talking to the emulator --------------------------------------------------------------------------------


# Fail fast: seeding talks to a local emulator, where a retry only hides the problem and slows the failure.
_CLIENT_CONFIG = BotoConfig(
    retries={"total_max_attempts": 1},
    connect_timeout=5,
    read_timeout=60,
    s3={"addressing_style": "path"},
)


class _Api:
    """A boto3 client bound to the account and region it acts in; every failure becomes a SeedError."""

    def __init__(self, client: Any, account_id: str, account_label: str, region: str) -> None:
        self._client = client
        self._account_id = account_id
        self._account_label = account_label
        self._region = region

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self._client, operation)(**params)
        except (BotoCoreError, ClientError) as exc:
            raise SeedError(
                f"seeding {self._account_label} in {self._region}: {operation}{_target_of(params)} failed: {exc}",
                account=self._account_id,
                region=self._region,
            ) from exc
        return response


def _target_of(params: Mapping[str, Any]) -> str:
    for key in (
        "GroupName",
        "GroupId",
        "Bucket",
        "UserName",
        "RoleName",
        "PolicyName",
        "Name",
        "AccountName",
        "DBInstanceIdentifier",
        "FunctionName",
    ):
        if key in params:
            return f" ({key}={params[key]})"
    return ""


class _ClientFactory:
    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def api(self, service: str, region: str, credentials: _Credentials, account_id: str, account_label: str) -> _Api:
        client = create_client(
            service,
            region_name=region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            config=_CLIENT_CONFIG,
        )
        return _Api(client, account_id, account_label, region)


class _AccountContext:
    """One account being seeded: its plan, credentials, and one client per service and region."""

    def __init__(self, plan: _AccountPlan, account_id: str, credentials: _Credentials, clients: _ClientFactory) -> None:
        self.plan = plan
        self.account_id = account_id
        self.credentials = credentials
        self.clients = clients
        self.label = f"account {plan.label} ({account_id})"
        self._apis: dict[tuple[str, str], _Api] = {}

    def api(self, service: str, region: str = "us-east-1") -> _Api:
        key = (service, region)
        if key not in self._apis:
            self._apis[key] = self.clients.api(service, region, self.credentials, self.account_id, self.label)
        return self._apis[key]

    def api_as(self, credentials: _Credentials, service: str, region: str = "us-east-1") -> _Api:
        return self.clients.api(service, region, credentials, self.account_id, self.label)


def _check_management_identity(management: _AccountContext) -> None:
    identity = management.api("sts")("get_caller_identity")
    if identity["Account"] != MANAGEMENT_ACCOUNT_ID:
        raise SeedError(
            f"the emulator at {management.clients.endpoint_url} resolved the seed's credentials to account "
            f"{identity['Account']}, expected moto's default account {MANAGEMENT_ACCOUNT_ID}",
            account=identity["Account"],
        )


def _seed_moto_identifiers(endpoint_url: str, seed: int) -> None:
    # moto draws every generated id from one process-wide Random; seeding it makes ids repeat per seed.
    request = urllib.request.Request(f"{endpoint_url}/moto-api/seed?a={seed}", method="POST", data=b"")  # noqa: S310  (the emulator on loopback)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            response.read()
    except OSError as exc:  # urllib's URLError and HTTPError included
        raise SeedError(f"seeding moto's id generator at {endpoint_url}/moto-api/seed failed: {exc}") from exc


# --- The organization ---------------------------------------------------------------------------------------


def _create_organization(management: _AccountContext) -> str:
    organizations = management.api("organizations")
    organization = organizations("create_organization", FeatureSet="ALL")["Organization"]
    return str(organization["Id"])


def _create_member_account(
    management: _AccountContext, plan: _AccountPlan, ou_ids: Mapping[str, str]
) -> _AccountContext:
    organizations = management.api("organizations")
    status = organizations("create_account", AccountName=plan.label, Email=plan.email)["CreateAccountStatus"]
    account_id = str(_wait_for_account(organizations, status)["AccountId"])
    if plan.ou_name is not None:
        organizations(
            "move_account",
            AccountId=account_id,
            SourceParentId=ou_ids[_ROOT],
            DestinationParentId=ou_ids[plan.ou_name],
        )
    credentials = _assume_role(management, account_id, ORGANIZATION_ACCESS_ROLE_NAME)
    member = _AccountContext(plan, account_id, credentials, management.clients)
    _ensure_organization_access_role(member)
    return member


def _wait_for_account(organizations: _Api, status: dict[str, Any]) -> dict[str, Any]:
    # AWS creates accounts asynchronously; moto finishes at once, so this normally returns immediately.
    for _ in range(50):
        if status["State"] == "SUCCEEDED":
            return status
        if status["State"] == "FAILED":
            raise SeedError(
                f"seeding the organization: CreateAccount {status.get('AccountName')} failed: "
                f"{status.get('FailureReason')}"
            )
        status = organizations("describe_create_account_status", CreateAccountRequestId=status["Id"])[
            "CreateAccountStatus"
        ]
    raise SeedError(f"seeding the organization: account {status.get('AccountName')} never finished creating")


def _create_organizational_units(management: _AccountContext) -> dict[str, str]:
    """Create the OUs under the root; return their ids by name, and the root's under `_ROOT`."""
    organizations = management.api("organizations")
    root_id = str(organizations("list_roots")["Roots"][0]["Id"])
    ou_ids = {_ROOT: root_id}
    for name in _OU_NAMES:
        created = organizations("create_organizational_unit", ParentId=root_id, Name=name)
        ou_ids[name] = str(created["OrganizationalUnit"]["Id"])
    return ou_ids


def _assume_role(management: _AccountContext, account_id: str, role_name: str) -> _Credentials:
    response = management.api("sts")(
        "assume_role", RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}", RoleSessionName="cloudsweep-demo-seed"
    )
    credentials = response["Credentials"]
    return _Credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


def _ensure_organization_access_role(member: _AccountContext) -> None:
    # AWS Organizations creates this role in every account it creates, and moto 5.2.5 does too; create it
    # only if this emulator did not, so the organization looks the same either way.
    iam = member.api("iam")
    try:
        iam("get_role", RoleName=ORGANIZATION_ACCESS_ROLE_NAME)
    except SeedError as exc:
        if not _is_no_such_entity(exc):
            raise
        iam(
            "create_role",
            RoleName=ORGANIZATION_ACCESS_ROLE_NAME,
            AssumeRolePolicyDocument=_trust_account(MANAGEMENT_ACCOUNT_ID),
        )
        # As AWS Organizations makes it: the AWS managed AdministratorAccess attached.
        iam(
            "attach_role_policy",
            RoleName=ORGANIZATION_ACCESS_ROLE_NAME,
            PolicyArn=f"arn:aws:iam::aws:policy/{ADMINISTRATOR_ACCESS}",
        )


def _is_no_such_entity(exc: SeedError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == "NoSuchEntity"


def _describe_accounts(
    management: _AccountContext, contexts: Sequence[_AccountContext], audit_role_arns: Mapping[str, str]
) -> tuple[DemoAccount, ...]:
    organizations = management.api("organizations")
    listed = {account["Id"]: account for account in organizations("list_accounts")["Accounts"]}
    return tuple(
        DemoAccount(
            account_id=context.account_id,
            name=str(listed[context.account_id]["Name"]),
            email=str(listed[context.account_id]["Email"]),
            ou_name=context.plan.ou_name,
            audit_role_arn=audit_role_arns[context.account_id],
            is_management=context.account_id == MANAGEMENT_ACCOUNT_ID,
        )
        for context in contexts
    )


# --- What was created ---------------------------------------------------------------------------------------


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


def _seed_account(context: _AccountContext, placements: _Placements, rng: random.Random, inventory: _Inventory) -> str:
    """Seed one account everywhere; return the ARN of its CloudSweepAudit role."""
    audit_role_arn = _seed_iam(context, placements, rng, inventory)
    for region in DEMO_REGIONS:
        _seed_ec2(context, region, placements, rng, inventory)
    for region in DEMO_REGIONS:
        _seed_s3(context, region, placements, rng, inventory)
    _seed_account_settings(context, inventory)
    for region in DEMO_REGIONS:
        _seed_databases(context, region, inventory)
        _seed_functions(context, region, inventory)
    return audit_role_arn


def _tags(plan: _AccountPlan, name: str | None, owner: str, *, cost_center: bool = True) -> list[dict[str, str]]:
    # IAM resources have their own names; a Name tag is the EC2 and S3 habit.
    tags = {"Name": name} if name is not None else {}
    tags |= {"Environment": plan.environment, "Owner": owner}
    if cost_center:
        tags["CostCenter"] = plan.cost_center
    return [{"Key": key, "Value": value} for key, value in tags.items()]


# --- IAM ----------------------------------------------------------------------------------------------------


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


def _seed_iam(context: _AccountContext, placements: _Placements, rng: random.Random, inventory: _Inventory) -> str:
    """Create the account's policies, roles and users; return the ARN of its CloudSweepAudit role."""
    extras = placements.account_extras.get(context.plan.label, ())
    policy_arns = _create_policies(context, with_admin=_LEGACY_ADMIN in extras, inventory=inventory)
    audit_role_arn = _create_roles(context, policy_arns, inventory)
    if context.plan.label in _BOUNDARY_ACCOUNTS:
        _create_bounded_role(context, inventory)
    for user in _plan_users(context.plan, extras, policy_arns, rng):
        _create_user(context, user, policy_arns, inventory)
    return audit_role_arn


def _create_bounded_role(context: _AccountContext, inventory: _Inventory) -> None:
    """A customer managed policy used only as a role's permissions boundary, attached to nothing."""
    iam = context.api("iam")
    policy = iam(
        "create_policy",
        PolicyName=_BOUNDARY_POLICY,
        PolicyDocument=_DEVELOPER_BOUNDARY,
        Tags=_tags(context.plan, None, "team-security"),
    )["Policy"]
    inventory.add(context.account_id, GLOBAL_REGION, IAM_POLICY)
    inventory.boundary_policies.append(_ref(context, GLOBAL_REGION, IAM_POLICY, policy["PolicyId"], _BOUNDARY_POLICY))
    iam(
        "create_role",
        RoleName=_BOUNDED_ROLE,
        AssumeRolePolicyDocument=_trust_account(MANAGEMENT_ACCOUNT_ID),
        PermissionsBoundary=policy["Arn"],
        Tags=_tags(context.plan, None, "team-platform"),
    )
    inventory.add(context.account_id, GLOBAL_REGION, IAM_ROLE)


def _create_policies(context: _AccountContext, *, with_admin: bool, inventory: _Inventory) -> dict[str, str]:
    """Create the customer-managed policies; return their ARNs by name."""
    iam = context.api("iam")
    policies = {
        "CloudSweepAuditAccess": _AUDIT_POLICY,
        "AppDataAccess": _app_data_policy(context.plan),
        "CiDeploy": _CI_DEPLOY_POLICY,
    }
    if with_admin:
        policies[_LEGACY_ADMIN_POLICY] = _ADMIN_POLICY
    policy_arns: dict[str, str] = {}
    for name, document in policies.items():
        policy = iam(
            "create_policy", PolicyName=name, PolicyDocument=document, Tags=_tags(context.plan, None, "team-security")
        )["Policy"]
        policy_arns[name] = policy["Arn"]
        inventory.add(context.account_id, GLOBAL_REGION, IAM_POLICY)
        if name == _LEGACY_ADMIN_POLICY:
            inventory.admin_policies.append(_ref(context, GLOBAL_REGION, IAM_POLICY, policy["PolicyId"], name))
    return policy_arns


def _create_roles(context: _AccountContext, policy_arns: Mapping[str, str], inventory: _Inventory) -> str:
    """Create the account's roles; return the ARN of CloudSweepAudit."""
    iam = context.api("iam")
    roles = (
        (AUDIT_ROLE_NAME, _trust_account(MANAGEMENT_ACCOUNT_ID), "CloudSweepAuditAccess"),
        ("app-instance", _trust_service("ec2.amazonaws.com"), "AppDataAccess"),
        ("ci-deploy", _trust_account(MANAGEMENT_ACCOUNT_ID), "CiDeploy"),
        (_LAMBDA_ROLE, _trust_service("lambda.amazonaws.com"), None),
    )
    arns: dict[str, str] = {}
    for role_name, trust, policy_name in roles:
        role = iam(
            "create_role",
            RoleName=role_name,
            AssumeRolePolicyDocument=trust,
            Tags=_tags(context.plan, None, "team-security"),
        )["Role"]
        arns[role_name] = str(role["Arn"])
        inventory.add(context.account_id, GLOBAL_REGION, IAM_ROLE)
        if policy_name is not None:
            iam("attach_role_policy", RoleName=role_name, PolicyArn=policy_arns[policy_name])
    return arns[AUDIT_ROLE_NAME]


def _plan_users(
    plan: _AccountPlan, extras: Sequence[str], policy_arns: Mapping[str, str], rng: random.Random
) -> list[_UserPlan]:
    humans = rng.sample(_HUMAN_NAMES, k=plan.human_users)
    # Whoever was given the legacy admin policy is the first human: the finding has a face.
    admin_policy = _LEGACY_ADMIN_POLICY if _LEGACY_ADMIN_POLICY in policy_arns else None
    users = [
        _UserPlan("ci-deployer", access_key=True, key_used=True, console=False, policy="CiDeploy"),
        *(
            _UserPlan(
                human,
                access_key=True,
                key_used=rng.random() < 0.6,
                console=True,
                policy=admin_policy if i == 0 else None,
            )
            for i, human in enumerate(humans)
        ),
        _UserPlan("legacy-backup", access_key=True, key_used=False, console=False, policy=None),
    ]
    if _FORMER_CONTRACTOR in extras:
        users.append(_UserPlan(_FORMER_CONTRACTOR, access_key=False, key_used=False, console=True, policy=None))
    return users


@dataclass(frozen=True)
class _UserPlan:
    name: str
    access_key: bool
    key_used: bool
    console: bool
    policy: str | None


def _create_user(
    context: _AccountContext, user: _UserPlan, policy_arns: Mapping[str, str], inventory: _Inventory
) -> None:
    iam = context.api("iam")
    owner = "team-platform" if user.name == "ci-deployer" else user.name
    created = iam("create_user", UserName=user.name, Tags=_tags(context.plan, None, owner))["User"]
    inventory.add(context.account_id, GLOBAL_REGION, IAM_USER)
    if user.console:
        iam("create_login_profile", UserName=user.name, Password=_DEMO_PASSWORD, PasswordResetRequired=False)
    if user.access_key:
        key = iam("create_access_key", UserName=user.name)["AccessKey"]
        if user.key_used:
            _use_access_key(context, _Credentials(key["AccessKeyId"], key["SecretAccessKey"]))
    if user.policy is not None:
        iam("attach_user_policy", UserName=user.name, PolicyArn=policy_arns[user.policy])
    if user.console and context.plan.posture.hardened:
        _enable_virtual_mfa(iam, user.name)
        inventory.mfa_users.append(_ref(context, GLOBAL_REGION, IAM_USER, created["UserId"], user.name))
    if not user.key_used:
        inventory.unused_iam_users.append(_ref(context, GLOBAL_REGION, IAM_USER, created["UserId"], user.name))


def _enable_virtual_mfa(iam: _Api, user_name: str) -> None:
    device = iam("create_virtual_mfa_device", VirtualMFADeviceName=user_name)["VirtualMFADevice"]
    # Two consecutive codes from the authenticator app; moto takes any six digits.
    iam(
        "enable_mfa_device",
        UserName=user_name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )


def _use_access_key(context: _AccountContext, credentials: _Credentials) -> None:
    # One signed call is enough for IAM to record the key's LastUsedDate.
    context.api_as(credentials, "sts")("get_caller_identity")


# --- EC2 ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fleet:
    role: str
    count: int
    instance_type: str
    groups: tuple[str, ...]  # template names
    encrypted_root: bool
    owner: str
    cost_center_tag: bool = True
    imdsv2: bool = False  # launched requiring session tokens for the instance metadata service
    image_id: str | None = None  # None: the region's golden image from _AMI_BY_REGION


def _plan_fleets(plan: _AccountPlan, region: str, ssh_group: str, rng: random.Random) -> list[_Fleet]:
    bastion = _Fleet("bastion", 1, rng.choice(("t2.micro", "t3.micro")), (ssh_group,), False, "team-platform")
    if plan.fleet_scale == 0:
        return [bastion]
    scale = plan.fleet_scale
    encrypts = plan.encrypts_ebs
    fleets = [
        _Fleet(
            "web",
            3 * scale,
            rng.choice(("t3.small", "t3.medium", "m5.large")),
            ("web", "app"),
            encrypts,
            "team-frontend",
            imdsv2=plan.posture.hardened,
        ),
        _Fleet(
            "worker",
            2 * scale,
            rng.choice(("t3.micro", "t2.micro", "t3.small")),
            ("app",),
            encrypts and rng.random() < 0.5,
            "team-backend",
            # nobody owns the sandbox's workers: the classic required-tags finding
            cost_center_tag=plan.environment != "sandbox",
        ),
        bastion,
    ]
    if plan.batch_instances and region == _HOME_REGION:
        fleets.append(
            _Fleet("batch", plan.batch_instances, rng.choice(("m5.large", "c5.large")), ("app",), False, "team-data")
        )
    return fleets


@dataclass(frozen=True)
class _Instance:
    instance_id: str
    name: str
    availability_zone: str


def _seed_ec2(
    context: _AccountContext, region: str, placements: _Placements, rng: random.Random, inventory: _Inventory
) -> None:
    # Every region of every account comes with a default VPC holding a "default" security group; groups
    # created without a VpcId land in that VPC, as they do in AWS.
    inventory.add_default(context.account_id, region, EC2_VPC)
    inventory.add_default(context.account_id, region, EC2_SECURITY_GROUP)

    violating = placements.violating_groups(context.plan.label, region)
    templates = (*_compliant_groups(context.plan, region), *violating)
    group_ids = _create_security_groups(context, region, templates, inventory)
    ssh_group = "legacy-ssh" if "legacy-ssh" in group_ids else "admin-ssh"
    fleets = _plan_fleets(context.plan, region, ssh_group, rng)
    if (context.plan.label, region) in _UNAPPROVED_AMI_PLACES:
        # Outside the fleets, so that their random choices, and so the rest of the estate, stay as they were.
        fleets.append(_Fleet("experiment", 1, "t3.micro", ("app",), False, "team-backend", image_id=_UNAPPROVED_AMI))
    instances = _launch_fleets(context, region, fleets, group_ids, inventory)
    _stop_some(context, region, instances, rng, inventory)
    _create_data_volumes(context, region, instances, rng, inventory)
    if context.plan.posture.hardened:
        _close_default_group(context, region, inventory)


def _close_default_group(context: _AccountContext, region: str, inventory: _Inventory) -> None:
    """Remove every rule from the VPC's default security group, as CIS asks, so nothing can use it by accident."""
    ec2 = context.api("ec2", region)
    (group,) = ec2("describe_security_groups", Filters=[{"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"
    ]
    if group["IpPermissions"]:
        ec2("revoke_security_group_ingress", GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
    if group["IpPermissionsEgress"]:
        ec2("revoke_security_group_egress", GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    inventory.closed_default_groups.append(_ref(context, region, EC2_SECURITY_GROUP, group["GroupId"], "default"))


def _compliant_groups(plan: _AccountPlan, region: str) -> tuple[_GroupTemplate, ...]:
    if plan.fleet_scale == 0:
        return tuple(template for template in _COMPLIANT_GROUPS if template.name == "admin-ssh")
    if region != _HOME_REGION:
        # The secondary region serves traffic from the home region's database.
        return tuple(template for template in _COMPLIANT_GROUPS if template.name != "db")
    return _COMPLIANT_GROUPS


def _create_security_groups(
    context: _AccountContext,
    region: str,
    templates: Iterable[_GroupTemplate],
    inventory: _Inventory,
) -> dict[str, str]:
    ec2 = context.api("ec2", region)
    group_ids: dict[str, str] = {}
    for template in templates:
        name = f"{context.plan.label}-{template.name}"
        group_id = ec2(
            "create_security_group",
            GroupName=name,
            Description=template.description,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(context.plan, name, template.owner)}],
        )["GroupId"]
        group_ids[template.name] = group_id
        inventory.add(context.account_id, region, EC2_SECURITY_GROUP)
        ec2(
            "authorize_security_group_ingress",
            GroupId=group_id,
            IpPermissions=[_ip_permission(rule, group_ids) for rule in template.ingress],
        )
        if template in _VIOLATING_GROUPS:
            inventory.open_ingress.extend(
                OpenIngressRule(
                    context.account_id, region, group_id, name, rule.protocol, rule.from_port, rule.to_port, rule.cidr
                )
                for rule in template.ingress
                if rule.cidr in (WORLD_IPV4, WORLD_IPV6)
            )
    return group_ids


def _ip_permission(rule: _Ingress, group_ids: Mapping[str, str]) -> dict[str, Any]:
    permission: dict[str, Any] = {"IpProtocol": rule.protocol}
    if rule.from_port is not None:
        permission |= {"FromPort": rule.from_port, "ToPort": rule.to_port}
    if rule.source_group is not None:
        permission["UserIdGroupPairs"] = [{"GroupId": group_ids[rule.source_group]}]
    elif rule.cidr is not None and ":" in rule.cidr:
        permission["Ipv6Ranges"] = [{"CidrIpv6": rule.cidr, "Description": "anywhere"}]
    elif rule.cidr is not None:
        permission["IpRanges"] = [{"CidrIp": rule.cidr}]
    return permission


def _launch_fleets(
    context: _AccountContext,
    region: str,
    fleets: Iterable[_Fleet],
    group_ids: Mapping[str, str],
    inventory: _Inventory,
) -> dict[str, list[_Instance]]:
    ec2 = context.api("ec2", region)
    launched: dict[str, list[_Instance]] = {}
    for fleet in fleets:
        name = f"{context.plan.label}-{fleet.role}"
        tags = _tags(context.plan, name, fleet.owner, cost_center=fleet.cost_center_tag)
        options: dict[str, Any] = {}
        if fleet.imdsv2:
            options["MetadataOptions"] = {"HttpTokens": "required", "HttpEndpoint": "enabled"}
        reservation = ec2(
            "run_instances",
            ImageId=fleet.image_id or _AMI_BY_REGION[region],
            InstanceType=fleet.instance_type,
            MinCount=fleet.count,
            MaxCount=fleet.count,
            SecurityGroupIds=[group_ids[group] for group in fleet.groups],
            BlockDeviceMappings=[
                {
                    "DeviceName": "/dev/xvda",
                    "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "Encrypted": fleet.encrypted_root},
                }
            ],
            # Root volumes stay untagged, as they do whenever a launch names no volume tags. It also keeps
            # big fleets fast: moto looks up each instance's tags by scanning every tag in the region.
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
            **options,
        )
        instances = [
            _Instance(item["InstanceId"], name, item["Placement"]["AvailabilityZone"])
            for item in reservation["Instances"]
        ]
        launched[fleet.role] = instances
        inventory.add(context.account_id, region, EC2_INSTANCE, len(instances))
        inventory.add(context.account_id, region, EC2_VOLUME, len(instances))
        for item in reservation["Instances"]:
            if not fleet.encrypted_root:
                inventory.unencrypted_volumes.extend(
                    _ref(context, region, EC2_VOLUME, mapping["Ebs"]["VolumeId"], None)
                    for mapping in item["BlockDeviceMappings"]
                )
        refs = [_ref(context, region, EC2_INSTANCE, instance.instance_id, name) for instance in instances]
        if not fleet.cost_center_tag:
            inventory.instances_missing_cost_center.extend(refs)
        if fleet.imdsv2:
            inventory.imdsv2_instances.extend(refs)
        if fleet.image_id is not None:
            inventory.unapproved_ami_instances.extend(refs)
    return launched


def _stop_some(
    context: _AccountContext,
    region: str,
    instances: Mapping[str, list[_Instance]],
    rng: random.Random,
    inventory: _Inventory,
) -> None:
    candidates = instances.get("worker", []) + instances.get("batch", [])
    stopped = rng.sample(candidates, k=min(len(candidates), rng.randint(1, 3)))
    if not stopped:
        return
    context.api("ec2", region)("stop_instances", InstanceIds=[instance.instance_id for instance in stopped])
    inventory.stopped_instances.extend(
        _ref(context, region, EC2_INSTANCE, instance.instance_id, instance.name) for instance in stopped
    )


def _create_data_volumes(
    context: _AccountContext,
    region: str,
    instances: Mapping[str, list[_Instance]],
    rng: random.Random,
    inventory: _Inventory,
) -> None:
    ec2 = context.api("ec2", region)
    first_host = next(iter(instances.values()))[0]
    encrypts = context.plan.encrypts_ebs
    volumes = [
        # (name suffix, size GiB, type, encrypted, attach to)
        ("data", 100, "gp3", encrypts and rng.random() < 0.5, first_host),
        ("scratch", 10, "gp2", False, None),
    ]
    if region == _HOME_REGION:
        volumes.append(("archive", 50, "sc1", encrypts, None))
    for suffix, size, volume_type, encrypted, attach_to in volumes:
        name = f"{context.plan.label}-{suffix}"
        availability_zone = attach_to.availability_zone if attach_to else f"{region}a"
        volume_id = ec2(
            "create_volume",
            AvailabilityZone=availability_zone,
            Size=size,
            VolumeType=volume_type,
            Encrypted=encrypted,
            TagSpecifications=[{"ResourceType": "volume", "Tags": _tags(context.plan, name, "team-data")}],
        )["VolumeId"]
        inventory.add(context.account_id, region, EC2_VOLUME)
        volume = _ref(context, region, EC2_VOLUME, volume_id, name)
        if attach_to is None:
            inventory.unattached_volumes.append(volume)
        else:
            ec2("attach_volume", VolumeId=volume_id, InstanceId=attach_to.instance_id, Device="/dev/sdf")
        if not encrypted:
            inventory.unencrypted_volumes.append(volume)


# --- S3 -----------------------------------------------------------------------------------------------------


def _bucket_name(plan: _AccountPlan, kind: str, region: str) -> str:
    return f"cloudsweep-demo-{plan.label}-{kind}-{region}"


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


def _ref(context: _AccountContext, region: str, resource_type: str, resource_id: str, name: str | None) -> ResourceRef:
    return ResourceRef(context.account_id, region, resource_type, resource_id, name)


# --- Account settings: root user, password policy, CloudTrail ----------------------------------------------


def _seed_account_settings(context: _AccountContext, inventory: _Inventory) -> None:
    posture = context.plan.posture
    root = _set_root_user(context, posture.root_user)
    if not root["password_enabled"]:
        inventory.root_without_credentials.append(context.account_id)
    elif not root["mfa_active"]:
        inventory.root_without_mfa.append(context.account_id)
    if root["access_keys"]:
        inventory.root_access_keys.append(context.account_id)

    iam = context.api("iam")
    if posture.password_policy is None:
        inventory.no_password_policy.append(context.account_id)
    else:
        iam("update_account_password_policy", **posture.password_policy)
        strong = posture.password_policy == _CIS_PASSWORD_POLICY
        (inventory.strong_password_policies if strong else inventory.weak_password_policies).append(context.account_id)

    for trail in posture.trails:
        _create_trail(context, trail, inventory)
    covered = {trail.region for trail in posture.trails}
    if any(trail.multi_region for trail in posture.trails):
        covered = set(DEMO_REGIONS)
    inventory.regions_without_trail.extend(
        (context.account_id, region) for region in DEMO_REGIONS if region not in covered
    )


def _set_root_user(context: _AccountContext, root_user: Mapping[str, Any]) -> dict[str, Any]:
    """Set the account's root user; return it as the emulator now has it (every field, not only those set).

    No AWS API changes the root user's MFA or access keys: the emulator's own control does.
    """
    return _control(context, f"{ROOT_USER_CONTROL_PATH}/{context.account_id}", "PUT", root_user)


def _control(context: _AccountContext, path: str, method: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """A call to one of the emulator's own control paths, in the account's name; its JSON answer."""
    url = f"{context.clients.endpoint_url}{path}"
    headers = {"Content-Type": "application/json", "x-moto-account-id": context.account_id}
    request = urllib.request.Request(  # noqa: S310  (the emulator on loopback)
        url, method=method, data=json.dumps(dict(document)).encode(), headers=headers
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
    except (OSError, ValueError) as exc:  # urllib's URLError and HTTPError included; ValueError: not JSON
        raise SeedError(f"seeding {context.label}: {method} {url} failed: {exc}", account=context.account_id) from exc
    return answer


def _create_trail(context: _AccountContext, trail: _TrailPlan, inventory: _Inventory) -> None:
    cloudtrail = context.api("cloudtrail", trail.region)
    cloudtrail(
        "create_trail",
        Name=trail.name,
        S3BucketName=_bucket_name(context.plan, "logs", _HOME_REGION),
        S3KeyPrefix=f"cloudtrail/{trail.region}",
        IsMultiRegionTrail=trail.multi_region,
        EnableLogFileValidation=True,
        TagsList=_tags(context.plan, None, "team-security"),
    )
    cloudtrail("start_logging", Name=trail.name)
    inventory.add(context.account_id, trail.region, CLOUDTRAIL_TRAIL)


# --- RDS ----------------------------------------------------------------------------------------------------


def _seed_databases(context: _AccountContext, region: str, inventory: _Inventory) -> None:
    for database in _DATABASES:
        if (database.account, database.region) == (context.plan.label, region):
            _create_database(context, database, inventory)


def _create_database(context: _AccountContext, database: _DatabasePlan, inventory: _Inventory) -> None:
    rds = context.api("rds", database.region)
    identifier = f"{context.plan.label}-{database.name}"
    encryption: dict[str, Any] = {"StorageEncrypted": database.encrypted}
    if database.encrypted:
        kms = context.api("kms", database.region)
        key = kms("create_key", Description=f"{identifier} storage", Tags=_kms_tags(context.plan))["KeyMetadata"]
        kms("create_alias", AliasName=f"alias/{identifier}", TargetKeyId=key["KeyId"])
        encryption["KmsKeyId"] = key["Arn"]
    created = rds(
        "create_db_instance",
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.medium",
        Engine=database.engine,
        MasterUsername="dbadmin",
        MasterUserPassword=_DEMO_PASSWORD,
        AllocatedStorage=50,
        PubliclyAccessible=database.public,
        BackupRetentionPeriod=7,
        Tags=_tags(context.plan, identifier, "team-data", cost_center=database.cost_center_tag),
        **encryption,
    )["DBInstance"]
    inventory.add(context.account_id, database.region, RDS_DB_INSTANCE)
    ref = _ref(context, database.region, RDS_DB_INSTANCE, dbi_resource_id(created), identifier)
    (inventory.public_db_instances if database.public else inventory.private_db_instances).append(ref)


def _kms_tags(plan: _AccountPlan) -> list[dict[str, str]]:
    # KMS spells its tag members TagKey and TagValue.
    return [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in _tags(plan, None, "team-security")]


# --- Lambda -------------------------------------------------------------------------------------------------


@functools.cache
def _function_code() -> bytes:
    """A deployment package that is the same bytes every time, so the functions' CodeSha256 repeats too."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        entry = zipfile.ZipInfo("handler.py", date_time=(2024, 1, 1, 0, 0, 0))
        archive.writestr(entry, "def handle(event, context):\n    return {'statusCode': 200}\n")
    return buffer.getvalue()


def _seed_functions(context: _AccountContext, region: str, inventory: _Inventory) -> None:
    for function in _FUNCTIONS:
        if (function.account, function.region) == (context.plan.label, region):
            _create_function(context, function, inventory)


def _create_function(context: _AccountContext, function: _FunctionPlan, inventory: _Inventory) -> None:
    functions = context.api("lambda", function.region)
    name = f"{context.plan.label}-{function.name}"
    functions(
        "create_function",
        FunctionName=name,
        Runtime="python3.12",
        Role=f"arn:aws:iam::{context.account_id}:role/{_LAMBDA_ROLE}",
        Handler="handler.handle",
        Code={"ZipFile": _function_code()},
        Tags={tag["Key"]: tag["Value"] for tag in _tags(context.plan, None, "team-backend")},
    )
    inventory.add(context.account_id, function.region, LAMBDA_FUNCTION)
    ref = _ref(context, function.region, LAMBDA_FUNCTION, name, name)
    if function.access == _PUBLIC_ACCESS:
        # No source condition: any account, anyone's, may invoke it.
        functions(
            "add_permission",
            FunctionName=name,
            StatementId="public-invoke",
            Action="lambda:InvokeFunction",
            Principal="*",
        )
        inventory.public_functions.append(ref)
        return
    if function.access == _ACCOUNT_ACCESS:
        bucket = _bucket_name(context.plan, "data", function.region)
        functions(
            "add_permission",
            FunctionName=name,
            StatementId="s3-invoke",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceAccount=context.account_id,
            SourceArn=f"arn:aws:s3:::{bucket}",
        )
    inventory.private_functions.append(ref)
