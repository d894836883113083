"""Reference-shaped inputs for every built-in check (AWS and Alibaba Cloud), for the field-mangling audit.

Each `Seed` is what one evaluation reads: the evaluated item first (none for account checks), lookup items after it,
extra data and counts, with the check's parameters. Items start from `scanner.testing.reference_document` (AWS Config's
own examples) and `alibaba_item_document`, and extra data from the shapes the scanner reads (credential report rows
with every column, DescribeTrails entries, GetAccountPasswordPolicy's PasswordPolicy). Configurations and supplementary
values are given decoded, and policies as objects rather than JSON strings (every check reads both), so that the
audit can reach every field inside them; a few seeds keep AWS Config's string encodings as they are.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from checks import BUILTIN
from checks import alibaba as alibaba_checks
from scanner.registry import Check, ExtraData
from scanner.testing import DELETE, reference_document
from scanner.testing.alibaba import DELETE as ALIBABA_DELETE
from scanner.testing.alibaba import alibaba_item_document
from tests.checks.credential_rows import iso, root_row, row
from tests.checks.ingress import rule

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
USER = "johndoe"
KEY = "arn:aws:kms:us-east-1:264683526309:key/e20f3a10-781f-4582-93d7-6dfe67cac827"


@dataclass(frozen=True, eq=False)  # by identity: seeds are cached by the audit, and hold dicts
class Seed:
    check: Check
    label: str
    params: Mapping[str, Any] = field(default_factory=dict)
    documents: tuple[dict[str, Any], ...] = ()  # the evaluated item first, then lookups
    extra: Mapping[ExtraData, Any] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def alibaba(self) -> bool:
        return self.check.cloud.value == "alibaba"

    def __str__(self) -> str:
        return f"{self.check.id}[{self.label}]"


def _ago(days: float) -> str:
    return iso(NOW - timedelta(days=days))


def _aws(resource_type: str, configuration: Mapping[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A reference item with overrides, its supplementary values decoded from their JSON strings."""
    document = reference_document(resource_type, configuration=configuration or {}, **fields)
    supplementary = document.get("supplementaryConfiguration") or {}
    document["supplementaryConfiguration"] = {key: _decoded(value) for key, value in supplementary.items()}
    return document


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _alibaba(resource_type: str, configuration: Mapping[str, Any] | None = None) -> dict[str, Any]:
    document = alibaba_item_document(resource_type, configuration=configuration or {})
    document["configuration"] = json.loads(document["configuration"])
    return document


def _report(*rows: dict[str, str]) -> dict[str, dict[str, str]]:
    return {entry["user"]: entry for entry in rows}


def _user(**configuration: Any) -> dict[str, Any]:
    return _aws("AWS::IAM::User", configuration)


def _credential_seeds(check_id: str) -> list[Seed]:
    check = BUILTIN.get(check_id)
    created_recently = _user(createDate=_ago(3))
    created_recently["resourceCreationTime"] = _ago(3)
    in_use = row(
        USER,
        password_enabled="true",
        password_last_used=_ago(2),
        password_last_changed=_ago(30),
        mfa_active="true",
        access_key_1_active="true",
        access_key_1_last_rotated=_ago(20),
        access_key_1_last_used_date=_ago(1),
        access_key_2_active="true",
        access_key_2_last_rotated=_ago(40),
        access_key_2_last_used_date=_ago(5),
    )
    stale = row(USER, access_key_1_active="true", access_key_1_last_rotated=_ago(400), password_enabled="true")
    report = ExtraData.IAM_CREDENTIAL_REPORT
    return [
        Seed(check, "in-use", documents=(_user(),), extra={report: _report(in_use, root_row())}),
        Seed(check, "no-credentials", documents=(_user(),), extra={report: _report(row(USER))}),
        Seed(check, "newer-than-the-report", documents=(created_recently,), extra={report: _report(root_row())}),
        Seed(check, "stale", documents=(_user(),), extra={report: _report(stale)}),
    ]


