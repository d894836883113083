"""The blueprint of the demo organization, as data: its accounts and their postures, the security group templates,
databases and functions to plant, and the names and tags resources get.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

MANAGEMENT_ACCOUNT_ID = "123456789012"
DEMO_REGIONS: tuple[str, ...] = ("us-east-1", "eu-west-1")
_HOME_REGION = DEMO_REGIONS[0]  # where each account keeps its central log bucket and batch work
GLOBAL_REGION = "global"
AUDIT_ROLE_NAME = "CloudSweepAudit"
ORGANIZATION_ACCESS_ROLE_NAME = "OrganizationAccountAccessRole"
ADMINISTRATOR_ACCESS = "AdministratorAccess"

WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"


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


def _tags(plan: _AccountPlan, name: str | None, owner: str, *, cost_center: bool = True) -> list[dict[str, str]]:
    # IAM resources have their own names; a Name tag is the EC2 and S3 habit.
    tags = {"Name": name} if name is not None else {}
    tags |= {"Environment": plan.environment, "Owner": owner}
    if cost_center:
        tags["CostCenter"] = plan.cost_center
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _bucket_name(plan: _AccountPlan, kind: str, region: str) -> str:
    return f"cloudsweep-demo-{plan.label}-{kind}-{region}"
