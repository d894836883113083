"""Opt-in regions per account: a region an account has not enabled refuses its calls, as AWS does.

AWS enables the regions launched before 20 March 2019 in every account and leaves the later ones
(the opt-in regions) disabled until the account enables them. A call into a region the account has
not enabled fails authentication: the account's credentials do not exist there. moto knows nothing
of this and serves every region, so `RegionLayer` (WSGI middleware) answers such calls itself, in
the protocol's own error shape, and rewrites EC2 DescribeRegions to match the account's regions.

By default every region is enabled for every account (moto's behaviour); `RegionControls.disable`
takes an opt-in region away from one account.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qs

from cloudsweep_emulator.faults import Call, ErrorShape, render_error
from cloudsweep_emulator.wsgi import (
    ApiProtocol,
    AwsRequest,
    StartResponse,
    WSGIApp,
    WSGIEnviron,
    acting_account,
    call_app,
    read_request,
    request_body,
    with_content_length,
)

# Launched after 20 March 2019: disabled in an account until it opts in.
OPT_IN_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
    }
)
# Enabled in every account; they cannot be disabled.
DEFAULT_REGIONS: frozenset[str] = frozenset(
    {
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "eu-central-1",
        "eu-north-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)

# Served from us-east-1 whatever region a client is in. Against AWS, botocore signs them for us-east-1;
# against a custom endpoint it signs them for the client's region, which must not make them fail.
GLOBAL_SERVICES: frozenset[str] = frozenset({"iam", "organizations", "route53", "cloudfront"})

OPTED_IN = "opted-in"
NOT_OPTED_IN = "not-opted-in"
OPT_IN_NOT_REQUIRED = "opt-in-not-required"

# What AWS answers a call into a region the caller's account has not enabled, per protocol.
REGION_DISABLED_ERRORS: Mapping[ApiProtocol, ErrorShape] = {
    ApiProtocol.JSON: ErrorShape(
        400, "UnrecognizedClientException", "The security token included in the request is invalid"
    ),
    ApiProtocol.QUERY: ErrorShape(
        403, "InvalidClientTokenId", "The security token included in the request is invalid."
    ),
    ApiProtocol.EC2: ErrorShape(401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
    ApiProtocol.REST_XML: ErrorShape(400, "InvalidToken", "The provided token is malformed or otherwise invalid."),
}

_ACCOUNT_ID = re.compile(r"^\d{12}$")
# moto also lists the China and GovCloud regions, which an account in the aws partition never sees.
_OTHER_PARTITION_PREFIXES = (b"cn-", b"us-gov-")
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_REGION_INFO = re.compile(rb"(<regionInfo>)(.*?)(</regionInfo>)", re.DOTALL)
_ITEM = re.compile(rb"<item>.*?</item>", re.DOTALL)
_REGION_NAME = re.compile(rb"<regionName>([^<]*)</regionName>")
_REGION_ENDPOINT = re.compile(rb"<regionEndpoint>([^<]*)</regionEndpoint>")
_OPT_IN_STATUS = re.compile(rb"(<optInStatus>)[^<]*(</optInStatus>)")
_FILTER_NAME = re.compile(r"^Filter\.(\d+)\.Name$")
_FILTER_VALUE = re.compile(r"^Filter\.(\d+)\.Value\.\d+$")
_REGION_NAME_PARAM = re.compile(r"^RegionName\.\d+$")


class RegionControls:
    """Which opt-in regions each account has not enabled. Thread-safe; every region starts enabled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._disabled: set[tuple[str, str]] = set()

    def disable(self, account_id: str, region: str) -> None:
        """Take an opt-in region away from an account; ValueError for a region that is not opt-in."""
        _check(account_id, region)
        with self._lock:
            self._disabled.add((account_id, region))

    def enable(self, account_id: str, region: str) -> None:
        _check(account_id, region)
        with self._lock:
            self._disabled.discard((account_id, region))

    def is_disabled(self, account_id: str, region: str) -> bool:
        with self._lock:
            return (account_id, region) in self._disabled

    def disabled_regions(self, account_id: str) -> frozenset[str]:
        with self._lock:
            return frozenset(region for account, region in self._disabled if account == account_id)

    def is_empty(self) -> bool:
        with self._lock:
            return not self._disabled

    def clear(self) -> None:
        """Enable every region for every account again."""
        with self._lock:
            self._disabled.clear()


def _check(account_id: str, region: str) -> None:
    if not _ACCOUNT_ID.match(account_id):
        raise ValueError(f"an account id is 12 digits, got {account_id!r}")
    if region not in OPT_IN_REGIONS:
        kind = "enabled in every account" if region in DEFAULT_REGIONS else "not an AWS opt-in region"
        raise ValueError(f"{region!r} is {kind}: only opt-in regions can be enabled or disabled")


def opt_in_status(region: str, *, disabled: bool) -> str:
    """A region's OptInStatus as DescribeRegions reports it to an account."""
    if disabled:
        return NOT_OPTED_IN
    return OPTED_IN if region in OPT_IN_REGIONS else OPT_IN_NOT_REQUIRED


