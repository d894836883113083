"""What AWS does today when a resource is created with no optional setting, where moto still does what AWS did
before 2023. docs/emulator.md's fidelity table lists every default with its AWS source.

Two mechanisms, each for what it fits:

- `install_ec2_defaults` patches two moto EC2 model methods, because moto creates default VPCs and default security
  groups inside its own backends (on an account-region's first request, or a collector's first read), where no
  request passes a layer: every default security group allows all inbound traffic from itself, and every default
  VPC has an internet gateway with a route to it, as AWS makes them.
- `TodaysDefaultsLayer` (WSGI, just in front of moto) rewrites or completes API calls as AWS would: a new bucket is
  encrypted (SSE-S3), blocks public access and owns its objects (ACLs disabled); a bucket policy S3 would refuse is
  refused; an RDS instance created without `PubliclyAccessible` gets AWS's documented default; a Lambda
  permission for an account id is stored as that account's root ARN.

One state AWS no longer lets any API make has a control path of its own, for demos and tests of a check's failing
side: `POST /_cloudsweep/unencrypted-buckets/BUCKET` (header `x-moto-account-id`: the bucket's account) removes
the bucket's default encryption, as AWS Config still holds it in an item recorded before 2023-01-05 and not
recorded since. Control paths reach moto in-process, past these defaults.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from botocore.exceptions import ClientError
from cloudsweep_emulator.moto_app import InProcessMoto, account_for_access_key
from cloudsweep_emulator.wsgi import (
    ACCOUNT_HEADER_ENVIRON,
    StartResponse,
    WSGIApp,
    WSGIEnviron,
    acting_account,
    call_app,
    json_reply,
    read_request,
    replace_body,
    request_body,
    with_content_length,
)

# --- EC2: default VPCs and default security groups, inside moto's model ---------------------------------------


@functools.cache
def install_ec2_defaults() -> None:
    """Once per process, before any EC2 backend exists."""
    from moto.ec2.models.vpcs import VPCBackend

    original: Callable[..., Any] | None = getattr(VPCBackend, "create_vpc", None)
    if original is None or getattr(original, "_cloudsweep_defaults", False):
        raise RuntimeError("moto's VPCBackend.create_vpc is missing or already wrapped: the EC2 defaults need it")

    @functools.wraps(original)
    def create_vpc(self: Any, *args: Any, **kwargs: Any) -> Any:
        vpc = original(self, *args, **kwargs)
        _default_group_allows_itself(self, vpc.id)
        if vpc.is_default:
            _default_vpc_reaches_the_internet(self, vpc.id)
        return vpc

    create_vpc._cloudsweep_defaults = True  # type: ignore[attr-defined]
    VPCBackend.create_vpc = create_vpc  # type: ignore[method-assign]


def _default_group_allows_itself(backend: Any, vpc_id: str) -> None:
    # VPC User Guide, "Default security groups": inbound all traffic from the group itself, outbound all.
    group = backend.get_security_group_from_name("default", vpc_id=vpc_id)
    backend.authorize_security_group_ingress(
        group.id,
        "-1",
        None,
        None,
        [],
        source_groups=[{"GroupId": group.id, "UserId": backend.account_id}],
        vpc_id=vpc_id,
    )


def _default_vpc_reaches_the_internet(backend: Any, vpc_id: str) -> None:
    # VPC User Guide, "Default VPCs": an internet gateway, and a main route table sending 0.0.0.0/0 to it.
    gateway = backend.create_internet_gateway()
    backend.attach_internet_gateway(gateway.id, vpc_id)
    (main,) = backend.describe_route_tables(filters={"vpc-id": [vpc_id], "association.main": ["true"]})
    backend.create_route(main.id, "0.0.0.0/0", gateway_id=gateway.id)


# --- the API: S3, RDS, Lambda ---------------------------------------------------------------------------------

SSE_S3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}
BLOCK_ALL_PUBLIC_ACCESS = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
OWNER_ENFORCED = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_PRIVATE_ACLS = ("", "private", "bucket-owner-full-control")
_GROUP_GRANTEE = re.compile(rb"acs\.amazonaws\.com/groups/", re.IGNORECASE)
UNENCRYPTED_BUCKETS_PATH = "/_cloudsweep/unencrypted-buckets/"


class TodaysDefaultsLayer:
    """WSGI: API calls completed or refused as AWS does today (see the module docstring)."""

    def __init__(self, app: WSGIApp, moto: InProcessMoto) -> None:
        self._app = app
        self._moto = moto

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(UNENCRYPTED_BUCKETS_PATH):
            return self._unencrypted_bucket(environ, start_response)
        request = read_request(environ)
        account = acting_account(request, account_for_access_key)
        region = request.region or "us-east-1"
        if request.service == "s3":
            return self._s3(environ, start_response, account, region)
        if request.service == "rds" and request.operation == "CreateDBInstance":
            self._publicly_accessible_by_default(environ, account, region)
        elif request.service == "lambda" and request.operation == "AddPermission":
            _account_principal_as_root_arn(environ, region)
        return self._app(environ, start_response)

    # --- S3 ---------------------------------------------------------------------------------------------------

    def _s3(self, environ: WSGIEnviron, start_response: StartResponse, account: str, region: str) -> Iterable[bytes]:
        operation, bucket = _s3_operation(environ)
        if bucket is None or operation is None:
            return self._app(environ, start_response)
        refusal = None
        if operation == "CreateBucket":
            refusal = _create_bucket_refusal(environ)
        elif operation == "PutBucketPolicy":
            refusal = _malformed_policy(request_body(environ)) or self._public_policy_blocked(
                account, region, bucket, request_body(environ)
            )
        elif operation == "PutBucketAcl":
            refusal = self._acl_refusal(environ, account, region, bucket)
        if refusal is not None:
            return _s3_error(start_response, bucket, *refusal)
        if operation not in ("CreateBucket", "DeleteBucketEncryption"):
            return self._app(environ, start_response)
        owned = operation == "CreateBucket" and not environ.get("HTTP_X_AMZ_OBJECT_OWNERSHIP")
        response = call_app(self._app, environ)
        if response.status[:1] == "2":
            s3 = self._client(account, "s3", region)
            # DeleteBucketEncryption "resets the default encryption for the bucket as SSE-S3" (S3 API reference).
            s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=SSE_S3)
            if operation == "CreateBucket":
                s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK_ALL_PUBLIC_ACCESS)
                if owned:
                    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=OWNER_ENFORCED)
        start_response(response.status, with_content_length(response.headers, len(response.body)), response.exc_info)
        return [response.body]

    def _public_policy_blocked(
        self, account: str, region: str, bucket: str, body: bytes
    ) -> tuple[int, str, str] | None:
        if not _is_public_policy(json.loads(body)) or not self._block("BlockPublicPolicy", account, region, bucket):
            return None
        return 403, "AccessDenied", "Access Denied: public policies are blocked by the BlockPublicPolicy setting"

    def _acl_refusal(self, environ: WSGIEnviron, account: str, region: str, bucket: str) -> tuple[int, str, str] | None:
        canned = environ.get("HTTP_X_AMZ_ACL", "")
        grants = any(key.startswith("HTTP_X_AMZ_GRANT_") for key in environ)
        body = request_body(environ)
        if canned in _PRIVATE_ACLS and not grants and not _GROUP_GRANTEE.search(body):
            return None
        ownership = self._ownership(account, region, bucket)
        if ownership == "BucketOwnerEnforced":
            return 400, "AccessControlListNotSupported", "The bucket does not allow ACLs"
        public = canned in ("public-read", "public-read-write", "authenticated-read") or bool(
            _GROUP_GRANTEE.search(body)
        )
        if public and self._block("BlockPublicAcls", account, region, bucket):
            return 403, "AccessDenied", "Access Denied: public ACLs are blocked by the BlockPublicAcls setting"
        return None

    def _block(self, setting: str, account: str, region: str, bucket: str) -> bool:
        try:
            block = self._client(account, "s3", region).get_public_access_block(Bucket=bucket)
        except ClientError:
            return False
        return bool(block["PublicAccessBlockConfiguration"].get(setting))

    def _ownership(self, account: str, region: str, bucket: str) -> str | None:
        try:
            controls = self._client(account, "s3", region).get_bucket_ownership_controls(Bucket=bucket)
        except ClientError:
            return None
        rules = controls["OwnershipControls"]["Rules"]
        return str(rules[0]["ObjectOwnership"]) if rules else None

    def _unencrypted_bucket(self, environ: WSGIEnviron, start_response: StartResponse) -> list[bytes]:
        bucket = environ["PATH_INFO"].removeprefix(UNENCRYPTED_BUCKETS_PATH)
        # The header, not the path: the Config layer above marks that account's inventory changed.
        account = environ.get(ACCOUNT_HEADER_ENVIRON, "")
        if environ.get("REQUEST_METHOD") != "POST" or not _ACCOUNT_ID.match(account) or not bucket:
            message = f"POST {UNENCRYPTED_BUCKETS_PATH}BUCKET with the x-moto-account-id header"
            return json_reply(start_response, 400, {"message": message})
        try:
            self._client(account, "s3", "us-east-1").delete_bucket_encryption(Bucket=bucket)
        except ClientError as error:
            return json_reply(start_response, 404, {"message": str(error)})
        return json_reply(start_response, 200, {"account_id": account, "bucket": bucket, "encryption": None})

    # --- RDS --------------------------------------------------------------------------------------------------

    def _publicly_accessible_by_default(self, environ: WSGIEnviron, account: str, region: str) -> None:
        """CreateDBInstance without PubliclyAccessible: public exactly when the instance's VPC (its subnet group's,
        else the default VPC) has an internet gateway attached (the API reference's documented default)."""
        form = {name: values[0] for name, values in parse_qs(request_body(environ).decode()).items()}
        if "PubliclyAccessible" in form:
            return
        vpc_id = self._instance_vpc(account, region, form.get("DBSubnetGroupName"))
        public = vpc_id is not None and self._has_internet_gateway(account, region, vpc_id)
        replace_body(environ, urlencode({**form, "PubliclyAccessible": "true" if public else "false"}).encode())

    def _instance_vpc(self, account: str, region: str, subnet_group: str | None) -> str | None:
        try:
            if subnet_group:
                rds = self._client(account, "rds", region)
                (group,) = rds.describe_db_subnet_groups(DBSubnetGroupName=subnet_group)["DBSubnetGroups"]
                return str(group["VpcId"])
            ec2 = self._client(account, "ec2", region)
            vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        except ClientError:
            return None  # moto answers the call itself, with its own error
        return str(vpcs[0]["VpcId"]) if vpcs else None

    def _has_internet_gateway(self, account: str, region: str, vpc_id: str) -> bool:
        ec2 = self._client(account, "ec2", region)
        filters = [{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        return bool(ec2.describe_internet_gateways(Filters=filters)["InternetGateways"])

    def _client(self, account: str, service: str, region: str) -> Any:
        # Called under the emulator's state lock (ConfigLayer holds it around every call to moto).
        self._moto.acting_account = account
        return self._moto.client(service, region)


def _s3_operation(environ: WSGIEnviron) -> tuple[str | None, str | None]:
    """(operation, bucket) of a path-style bucket-level S3 request this layer acts on; (None, bucket) otherwise."""
    path = environ.get("PATH_INFO", "/").strip("/")
    if not path or "/" in path:
        return None, None
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "PUT" and not query:
        return "CreateBucket", path
    if method == "PUT" and "policy" in query:
        return "PutBucketPolicy", path
    if method == "PUT" and "acl" in query:
        return "PutBucketAcl", path
    if method == "DELETE" and "encryption" in query:
        return "DeleteBucketEncryption", path
    return None, path


def _create_bucket_refusal(environ: WSGIEnviron) -> tuple[int, str, str] | None:
    # Since April 2023 a bucket is created with ACLs disabled: a public canned ACL needs an ownership that allows
    # ACLs, asked for in the same call (S3 User Guide, "Controlling ownership of objects").
    canned = environ.get("HTTP_X_AMZ_ACL", "")
    ownership = environ.get("HTTP_X_AMZ_OBJECT_OWNERSHIP", "BucketOwnerEnforced")
    if canned not in _PRIVATE_ACLS and ownership == "BucketOwnerEnforced":
        return (
            400,
            "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        )
    return None


def _malformed_policy(body: bytes) -> tuple[int, str, str] | None:
    """S3's MalformedPolicy for a bucket policy it would not store: every statement needs Effect, Principal, Action
    and Resource (or their Not- forms)."""
    try:
        policy = json.loads(body)
    except ValueError:
        return 400, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'"
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return 400, "MalformedPolicy", "Missing required field Statement"
    for statement in statements:
        if not isinstance(statement, dict):
            return 400, "MalformedPolicy", "Statement is not an object"
        if statement.get("Effect") not in ("Allow", "Deny"):
            return 400, "MalformedPolicy", "Invalid effect: " + str(statement.get("Effect"))[:64]
        for field in ("Principal", "Action", "Resource"):
            if field not in statement and f"Not{field}" not in statement:
                return 400, "MalformedPolicy", f"Missing required field {field}"
    return None


def _is_public_policy(policy: Mapping[str, Any]) -> bool:
    """A statement that allows everyone with no condition: what BlockPublicPolicy refuses (a simplification of
    S3's rule, which also accepts some conditions as non-public: the emulator refuses only the plain cases)."""
    statements = policy.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        principal = statement.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else principal
        if aws == "*" or (isinstance(aws, list) and "*" in aws):
            return True
    return False


def _s3_error(start_response: StartResponse, bucket: str, status: int, code: str, message: str) -> list[bytes]:
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{_xml(message)}</Message><BucketName>{_xml(bucket)}</BucketName>"
        f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    ).encode()
    reason = {400: "Bad Request", 403: "Forbidden"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _account_principal_as_root_arn(environ: WSGIEnviron, region: str) -> None:
    """Lambda stores an account-id principal as that account's root ARN ({"AWS": "arn:aws:iam::ID:root"})."""
    try:
        document = json.loads(request_body(environ) or b"{}")
    except ValueError:
        return
    principal = document.get("Principal") if isinstance(document, dict) else None
    if isinstance(principal, str) and _ACCOUNT_ID.match(principal):
        document["Principal"] = f"arn:{_partition(region)}:iam::{principal}:root"
        replace_body(environ, json.dumps(document).encode())


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