def _root_seeds(check_id: str) -> list[Seed]:
    check = BUILTIN.get(check_id)
    report = ExtraData.IAM_CREDENTIAL_REPORT
    without_credentials = root_row(mfa_active="false", password_enabled="false")
    with_key = root_row(access_key_1_active="true", access_key_1_last_rotated=_ago(9))
    return [
        Seed(check, "root-with-mfa", extra={report: _report(root_row(), row(USER))}),
        Seed(check, "root-without-credentials", extra={report: _report(without_credentials)}),
        Seed(check, "root-with-a-key", extra={report: _report(with_key)}),
    ]


def _instance(**configuration: Any) -> dict[str, Any]:
    return _aws("AWS::EC2::Instance", configuration)


def _group(group_id: str = "sg-1d56fc66", name: str = "web", *ingress: dict[str, Any]) -> dict[str, Any]:
    document = _aws("AWS::EC2::SecurityGroup", {"groupId": group_id, "groupName": name}, resourceId=group_id)
    document["configuration"]["ipPermissions"] = list(ingress)
    return document


CLOSED_INGRESS = (
    rule("tcp", (443, 443), "0.0.0.0/0", v6=("::/0",)),
    rule("tcp", (22, 22), "10.0.0.0/8", v6=("2001:db8::/32",)),
    rule("tcp", (3389, 3389), "192.168.0.0/16"),
    rule("icmp", (-1, -1), "0.0.0.0/0"),
    rule("udp", (0, 65535), "0.0.0.0/0"),
)
OPEN_INGRESS = (rule("tcp", (0, 4000), "0.0.0.0/0"),)


def _api_spelled_group() -> dict[str, Any]:
    document = _group("sg-0api")
    document["configuration"] = {
        "GroupId": "sg-0api",
        "GroupName": "api",
        "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/8"}], "Ipv6Ranges": [{"CidrIpv6": "fd00::/8"}]},
        ],
    }
    return document


def _attached(*group_ids: str) -> dict[str, Any]:
    groups = [{"groupName": f"name-{group_id}", "groupId": group_id} for group_id in group_ids]
    document = _instance(securityGroups=groups)
    for interface in document["configuration"]["networkInterfaces"]:
        interface["groups"] = groups
    document["relationships"] = [
        {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": group_id, "relationshipName": "Is associated with"}
        for group_id in group_ids
    ]
    return document


def _no_public_ip() -> dict[str, Any]:
    document = _instance(publicIpAddress=DELETE)
    for interface in document["configuration"]["networkInterfaces"]:
        interface.pop("association")
        for address in interface["privateIpAddresses"]:
            address.pop("association")
    return document


def _policy_item(document: Any, **configuration: Any) -> dict[str, Any]:
    item = _aws("AWS::IAM::Policy", configuration)
    item["configuration"]["policyVersionList"][0]["document"] = document
    return item


def _statement(effect: str, action: Any, resource: Any, **more: Any) -> dict[str, Any]:
    return {"Sid": f"{effect}{len(more)}", "Effect": effect, "Action": action, "Resource": resource, **more}


def _function(policy: Any) -> dict[str, Any]:
    document = _aws("AWS::Lambda::Function")
    if policy is not DELETE:
        document["supplementaryConfiguration"]["Policy"] = policy
    return document


SOURCE_ACCOUNT = {"StringEquals": {"AWS:SourceAccount": "123456789012"}}
FIXED_ACCOUNT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        _statement(
            "Allow",
            "lambda:InvokeFunction",
            "arn:aws:lambda:us-east-1:823362693882:function:test-function",
            Principal={"Service": "s3.amazonaws.com"},
            Condition=SOURCE_ACCOUNT,
        ),
        _statement("Allow", ["lambda:GetFunction"], "*", Principal={"AWS": "arn:aws:iam::123456789012:root"}),
        _statement("Deny", "lambda:*", "*", Principal="*"),
    ],
}
BUCKET_NAME = "mborch-test-bucket-config-item"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET_NAME}"
OWNER = "8ac813c84b8ad4d9f3e35f80aaeb254f85922a902ce87ed6b49ccbfa188f5a12"
PRIVATE_ACL = {
    "grantSet": None,
    "grantList": [
        {"grantee": {"id": OWNER, "displayName": None}, "permission": "FullControl"},
        {"grantee": "LogDelivery", "permission": "Write"},
    ],
    "owner": {"displayName": None, "id": OWNER},
    "isRequesterCharged": False,
}
TLS_ONLY = _statement(
    "Deny",
    "s3:*",
    [BUCKET_ARN, f"{BUCKET_ARN}/*"],
    Principal="*",
    Condition={"Bool": {"aws:SecureTransport": "false"}},
)
ENCRYPTED_UPLOADS_ONLY = _statement(
    "Deny",
    "s3:PutObject",
    f"{BUCKET_ARN}/*",
    Principal={"AWS": "*"},
    Condition={"Null": {"s3:x-amz-server-side-encryption": "true"}},
)
PINNED_READ = _statement(
    "Allow",
    ["s3:GetObject", "s3:ListBucket"],
    [f"{BUCKET_ARN}/*"],
    Principal="*",
    Condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
)
PUBLIC_READ = _statement("Allow", "s3:GetObject", f"{BUCKET_ARN}/*", Principal="*")
ALL_BLOCKED = dict.fromkeys(("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"), True)
DEFAULT_ENCRYPTION = {
    "rules": [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyID": KEY},
            "bucketKeyEnabled": True,
        }
    ]
}


