"""A synthetic AWS endpoint for benchmarks: STS, Organizations and the AWS Config calls the scanners make.

moto's server cannot be the backend of a benchmark (one interpreter lock, per-request model work), so this serves
generated, realistic items from precomputed bytes on an asyncio (aiohttp) server in its own process:

    python bench/endpoint.py --accounts 50 --regions us-east-1,eu-west-1 --resources 2000 --latency-ms 40 --rate 10

Its first stdout line is `endpoint: http://127.0.0.1:PORT`; it serves until SIGTERM or SIGINT.

- The account of a request is decoded from the access key id of its SigV4 Authorization header: AssumeRole issues
  `ASIA` + the 12-digit account id + padding; any other key is the management account. The region is the credential
  scope's.
- Items are generated lazily per (account, region, resource type), once, and kept as JSON bytes per item (the API
  model, not the rule-event model); ListDiscoveredResources pages of 100 are kept as whole response bodies, so a
  response is a lookup or a join of precomputed fragments.
- Every request waits `--latency-ms` (asyncio.sleep, not blocking the loop); a token bucket per (account, region, API)
  of `--rate` requests/s (burst `--rate`) answers AWS's throttling error once empty.
- `GET /_bench/stats` reports requests, the monotonic time of the first, per operation counts, throttles, evaluations
  put and the process's CPU seconds;
  `POST /_bench/reset` zeroes the counters.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import json
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

MANAGEMENT_ACCOUNT = "999999999999"
FIRST_MEMBER_ACCOUNT = 100_000_000_000
ORGANIZATION_ID = "o-bench000000"
RESOURCE_TYPES = ("AWS::EC2::Instance", "AWS::EC2::Volume", "AWS::EC2::SecurityGroup", "AWS::S3::Bucket")
INSTANCE_TYPES = ("t3.micro", "t3.small", "m5.large")
PAGE_SIZE = 100
ACCOUNTS_PAGE_SIZE = 20
# Items were "captured" shortly before this instant, resources created a year earlier: stable across runs.
CAPTURE_EPOCH = 1_750_000_000.0
CREATION_EPOCH = CAPTURE_EPOCH - 365 * 86400

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
XML_CONTENT_TYPE = "text/xml"
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
JSON_THROTTLE = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _iso(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"bench:{offset}".encode()).decode()


def _decode_token(token: Any) -> int:
    if token is None or token == "":
        return 0
    try:
        text = base64.urlsafe_b64decode(str(token).encode()).decode()
        prefix, _, offset = text.partition(":")
        if prefix != "bench" or not offset.isdigit():
            raise ValueError(text)
        return int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ApiError("InvalidNextTokenException", "The nextToken provided is invalid") from error


# --- workload --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    accounts: int = 3
    regions: tuple[str, ...] = ("us-east-1",)
    resources: int = 100
    huge: tuple[tuple[int, str, int], ...] = ()
    seed: str = "cloudsweep"
    # Resources of each type per account-region, in place of `resources` spread evenly over the four types.
    mix: tuple[tuple[str, int], ...] = ()

    def member_accounts(self) -> list[str]:
        return [str(FIRST_MEMBER_ACCOUNT + index) for index in range(self.accounts)]

    def account_index(self, account_id: str) -> int | None:
        """A member's index; None for the management account and unknown accounts (which get the default mix)."""
        if account_id.isdigit() and 0 <= int(account_id) - FIRST_MEMBER_ACCOUNT < self.accounts:
            return int(account_id) - FIRST_MEMBER_ACCOUNT
        return None

    def count(self, account_id: str, region: str, resource_type: str) -> int:
        if region not in self.regions or resource_type not in RESOURCE_TYPES:
            return 0
        index = self.account_index(account_id)
        for huge_index, huge_type, huge_count in self.huge:
            if index == huge_index and region == self.regions[0] and resource_type == huge_type:
                return huge_count
        if self.mix:
            return dict(self.mix).get(resource_type, 0)
        position = RESOURCE_TYPES.index(resource_type)
        share, remainder = divmod(self.resources, len(RESOURCE_TYPES))
        return share + (1 if position < remainder else 0)

    def resource_id(self, account_id: str, region: str, resource_type: str, index: int) -> str:
        digest = hashlib.blake2b(
            f"{self.seed}|{account_id}|{region}|{resource_type}|{index}".encode(), digest_size=9
        ).hexdigest()[:17]
        if resource_type == "AWS::EC2::Instance":
            return f"i-{digest}"
        if resource_type == "AWS::EC2::Volume":
            return f"vol-{digest}"
        if resource_type == "AWS::EC2::SecurityGroup":
            return f"sg-{digest}"
        return f"bench-{account_id}-{region}-{index:06d}"


