"""Reading AWS requests at the WSGI level, once, for every layer: protocol, SigV4 scope, operation, body."""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]

ACCOUNT_HEADER_ENVIRON = "HTTP_X_MOTO_ACCOUNT_ID"
# How often a serving loop looks for a stop (socketserver's default, half a second, is what each test's stop waited).
STOP_POLL_SECONDS = 0.02
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_QUERY_CREDENTIAL = re.compile(r"^([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request$")
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_BODY_KEY = "cloudsweep.body"


class ApiProtocol(Enum):
    JSON = "json"
    EC2 = "ec2"
    QUERY = "query"
    REST_XML = "rest-xml"


@dataclass(frozen=True)
class AwsRequest:
    """What a request is, as far as its bytes say (the account needs moto: see `acting_account`)."""

    protocol: ApiProtocol
    access_key_id: str
    service: str | None
    operation: str | None
    region: str | None
    target: str | None
    moto_account_header: str | None
    role_arn: str | None = None


def read_request(environ: WSGIEnviron) -> AwsRequest:
    """Parse a request once; reads a form body, leaving an identical fresh `wsgi.input` behind."""
    access_key, region, service = _credential_scope(environ)
    target = environ.get("HTTP_X_AMZ_TARGET")
    form = _form(environ)
    protocol = _protocol(service, target, form)
    return AwsRequest(
        protocol=protocol,
        access_key_id=access_key,
        service=service,
        operation=_operation(protocol, target, form, environ),
        region=region,
        target=target,
        moto_account_header=environ.get(ACCOUNT_HEADER_ENVIRON),
        role_arn=form.get("RoleArn"),
    )


def acting_account(request: AwsRequest, resolve_account: Callable[[str], str]) -> str:
    """The account moto acts in: its `x-moto-account-id` header first, else the access key's account."""
    return request.moto_account_header or resolve_account(request.access_key_id)


def request_body(environ: WSGIEnviron) -> bytes:
    """The whole body, read once; later readers (moto included) get a fresh stream of the same bytes."""
    if _BODY_KEY not in environ:
        environ[_BODY_KEY] = _take_body(environ)
    body: bytes = environ[_BODY_KEY]
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def replace_body(environ: WSGIEnviron, body: bytes) -> None:
    """Give the layers below (moto) another body in place of the request's."""
    environ[_BODY_KEY] = body
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input"] = io.BytesIO(body)


def _credential_scope(environ: WSGIEnviron) -> tuple[str, str | None, str | None]:
    """(access key id, region, signing service) from SigV4 headers or a presigned URL."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match is None:
        presigned = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
        match = _QUERY_CREDENTIAL.match(presigned)
    if match is None:
        return "", None, None
    return match.group(1), match.group(2), match.group(3)


def _form(environ: WSGIEnviron) -> dict[str, str]:
    """Query-string parameters, overlaid with a form-encoded body's."""
    params = _first_values(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith(_FORM_CONTENT_TYPE):
        params.update(_first_values(request_body(environ).decode("utf-8", errors="replace")))
    return params


def _first_values(encoded: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(encoded, keep_blank_values=True).items()}


def _take_body(environ: WSGIEnviron) -> bytes:
    stream = environ["wsgi.input"]
    length = _content_length(environ)
    if length is not None:
        body: bytes = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _content_length(environ: WSGIEnviron) -> int | None:
    try:
        return max(int(environ.get("CONTENT_LENGTH") or ""), 0)
    except ValueError:
        return None


def _protocol(service: str | None, target: str | None, form: Mapping[str, str]) -> ApiProtocol:
    if target:
        return ApiProtocol.JSON
    if service == "s3":
        return ApiProtocol.REST_XML
    if "Action" in form:
        return ApiProtocol.EC2 if service == "ec2" else ApiProtocol.QUERY
    return ApiProtocol.JSON


def _operation(protocol: ApiProtocol, target: str | None, form: Mapping[str, str], environ: WSGIEnviron) -> str | None:
    if target:
        return target.rsplit(".", 1)[-1]
    if protocol is ApiProtocol.REST_XML:
        # S3 names its operations by method and path; only the account-level listing is unambiguous.
        is_root = environ.get("PATH_INFO", "/") in ("", "/")
        return "ListBuckets" if is_root and environ.get("REQUEST_METHOD") == "GET" else None
    if "Action" in form:
        return form["Action"]
    service = _credential_scope(environ)[2]
    return rest_json_operation(service, environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/"))


def rest_json_operation(service: str | None, method: str, path: str) -> str | None:
    """A REST-JSON API's operation (Security Hub, Lambda), from its method and path, as botocore's model routes it."""
    if not service:
        return None
    for route_method, pattern, name in _rest_routes(service):
        if route_method == method and pattern.fullmatch(path):
            return name
    return None


@functools.cache
def _rest_routes(service: str) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return ()
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = str(http.get("requestUri", "/")).split("?", 1)[0]
        literal = len(re.sub(r"\{[^}]+\}", "", uri))
        pattern = re.escape(uri)
        pattern = re.sub(r"\\\{[^}]+\+\\\}", ".+", pattern)
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        # botocore may send a collection's path with a trailing slash (/2015-03-31/functions/).
        routes.append((literal, str(http.get("method", "POST")), re.compile(pattern.rstrip("/") + "/?"), name))
    # The most literal route first: /findings/import before /findings/{Id}.
    routes.sort(key=lambda route: -route[0])
    return tuple((method, pattern, name) for _, method, pattern, name in routes)


# --- Calling a wrapped app and keeping its whole response ---------------------------------------------

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | None


@dataclass(frozen=True)
class WSGIResponse:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    exc_info: ExcInfo

    @property
    def ok(self) -> bool:
        return self.status.startswith("200")


def call_app(app: WSGIApp, environ: WSGIEnviron) -> WSGIResponse:
    """Run `app` to the end and keep its response, for a layer that rewrites the body before answering."""
    started: dict[str, Any] = {}
    written: list[bytes] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: ExcInfo = None) -> Callable[[bytes], object]:
        started.update(status=status, headers=list(headers), exc_info=exc_info)
        return written.append

    result = app(environ, capture)
    try:
        written.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return WSGIResponse(started["status"], started["headers"], b"".join(written), started["exc_info"])


def with_content_length(headers: Sequence[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    kept = [(name, value) for name, value in headers if name.lower() != "content-length"]
    return [*kept, ("Content-Length", str(length))]


def json_reply(start_response: StartResponse, status: int, payload: object) -> list[bytes]:
    """A JSON answer of the emulator's own (its control paths, what moto lacks), with its length."""
    body = json.dumps(payload).encode()
    reason = HTTPStatus(status).phrase
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