class RegionLayer:
    """WSGI middleware: refuses calls into regions the acting account has not enabled, and makes
    EC2 DescribeRegions report the account's regions.

    `resolve_account` maps an access key id to the account the emulator acts in; an
    `x-moto-account-id` header overrides it, as it does in moto.
    """

    def __init__(self, app: WSGIApp, controls: RegionControls, resolve_account: Callable[[str], str]) -> None:
        self._app = app
        self._controls = controls
        self._resolve_account = resolve_account

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        request = read_request(environ)
        if request.region is None or request.service in GLOBAL_SERVICES:
            return self._app(environ, start_response)
        is_describe_regions = request.protocol is ApiProtocol.EC2 and request.operation == "DescribeRegions"
        if self._controls.is_empty() and not is_describe_regions:
            return self._app(environ, start_response)
        account = acting_account(request, self._resolve_account)
        if self._controls.is_disabled(account, request.region):
            return _refuse(environ, start_response, request, account)
        if is_describe_regions:
            return self._describe_regions(environ, start_response, account)
        return self._app(environ, start_response)

    def _describe_regions(self, environ: WSGIEnviron, start_response: StartResponse, account: str) -> list[bytes]:
        query = _DescribeRegions.parse(_form_lists(environ))
        response = call_app(self._app, environ)
        body = response.body
        if response.ok:
            body = _rewrite_regions(body, query, self._controls.disabled_regions(account))
        start_response(response.status, with_content_length(response.headers, len(body)), response.exc_info)
        return [body]


def _refuse(environ: WSGIEnviron, start_response: StartResponse, request: AwsRequest, account: str) -> list[bytes]:
    # Consume the body as moto would have, so the connection is left with nothing unread.
    request_body(environ)
    shape = REGION_DISABLED_ERRORS[request.protocol]
    call = Call(request.protocol, request.service, request.operation, account, request.region)
    headers, body = render_error(call, shape)
    start_response(f"{shape.status} {HTTPStatus(shape.status).phrase}", headers)
    return [body]


# --- DescribeRegions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DescribeRegions:
    all_regions: bool
    region_names: frozenset[str]
    filters: tuple[tuple[str, frozenset[str]], ...]

    @classmethod
    def parse(cls, form: Mapping[str, Sequence[str]]) -> _DescribeRegions:
        names = frozenset(value for key, values in form.items() if _REGION_NAME_PARAM.match(key) for value in values)
        filter_names: dict[str, str] = {}
        filter_values: dict[str, set[str]] = {}
        for key, values in form.items():
            if name_match := _FILTER_NAME.match(key):
                filter_names[name_match.group(1)] = values[0]
            elif value_match := _FILTER_VALUE.match(key):
                filter_values.setdefault(value_match.group(1), set()).update(values)
        filters = tuple(
            (filter_names[index], frozenset(filter_values.get(index, ()))) for index in sorted(filter_names, key=int)
        )
        all_regions = form.get("AllRegions", ["false"])[0].lower() == "true"
        return cls(all_regions, names, filters)

    def lists(self, region: str, *, disabled: bool) -> bool:
        # Regions asked for by name are described whether or not the account has enabled them.
        return self.all_regions or not disabled or region in self.region_names

    def matches(self, region: str, endpoint: str, status: str) -> bool:
        fields = {"region-name": region, "endpoint": endpoint, "opt-in-status": status}
        return all(name not in fields or fields[name] in values for name, values in self.filters)


def _rewrite_regions(body: bytes, query: _DescribeRegions, disabled: frozenset[str]) -> bytes:
    """moto's DescribeRegions body with the account's regions and statuses; all else byte for byte."""

    def rewrite_item(item: re.Match[bytes]) -> bytes:
        name_match = _REGION_NAME.search(item.group(0))
        if name_match is None:
            return item.group(0)
        raw_name = name_match.group(1)
        if raw_name.startswith(_OTHER_PARTITION_PREFIXES):
            return b""
        region = raw_name.decode()
        is_disabled = region in disabled
        status = opt_in_status(region, disabled=is_disabled)
        endpoint_match = _REGION_ENDPOINT.search(item.group(0))
        endpoint = endpoint_match.group(1).decode() if endpoint_match else ""
        if not query.lists(region, disabled=is_disabled) or not query.matches(region, endpoint, status):
            return b""
        return _OPT_IN_STATUS.sub(lambda found: found.group(1) + status.encode() + found.group(2), item.group(0))

    def rewrite_info(info: re.Match[bytes]) -> bytes:
        return info.group(1) + _ITEM.sub(rewrite_item, info.group(2)) + info.group(3)

    return _REGION_INFO.sub(rewrite_info, body, count=1)


def _form_lists(environ: WSGIEnviron) -> dict[str, list[str]]:
    """Every value of every parameter, from the query string and a form-encoded body."""
    params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if environ.get("CONTENT_TYPE", "").startswith(_FORM_CONTENT_TYPE):
        body = request_body(environ).decode("utf-8", errors="replace")
        for key, values in parse_qs(body, keep_blank_values=True).items():
            params[key] = values
    return params