def _bucket(*statements: dict[str, Any], **supplementary: Any) -> dict[str, Any]:
    """The reference bucket with a private ACL and these policy statements (none: no policy), all as objects."""
    document = _aws("AWS::S3::Bucket")
    policy = {"Version": "2012-10-17", "Statement": list(statements)} if statements else None
    document["supplementaryConfiguration"] |= {"AccessControlList": copy.deepcopy(PRIVATE_ACL)}
    document["supplementaryConfiguration"] |= {"BucketPolicy": {"policyText": policy}}
    for key, value in supplementary.items():
        if value is DELETE:
            document["supplementaryConfiguration"].pop(key, None)
        else:
            document["supplementaryConfiguration"][key] = copy.deepcopy(value)
    return document


def _public_access_seeds(check_id: str) -> list[Seed]:
    check = BUILTIN.get(check_id)
    return [
        Seed(check, "reference", documents=(_aws("AWS::S3::Bucket"),)),
        Seed(check, "private-acl-pinned-policy", documents=(_bucket(TLS_ONLY, PINNED_READ),)),
        Seed(check, "no-policy", documents=(_bucket(),)),
        Seed(
            check,
            "public-policy-restricted",
            documents=(_bucket(PUBLIC_READ, PublicAccessBlockConfiguration=ALL_BLOCKED),),
        ),
        Seed(check, "public-policy", documents=(_bucket(PUBLIC_READ),)),
    ]


def _trail(name: str, *, logging: bool = True, **fields: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "S3BucketName": "trail-logs",
        "SnsTopicARN": "arn:aws:sns:us-east-1:123456789012:trail-topic",
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": False,
        "HomeRegion": "us-east-1",
        "TrailARN": f"arn:aws:cloudtrail:us-east-1:123456789012:trail/{name}",
        "LogFileValidationEnabled": True,
        "CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:trail:*",
        "HasCustomEventSelectors": False,
        "HasInsightSelectors": False,
        "IsOrganizationTrail": False,
        "IsLogging": logging,
        **fields,
    }


PASSWORD_POLICY = {
    "MinimumPasswordLength": 16,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "ExpirePasswords": True,
    "MaxPasswordAge": 60,
    "PasswordReusePrevention": 24,
    "HardExpiry": False,
}


def _volume(**configuration: Any) -> dict[str, Any]:
    return _aws("AWS::EC2::Volume", configuration)


