"""A local stand-in for Alibaba Cloud Config's API (2020-09-07), for tests and `cloudsweep invoke --cloud alibaba`.

No emulator of Alibaba Cloud exists, so this is ours, and it is strict rather than rich. Every request must be a
well-formed RPC call as the official SDK makes them: POST /, `x-acs-action` one of the three actions a custom rule
uses, `x-acs-version: 2020-09-07`, a fresh `x-acs-date` and `x-acs-signature-nonce`, `x-acs-content-sha256` equal
to the body's SHA-256, an ACS3-HMAC-SHA256 `Authorization` whose signature is recomputed here from the signed
headers (host and every x-acs-* header among them) with the caller's AccessKey secret, the STS token when the key
is temporary, and the action's parameters (names, types, ranges, the result token). Anything else is answered with
Alibaba Cloud's error document (RequestId, HostId, Code, Message, Recommend) and a 4xx, as the real API does.

It answers with the documented response shapes: ListDiscoveredResources pages (NextToken, MaxResults,
TotalCount), GetDiscoveredResource details (Configuration as a JSON string), PutEvaluations' `Result`. Faults
(throttling, 5xx, refusals) are queued per action with `fail(...)`. What it cannot tell: whether Alibaba Cloud
itself would accept an evaluation of a resource it does not know, its real limits (it documents no cap on
evaluations per call nor on annotation length), and its real error code for a bad result token. The README says so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote

from cloudsweep_emulator.wsgi import STOP_POLL_SECONDS, StartResponse, WSGIEnviron, json_reply, request_body
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

API_VERSION = "2020-09-07"
ALGORITHM = "ACS3-HMAC-SHA256"
HOST_ID = "config.cn-shanghai.aliyuncs.com"
MAX_CLOCK_SKEW = timedelta(minutes=15)
PAGE_SIZE_RANGE = (1, 100)
# PutEvaluations: Alibaba Cloud documents no cap on evaluations per call. This endpoint holds callers to AWS's 100,
# which is what cloudsweep sends at most (the README says so).
MAX_EVALUATIONS_PER_CALL = 100
COMPLIANCE_TYPES = frozenset({"COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"})
ACTIONS = ("ListDiscoveredResources", "GetDiscoveredResource", "PutEvaluations")
# The documented example's keys, camelCase (complianceResourceName is in Alibaba Cloud's newer sample).
_REQUIRED_EVALUATION_FIELDS = (
    "accountId",
    "complianceResourceId",
    "complianceResourceType",
    "complianceRegionId",
    "complianceType",
    "orderingTimestamp",
)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class DiscoveredResource:
    """One resource as Cloud Config records it: the profile fields plus its configuration."""

    account_id: int
    region: str
    resource_type: str
    resource_id: str
    configuration: Mapping[str, Any]
    resource_name: str = ""
    resource_status: str = ""
    availability_zone: str = ""
    deleted: bool = False
    tags: Mapping[str, list[str]] = field(default_factory=dict)
    created: datetime = field(default_factory=lambda: datetime(2024, 3, 1, tzinfo=UTC))

    def profile(self) -> dict[str, Any]:
        return {
            "AccountId": self.account_id,
            "AvailabilityZone": self.availability_zone,
            "Region": self.region,
            "ResourceCreationTime": _epoch_ms(self.created),
            # Cloud Config's flag reads "exists": 1 for a live resource, 0 for a deleted one.
            "ResourceDeleted": 0 if self.deleted else 1,
            "ResourceId": self.resource_id,
            "ResourceName": self.resource_name,
            "ResourceStatus": self.resource_status,
            "ResourceType": self.resource_type,
            "Tags": json.dumps(dict(self.tags)),
            "UpdateTime": _epoch_ms(self.created),
            "Version": 1,
        }

    def detail(self) -> dict[str, Any]:
        profile = self.profile()
        for key in ("UpdateTime", "Version"):
            profile.pop(key)
        return {**profile, "Configuration": json.dumps(dict(self.configuration))}


@dataclass(frozen=True)
class Fault:
    """An error answer for the next `times` calls of `action` (None: any action); `garbled` answers 200 with a
    body that is not JSON, as a proxy or a cut connection can."""

    action: str | None
    status: int
    code: str
    message: str
    times: int = 1
    garbled: bool = False
    retry_after_ms: int | None = None  # sent as x-acs-retry-after, which makes the SDK raise ThrottlingException
    skip: int = 0  # let this many matching calls through first (page 2 of a listing fails, not page 1)
    answer: Any = None  # with status 200: this JSON instead of the action's answer (a malformed one)


@dataclass(frozen=True)
class RecordedCall:
    action: str
    parameters: Mapping[str, str]
    status: int
    code: str | None  # the error code answered, None for a success
    headers: Mapping[str, str] = field(repr=False)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after_ms: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms


def throttling(action: str | None = None, times: int = 1, *, retry_after_ms: int | None = None) -> Fault:
    """Alibaba Cloud's throttling answer for a user's request rate (with `retry_after_ms`, a wait it asks for)."""
    message = "Request was denied due to user flow control."
    return Fault(action, 400, "Throttling.User", message, times, retry_after_ms=retry_after_ms)


def server_error(action: str | None = None, times: int = 1) -> Fault:
    return Fault(action, 500, "InternalError", "The request processing has failed due to some unknown error.", times)


def unavailable(action: str | None = None, times: int = 1) -> Fault:
    """The documented 503."""
    message = "The request has failed due to a temporary failure of the server."
    return Fault(action, 503, "ServiceUnavailable", message, times)


def malformed(action: str | None, answer: Any, times: int = 1) -> Fault:
    """A 200 whose JSON is not what the action answers."""
    return Fault(action, 200, "Malformed", "", times, answer=answer)


def garbled(action: str | None = None, times: int = 1) -> Fault:
    return Fault(action, 200, "Garbled", "<html>502 Bad Gateway</html>", times, garbled=True)


class AlibabaConfigEndpoint:
    """Cloud Config's API on 127.0.0.1, in a thread: `with AlibabaConfigEndpoint(...) as endpoint: endpoint.url`."""

    def __init__(
        self,
        credentials: Mapping[str, tuple[str, str | None]],
        *,
        resources: Iterable[DiscoveredResource] = (),
        result_tokens: Iterable[str] = (),
        clock: Any = None,
        latency: float = 0.0,
        port: int = 0,
        accept_any_token: bool = False,
    ) -> None:
        # AccessKey id -> (secret, STS token or None for a long-term key).
        self.credentials = dict(credentials)
        self.resources = list(resources)
        self.result_tokens = set(result_tokens)
        self.evaluations: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[RecordedCall] = []
        self._faults: list[Fault] = []
        self._nonces: set[str] = set()
        self._pages: dict[str, int] = {}
        self._lock = threading.Lock()
        self._clock = clock or (lambda: datetime.now(UTC))
        self.latency = latency
        self.port = port
        # The demo (`cloudsweep emulator --cloud alibaba`) takes the tokens `cloudsweep event` makes up.
        self.accept_any_token = accept_any_token
        self.in_flight = 0
        self.max_in_flight: dict[str, int] = {}
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # --- control ---------------------------------------------------------------------------------------------

    def fail(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def calls_of(self, action: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.action == action]

    def put(self, result_token: str) -> list[dict[str, Any]]:
        """The evaluations accepted under `result_token`, in the order they came."""
        return self.evaluations.get(result_token, [])

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the endpoint is not running")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> AlibabaConfigEndpoint:
        self._server = make_server("127.0.0.1", self.port, self, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": STOP_POLL_SECONDS},
            name="alibaba-config",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> AlibabaConfigEndpoint:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # --- WSGI ------------------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> list[bytes]:
        request_id = str(uuid.uuid4()).upper()
        headers = {
            key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        body = request_body(environ)
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        parameters = dict(query)
        if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            parameters.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        action = headers.get("x-acs-action", "")
        with self._lock:
            self.in_flight += 1
            self.max_in_flight[action] = max(self.max_in_flight.get(action, 0), self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            self._authenticate(environ, headers, query, body)
            with self._lock:
                fault = self._take_fault(action)
                if fault is not None and fault.answer is not None:
                    self.calls.append(RecordedCall(action, parameters, fault.status, fault.code, headers))
                    return json_reply(start_response, fault.status, fault.answer)
                if fault is not None and fault.garbled:
                    self.calls.append(RecordedCall(action, parameters, fault.status, fault.code, headers))
                    start_response("200 OK", [("Content-Type", "application/json")])
                    return [fault.message.encode()]
                if fault is not None:
                    raise ApiError(fault.status, fault.code, fault.message, fault.retry_after_ms)
                payload = self._dispatch(action, parameters)
        except ApiError as error:
            self.calls.append(RecordedCall(action, parameters, error.status, error.code, headers))
            document = {
                "RequestId": request_id,
                "HostId": HOST_ID,
                "Code": error.code,
                "Message": error.message,
                "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product=Config",
            }
            if error.retry_after_ms is None:
                return json_reply(start_response, error.status, document)
            body = json.dumps(document).encode()
            start_response(
                f"{error.status} {HTTPStatus(error.status).phrase}",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    ("x-acs-retry-after", str(error.retry_after_ms)),
                ],
            )
            return [body]
        finally:
            with self._lock:
                self.in_flight -= 1
        self.calls.append(RecordedCall(action, parameters, 200, None, headers))
        return json_reply(start_response, 200, {"RequestId": request_id, **payload})

    def _take_fault(self, action: str) -> Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.action in (None, action):
                if fault.skip > 0:
                    self._faults[index] = dataclasses.replace(fault, skip=fault.skip - 1)
                    return None
                if fault.times <= 1:
                    del self._faults[index]
                else:
                    self._faults[index] = dataclasses.replace(fault, times=fault.times - 1)
                return fault
        return None

    # --- the request's form and signature -------------------------------------------------------------------

    def _authenticate(
        self, environ: WSGIEnviron, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> None:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/":
            raise ApiError(400, "UnsupportedHTTPMethod", "RPC calls are POST / in this API.")
        if headers.get("x-acs-version") != API_VERSION:
            raise ApiError(
                400, "InvalidVersion", f"Specified parameter Version is not valid: {headers.get('x-acs-version')!r}"
            )
        if headers.get("x-acs-action") not in ACTIONS:
            raise ApiError(
                404, "InvalidAction.NotFound", f"Specified api is not found: {headers.get('x-acs-action')!r}"
            )
        date = headers.get("x-acs-date", "")
        try:
            sent = datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise ApiError(
                400, "InvalidTimeStamp.Format", f"x-acs-date is not yyyy-MM-ddTHH:mm:ssZ: {date!r}"
            ) from None
        if abs(self._clock() - sent) > MAX_CLOCK_SKEW:
            raise ApiError(400, "InvalidTimeStamp.Expired", f"x-acs-date {date} is more than 15 minutes off.")
        nonce = headers.get("x-acs-signature-nonce", "")
        if not nonce:
            raise ApiError(400, "MissingSignatureNonce", "x-acs-signature-nonce is required.")
        digest = hashlib.sha256(body).hexdigest()
        if headers.get("x-acs-content-sha256") != digest:
            raise ApiError(400, "InvalidContentSha256", "x-acs-content-sha256 does not match the body.")
        authorization = headers.get("authorization", "")
        algorithm, _, fields_text = authorization.partition(" ")
        fields = dict(part.split("=", 1) for part in fields_text.split(",") if "=" in part)
        if algorithm != ALGORITHM or not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
            raise ApiError(
                400, "IncompleteSignature", f"Authorization must be {ALGORITHM} Credential=,SignedHeaders=,Signature="
            )
        key_id = fields["Credential"]
        if key_id not in self.credentials:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        secret, token = self.credentials[key_id]
        if token is not None and headers.get("x-acs-security-token") != token:
            raise ApiError(400, "InvalidSecurityToken.Mismatch", "Specified SecurityToken is invalid.")
        signed = fields["SignedHeaders"].split(";")
        required = {
            "host",
            "x-acs-action",
            "x-acs-version",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
        }
        unsigned = sorted((required | {name for name in headers if name.startswith("x-acs-")}) - set(signed))
        if unsigned or signed != sorted(signed):
            raise ApiError(400, "IncompleteSignature", f"SignedHeaders must list, sorted: {', '.join(unsigned)}")
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
        canonical_query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query.items()))
        canonical = "\n".join(["POST", "/", canonical_query, canonical_headers, fields["SignedHeaders"], digest])
        string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        expected = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields["Signature"]):
            raise ApiError(400, "SignatureDoesNotMatch", "Specified signature does not match our calculation.")
        # Only a request that proves its key uses up its nonce: a forged one cannot burn a caller's nonces.
        with self._lock:
            if nonce in self._nonces:
                raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(nonce)

    # --- the three actions ----------------------------------------------------------------------------------

    def _dispatch(self, action: str, parameters: Mapping[str, str]) -> dict[str, Any]:
        if action == "ListDiscoveredResources":
            return self._list(parameters)
        if action == "GetDiscoveredResource":
            return self._get(parameters)
        return self._put(parameters)

    def _list(self, parameters: Mapping[str, str]) -> dict[str, Any]:
        _known(parameters, {"ResourceTypes", "Regions", "ResourceDeleted", "MaxResults", "NextToken", "ResourceId"})
        size = _integer(parameters, "MaxResults", required=True)
        if not PAGE_SIZE_RANGE[0] <= size <= PAGE_SIZE_RANGE[1]:
            raise ApiError(400, "InvalidParameter.MaxResults", f"MaxResults must be 1 to 100, got {size}.")
        deleted = parameters.get("ResourceDeleted")
        if deleted not in (None, "0", "1"):
            raise ApiError(400, "InvalidParameter.ResourceDeleted", "ResourceDeleted must be 0 or 1.")
        types = _list_parameter(parameters, "ResourceTypes")
        regions = _list_parameter(parameters, "Regions")
        matching = [
            resource
            for resource in self.resources
            if (not types or resource.resource_type in types)
            and (not regions or resource.region in regions)
            and (deleted is None or (0 if resource.deleted else 1) == int(deleted))
            and (not parameters.get("ResourceId") or resource.resource_id == parameters["ResourceId"])
        ]
        start = 0
        if parameters.get("NextToken"):
            if parameters["NextToken"] not in self._pages:
                raise ApiError(400, "InvalidParameter.NextToken", "The specified NextToken is invalid.")
            # A token stays good: a client retrying a page whose answer it lost asks with the same token again.
            start = self._pages[parameters["NextToken"]]
        page = matching[start : start + size]
        listing: dict[str, Any] = {
            "DiscoveredResourceProfileList": [resource.profile() for resource in page],
            "MaxResults": size,
            "TotalCount": len(matching),
        }
        if start + size < len(matching):
            token = uuid.uuid4().hex
            self._pages[token] = start + size
            listing["NextToken"] = token
        return {"DiscoveredResourceProfiles": listing}

    def _get(self, parameters: Mapping[str, str]) -> dict[str, Any]:
        _known(parameters, {"ResourceId", "ResourceType", "Region", "ComplianceOption"})
        for name in ("ResourceId", "ResourceType", "Region"):
            if not parameters.get(name):
                raise ApiError(400, f"Missing{name}", f"{name} is mandatory for this action.")
        for resource in self.resources:
            if (resource.resource_id, resource.resource_type, resource.region) == (
                parameters["ResourceId"],
                parameters["ResourceType"],
                parameters["Region"],
            ):
                return {"DiscoveredResourceDetail": resource.detail()}
        raise ApiError(404, "ResourceNotExists", f"The resource {parameters['ResourceId']} does not exist.")

    def _put(self, parameters: Mapping[str, str]) -> dict[str, Any]:
        _known(parameters, {"ResultToken", "Evaluations", "DeleteMode"})
        token = parameters.get("ResultToken")
        if not token:
            raise ApiError(400, "MissingResultToken", "ResultToken is mandatory for this action.")
        if token not in self.result_tokens and not self.accept_any_token:
            raise ApiError(400, "Invalid.ResultToken", "The specified ResultToken is invalid or expired.")
        if parameters.get("DeleteMode") not in (None, "true", "false"):
            raise ApiError(400, "InvalidParameter.DeleteMode", "DeleteMode must be true or false.")
        try:
            evaluations = json.loads(parameters.get("Evaluations") or "")
        except ValueError:
            raise ApiError(400, "InvalidParameter.Evaluations", "Evaluations must be a JSON array.") from None
        if not isinstance(evaluations, list) or not evaluations:
            raise ApiError(400, "InvalidParameter.Evaluations", "Evaluations must be a non-empty JSON array.")
        if len(evaluations) > MAX_EVALUATIONS_PER_CALL:
            raise ApiError(
                400, "InvalidParameter.Evaluations", f"At most {MAX_EVALUATIONS_PER_CALL} evaluations a call."
            )
        for index, evaluation in enumerate(evaluations):
            _check_evaluation(index, evaluation)
        self.evaluations.setdefault(token, []).extend(evaluations)
        return {"Result": True}


def _check_evaluation(index: int, evaluation: Any) -> None:
    where = f"Evaluations[{index}]"
    if not isinstance(evaluation, dict):
        raise ApiError(400, "InvalidParameter.Evaluations", f"{where} must be an object.")
    unknown = set(evaluation) - {*_REQUIRED_EVALUATION_FIELDS, "annotation", "complianceResourceName"}
    missing = [name for name in _REQUIRED_EVALUATION_FIELDS if evaluation.get(name) in (None, "")]
    if unknown or missing:
        raise ApiError(400, "InvalidParameter.Evaluations", f"{where}: unknown {sorted(unknown)}, missing {missing}.")
    if not isinstance(evaluation["complianceType"], str) or evaluation["complianceType"] not in COMPLIANCE_TYPES:
        raise ApiError(
            400, "InvalidParameter.ComplianceType", f"{where}.complianceType {evaluation['complianceType']!r}."
        )
    timestamp = evaluation["orderingTimestamp"]
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp < 10**12:
        raise ApiError(400, "InvalidParameter.OrderingTimestamp", f"{where}.orderingTimestamp must be epoch ms.")
    if not isinstance(evaluation["accountId"], int) or isinstance(evaluation["accountId"], bool):
        raise ApiError(400, "InvalidParameter.AccountId", f"{where}.accountId must be a number.")
    for name in ("annotation", "complianceResourceName"):
        if not isinstance(evaluation.get(name, ""), str):
            raise ApiError(400, "InvalidParameter.Evaluations", f"{where}.{name} must be a string.")


def _known(parameters: Mapping[str, str], names: set[str]) -> None:
    unknown = sorted(set(parameters) - names)
    if unknown:
        raise ApiError(400, "InvalidParameter", f"Unknown parameters: {', '.join(unknown)}.")


def _integer(parameters: Mapping[str, str], name: str, *, required: bool) -> int:
    raw = parameters.get(name)
    if raw is None:
        if required:
            raise ApiError(400, f"Missing{name}", f"{name} is mandatory for this action.")
        return 0
    if not (raw.isascii() and raw.isdigit()):
        raise ApiError(400, f"InvalidParameter.{name}", f"{name} must be a number, got {raw!r}.")
    return int(raw)


def _list_parameter(parameters: Mapping[str, str], name: str) -> set[str]:
    return {part.strip() for part in parameters.get(name, "").split(",") if part.strip()}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return

    def log_error(self, *args: Any) -> None:
        return


# --- the demo account (`cloudsweep emulator --cloud alibaba`) -------------------------------------------------------

DEMO_KEY_ID = "LTAI5tCloudSweepDemoKey1"
DEMO_SECRET = "CloudSweepDemoSecret0000000001"  # noqa: S105  (the local demo's, printed for the user to export)


def demo_resources() -> list[DiscoveredResource]:
    """One account with a passing and a failing resource for every built-in Alibaba Cloud check, and a deleted one."""
    from scanner.testing.alibaba import DEFAULT_ACCOUNT, alibaba_item_document

    def resource(
        resource_type: str, resource_id: str, name: str, region: str = "cn-hangzhou", **changes: Any
    ) -> DiscoveredResource:
        document = alibaba_item_document(resource_type, configuration=changes, region=region)
        configuration = json.loads(document["configuration"])
        return DiscoveredResource(
            DEFAULT_ACCOUNT,
            document["regionId"],
            resource_type,
            resource_id,
            configuration,
            resource_name=name,
            resource_status=document["resourceStatus"],
            availability_zone=document["availabilityZone"],
            tags={"env": ["demo"]},
        )

    open_ssh = {
        "Direction": "ingress",
        "Policy": "Accept",
        "IpProtocol": "TCP",
        "PortRange": "22/22",
        "SourceCidrIp": "0.0.0.0/0",
        "Description": "ssh from anywhere",
    }
    deleted = resource("ACS::ECS::Instance", "i-demodeleted0000001", "old-web", ImageId="m-demounvetted000001")
    deleted.deleted = True
    return [
        resource("ACS::ECS::Instance", "i-demoapproved000001", "web-1", InstanceId="i-demoapproved000001"),
        resource(
            "ACS::ECS::Instance",
            "i-demounvetted000001",
            "batch-1",
            region="cn-shanghai",
            InstanceId="i-demounvetted000001",
            ImageId="m-demounvetted000001",
        ),
        deleted,
        resource("ACS::ECS::Disk", "d-demoencrypted00001", "data-1", DiskId="d-demoencrypted00001"),
        resource("ACS::ECS::Disk", "d-demoplain000000001", "scratch", DiskId="d-demoplain000000001", Encrypted=False),
        resource("ACS::ECS::SecurityGroup", "sg-demoweb0000000001", "web", SecurityGroupId="sg-demoweb0000000001"),
        resource(
            "ACS::ECS::SecurityGroup",
            "sg-demossh0000000001",
            "bastion",
            SecurityGroupId="sg-demossh0000000001",
            Permissions={"Permission": [open_ssh]},
        ),
        resource("ACS::OSS::Bucket", "demo-private-logs", "demo-private-logs", Name="demo-private-logs"),
        resource(
            "ACS::OSS::Bucket",
            "demo-public-assets",
            "demo-public-assets",
            Name="demo-public-assets",
            AccessControlList={"Grant": "public-read"},
        ),
        resource("ACS::RAM::User", "200828888731170001", "alice", UserName="alice"),
        resource(
            "ACS::RAM::User",
            "200828888731170002",
            "bob",
            UserName="bob",
            LoginProfile={"UserName": "bob", "MFABindRequired": False, "PasswordResetRequired": False},
        ),
        resource("ACS::RAM::User", "200828888731170003", "ci-bot", UserName="ci-bot", LoginProfile=None),
    ]
