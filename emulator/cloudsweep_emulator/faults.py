"""Faults injected in front of the emulator, so real AWS clients meet real bytes.

`FaultLayer` is WSGI middleware. For each request it works out what the call is (protocol, service,
operation, account, region), asks the `FaultPlan` what to inject, sleeps for any injected latency
outside every lock, then either passes the request on or answers as the real service would: a
throttle, a 5xx, an expired token or AccessDenied in that protocol's own error shape, or a TCP
connection dropped with no response at all.

A separate process steers the plan over HTTP at `/_cloudsweep/faults` (GET lists, POST adds a rule
given as JSON, DELETE clears; DELETE `/_cloudsweep/faults/<id>` removes one rule).
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from enum import Enum
from http import HTTPStatus
from typing import Any, NoReturn, TypedDict, Unpack
from xml.sax.saxutils import escape

from cloudsweep_emulator.wsgi import (
    ApiProtocol,
    StartResponse,
    WSGIApp,
    WSGIEnviron,
    acting_account,
    json_reply,
    read_request,
    request_body,
)

CONTROLS_PREFIX = "/_cloudsweep/"
CONTROL_PATH = CONTROLS_PREFIX + "faults"
SERVER_ERROR_STATUSES = (500, 503)

_ROLE_ARN_ACCOUNT = re.compile(r"^arn:[^:]+:iam::(\d{12}):role/")
# Linger on, timeout 0: closing the socket sends a TCP RST instead of a FIN.
_LINGER_RESET = struct.pack("ii", 1, 0)


class FaultKind(Enum):
    LATENCY = "latency"
    THROTTLING = "throttling"
    SERVER_ERROR = "server_error"
    CONNECTION_RESET = "connection_reset"
    EXPIRED_TOKEN = "expired_token"  # noqa: S105  (a fault's name)
    ACCESS_DENIED = "access_denied"


@dataclass(frozen=True)
class Call:
    """What the fault layer learned about one request."""

    protocol: ApiProtocol
    service: str | None
    operation: str | None
    account: str
    region: str | None
    role_arn: str | None = None

    @property
    def role_account(self) -> str | None:
        """The account an sts:AssumeRole call asks to enter."""
        if self.service != "sts" or self.role_arn is None:
            return None
        match = _ROLE_ARN_ACCOUNT.match(self.role_arn)
        return match.group(1) if match else None


class Scope(TypedDict, total=False):
    probability: float
    count: int | None
    account: str | None
    region: str | None
    service: str | None
    operation: str | None


@dataclass(frozen=True)
class FaultRule:
    """One kind of fault, for the calls its scope matches.

    `probability` is drawn per matching call; `count` caps how many times the rule injects (None:
    no cap). A rule scoped to an account matches calls made in that account and sts:AssumeRole calls
    into it.
    """

    kind: FaultKind
    probability: float = 1.0
    count: int | None = None
    account: str | None = None
    region: str | None = None
    service: str | None = None
    operation: str | None = None
    latency_ms: int = 0
    status: int | None = None
    # The error's message instead of the service's usual one: AWS messages quote caller- and resource-supplied
    # text (ARNs, ids), which the scanner must treat as data.
    message: str | None = None

    def __post_init__(self) -> None:
        problem = _rule_problem(self)
        if problem is not None:
            raise ValueError(problem)

    @classmethod
    def latency(cls, ms: int, **scope: Unpack[Scope]) -> FaultRule:
        return cls(FaultKind.LATENCY, latency_ms=ms, **scope)

    @classmethod
    def throttle(cls, **scope: Unpack[Scope]) -> FaultRule:
        return cls(FaultKind.THROTTLING, **scope)

    @classmethod
    def server_error(cls, status: int = 500, **scope: Unpack[Scope]) -> FaultRule:
        return cls(FaultKind.SERVER_ERROR, status=status, **scope)

    @classmethod
    def connection_reset(cls, **scope: Unpack[Scope]) -> FaultRule:
        return cls(FaultKind.CONNECTION_RESET, **scope)

    @classmethod
    def expired_token(cls, **scope: Unpack[Scope]) -> FaultRule:
        return cls(FaultKind.EXPIRED_TOKEN, **scope)

    @classmethod
    def access_denied(cls, **scope: Unpack[Scope]) -> FaultRule:
        return cls(FaultKind.ACCESS_DENIED, **scope)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """A rule from its JSON form (`to_dict`); raises ValueError on anything malformed."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault rule fields: {', '.join(unknown)}")
        if "kind" not in data:
            raise ValueError("a fault rule needs a kind")
        kind = FaultKind(data["kind"])
        values = {name: data[name] for name in known - {"kind"} if name in data}
        if kind is FaultKind.SERVER_ERROR and values.get("status") is None:
            values["status"] = 500
        _check_field_types(values)
        return cls(kind, **values)

    def to_dict(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["kind"] = self.kind.value
        return values

    def matches(self, call: Call) -> bool:
        return (
            _scope_matches(self.region, call.region)
            and _scope_matches(self.service, call.service)
            and _scope_matches(self.operation, call.operation)
            and (self.account is None or self.account in (call.account, call.role_account))
        )


def _scope_matches(wanted: str | None, actual: str | None) -> bool:
    return wanted is None or wanted == actual


def _rule_problem(rule: FaultRule) -> str | None:
    if not isinstance(rule.kind, FaultKind):
        return f"kind must be a FaultKind, got {rule.kind!r}"
    if not 0.0 <= rule.probability <= 1.0:
        return f"probability must be between 0 and 1, got {rule.probability}"
    if rule.count is not None and rule.count < 1:
        return f"count must be at least 1 (or None for no limit), got {rule.count}"
    if (rule.kind is FaultKind.LATENCY) != (rule.latency_ms > 0):
        return "latency_ms must be positive for latency rules and unset for every other kind"
    if (rule.kind is FaultKind.SERVER_ERROR) != (rule.status is not None):
        return "status is set for server_error rules and only for them"
    if rule.status is not None and rule.status not in SERVER_ERROR_STATUSES:
        return f"status must be one of {SERVER_ERROR_STATUSES}, got {rule.status}"
    return None


def _check_field_types(values: Mapping[str, Any]) -> None:
    expected: dict[str, tuple[type, ...]] = {
        "probability": (int, float),
        "count": (int, type(None)),
        "account": (str, type(None)),
        "region": (str, type(None)),
        "service": (str, type(None)),
        "operation": (str, type(None)),
        "latency_ms": (int,),
        "status": (int, type(None)),
        "message": (str, type(None)),
    }
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, expected[name]):
            raise ValueError(f"fault rule field {name} has the wrong type: {value!r}")