def _db(**configuration: Any) -> dict[str, Any]:
    return _aws("AWS::RDS::DBInstance", configuration)


def _seeds() -> list[Seed]:
    get = BUILTIN.get
    alibaba = alibaba_checks.BUILTIN.get
    trails = ExtraData.CLOUDTRAIL_TRAILS
    policy = ExtraData.IAM_PASSWORD_POLICY
    image = reference_document("AWS::EC2::Instance")["configuration"]["imageId"]
    builders: list[Callable[[], list[Seed]]] = [
        lambda: _credential_seeds("access-keys-rotated"),
        lambda: _credential_seeds("iam-inactive-user"),
        lambda: _credential_seeds("iam-user-mfa-enabled"),
        lambda: _credential_seeds("iam-user-unused-credentials-check"),
        lambda: _root_seeds("iam-root-access-key-check"),
        lambda: _root_seeds("root-account-mfa-enabled"),
        lambda: [
            Seed(get("approved-amis-by-id"), "approved", {"amiIds": f"ami-0,{image}"}, (_instance(),)),
            Seed(get("approved-amis-by-id"), "not-approved", {"amiIds": "ami-0"}, (_instance(),)),
        ],
        lambda: [
            Seed(get("cloudtrail-enabled"), "logging", extra={trails: [_trail("main")]}),
            Seed(
                get("cloudtrail-enabled"),
                "matching-destinations",
                {"s3BucketName": "trail-logs", "cloudWatchLogsLogGroupArn": _trail("x")["CloudWatchLogsLogGroupArn"]},
                extra={trails: [_trail("stopped", logging=False), _trail("main")]},
            ),
            Seed(
                get("cloudtrail-enabled"),
                "multi-region",
                {"snsTopicArn": _trail("x")["SnsTopicARN"]},
                extra={trails: [_trail("org", IsMultiRegionTrail=True, HomeRegion="eu-west-1")]},
            ),
            Seed(get("cloudtrail-enabled"), "stopped", extra={trails: [_trail("stopped", logging=False)]}),
        ],
        lambda: [
            Seed(get("desired-instance-type"), "desired", {"desiredInstanceType": "t2.micro,t3.micro"}, (_instance(),)),
            Seed(get("desired-instance-type"), "other", {"desiredInstanceType": "m5.large"}, (_instance(),)),
        ],
        lambda: [
            Seed(
                get("ec2-exposed-instance"),
                "closed-groups",
                {"ssh": "22", "rdp": "3389"},
                (
                    _attached("sg-1d56fc66", "sg-0api"),
                    _group("sg-1d56fc66", "web", *CLOSED_INGRESS[:-1]),
                    _api_spelled_group(),
                ),
            ),
            Seed(
                get("ec2-exposed-instance"),
                "open-group",
                {"ssh": "22"},
                (_attached("sg-1d56fc66"), _group("sg-1d56fc66", "web", *OPEN_INGRESS)),
            ),
        ],
        lambda: [
            Seed(
                get("ec2-imdsv2-check"), "required", documents=(_instance(metadataOptions={"httpTokens": "required"}),)
            ),
            Seed(get("ec2-imdsv2-check"), "optional", documents=(_instance(),)),
            Seed(
                get("ec2-imdsv2-check"), "terminated", documents=(_instance(state={"code": 48, "name": "terminated"}),)
            ),
        ],
        lambda: [
            Seed(get("ec2-instance-no-public-ip"), "private", documents=(_no_public_ip(),)),
            Seed(get("ec2-instance-no-public-ip"), "public", documents=(_instance(),)),
        ],
        lambda: [
            Seed(get("ec2-volume-inuse-check"), "attached", documents=(_volume(),)),
            Seed(
                get("ec2-volume-inuse-check"), "deleted-on-termination", {"deleteOnTermination": "true"}, (_volume(),)
            ),
            Seed(get("ec2-volume-inuse-check"), "available", documents=(_volume(state="available", attachments=[]),)),
        ],
        lambda: [
            Seed(get("encrypted-volumes"), "encrypted", documents=(_volume(),)),
            Seed(
                get("encrypted-volumes"),
                "with-the-key",
                {"kmsId": _volume()["configuration"]["kmsKeyId"]},
                (_volume(),),
            ),
            Seed(get("encrypted-volumes"), "available", documents=(_volume(state="available"),)),
            Seed(get("encrypted-volumes"), "unencrypted", documents=(_volume(encrypted=False),)),
        ],
        lambda: [
            Seed(get("iam-password-policy"), "strong", extra={policy: dict(PASSWORD_POLICY)}),
            Seed(
                get("iam-password-policy"),
                "lenient-parameters",
                {"MinimumPasswordLength": "8", "PasswordReusePrevention": "0", "MaxPasswordAge": "0"},
                extra={policy: dict(PASSWORD_POLICY)},
            ),
            Seed(get("iam-password-policy"), "none", extra={policy: None}),
        ],
        lambda: [
            Seed(get("iam-policy-no-statements-with-admin-access"), "reference", documents=(_aws("AWS::IAM::Policy"),)),
            Seed(
                get("iam-policy-no-statements-with-admin-access"),
                "object-document",
                documents=(
                    _policy_item(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                _statement("Allow", ["s3:GetObject", "s3:ListBucket"], "*"),
                                _statement("Deny", "*", "*"),
                                _statement("Allow", "*", "arn:aws:s3:::bucket/*"),
                            ],
                        }
                    ),
                ),
            ),
            Seed(
                get("iam-policy-no-statements-with-admin-access"),
                "url-encoded-document",
                documents=(
                    _policy_item(
                        "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C"
                        "%22Action%22%3A%22ec2%3ADescribe%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D"
                    ),
                ),
            ),
            Seed(
                get("iam-policy-no-statements-with-admin-access"),
                "admin",
                documents=(_policy_item([{"Statement": [_statement("Allow", "*", "*")]}]),),
            ),
            Seed(
                get("iam-policy-no-statements-with-admin-access"),
                "boundary",
                {"excludePermissionBoundaryPolicy": "true"},
                (_policy_item([{"Statement": [_statement("Allow", "*", "*")]}], permissionsBoundaryUsageCount=2),),
            ),
        ],
        lambda: [
            Seed(
                get("iam-user-no-policies-check"),
                "none",
                documents=(_user(attachedManagedPolicies=[], userPolicyList=[]),),
            ),
            Seed(get("iam-user-no-policies-check"), "reference", documents=(_user(),)),
        ],
        lambda: [
            Seed(
                get("lambda-function-public-access-prohibited"),
                "fixed-accounts",
                documents=(_function(FIXED_ACCOUNT_POLICY),),
            ),
            Seed(
                get("lambda-function-public-access-prohibited"),
                "encoded-policy",
                documents=(_function(json.dumps(json.dumps(FIXED_ACCOUNT_POLICY))),),
            ),
            Seed(get("lambda-function-public-access-prohibited"), "no-policy", documents=(_function(DELETE),)),
            Seed(
                get("lambda-function-public-access-prohibited"),
                "public",
                documents=(_function({"Statement": [_statement("Allow", "lambda:*", "*", Principal="*")]}),),
            ),
        ],
        lambda: [
            Seed(get("rds-instance-public-access-check"), "private", documents=(_db(publiclyAccessible=False),)),
            Seed(get("rds-instance-public-access-check"), "public", documents=(_db(),)),
        ],
        lambda: [
            Seed(get("rds-storage-encrypted"), "encrypted", documents=(_db(),)),
            Seed(get("rds-storage-encrypted"), "with-the-key", {"kmsKeyId": KEY}, (_db(),)),
            Seed(get("rds-storage-encrypted"), "unencrypted", documents=(_db(storageEncrypted=False),)),
        ],
        lambda: [
            Seed(
                get("required-tags"),
                "bucket-tagging",
                {"tag1Key": "CostCenter", "tag1Value": "42,43"},
                (
                    _bucket(
                        BucketTaggingConfiguration={"tagSets": [{"tags": {"CostCenter": "42", "Owner": "ops"}}]},
                    )
                    | {"tags": {}},
                ),
            ),
            Seed(
                get("required-tags"),
                "supplementary-tags",
                {"tag1Key": "workload-type"},
                (_db() | {"tags": {}},),
            ),
            Seed(
                get("required-tags"),
                "configuration-tags",
                {"tag1Key": "Name", "tag2Key": "env", "tag2Value": "prod"},
                (_volume(tags=[{"key": "Name", "value": "data"}, {"key": "env", "value": "prod"}]) | {"tags": {}},),
            ),
            Seed(get("required-tags"), "missing", {"tag1Key": "Owner"}, (_instance(),)),
        ],
        lambda: [
            Seed(
                get("resource-count-max"),
                "within",
                {"applicableResourceType": "AWS::EC2::Instance", "maxCount": "5"},
                counts={"AWS::EC2::Instance": 3},
            ),
        ],
        lambda: [
            Seed(get("restricted-common-ports"), "closed", documents=(_group("sg-1", "web", *CLOSED_INGRESS),)),
            Seed(
                get("restricted-common-ports"),
                "ssh-only",
                documents=(_group("sg-1", "web", rule("tcp", (22, 22), "0.0.0.0/0")),),
            ),
            Seed(get("restricted-common-ports"), "api-spelling", documents=(_api_spelled_group(),)),
            Seed(get("restricted-common-ports"), "open", documents=(_group("sg-1", "web", *OPEN_INGRESS),)),
        ],
        lambda: [
            Seed(get("restricted-ssh"), "closed", documents=(_group("sg-1", "web", *CLOSED_INGRESS),)),
            Seed(get("restricted-ssh"), "api-spelling", documents=(_api_spelled_group(),)),
            Seed(get("restricted-ssh"), "reference", documents=(_aws("AWS::EC2::SecurityGroup"),)),
        ],
        lambda: _public_access_seeds("s3-bucket-public-read-prohibited"),
        lambda: _public_access_seeds("s3-bucket-public-write-prohibited"),
        lambda: [
            Seed(
                get("s3-bucket-level-public-access-prohibited"),
                "blocked",
                documents=(_bucket(PublicAccessBlockConfiguration=ALL_BLOCKED),),
            ),
            Seed(
                get("s3-bucket-level-public-access-prohibited"),
                "excluded",
                {"excludedPublicBuckets": BUCKET_NAME},
                (_bucket(),),
            ),
            Seed(get("s3-bucket-level-public-access-prohibited"), "unblocked", documents=(_bucket(),)),
        ],
        lambda: [
            Seed(
                get("s3-bucket-server-side-encryption-enabled"),
                "default-encryption",
                documents=(_bucket(ServerSideEncryptionConfiguration=DEFAULT_ENCRYPTION),),
            ),
            Seed(
                get("s3-bucket-server-side-encryption-enabled"),
                "policy-enforced",
                documents=(_bucket(TLS_ONLY, ENCRYPTED_UPLOADS_ONLY),),
            ),
            Seed(get("s3-bucket-server-side-encryption-enabled"), "none", documents=(_bucket(TLS_ONLY),)),
        ],
        lambda: [
            Seed(get("s3-bucket-ssl-requests-only"), "tls-only", documents=(_bucket(TLS_ONLY, PINNED_READ),)),
            Seed(get("s3-bucket-ssl-requests-only"), "reference", documents=(_aws("AWS::S3::Bucket"),)),
        ],
        lambda: [
            Seed(get("s3-bucket-versioning-enabled"), "enabled", documents=(_aws("AWS::S3::Bucket"),)),
            Seed(
                get("s3-bucket-versioning-enabled"),
                "mfa-delete",
                {"isMfaDeleteEnabled": "true"},
                (_bucket(BucketVersioningConfiguration={"status": "Enabled", "isMfaDeleteEnabled": True}),),
            ),
            Seed(
                get("s3-bucket-versioning-enabled"),
                "suspended",
                documents=(_bucket(BucketVersioningConfiguration={"status": "Suspended", "isMfaDeleteEnabled": None}),),
            ),
        ],
        lambda: [
            Seed(get("vpc-default-security-group-closed"), "closed-default", documents=(_closed_default(),)),
            Seed(get("vpc-default-security-group-closed"), "other-group", documents=(_aws("AWS::EC2::SecurityGroup"),)),
            Seed(
                get("vpc-default-security-group-closed"),
                "open-default",
                documents=(_group("sg-1", "default", *OPEN_INGRESS),),
            ),
        ],
        lambda: [
            Seed(
                alibaba("ecs-disk-encrypted"),
                "with-the-key",
                {"kmsKeyIds": "0e478b7a-4262-4802-b8cb-00d3fb40826X"},
                (_alibaba("ACS::ECS::Disk", {"Encrypted": True, "KMSKeyId": "0e478b7a-4262-4802-b8cb-00d3fb40826X"}),),
            ),
            Seed(
                alibaba("ecs-disk-encrypted"), "encrypted", documents=(_alibaba("ACS::ECS::Disk", {"Encrypted": True}),)
            ),
        ],
        lambda: [
            Seed(
                alibaba("ecs-instance-image-approved"),
                "approved",
                {"imageIds": "aliyun_3_x64_20G_alibase_20240528.vhd,m-0"},
                (_alibaba("ACS::ECS::Instance"),),
            ),
        ],
        lambda: [
            Seed(
                alibaba("ecs-security-group-risky-ports"), "example", documents=(_alibaba("ACS::ECS::SecurityGroup"),)
            ),
            Seed(
                alibaba("ecs-security-group-risky-ports"),
                "plain-list",
                {"ports": "22,3389,8000-8080"},
                (
                    _alibaba(
                        "ACS::ECS::SecurityGroup",
                        {
                            "Permissions": [
                                {
                                    "Direction": "ingress",
                                    "Policy": "Accept",
                                    "IpProtocol": "TCP",
                                    "PortRange": "443/443",
                                    "SourceCidrIp": "0.0.0.0/0",
                                },
                                {
                                    "Direction": "ingress",
                                    "Policy": "Drop",
                                    "IpProtocol": "TCP",
                                    "PortRange": "22/22",
                                    "SourceCidrIp": "0.0.0.0/0",
                                },
                                {
                                    "Direction": "egress",
                                    "Policy": "Accept",
                                    "IpProtocol": "ALL",
                                    "PortRange": "-1/-1",
                                    "DestCidrIp": "0.0.0.0/0",
                                },
                                {
                                    "Direction": "ingress",
                                    "Policy": "Accept",
                                    "IpProtocol": "ICMP",
                                    "PortRange": "-1/-1",
                                    "Ipv6SourceCidrIp": "::/0",
                                },
                            ]
                        },
                    ),
                ),
            ),
        ],
        lambda: [
            Seed(alibaba("oss-bucket-public-read-prohibited"), "private", documents=(_alibaba("ACS::OSS::Bucket"),)),
        ],
        lambda: [
            Seed(alibaba("ram-user-mfa-enabled"), "required", documents=(_alibaba("ACS::RAM::User"),)),
            Seed(
                alibaba("ram-user-mfa-enabled"),
                "api-only",
                documents=(_alibaba("ACS::RAM::User", {"LoginProfile": ALIBABA_DELETE}),),
            ),
        ],
    ]
    return [seed for build in builders for seed in build()]


def _closed_default() -> dict[str, Any]:
    document = _group("sg-default", "default")
    document["configuration"]["ipPermissionsEgress"] = []
    return document


SEEDS: tuple[Seed, ...] = tuple(_seeds())