@dataclass
class TypeInventory:
    """One (account, region, resource type): precomputed fragments and page bodies."""

    ids: list[str]
    identifiers: list[bytes]  # ListDiscoveredResources resourceIdentifiers entries
    base_items: dict[str, bytes]  # BatchGetResourceConfig baseConfigurationItems entries
    history_items: dict[str, bytes]  # GetResourceConfigHistory configurationItems entries
    pages: list[bytes] = field(default_factory=list)  # full ListDiscoveredResources bodies for limit 100


def _hex(seed: str, length: int) -> str:
    return hashlib.blake2b(seed.encode(), digest_size=(length + 1) // 2).hexdigest()[:length]


class Generator:
    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self.cache: dict[tuple[str, str, str], TypeInventory] = {}
        self.items_generated = 0

    def inventory(self, account_id: str, region: str, resource_type: str) -> TypeInventory:
        key = (account_id, region, resource_type)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self._build(account_id, region, resource_type)
        return found

    def _build(self, account_id: str, region: str, resource_type: str) -> TypeInventory:
        count = self.workload.count(account_id, region, resource_type)
        ids: list[str] = []
        identifiers: list[bytes] = []
        base_items: dict[str, bytes] = {}
        history_items: dict[str, bytes] = {}
        for index in range(count):
            resource_id = self.workload.resource_id(account_id, region, resource_type, index)
            item = self._item(account_id, region, resource_type, index, resource_id)
            ids.append(resource_id)
            identifier: dict[str, Any] = {"resourceType": resource_type, "resourceId": resource_id}
            if "resourceName" in item:
                identifier["resourceName"] = item["resourceName"]
            identifiers.append(_dumps(identifier))
            base_items[resource_id] = _dumps(item)
            item["configurationItemMD5Hash"] = hashlib.md5(
                item["configuration"].encode(), usedforsecurity=False
            ).hexdigest()
            item["tags"] = {}
            item["relatedEvents"] = []
            item["relationships"] = []
            history_items[resource_id] = _dumps(item)
        self.items_generated += count
        inventory = TypeInventory(ids, identifiers, base_items, history_items)
        for start in range(0, max(count, 1), PAGE_SIZE):
            inventory.pages.append(_list_body(identifiers[start : start + PAGE_SIZE], start + PAGE_SIZE, count))
        return inventory

    def _item(self, account_id: str, region: str, resource_type: str, index: int, resource_id: str) -> dict[str, Any]:
        workload = self.workload
        seed = f"{workload.seed}|{account_id}|{region}|{resource_type}|{index}"
        zone = f"{region}{'abc'[index % 3]}"
        created = CREATION_EPOCH + index * 61.0
        captured = CAPTURE_EPOCH - (index % 3600)
        octet_c, octet_d = (index // 250) % 250, index % 250 + 4
        vpc_id = f"vpc-{_hex(f'{workload.seed}|{account_id}|{region}|vpc', 17)}"
        subnet_id = f"subnet-{_hex(f'{workload.seed}|{account_id}|{region}|subnet|{index % 3}', 17)}"
        name: str | None = None
        supplementary: dict[str, str] = {}
        if resource_type == "AWS::EC2::Instance":
            arn = f"arn:aws:ec2:{region}:{account_id}:instance/{resource_id}"
            groups = self._related(account_id, region, "AWS::EC2::SecurityGroup", index)
            volumes = self._related(account_id, region, "AWS::EC2::Volume", index)
            configuration: dict[str, Any] = {
                "instanceId": resource_id,
                "imageId": f"ami-{_hex(seed + '|ami', 17)}",
                "state": {"code": 16, "name": "running"},
                "privateDnsName": f"ip-10-0-{octet_c}-{octet_d}.ec2.internal",
                "publicDnsName": "",
                "stateTransitionReason": "",
                "keyName": "bench-key",
                "amiLaunchIndex": 0,
                "productCodes": [],
                "instanceType": INSTANCE_TYPES[index % len(INSTANCE_TYPES)],
                "launchTime": _iso(created),
                "placement": {"availabilityZone": zone, "groupName": "", "tenancy": "default"},
                "monitoring": {"state": "disabled"},
                "subnetId": subnet_id,
                "vpcId": vpc_id,
                "privateIpAddress": f"10.0.{octet_c}.{octet_d}",
                "architecture": "x86_64",
                "rootDeviceType": "ebs",
                "rootDeviceName": "/dev/xvda",
                "blockDeviceMappings": [
                    {
                        "deviceName": "/dev/xvda",
                        "ebs": {
                            "volumeId": volume,
                            "status": "attached",
                            "attachTime": _iso(created + 1),
                            "deleteOnTermination": True,
                        },
                    }
                    for volume in volumes
                ],
                "virtualizationType": "hvm",
                "metadataOptions": {
                    "state": "applied",
                    "httpTokens": "required" if index % 2 else "optional",
                    "httpPutResponseHopLimit": 1,
                    "httpEndpoint": "enabled",
                },
                "tags": [{"key": "Name", "value": f"bench-{index}"}],
                "securityGroups": [{"groupName": f"bench-sg-{group[-6:]}", "groupId": group} for group in groups],
                "sourceDestCheck": True,
                "hypervisor": "xen",
                "ebsOptimized": False,
                "enaSupport": True,
            }
        elif resource_type == "AWS::EC2::Volume":
            arn = f"arn:aws:ec2:{region}:{account_id}:volume/{resource_id}"
            attached = index % 4 != 3
            configuration = {
                "volumeId": resource_id,
                "size": 8 * (1 + index % 8),
                "snapshotId": "",
                "availabilityZone": zone,
                "state": "in-use" if attached else "available",
                "createTime": _iso(created),
                "attachments": (
                    [
                        {
                            "volumeId": resource_id,
                            "instanceId": workload.resource_id(account_id, region, "AWS::EC2::Instance", index),
                            "device": "/dev/xvda",
                            "state": "attached",
                            "attachTime": _iso(created + 1),
                            "deleteOnTermination": True,
                        }
                    ]
                    if attached
                    else []
                ),
                "tags": [],
                "volumeType": "gp3",
                "iops": 3000,
                "encrypted": index % 5 != 0,
                "multiAttachEnabled": False,
                "throughput": 125,
            }
        elif resource_type == "AWS::EC2::SecurityGroup":
            arn = f"arn:aws:ec2:{region}:{account_id}:security-group/{resource_id}"
            name = f"bench-sg-{resource_id[-6:]}"
            zone = "Not Applicable"
            configuration = {
                "ownerId": account_id,
                "groupName": name,
                "groupId": resource_id,
                "description": f"{name} created {_iso(created)}",
                "ipPermissions": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 22 if index % 4 == 0 else 443,
                        "toPort": 22 if index % 4 == 0 else 443,
                        "userIdGroupPairs": [],
                        "ipRanges": ["0.0.0.0/0"],
                        "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}],
                        "prefixListIds": [],
                    }
                ],
                "ipPermissionsEgress": [
                    {
                        "ipProtocol": "-1",
                        "userIdGroupPairs": [],
                        "ipRanges": ["0.0.0.0/0"],
                        "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}],
                        "prefixListIds": [],
                    }
                ],
                "vpcId": vpc_id,
                "tags": [],
            }
        else:
            name = resource_id
            arn = f"arn:aws:s3:::{resource_id}"
            # The API's supplementaryConfiguration values are JSON strings (the rule event's are objects).
            supplementary["BucketVersioningConfiguration"] = json.dumps(
                {"status": ("Enabled", "Suspended", "Off")[index % 3], "isMfaDeleteEnabled": None},
                separators=(",", ":"),
            )
            zone = "Regional"
            configuration = {
                "name": resource_id,
                "owner": {"displayName": None, "id": _hex(f"{workload.seed}|{account_id}|canonical", 64)},
                "creationDate": _iso(created),
            }
        item: dict[str, Any] = {
            "version": "1.3",
            "accountId": account_id,
            "configurationItemCaptureTime": captured,
            "configurationItemStatus": "OK",
            "configurationStateId": str(int(captured * 1000)),
            "arn": arn,
            "resourceType": resource_type,
            "resourceId": resource_id,
        }
        if name is not None:
            item["resourceName"] = name
        item.update(
            {
                "awsRegion": region,
                "availabilityZone": zone,
                "resourceCreationTime": created,
                "configuration": json.dumps(configuration, separators=(",", ":")),
                "supplementaryConfiguration": supplementary,
            }
        )
        return item

    def _related(self, account_id: str, region: str, resource_type: str, index: int) -> list[str]:
        count = self.workload.count(account_id, region, resource_type)
        if count == 0:
            return []
        return [self.workload.resource_id(account_id, region, resource_type, index % count)]