@dataclass(frozen=True)
class Injection:
    """One kind of fault injected into one kind of call; `FaultPlan.injected` counts these."""

    kind: FaultKind
    service: str | None
    operation: str | None
    account: str
    region: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "service": self.service,
            "operation": self.operation,
            "account": self.account,
            "region": self.region,
        }


@dataclass(frozen=True)
class ActiveRule:
    """A rule in a plan, with the id the control surface knows it by."""

    id: int
    rule: FaultRule
    injected: int

    @property
    def remaining(self) -> int | None:
        return None if self.rule.count is None else self.rule.count - self.injected

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **self.rule.to_dict(), "injected": self.injected, "remaining": self.remaining}


@dataclass(frozen=True)
class Decision:
    latency_ms: int = 0
    error: FaultRule | None = None


@dataclass
class _Slot:
    id: int
    rule: FaultRule
    # Stable across plans and clears, so a seed replays the same draws for the same rules.
    identity: str
    injected: int = 0

    @property
    def spent(self) -> bool:
        return self.rule.count is not None and self.injected >= self.rule.count


_CallKey = tuple[int, str, str | None, str | None, str | None]


class FaultPlan:
    """The faults to inject. Thread-safe; deterministic under a seed even with concurrent calls.

    Each probability draw hashes (seed, rule, account, region, service, operation, n), where n
    counts that rule's earlier matching calls with the same account, region, service and operation:
    concurrent calls of one kind are interchangeable, so arrival order cannot change what is
    injected into them. Latency rules stack; at most one error rule applies per call, the first
    in insertion order that fires.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._slots: list[_Slot] = []
        self._next_id = 1
        self._calls: Counter[_CallKey] = Counter()
        self._injected: Counter[Injection] = Counter()

    @property
    def seed(self) -> int:
        return self._seed

    def add(self, rule: FaultRule) -> FaultRule:
        self.install(rule)
        return rule

    def install(self, rule: FaultRule) -> ActiveRule:
        """Add a rule and return it as the plan now holds it, with its id."""
        with self._lock:
            twins = sum(1 for slot in self._slots if slot.rule == rule)
            identity = f"{twins}:{json.dumps(rule.to_dict(), sort_keys=True)}"
            slot = _Slot(self._next_id, rule, identity)
            self._next_id += 1
            self._slots.append(slot)
            return _active(slot)

    def remove(self, rule: FaultRule) -> bool:
        with self._lock:
            for slot in self._slots:
                if slot.rule is rule or slot.rule == rule:
                    self._slots.remove(slot)
                    return True
        return False

    def remove_id(self, rule_id: int) -> bool:
        with self._lock:
            for slot in self._slots:
                if slot.id == rule_id:
                    self._slots.remove(slot)
                    return True
        return False

    def clear(self, *, seed: int | None = None) -> None:
        """Forget every rule, call counter and injection record; optionally take a new seed."""
        with self._lock:
            self._slots.clear()
            self._calls.clear()
            self._injected.clear()
            if seed is not None:
                self._seed = seed

    def is_empty(self) -> bool:
        with self._lock:
            return not self._slots

    def rules(self) -> list[ActiveRule]:
        with self._lock:
            return [_active(slot) for slot in self._slots]

    def injected(self) -> Counter[Injection]:
        with self._lock:
            return Counter(self._injected)

    def decide(self, call: Call) -> Decision:
        latency_ms = 0
        error: FaultRule | None = None
        with self._lock:
            for slot in self._slots:
                if slot.spent or not slot.rule.matches(call):
                    continue
                is_latency = slot.rule.kind is FaultKind.LATENCY
                if (error is not None and not is_latency) or not self._fires(slot, call):
                    continue
                slot.injected += 1
                self._injected[_injection(slot.rule.kind, call)] += 1
                if is_latency:
                    latency_ms += slot.rule.latency_ms
                else:
                    error = slot.rule
        return Decision(latency_ms, error)

    def _fires(self, slot: _Slot, call: Call) -> bool:
        key: _CallKey = (slot.id, call.account, call.region, call.service, call.operation)
        ordinal = self._calls[key]
        self._calls[key] += 1
        probability = slot.rule.probability
        if probability >= 1.0 or probability <= 0.0:
            return probability >= 1.0
        return _draw(self._seed, slot.identity, call, ordinal) < probability


def _active(slot: _Slot) -> ActiveRule:
    return ActiveRule(slot.id, slot.rule, slot.injected)


def _injection(kind: FaultKind, call: Call) -> Injection:
    return Injection(kind, call.service, call.operation, call.account, call.region)


def _draw(seed: int, identity: str, call: Call, ordinal: int) -> float:
    """A uniform number in [0, 1) fixed by its inputs."""
    material = json.dumps([seed, identity, call.account, call.region, call.service, call.operation, ordinal])
    digest = hashlib.blake2b(material.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


# --- Reading a request ---------------------------------------------------------------------------


def describe_call(environ: WSGIEnviron, resolve_account: Callable[[str], str]) -> Call:
    """What a request is. Reads a form body, leaving an identical fresh `wsgi.input` behind."""
    request = read_request(environ)
    return Call(
        protocol=request.protocol,
        service=request.service,
        operation=request.operation,
        account=acting_account(request, resolve_account),
        region=request.region,
        role_arn=request.role_arn,
    )


# --- Answering as the service would ---------------------------------------------------------------


@dataclass(frozen=True)
class ErrorShape:
    status: int
    code: str
    message: str


_DENIED = "User: arn:aws:iam::{account}:root is not authorized to perform: {action}"
_EXPIRED = "The security token included in the request is expired"

# Keyed by fault kind and, for server errors, the HTTP status asked for.
_SHAPES: dict[ApiProtocol, dict[tuple[FaultKind, int | None], ErrorShape]] = {
    ApiProtocol.JSON: {
        (FaultKind.THROTTLING, None): ErrorShape(400, "ThrottlingException", "Rate exceeded"),
        (FaultKind.EXPIRED_TOKEN, None): ErrorShape(400, "ExpiredTokenException", _EXPIRED),
        (FaultKind.ACCESS_DENIED, None): ErrorShape(400, "AccessDeniedException", _DENIED),
        (FaultKind.SERVER_ERROR, 500): ErrorShape(500, "InternalFailure", "Internal service failure."),
        (FaultKind.SERVER_ERROR, 503): ErrorShape(503, "ServiceUnavailable", "Service unavailable."),
    },
    ApiProtocol.EC2: {
        (FaultKind.THROTTLING, None): ErrorShape(503, "RequestLimitExceeded", "Request limit exceeded."),
        (FaultKind.EXPIRED_TOKEN, None): ErrorShape(400, "RequestExpired", "Request has expired."),
        (FaultKind.ACCESS_DENIED, None): ErrorShape(
            403, "UnauthorizedOperation", "You are not authorized to perform this operation."
        ),
        (FaultKind.SERVER_ERROR, 500): ErrorShape(500, "InternalError", "An internal error has occurred."),
        (FaultKind.SERVER_ERROR, 503): ErrorShape(
            503, "Unavailable", "The server is overloaded and can't handle the request."
        ),
    },
    ApiProtocol.QUERY: {
        (FaultKind.THROTTLING, None): ErrorShape(400, "Throttling", "Rate exceeded"),
        (FaultKind.EXPIRED_TOKEN, None): ErrorShape(403, "ExpiredToken", _EXPIRED),
        (FaultKind.ACCESS_DENIED, None): ErrorShape(403, "AccessDenied", _DENIED),
        (FaultKind.SERVER_ERROR, 500): ErrorShape(500, "InternalFailure", "Internal service failure."),
        (FaultKind.SERVER_ERROR, 503): ErrorShape(503, "ServiceUnavailable", "Service unavailable."),
    },
    ApiProtocol.REST_XML: {
        (FaultKind.THROTTLING, None): ErrorShape(503, "SlowDown", "Please reduce your request rate."),
        (FaultKind.EXPIRED_TOKEN, None): ErrorShape(400, "ExpiredToken", "The provided token has expired."),
        (FaultKind.ACCESS_DENIED, None): ErrorShape(403, "AccessDenied", "Access Denied"),
        (FaultKind.SERVER_ERROR, 500): ErrorShape(
            500, "InternalError", "We encountered an internal error. Please try again."
        ),
        (FaultKind.SERVER_ERROR, 503): ErrorShape(503, "ServiceUnavailable", "Service is unable to handle request."),
    },
}

_QUERY_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


def error_shape(call: Call, rule: FaultRule) -> ErrorShape:
    """The status, code and message the real service answers `call` with for this fault."""
    shape = _SHAPES[call.protocol][(rule.kind, rule.status)]
    action = f"{call.service}:{call.operation}"
    if call.role_account is not None:
        action += f" on resource: {call.role_arn}"
    message = rule.message if rule.message is not None else shape.message.format(account=call.account, action=action)
    return ErrorShape(shape.status, shape.code, message)


def render_error(call: Call, shape: ErrorShape) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body of an error response in `call`'s protocol."""
    request_id = str(uuid.uuid4())
    if call.protocol is ApiProtocol.JSON:
        body = json.dumps({"__type": shape.code, "message": shape.message}).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", shape.code),
        ]
    elif call.protocol is ApiProtocol.EC2:
        body = _xml(
            f"<Response><Errors><Error><Code>{shape.code}</Code><Message>{escape(shape.message)}"
            f"</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        headers = [("Content-Type", "text/xml;charset=UTF-8")]
    elif call.protocol is ApiProtocol.QUERY:
        body = _query_error(call, shape, request_id)
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    else:
        body = _xml(
            f"<Error><Code>{shape.code}</Code><Message>{escape(shape.message)}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    return [*headers, ("Content-Length", str(len(body)))], body


def _query_error(call: Call, shape: ErrorShape, request_id: str) -> bytes:
    namespace = _QUERY_NAMESPACES.get(call.service or "")
    opening = f'<ErrorResponse xmlns="{namespace}">' if namespace else "<ErrorResponse>"
    fault_type = "Sender" if shape.status < 500 else "Receiver"
    return _xml(
        f"{opening}<Error><Type>{fault_type}</Type><Code>{shape.code}</Code>"
        f"<Message>{escape(shape.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )


def _xml(document: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{document}'.encode()


class ConnectionDropped(ConnectionAbortedError):
    """A fault dropped the client's connection.

    werkzeug's server reads a ConnectionError raised by the app as a connection the client dropped,
    and sends nothing further.
    """


def drop_connection(environ: WSGIEnviron) -> NoReturn:
    """Reset the request's TCP connection, with no HTTP response."""
    connection = environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        try:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            # Ends the server's wait for a next keep-alive request at once.
            connection.shutdown(socket.SHUT_RD)
            # The handler's read file still holds the socket: the RST goes out when it lets go.
            connection.close()
        except OSError as exc:
            raise ConnectionDropped("fault injected: connection dropped") from exc
    raise ConnectionDropped("fault injected: connection dropped")


# --- The middleware ---------------------------------------------------------------------------------


class FaultLayer:
    """WSGI middleware that injects the plan's faults in front of `app`.

    `resolve_account` maps an access key id to the account the emulator acts in; an
    `x-moto-account-id` header overrides it, as it does in moto.
    """

    def __init__(
        self,
        app: WSGIApp,
        plan: FaultPlan,
        *,
        resolve_account: Callable[[str], str],
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self._app = app
        self._plan = plan
        self._resolve_account = resolve_account
        self._sleep = sleep

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PATH or path.startswith(CONTROL_PATH + "/"):
            return _control(self._plan, environ, start_response)
        if self._plan.is_empty() or path.startswith(CONTROLS_PREFIX):
            # The emulator's other control paths are not AWS calls: no fault may hit them.
            return self._app(environ, start_response)
        call = describe_call(environ, self._resolve_account)
        decision = self._plan.decide(call)
        if decision.latency_ms > 0:
            self._sleep(decision.latency_ms / 1000)
        if decision.error is None:
            return self._app(environ, start_response)
        if decision.error.kind is FaultKind.CONNECTION_RESET:
            # Read the whole body first: left unread, werkzeug would parse it as a next request and answer it.
            request_body(environ)
            drop_connection(environ)
        shape = error_shape(call, decision.error)
        headers, body = render_error(call, shape)
        start_response(f"{shape.status} {HTTPStatus(shape.status).phrase}", headers)
        return [body]


# --- The control surface ----------------------------------------------------------------------------


def plan_snapshot(plan: FaultPlan) -> dict[str, Any]:
    """The plan as the control surface shows it."""
    return {
        "seed": plan.seed,
        "rules": [active.to_dict() for active in plan.rules()],
        "injected": [
            {**injection.to_dict(), "count": count}
            for injection, count in sorted(plan.injected().items(), key=lambda item: repr(item[0]))
        ],
    }


def _control(plan: FaultPlan, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    rule_path = environ.get("PATH_INFO", "").removeprefix(CONTROL_PATH).strip("/")
    if rule_path:
        if method != "DELETE":
            return json_reply(start_response, 405, {"error": "only DELETE applies to one rule"})
        if not rule_path.isdigit() or not plan.remove_id(int(rule_path)):
            return json_reply(start_response, 404, {"error": f"no fault rule {rule_path}"})
        return json_reply(start_response, 200, plan_snapshot(plan))
    if method == "GET":
        return json_reply(start_response, 200, plan_snapshot(plan))
    if method == "DELETE":
        plan.clear()
        return json_reply(start_response, 200, plan_snapshot(plan))
    if method == "POST":
        return _add_from_request(plan, environ, start_response)
    return json_reply(start_response, 405, {"error": f"{method} is not supported here"})


def _add_from_request(plan: FaultPlan, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
    try:
        data = json.loads(request_body(environ) or b"null")
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object describing one fault rule")
        rule = FaultRule.from_dict(data)
    except ValueError as exc:
        return json_reply(start_response, 400, {"error": str(exc)})
    return json_reply(start_response, 201, plan.install(rule).to_dict())
