"""Reading AWS requests at the WSGI level: body, SigV4 scope, operation, acting account."""

from __future__ import annotations

import io
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

BODY_KEY = "cloudsweep.body"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def request_body(environ: dict[str, Any]) -> bytes:
    """The request body, read once; later readers (moto included) get a fresh stream of the same bytes."""
    if BODY_KEY not in environ:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ[BODY_KEY] = body
    body = environ[BODY_KEY]
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


@dataclass(frozen=True)
class SignedRequest:
    access_key_id: str
    region: str
    service: str
    operation: str | None
    target: str | None


def signed_request(environ: dict[str, Any]) -> SignedRequest:
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    access_key, region, service = match.groups() if match else ("", "us-east-1", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    operation: str | None = target.split(".", 1)[1] if target and "." in target else None
    if operation is None and environ.get("REQUEST_METHOD") == "POST" and service not in ("s3", ""):
        form = urllib.parse.parse_qs(request_body(environ).decode("utf-8", "replace"))
        operation = form.get("Action", [None])[0]
    return SignedRequest(access_key, region, service, operation, target)