def _list_body(identifiers: list[bytes], next_offset: int, count: int) -> bytes:
    body = b'{"resourceIdentifiers":[' + b",".join(identifiers) + b"]"
    if next_offset < count:
        body += b',"nextToken":"' + _encode_token(next_offset).encode() + b'"'
    return body + b"}"


# --- server ----------------------------------------------------------------------------------------------------------


@dataclass
class Bucket:
    tokens: float
    updated: float


class Endpoint:
    def __init__(self, workload: Workload, latency: float, rate: float) -> None:
        self.workload = workload
        self.generator = Generator(workload)
        self.latency = latency
        self.rate = rate
        self.buckets: dict[tuple[str, str, str], Bucket] = {}
        self.requests = 0
        # time.monotonic() of the first request since the last reset: when a scanner started talking to AWS.
        self.first_request_at: float | None = None
        self.by_operation: Counter[str] = Counter()
        self.throttles: Counter[str] = Counter()
        self.evaluations: Counter[str] = Counter()
        self.evaluations_total = 0
        self.started = time.monotonic()
        self.cpu_at_reset = time.process_time()
        self._scopes: dict[str, tuple[str, str]] = {}
        self._assumed: dict[str, bytes] = {}
        self._account_pages = self._build_account_pages()
        self._caller_identity = self._sts_body(
            "GetCallerIdentity",
            f"<Arn>arn:aws:iam::{MANAGEMENT_ACCOUNT}:user/bench</Arn><UserId>AIDABENCHUSER00000000</UserId>"
            f"<Account>{MANAGEMENT_ACCOUNT}</Account>",
        )
        self.json_handlers = {
            "ListDiscoveredResources": self.list_discovered_resources,
            "BatchGetResourceConfig": self.batch_get_resource_config,
            "GetResourceConfigHistory": self.get_resource_config_history,
            "PutEvaluations": self.put_evaluations,
            "ListAccounts": self.list_accounts,
        }

    # --- bookkeeping ---

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "first_request_at": self.first_request_at,
            "by_operation": dict(self.by_operation),
            "throttles": sum(self.throttles.values()),
            "throttles_by_operation": dict(self.throttles),
            "evaluations_put": self.evaluations_total,
            "evaluations_by_scope": dict(self.evaluations),
            "cpu_seconds": time.process_time(),
            "cpu_seconds_since_reset": time.process_time() - self.cpu_at_reset,
            "uptime_seconds": time.monotonic() - self.started,
            "items_generated": self.generator.items_generated,
        }

    def reset(self) -> None:
        self.requests = 0
        self.first_request_at = None
        self.by_operation.clear()
        self.throttles.clear()
        self.evaluations.clear()
        self.evaluations_total = 0
        self.buckets.clear()
        self.cpu_at_reset = time.process_time()

    def scope(self, authorization: str) -> tuple[str, str]:
        """(account, region) from `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`."""
        start = authorization.find("Credential=")
        if start < 0:
            return MANAGEMENT_ACCOUNT, "us-east-1"
        end = authorization.find(",", start)
        credential = authorization[start + 11 : end if end >= 0 else None]
        found = self._scopes.get(credential)
        if found is None:
            parts = credential.split("/")
            key = parts[0]
            account = key[4:16] if key.startswith("ASIA") and key[4:16].isdigit() else MANAGEMENT_ACCOUNT
            region = parts[2] if len(parts) > 2 else "us-east-1"
            if len(self._scopes) < 100_000:
                self._scopes[credential] = found = (account, region)
            else:
                found = (account, region)
        return found

    def allow(self, account: str, region: str, operation: str) -> bool:
        if self.rate <= 0:
            return True
        now = time.monotonic()
        key = (account, region, operation)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(self.rate, now)
        else:
            bucket.tokens = min(self.rate, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return True
        return False

    # --- HTTP ---

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/_bench/"):
            return self.control(request)
        if self.first_request_at is None:
            self.first_request_at = time.monotonic()
        body = await request.read()
        account, region = self.scope(request.headers.get("Authorization", ""))
        target = request.headers.get("X-Amz-Target")
        if target is not None:
            operation = target.partition(".")[2]
            self.requests += 1
            self.by_operation[operation] += 1
            if not self.allow(account, region, operation):
                self.throttles[operation] += 1
                await self._wait()
                return _json_response(JSON_THROTTLE, 400)
            await self._wait()
            handler = self.json_handlers.get(operation)
            try:
                if handler is None:
                    raise ApiError("UnknownOperationException", f"Unknown operation {operation}")
                try:
                    payload = json.loads(body) if body else {}
                except ValueError as error:
                    raise ApiError("SerializationException", "Malformed JSON body") from error
                if not isinstance(payload, dict):
                    raise ApiError("SerializationException", "The request body must be a JSON object")
                return _json_response(handler(account, region, payload), 200)
            except ApiError as error:
                return _json_response(_dumps({"__type": error.code, "message": error.message}), error.status)
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        operation = form.get("Action", "")
        self.requests += 1
        self.by_operation[operation] += 1
        if not self.allow(account, region, operation):
            self.throttles[operation] += 1
            await self._wait()
            return _xml_error("Throttling", "Rate exceeded", 400)
        await self._wait()
        try:
            if operation == "AssumeRole":
                return _xml_response(self.assume_role(form))
            if operation == "GetCallerIdentity":
                return _xml_response(
                    self._caller_identity if account == MANAGEMENT_ACCOUNT else self._identity(account)
                )
            raise ApiError("InvalidAction", f"Could not find operation {operation or '(none)'}")
        except ApiError as error:
            return _xml_error(error.code, error.message, error.status)

    async def _wait(self) -> None:
        if self.latency > 0:
            await asyncio.sleep(self.latency)

    def control(self, request: web.Request) -> web.Response:
        if request.path == "/_bench/stats" and request.method == "GET":
            return web.json_response(self.stats())
        if request.path == "/_bench/reset" and request.method == "POST":
            self.reset()
            return web.json_response({"reset": True})
        return web.json_response({"error": "not found"}, status=404)

    # --- STS ---

    @staticmethod
    def _sts_body(operation: str, result: str) -> bytes:
        return (
            f'<{operation}Response xmlns="{STS_NAMESPACE}"><{operation}Result>{result}</{operation}Result>'
            f"<ResponseMetadata><RequestId>bench-{operation}</RequestId></ResponseMetadata></{operation}Response>"
        ).encode()

    def _identity(self, account: str) -> bytes:
        return self._sts_body(
            "GetCallerIdentity",
            f"<Arn>arn:aws:sts::{account}:assumed-role/bench/bench</Arn><UserId>AROABENCH:bench</UserId>"
            f"<Account>{account}</Account>",
        )

    def assume_role(self, form: dict[str, str]) -> bytes:
        role_arn = form.get("RoleArn", "")
        parts = role_arn.split(":")
        if len(parts) != 6 or not parts[4].isdigit() or len(parts[4]) != 12 or not parts[5].startswith("role/"):
            raise ApiError("ValidationError", f"{role_arn!r} is not a valid role ARN")
        account = parts[4]
        if account != MANAGEMENT_ACCOUNT and self.workload.account_index(account) is None:
            raise ApiError("AccessDenied", f"Not authorized to perform sts:AssumeRole on resource: {role_arn}", 403)
        cached = self._assumed.get(role_arn)
        if cached is None:
            session = form.get("RoleSessionName", "bench")
            role = parts[5].removeprefix("role/")
            expiration = dt.datetime.fromtimestamp(time.time() + 12 * 3600, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            cached = self._assumed[role_arn] = self._sts_body(
                "AssumeRole",
                f"<Credentials><AccessKeyId>ASIA{account}BNCH</AccessKeyId>"
                f"<SecretAccessKey>bench-secret-{account}</SecretAccessKey>"
                f"<SessionToken>bench-session-{account}</SessionToken><Expiration>{expiration}</Expiration>"
                f"</Credentials><AssumedRoleUser><Arn>arn:aws:sts::{account}:assumed-role/{role}/{session}</Arn>"
                f"<AssumedRoleId>AROABENCH{account}:{session}</AssumedRoleId></AssumedRoleUser>",
            )
        return cached

    # --- Organizations ---

    def _build_account_pages(self) -> list[bytes]:
        accounts = self.workload.member_accounts()
        entries = [
            _dumps(
                {
                    "Id": account,
                    "Arn": f"arn:aws:organizations::{MANAGEMENT_ACCOUNT}:account/{ORGANIZATION_ID}/{account}",
                    "Email": f"bench+{account}@example.com",
                    "Name": f"bench-{account}",
                    "Status": "ACTIVE",
                    "State": "ACTIVE",
                    "JoinedMethod": "CREATED",
                    "JoinedTimestamp": CREATION_EPOCH,
                }
            )
            for account in accounts
        ]
        pages = []
        for start in range(0, max(len(entries), 1), ACCOUNTS_PAGE_SIZE):
            body = b'{"Accounts":[' + b",".join(entries[start : start + ACCOUNTS_PAGE_SIZE]) + b"]"
            if start + ACCOUNTS_PAGE_SIZE < len(entries):
                body += b',"NextToken":"' + _encode_token(start + ACCOUNTS_PAGE_SIZE).encode() + b'"'
            pages.append(body + b"}")
        return pages

    def list_accounts(self, account: str, region: str, payload: dict[str, Any]) -> bytes:
        offset = _decode_token(payload.get("NextToken"))
        if offset % ACCOUNTS_PAGE_SIZE or offset // ACCOUNTS_PAGE_SIZE >= len(self._account_pages):
            raise ApiError("InvalidInputException", "You specified an invalid value for nextToken.")
        return self._account_pages[offset // ACCOUNTS_PAGE_SIZE]

    # --- Config ---

    def _inventory(self, account: str, region: str, payload: dict[str, Any]) -> TypeInventory:
        resource_type = payload.get("resourceType")
        if not isinstance(resource_type, str) or not resource_type:
            raise ApiError("ValidationException", "Value null at 'resourceType' failed to satisfy constraint")
        return self.generator.inventory(account, region, resource_type)

    def list_discovered_resources(self, account: str, region: str, payload: dict[str, Any]) -> bytes:
        inventory = self._inventory(account, region, payload)
        limit = payload.get("limit") or PAGE_SIZE
        if not isinstance(limit, int) or not 0 < limit <= PAGE_SIZE:
            raise ApiError(
                "ValidationException", "Value at 'limit' failed to satisfy constraint: Member must be <= 100"
            )
        offset = _decode_token(payload.get("nextToken"))
        count = len(inventory.ids)
        if offset > count:
            raise ApiError("InvalidNextTokenException", "The nextToken provided is invalid")
        wanted = payload.get("resourceIds") or payload.get("resourceName")
        if not wanted and limit == PAGE_SIZE and offset % PAGE_SIZE == 0 and offset // PAGE_SIZE < len(inventory.pages):
            return inventory.pages[offset // PAGE_SIZE]
        if wanted:  # rare filtered lookups: not precomputed
            names = set(wanted) if isinstance(wanted, list) else {wanted}
            chosen = [
                fragment
                for resource_id, fragment in zip(inventory.ids, inventory.identifiers, strict=True)
                if resource_id in names
                or (isinstance(wanted, str) and b'"resourceName":"' + wanted.encode() in fragment)
            ]
            return _list_body(chosen[offset : offset + limit], offset + limit, len(chosen))
        return _list_body(inventory.identifiers[offset : offset + limit], offset + limit, count)

    def batch_get_resource_config(self, account: str, region: str, payload: dict[str, Any]) -> bytes:
        keys = payload.get("resourceKeys")
        if not isinstance(keys, list) or not 1 <= len(keys) <= PAGE_SIZE:
            raise ApiError(
                "ValidationException",
                "1 validation error detected: Value at 'resourceKeys' failed to satisfy constraint: "
                "Member must have length less than or equal to 100 and greater than or equal to 1",
            )
        found: list[bytes] = []
        for key in keys:
            if not isinstance(key, dict):
                raise ApiError("ValidationException", "Each resource key must have resourceType and resourceId")
            fragment = self._inventory(account, region, key).base_items.get(key.get("resourceId", ""))
            if fragment is not None:
                found.append(fragment)
        return b'{"baseConfigurationItems":[' + b",".join(found) + b'],"unprocessedResourceKeys":[]}'

    def get_resource_config_history(self, account: str, region: str, payload: dict[str, Any]) -> bytes:
        inventory = self._inventory(account, region, payload)
        resource_id = payload.get("resourceId", "")
        fragment = inventory.history_items.get(resource_id)
        if fragment is None:
            raise ApiError(
                "ResourceNotDiscoveredException",
                f"Resource {resource_id} of resourceType:{payload.get('resourceType')} is unknown or has not been "
                "discovered",
            )
        return b'{"configurationItems":[' + fragment + b"]}"

    def put_evaluations(self, account: str, region: str, payload: dict[str, Any]) -> bytes:
        evaluations = payload.get("Evaluations")
        if not isinstance(evaluations, list) or not 1 <= len(evaluations) <= PAGE_SIZE:
            raise ApiError(
                "ValidationException",
                "1 validation error detected: Value at 'evaluations' failed to satisfy constraint: "
                "Member must have length less than or equal to 100 and greater than or equal to 1",
            )
        self.evaluations[f"{account}/{region}"] += len(evaluations)
        self.evaluations_total += len(evaluations)
        return b'{"FailedEvaluations":[]}'


_JSON_HEADERS = {"Content-Type": JSON_CONTENT_TYPE, "x-amzn-RequestId": "bench-request"}
_XML_HEADERS = {"Content-Type": XML_CONTENT_TYPE, "x-amzn-RequestId": "bench-request"}


def _json_response(body: bytes, status: int) -> web.Response:
    return web.Response(body=body, status=status, headers=_JSON_HEADERS)


def _xml_response(body: bytes) -> web.Response:
    return web.Response(body=body, status=200, headers=_XML_HEADERS)


def _xml_error(code: str, message: str, status: int) -> web.Response:
    kind = "Sender" if status < 500 else "Receiver"
    body = (
        f'<ErrorResponse xmlns="{STS_NAMESPACE}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>bench-request</RequestId></ErrorResponse>"
    ).encode()
    return web.Response(body=body, status=status, headers=_XML_HEADERS)


# --- command line ----------------------------------------------------------------------------------------------------


def parse_huge(value: str) -> tuple[int, str, int]:
    index, _, rest = value.partition(":")
    resource_type, _, count = rest.rpartition(":")
    if not index.isdigit() or resource_type not in RESOURCE_TYPES or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected ACCOUNT_INDEX:TYPE:COUNT with TYPE in {RESOURCE_TYPES}")
    return int(index), resource_type, int(count)


def parse_mix(value: str) -> tuple[str, int]:
    resource_type, _, count = value.rpartition("=")
    if resource_type not in RESOURCE_TYPES or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected TYPE=COUNT with TYPE in {RESOURCE_TYPES}")
    return resource_type, int(count)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--accounts", type=int, default=3, help="member accounts (ids 100000000000 + i)")
    parser.add_argument("--regions", default="us-east-1", help="comma-separated regions holding resources")
    parser.add_argument("--resources", type=int, default=100, help="resources per account-region, over 4 types")
    parser.add_argument(
        "--huge",
        type=parse_huge,
        action="append",
        default=[],
        metavar="ACCOUNT_INDEX:TYPE:COUNT",
        help="that account's first region holds COUNT resources of TYPE (repeatable)",
    )
    parser.add_argument(
        "--mix",
        type=parse_mix,
        action="append",
        default=[],
        metavar="TYPE=COUNT",
        help="COUNT resources of TYPE per account-region, in place of --resources (repeatable)",
    )
    parser.add_argument("--latency-ms", type=float, default=40.0, help="added to every request")
    parser.add_argument("--rate", type=float, default=0.0, help="requests/s per (account, region, API); 0: unlimited")
    parser.add_argument("--seed", default="cloudsweep")
    parser.add_argument(
        "--prewarm", action="store_true", help="generate every account's items before printing the endpoint line"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    workload = Workload(
        accounts=args.accounts,
        regions=tuple(region.strip() for region in args.regions.split(",") if region.strip()),
        resources=args.resources,
        huge=tuple(args.huge),
        seed=args.seed,
        mix=tuple(args.mix),
    )
    endpoint = Endpoint(workload, latency=args.latency_ms / 1000, rate=args.rate)
    if args.prewarm:
        for account in [*workload.member_accounts(), MANAGEMENT_ACCOUNT]:
            for region in workload.regions:
                for resource_type in RESOURCE_TYPES:
                    endpoint.generator.inventory(account, region, resource_type)
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", endpoint.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port, backlog=1024)
    await site.start()
    host, port = runner.addresses[0][:2]
    print(f"endpoint: http://{host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    print(json.dumps({"final_stats": endpoint.stats()}), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
