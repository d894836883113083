"""The local Cloud Config endpoint, called with raw HTTP requests signed here by an independent ACS3-HMAC-SHA256 signer.

The signer follows Alibaba Cloud's published V3 algorithm, not the endpoint's code, so a test that passes says the
endpoint verifies what the documentation describes. Every refusal is checked for its status and its error document.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode, urlsplit

import pytest
from cloudsweep_emulator.alibaba_config import (
    AlibabaConfigEndpoint,
    DiscoveredResource,
    Fault,
    RecordedCall,
    garbled,
    server_error,
    throttling,
    unavailable,
)

VERSION = "2020-09-07"
ALGORITHM = "ACS3-HMAC-SHA256"
FORM = "application/x-www-form-urlencoded"
HOST_ID = "config.cn-shanghai.aliyuncs.com"
ACCOUNT = 1812345678901234
TOKEN = "cloudsweep-result-token-1"
INSTANCE = "ACS::ECS::Instance"
DISK = "ACS::ECS::Disk"
RAM_USER = "ACS::RAM::User"
CREATED_MS = 1709251200000  # DiscoveredResource's default creation time, 2024-03-01T00:00:00Z
REQUEST_ID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")


class Key(NamedTuple):
    id: str
    secret: str
    token: str | None = None


LONG_TERM = Key("LTAI5tExampleLongTermKey", "long-term-secret-0123456789abcd")
STS = Key("STS.NExampleTemporaryKeyId", "temporary-secret-0123456789abcd", "CAISExampleSecurityToken0123456789")


# --- an independent signer -------------------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def percent(value: str) -> str:
    return quote(value, safe="~")


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signature(
    secret: str, method: str, query: Mapping[str, str], headers: Mapping[str, str], signed: list[str], body: bytes
) -> str:
    canonical_query = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(query.items()))
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical_request = "\n".join([method, "/", canonical_query, canonical_headers, ";".join(signed), sha256_hex(body)])
    string_to_sign = f"{ALGORITHM}\n{sha256_hex(canonical_request.encode())}"
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class Prepared:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.body)


def prepare(
    endpoint: AlibabaConfigEndpoint,
    action: str,
    form: Mapping[str, str] | None = None,
    *,
    query: Mapping[str, str] | None = None,
    key: Key = LONG_TERM,
    secret: str | None = None,
    token: str | None = None,
    date: str | None = None,
    nonce: str | None = None,
    version: str = VERSION,
    method: str = "POST",
    path: str = "/",
    extra_headers: Mapping[str, str] | None = None,
    unsigned: tuple[str, ...] = (),
) -> Prepared:
    """A request signed as the V3 algorithm says: every header but those in `unsigned` is signed."""
    body = urlencode(dict(form)).encode() if form is not None else b""
    headers = {
        "host": urlsplit(endpoint.url).netloc,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": date if date is not None else utc_stamp(datetime.now(UTC)),
        "x-acs-signature-nonce": nonce if nonce is not None else uuid.uuid4().hex,
        "x-acs-content-sha256": sha256_hex(body),
    }
    if form is not None:
        headers["content-type"] = FORM
    security_token = token if token is not None else key.token
    if security_token is not None:
        headers["x-acs-security-token"] = security_token
    headers.update(extra_headers or {})
    signed = sorted(name for name in headers if name not in unsigned)
    query = dict(query or {})
    sig = signature(secret or key.secret, method, query, headers, signed, body)
    headers["authorization"] = f"{ALGORITHM} Credential={key.id},SignedHeaders={';'.join(signed)},Signature={sig}"
    return Prepared(method, path, query, headers, body)


def send(endpoint: AlibabaConfigEndpoint, prepared: Prepared) -> Reply:
    url = endpoint.url + prepared.path
    if prepared.query:
        url += "?" + "&".join(f"{percent(k)}={percent(v)}" for k, v in prepared.query.items())
    request = urllib.request.Request(url, data=prepared.body or None, headers=prepared.headers, method=prepared.method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.read(), dict(error.headers))


def call(endpoint: AlibabaConfigEndpoint, action: str, form: Mapping[str, str] | None = None, **kwargs: Any) -> Reply:
    return send(endpoint, prepare(endpoint, action, form, **kwargs))


def refused(reply: Reply, status: int, code: str, message: str) -> None:
    """The reply is Alibaba Cloud's error document, with this status, code and message."""
    assert reply.status == status, reply.body
    document = reply.json()
    assert set(document) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert REQUEST_ID.fullmatch(document["RequestId"])
    assert document["HostId"] == HOST_ID
    assert document["Code"] == code
    assert document["Message"] == message
    assert document["Recommend"] == f"https://api.aliyun.com/troubleshoot?q={code}&product=Config"


# --- fixtures ----------------------------------------------------------------------------------------------------


def instance(resource_id: str, region: str = "cn-hangzhou", *, deleted: bool = False) -> DiscoveredResource:
    return DiscoveredResource(
        ACCOUNT,
        region,
        INSTANCE,
        resource_id,
        {"InstanceId": resource_id, "RegionId": region, "ImageId": "m-approved"},
        resource_name=f"name-{resource_id}",
        resource_status="Running",
        availability_zone=f"{region}-h",
        deleted=deleted,
        tags={"env": ["prod"], "team": ["a", "b"]},
    )


def resources() -> list[DiscoveredResource]:
    return [
        instance("i-live-1"),
        instance("i-live-2", "cn-beijing"),
        instance("i-gone", deleted=True),
        DiscoveredResource(ACCOUNT, "cn-hangzhou", DISK, "d-1", {"DiskId": "d-1", "Encrypted": True}),
        DiscoveredResource(ACCOUNT, "global", RAM_USER, "200828888731170000", {"UserName": "alice"}),
    ]


def started() -> AlibabaConfigEndpoint:
    return AlibabaConfigEndpoint(
        {LONG_TERM.id: (LONG_TERM.secret, None), STS.id: (STS.secret, STS.token)},
        resources=resources(),
        result_tokens=[TOKEN],
    )


@pytest.fixture
def fresh_endpoint() -> Iterator[AlibabaConfigEndpoint]:
    """An endpoint of its own, for a test that queues faults, changes resources, puts or counts calls."""
    with started() as running:
        yield running


@pytest.fixture(scope="module")
def shared_endpoint() -> Iterator[AlibabaConfigEndpoint]:
    # Stopping an endpoint waits out the server's 0.5 s poll: the read-only tests share one.
    with started() as running:
        yield running


@pytest.fixture
def endpoint(shared_endpoint: AlibabaConfigEndpoint) -> Iterator[AlibabaConfigEndpoint]:
    """The module's endpoint, for tests that only read and get refused: checked unchanged after each test."""
    yield shared_endpoint
    assert shared_endpoint.evaluations == {}
    assert [r.resource_id for r in shared_endpoint.resources] == [r.resource_id for r in resources()]
    # No fault was queued here: none was ever answered.
    fault_codes = {"Throttling.User", "InternalError", "ServiceUnavailable", "Garbled"}
    assert not [call for call in shared_endpoint.calls if call.code in fault_codes]


SIGNING = frozenset({"key", "secret", "token", "date", "nonce", "version", "extra_headers", "unsigned"})


def listing(endpoint: AlibabaConfigEndpoint, **arguments: Any) -> Reply:
    """ListDiscoveredResources with MaxResults 100 and these parameters (and signing options) in its form."""
    signing = {name: value for name, value in arguments.items() if name in SIGNING}
    parameters = {name: value for name, value in arguments.items() if name not in SIGNING}
    return call(endpoint, "ListDiscoveredResources", {"MaxResults": "100", **parameters}, **signing)


def ids(reply: Reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [p["ResourceId"] for p in reply.json()["DiscoveredResourceProfiles"]["DiscoveredResourceProfileList"]]


def evaluation(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "accountId": ACCOUNT,
        "complianceResourceId": "i-live-1",
        "complianceResourceType": INSTANCE,
        "complianceRegionId": "cn-hangzhou",
        "complianceType": "COMPLIANT",
        "orderingTimestamp": 1795000000000,
        "annotation": "image m-approved is approved",
    }
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not DROP}


DROP: Any = object()


def put(endpoint: AlibabaConfigEndpoint, evaluations: Any, token: str | None = TOKEN, **kwargs: Any) -> Reply:
    form: dict[str, str] = {}
    if token is not None:
        form["ResultToken"] = token
    if evaluations is not None:
        form["Evaluations"] = evaluations if isinstance(evaluations, str) else json.dumps(evaluations)
    return call(endpoint, "PutEvaluations", form, **kwargs)


# --- the three actions, signed correctly --------------------------------------------------------------------------


def test_list_discovered_resources_answers_the_documented_shape(endpoint) -> None:
    reply = listing(endpoint, ResourceTypes=INSTANCE, Regions="cn-hangzhou", ResourceDeleted="1")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    document = reply.json()
    assert set(document) == {"RequestId", "DiscoveredResourceProfiles"}
    assert REQUEST_ID.fullmatch(document["RequestId"])
    assert document["DiscoveredResourceProfiles"] == {
        "DiscoveredResourceProfileList": [
            {
                "AccountId": ACCOUNT,
                "AvailabilityZone": "cn-hangzhou-h",
                "Region": "cn-hangzhou",
                "ResourceCreationTime": CREATED_MS,
                "ResourceDeleted": 1,
                "ResourceId": "i-live-1",
                "ResourceName": "name-i-live-1",
                "ResourceStatus": "Running",
                "ResourceType": INSTANCE,
                "Tags": json.dumps({"env": ["prod"], "team": ["a", "b"]}),
                "UpdateTime": CREATED_MS,
                "Version": 1,
            }
        ],
        "MaxResults": 100,
        "TotalCount": 1,
    }
    profile = document["DiscoveredResourceProfiles"]["DiscoveredResourceProfileList"][0]
    assert isinstance(profile["Tags"], str)
    assert json.loads(profile["Tags"]) == {"env": ["prod"], "team": ["a", "b"]}


def test_a_deleted_resource_reads_resource_deleted_0(endpoint) -> None:
    reply = listing(endpoint, ResourceDeleted="0")
    profiles = reply.json()["DiscoveredResourceProfiles"]["DiscoveredResourceProfileList"]
    assert [(p["ResourceId"], p["ResourceDeleted"]) for p in profiles] == [("i-gone", 0)]


def test_list_without_filters_lists_live_and_deleted_in_order(endpoint) -> None:
    reply = listing(endpoint)
    assert ids(reply) == ["i-live-1", "i-live-2", "i-gone", "d-1", "200828888731170000"]
    assert "NextToken" not in reply.json()["DiscoveredResourceProfiles"]
    assert reply.json()["DiscoveredResourceProfiles"]["TotalCount"] == 5


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"ResourceTypes": INSTANCE}, ["i-live-1", "i-live-2", "i-gone"]),
        ({"ResourceTypes": f"{DISK}, {RAM_USER}"}, ["d-1", "200828888731170000"]),
        ({"ResourceTypes": "ACS::OSS::Bucket"}, []),
        ({"Regions": "cn-beijing"}, ["i-live-2"]),
        ({"Regions": "cn-beijing,global"}, ["i-live-2", "200828888731170000"]),
        ({"ResourceDeleted": "1"}, ["i-live-1", "i-live-2", "d-1", "200828888731170000"]),
        ({"ResourceDeleted": "0"}, ["i-gone"]),
        ({"ResourceTypes": INSTANCE, "Regions": "cn-hangzhou", "ResourceDeleted": "1"}, ["i-live-1"]),
        ({"ResourceId": "d-1"}, ["d-1"]),
        ({"ResourceTypes": "", "Regions": ""}, ["i-live-1", "i-live-2", "i-gone", "d-1", "200828888731170000"]),
    ],
)
def test_list_filters(endpoint, parameters, expected) -> None:
    reply = listing(endpoint, **parameters)
    assert ids(reply) == expected
    assert reply.json()["DiscoveredResourceProfiles"]["TotalCount"] == len(expected)


def test_parameters_in_the_signed_query_string_are_read(endpoint) -> None:
    # ResourceTypes' "::" and "," are percent-encoded in the canonical query.
    reply = call(endpoint, "ListDiscoveredResources", query={"MaxResults": "2", "ResourceTypes": f"{INSTANCE},{DISK}"})
    assert ids(reply) == ["i-live-1", "i-live-2"]
    assert reply.json()["DiscoveredResourceProfiles"]["MaxResults"] == 2
    assert reply.json()["DiscoveredResourceProfiles"]["TotalCount"] == 4
    assert endpoint.calls[-1].parameters == {"MaxResults": "2", "ResourceTypes": f"{INSTANCE},{DISK}"}


def test_paging_through_250_resources_yields_each_once(fresh_endpoint) -> None:
    fresh_endpoint.resources[:] = [instance(f"i-{n:03d}") for n in range(250)]
    seen: list[str] = []
    pages: list[tuple[int, int, int, bool]] = []
    token: str | None = None
    while True:
        reply = listing(fresh_endpoint, **({"NextToken": token} if token else {}))
        page = reply.json()["DiscoveredResourceProfiles"]
        seen.extend(ids(reply))
        pages.append(
            (len(page["DiscoveredResourceProfileList"]), page["MaxResults"], page["TotalCount"], "NextToken" in page)
        )
        token = page.get("NextToken")
        if not token:
            break
    assert pages == [(100, 100, 250, True), (100, 100, 250, True), (50, 100, 250, False)]
    assert seen == [f"i-{n:03d}" for n in range(250)]


def test_an_exact_last_page_has_no_next_token(fresh_endpoint) -> None:
    fresh_endpoint.resources[:] = [instance(f"i-{n}") for n in range(4)]
    first = listing(fresh_endpoint, MaxResults="2").json()["DiscoveredResourceProfiles"]
    last = listing(fresh_endpoint, MaxResults="2", NextToken=first["NextToken"]).json()["DiscoveredResourceProfiles"]
    assert [p["ResourceId"] for p in last["DiscoveredResourceProfileList"]] == ["i-2", "i-3"]
    assert "NextToken" not in last


def test_a_next_token_can_be_asked_again(fresh_endpoint) -> None:
    # A retried page (its first answer lost) asks with the same token: it gets the same page.
    fresh_endpoint.resources[:] = [instance(f"i-{n}") for n in range(3)]
    token = listing(fresh_endpoint, MaxResults="1").json()["DiscoveredResourceProfiles"]["NextToken"]
    assert ids(listing(fresh_endpoint, MaxResults="1", NextToken=token)) == ["i-1"]
    assert ids(listing(fresh_endpoint, MaxResults="1", NextToken=token)) == ["i-1"]


def test_an_invented_next_token_is_refused(endpoint) -> None:
    refused(
        listing(endpoint, NextToken=uuid.uuid4().hex),
        400,
        "InvalidParameter.NextToken",
        "The specified NextToken is invalid.",
    )


def test_get_discovered_resource_answers_the_documented_shape(endpoint) -> None:
    reply = call(
        endpoint, "GetDiscoveredResource", {"ResourceId": "i-live-1", "ResourceType": INSTANCE, "Region": "cn-hangzhou"}
    )
    assert reply.status == 200
    document = reply.json()
    assert set(document) == {"RequestId", "DiscoveredResourceDetail"}
    assert document["DiscoveredResourceDetail"] == {
        "AccountId": ACCOUNT,
        "AvailabilityZone": "cn-hangzhou-h",
        "Region": "cn-hangzhou",
        "ResourceCreationTime": CREATED_MS,
        "ResourceDeleted": 1,
        "ResourceId": "i-live-1",
        "ResourceName": "name-i-live-1",
        "ResourceStatus": "Running",
        "ResourceType": INSTANCE,
        "Tags": json.dumps({"env": ["prod"], "team": ["a", "b"]}),
        "Configuration": json.dumps({"InstanceId": "i-live-1", "RegionId": "cn-hangzhou", "ImageId": "m-approved"}),
    }
    assert json.loads(document["DiscoveredResourceDetail"]["Configuration"])["ImageId"] == "m-approved"


def test_get_a_deleted_resource_reads_resource_deleted_0(endpoint) -> None:
    reply = call(
        endpoint,
        "GetDiscoveredResource",
        {"ResourceId": "i-gone", "ResourceType": INSTANCE, "Region": "cn-hangzhou", "ComplianceOption": "1"},
    )
    assert reply.json()["DiscoveredResourceDetail"]["ResourceDeleted"] == 0


def test_put_evaluations_stores_them_under_the_token(fresh_endpoint) -> None:
    first = [evaluation(), evaluation(complianceResourceId="i-live-2", complianceType="NON_COMPLIANT")]
    second = [
        evaluation(
            complianceResourceId="200828888731170000",
            complianceResourceType=RAM_USER,
            complianceRegionId="global",
            complianceType="NOT_APPLICABLE",
            complianceResourceName="alice",
            annotation=DROP,
        )
    ]
    reply = put(fresh_endpoint, first)
    assert reply.status == 200
    document = reply.json()
    assert set(document) == {"RequestId", "Result"}
    assert document["Result"] is True
    form = {"ResultToken": TOKEN, "Evaluations": json.dumps(second), "DeleteMode": "false"}
    assert call(fresh_endpoint, "PutEvaluations", form).json()["Result"] is True
    assert fresh_endpoint.put(TOKEN) == first + second
    assert fresh_endpoint.evaluations == {TOKEN: first + second}
    assert fresh_endpoint.put("another-token") == []


def test_put_evaluations_takes_100(fresh_endpoint) -> None:
    batch = [evaluation(complianceResourceId=f"i-{n}") for n in range(100)]
    assert put(fresh_endpoint, batch).json()["Result"] is True
    assert len(fresh_endpoint.put(TOKEN)) == 100


def test_an_sts_key_with_its_token_is_accepted(endpoint) -> None:
    reply = listing(endpoint, key=STS)
    assert reply.status == 200
    assert endpoint.calls[-1].headers["x-acs-security-token"] == STS.token


# --- the signature and the request's form ----------------------------------------------------------------------


def test_a_wrong_secret_does_not_match(endpoint) -> None:
    refused(
        listing(endpoint, secret="not-the-secret"),
        400,
        "SignatureDoesNotMatch",
        "Specified signature does not match our calculation.",
    )


def test_a_query_changed_after_signing_does_not_match(endpoint) -> None:
    prepared = prepare(endpoint, "ListDiscoveredResources", query={"MaxResults": "10"})
    prepared.query["MaxResults"] = "11"
    refused(
        send(endpoint, prepared), 400, "SignatureDoesNotMatch", "Specified signature does not match our calculation."
    )


def test_a_signed_header_changed_after_signing_does_not_match(endpoint) -> None:
    prepared = prepare(endpoint, "ListDiscoveredResources", {"MaxResults": "10"})
    prepared.headers["x-acs-signature-nonce"] = uuid.uuid4().hex
    refused(
        send(endpoint, prepared), 400, "SignatureDoesNotMatch", "Specified signature does not match our calculation."
    )


def test_a_body_changed_after_signing_is_refused(endpoint) -> None:
    prepared = prepare(endpoint, "ListDiscoveredResources", {"MaxResults": "10"})
    prepared.body = urlencode({"MaxResults": "99"}).encode()
    refused(send(endpoint, prepared), 400, "InvalidContentSha256", "x-acs-content-sha256 does not match the body.")


def test_an_unsigned_x_acs_header_is_refused(endpoint) -> None:
    reply = listing(endpoint, extra_headers={"x-acs-extra": "1"}, unsigned=("x-acs-extra",))
    refused(reply, 400, "IncompleteSignature", "SignedHeaders must list, sorted: x-acs-extra")


def test_an_unsigned_required_header_is_refused(endpoint) -> None:
    reply = listing(endpoint, unsigned=("host", "x-acs-date"))
    refused(reply, 400, "IncompleteSignature", "SignedHeaders must list, sorted: host, x-acs-date")


def test_an_unsigned_content_type_is_accepted(endpoint) -> None:
    # Only host and the x-acs-* headers must be signed.
    assert listing(endpoint, unsigned=("content-type",)).status == 200


def test_signed_headers_out_of_order_are_refused(endpoint) -> None:
    prepared = prepare(endpoint, "ListDiscoveredResources", {"MaxResults": "10"})
    algorithm, _, fields = prepared.headers["authorization"].partition(" ")
    parts = dict(part.split("=", 1) for part in fields.split(","))
    parts["SignedHeaders"] = ";".join(reversed(parts["SignedHeaders"].split(";")))
    prepared.headers["authorization"] = f"{algorithm} " + ",".join(f"{k}={v}" for k, v in parts.items())
    refused(send(endpoint, prepared), 400, "IncompleteSignature", "SignedHeaders must list, sorted: ")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "ACS3-HMAC-SHA1 Credential=LTAI5tExampleLongTermKey,SignedHeaders=host,Signature=00",
        "ACS3-HMAC-SHA256 Credential=LTAI5tExampleLongTermKey,Signature=00",
    ],
)
def test_a_missing_or_malformed_authorization_is_refused(endpoint, authorization) -> None:
    prepared = prepare(endpoint, "ListDiscoveredResources", {"MaxResults": "10"})
    if authorization is None:
        del prepared.headers["authorization"]
    else:
        prepared.headers["authorization"] = authorization
    refused(
        send(endpoint, prepared),
        400,
        "IncompleteSignature",
        "Authorization must be ACS3-HMAC-SHA256 Credential=,SignedHeaders=,Signature=",
    )


def test_an_unknown_key_is_refused(endpoint) -> None:
    reply = listing(endpoint, key=Key("LTAI5tNobodyKnowsThisKey", "whatever"))
    refused(reply, 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")


@pytest.mark.parametrize("token", ["CAISSomeOtherToken", None])
def test_an_sts_key_without_its_token_is_refused(endpoint, token) -> None:
    key = STS._replace(token=token)
    refused(listing(endpoint, key=key), 400, "InvalidSecurityToken.Mismatch", "Specified SecurityToken is invalid.")


def test_an_sts_token_sent_but_not_signed_is_refused(endpoint) -> None:
    reply = listing(endpoint, key=STS, unsigned=("x-acs-security-token",))
    refused(reply, 400, "IncompleteSignature", "SignedHeaders must list, sorted: x-acs-security-token")


@pytest.mark.parametrize("offset", [timedelta(minutes=-20), timedelta(minutes=20)])
def test_a_date_20_minutes_off_is_refused(endpoint, offset) -> None:
    date = utc_stamp(datetime.now(UTC) + offset)
    refused(
        listing(endpoint, date=date),
        400,
        "InvalidTimeStamp.Expired",
        f"x-acs-date {date} is more than 15 minutes off.",
    )


def test_the_endpoint_clock_decides_what_is_stale() -> None:
    now = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
    with AlibabaConfigEndpoint({LONG_TERM.id: (LONG_TERM.secret, None)}, clock=lambda: now) as endpoint:
        # Fifteen minutes either way is still fresh; a second more is not.
        assert listing(endpoint, date="2024-06-01T12:00:00Z").status == 200
        assert listing(endpoint, date="2024-06-01T11:45:00Z").status == 200
        assert listing(endpoint, date="2024-06-01T12:15:00Z").status == 200
        refused(
            listing(endpoint, date="2024-06-01T11:44:59Z"),
            400,
            "InvalidTimeStamp.Expired",
            "x-acs-date 2024-06-01T11:44:59Z is more than 15 minutes off.",
        )
        refused(
            listing(endpoint, date="2024-06-01T12:15:01Z"),
            400,
            "InvalidTimeStamp.Expired",
            "x-acs-date 2024-06-01T12:15:01Z is more than 15 minutes off.",
        )


@pytest.mark.parametrize(
    "date", ["", "2024-06-01 12:00:00", "2024-06-01T12:00:00+00:00", "Sat, 01 Jun 2024 12:00:00 GMT", "yesterday"]
)
def test_a_malformed_date_is_refused(endpoint, date) -> None:
    refused(
        listing(endpoint, date=date),
        400,
        "InvalidTimeStamp.Format",
        f"x-acs-date is not yyyy-MM-ddTHH:mm:ssZ: {date!r}",
    )


def test_a_reused_nonce_is_refused(endpoint) -> None:
    nonce = uuid.uuid4().hex
    assert listing(endpoint, nonce=nonce).status == 200
    # A new, correct signature does not make the nonce new; nor does another action.
    refused(listing(endpoint, nonce=nonce), 400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    refused(
        put(endpoint, [evaluation()], nonce=nonce),
        400,
        "SignatureNonceUsed",
        "Specified signature nonce was used already.",
    )
    assert endpoint.put(TOKEN) == []


def test_a_missing_nonce_is_refused(endpoint) -> None:
    refused(listing(endpoint, nonce=""), 400, "MissingSignatureNonce", "x-acs-signature-nonce is required.")


@pytest.mark.parametrize(("version", "shown"), [("2019-01-08", "'2019-01-08'"), ("", "''")])
def test_a_wrong_version_is_refused(endpoint, version, shown) -> None:
    refused(
        listing(endpoint, version=version),
        400,
        "InvalidVersion",
        f"Specified parameter Version is not valid: {shown}",
    )


@pytest.mark.parametrize("action", ["DescribeRegions", "ListConfigRules", ""])
def test_an_unknown_action_is_refused(endpoint, action) -> None:
    reply = call(endpoint, action, {"MaxResults": "10"})
    refused(reply, 404, "InvalidAction.NotFound", f"Specified api is not found: {action!r}")


@pytest.mark.parametrize(("method", "path"), [("GET", "/"), ("PUT", "/"), ("POST", "/v1"), ("POST", "/index.html")])
def test_only_post_slash_is_served(endpoint, method, path) -> None:
    reply = call(endpoint, "ListDiscoveredResources", query={"MaxResults": "10"}, method=method, path=path)
    refused(reply, 400, "UnsupportedHTTPMethod", "RPC calls are POST / in this API.")


# --- parameters -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "form", "message"),
    [
        ("ListDiscoveredResources", {"MaxResults": "10", "PageSize": "10"}, "Unknown parameters: PageSize."),
        (
            "ListDiscoveredResources",
            {"MaxResults": "10", "Zeta": "1", "Alpha": "2"},
            "Unknown parameters: Alpha, Zeta.",
        ),
        (
            "GetDiscoveredResource",
            {"ResourceId": "i-live-1", "ResourceType": INSTANCE, "Region": "cn-hangzhou", "MaxResults": "1"},
            "Unknown parameters: MaxResults.",
        ),
        (
            "PutEvaluations",
            {"ResultToken": TOKEN, "Evaluations": "[]", "TestMode": "true"},
            "Unknown parameters: TestMode.",
        ),
    ],
)
def test_an_unknown_parameter_is_refused(endpoint, action, form, message) -> None:
    refused(call(endpoint, action, form), 400, "InvalidParameter", message)


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("0", "InvalidParameter.MaxResults", "MaxResults must be 1 to 100, got 0."),
        ("101", "InvalidParameter.MaxResults", "MaxResults must be 1 to 100, got 101."),
        ("ten", "InvalidParameter.MaxResults", "MaxResults must be a number, got 'ten'."),
        ("-1", "InvalidParameter.MaxResults", "MaxResults must be a number, got '-1'."),
        ("1.5", "InvalidParameter.MaxResults", "MaxResults must be a number, got '1.5'."),
        ("", "InvalidParameter.MaxResults", "MaxResults must be a number, got ''."),
    ],
)
def test_a_bad_max_results_is_refused(endpoint, value, code, message) -> None:
    refused(call(endpoint, "ListDiscoveredResources", {"MaxResults": value}), 400, code, message)


def test_max_results_is_required(endpoint) -> None:
    reply = call(endpoint, "ListDiscoveredResources", {"ResourceTypes": INSTANCE})
    refused(reply, 400, "MissingMaxResults", "MaxResults is mandatory for this action.")


@pytest.mark.parametrize("value", ["1", "100"])
def test_max_results_bounds_are_accepted(endpoint, value) -> None:
    assert listing(endpoint, MaxResults=value).json()["DiscoveredResourceProfiles"]["MaxResults"] == int(value)


def test_a_superscript_digit_max_results_is_refused_not_crashed(endpoint) -> None:
    refused(
        call(endpoint, "ListDiscoveredResources", {"MaxResults": "²"}),
        400,
        "InvalidParameter.MaxResults",
        "MaxResults must be a number, got '²'.",
    )


@pytest.mark.parametrize("value", ["2", "true", "", "-1"])
def test_a_bad_resource_deleted_is_refused(endpoint, value) -> None:
    refused(
        listing(endpoint, ResourceDeleted=value),
        400,
        "InvalidParameter.ResourceDeleted",
        "ResourceDeleted must be 0 or 1.",
    )


@pytest.mark.parametrize("missing", ["ResourceId", "ResourceType", "Region"])
def test_get_discovered_resource_needs_its_three_parameters(endpoint, missing) -> None:
    form = {"ResourceId": "i-live-1", "ResourceType": INSTANCE, "Region": "cn-hangzhou"}
    del form[missing]
    refused(
        call(endpoint, "GetDiscoveredResource", form),
        400,
        f"Missing{missing}",
        f"{missing} is mandatory for this action.",
    )


@pytest.mark.parametrize(
    "form",
    [
        {"ResourceId": "i-nowhere", "ResourceType": INSTANCE, "Region": "cn-hangzhou"},
        {"ResourceId": "i-live-1", "ResourceType": INSTANCE, "Region": "cn-beijing"},
        {"ResourceId": "i-live-1", "ResourceType": DISK, "Region": "cn-hangzhou"},
    ],
)
def test_get_discovered_resource_of_an_unknown_resource_is_404(endpoint, form) -> None:
    reply = call(endpoint, "GetDiscoveredResource", form)
    refused(reply, 404, "ResourceNotExists", f"The resource {form['ResourceId']} does not exist.")


def test_put_evaluations_needs_a_result_token(endpoint) -> None:
    refused(
        put(endpoint, [evaluation()], token=None),
        400,
        "MissingResultToken",
        "ResultToken is mandatory for this action.",
    )
    refused(
        put(endpoint, [evaluation()], token=""), 400, "MissingResultToken", "ResultToken is mandatory for this action."
    )


def test_put_evaluations_with_an_unknown_result_token_is_refused(endpoint) -> None:
    refused(
        put(endpoint, [evaluation()], token="cloudsweep-invented"),
        400,
        "Invalid.ResultToken",
        "The specified ResultToken is invalid or expired.",
    )
    assert endpoint.evaluations == {}


def test_put_evaluations_with_a_bad_delete_mode_is_refused(endpoint) -> None:
    form = {"ResultToken": TOKEN, "Evaluations": json.dumps([evaluation()]), "DeleteMode": "yes"}
    refused(
        call(endpoint, "PutEvaluations", form),
        400,
        "InvalidParameter.DeleteMode",
        "DeleteMode must be true or false.",
    )


@pytest.mark.parametrize(
    ("evaluations", "message"),
    [
        ("not json", "Evaluations must be a JSON array."),
        (None, "Evaluations must be a JSON array."),
        ("", "Evaluations must be a JSON array."),
        ([], "Evaluations must be a non-empty JSON array."),
        ({"complianceType": "COMPLIANT"}, "Evaluations must be a non-empty JSON array."),
        ("null", "Evaluations must be a non-empty JSON array."),
        ([evaluation()] * 101, "At most 100 evaluations a call."),
        (["COMPLIANT"], "Evaluations[0] must be an object."),
        ([evaluation(), evaluation(complianceType=DROP)], "Evaluations[1]: unknown [], missing ['complianceType']."),
        (
            [evaluation(accountId=DROP, orderingTimestamp="")],
            "Evaluations[0]: unknown [], missing ['accountId', 'orderingTimestamp'].",
        ),
        ([evaluation(complianceResourceId=None)], "Evaluations[0]: unknown [], missing ['complianceResourceId']."),
        ([evaluation(resultToken="x")], "Evaluations[0]: unknown ['resultToken'], missing []."),
        ([evaluation(annotation=5)], "Evaluations[0].annotation must be a string."),
        ([evaluation(annotation=None)], "Evaluations[0].annotation must be a string."),
        ([evaluation(complianceResourceName=["a"])], "Evaluations[0].complianceResourceName must be a string."),
    ],
)
def test_bad_evaluations_are_refused(endpoint, evaluations, message) -> None:
    refused(put(endpoint, evaluations), 400, "InvalidParameter.Evaluations", message)
    assert endpoint.put(TOKEN) == []


@pytest.mark.parametrize("compliance", ["INSUFFICIENT_DATA", "compliant", "NOT_EVALUATED"])
def test_a_bad_compliance_type_is_refused(endpoint, compliance) -> None:
    refused(
        put(endpoint, [evaluation(complianceType=compliance)]),
        400,
        "InvalidParameter.ComplianceType",
        f"Evaluations[0].complianceType {compliance!r}.",
    )


def test_a_list_compliance_type_is_refused_not_crashed(endpoint) -> None:
    refused(
        put(endpoint, [evaluation(complianceType=["COMPLIANT"])]),
        400,
        "InvalidParameter.ComplianceType",
        "Evaluations[0].complianceType ['COMPLIANT'].",
    )


@pytest.mark.parametrize("timestamp", [1795000000, 1795000000000.0, "1795000000000", True, 999999999999])
def test_an_ordering_timestamp_not_in_epoch_ms_is_refused(endpoint, timestamp) -> None:
    refused(
        put(endpoint, [evaluation(orderingTimestamp=timestamp)]),
        400,
        "InvalidParameter.OrderingTimestamp",
        "Evaluations[0].orderingTimestamp must be epoch ms.",
    )


@pytest.mark.parametrize("account", [str(ACCOUNT), True, 1.8e15])
def test_an_account_id_not_a_number_is_refused(endpoint, account) -> None:
    refused(
        put(endpoint, [evaluation(accountId=account)]),
        400,
        "InvalidParameter.AccountId",
        "Evaluations[0].accountId must be a number.",
    )


# --- faults -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "code", "message"),
    [
        (throttling(), 400, "Throttling.User", "Request was denied due to user flow control."),
        (server_error(), 500, "InternalError", "The request processing has failed due to some unknown error."),
        (
            unavailable(),
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        ),
        (Fault(None, 403, "Forbidden.RAM", "You are not authorized."), 403, "Forbidden.RAM", "You are not authorized."),
    ],
)
def test_a_fault_answers_once_then_the_action_works(fresh_endpoint, fault, status, code, message) -> None:
    fresh_endpoint.fail(fault)
    refused(listing(fresh_endpoint), status, code, message)
    assert listing(fresh_endpoint).status == 200
    assert [(c.action, c.status, c.code) for c in fresh_endpoint.calls] == [
        ("ListDiscoveredResources", status, code),
        ("ListDiscoveredResources", 200, None),
    ]


def test_garbled_answers_200_with_a_body_that_is_not_json(fresh_endpoint) -> None:
    fresh_endpoint.fail(garbled())
    reply = listing(fresh_endpoint)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.body == b"<html>502 Bad Gateway</html>"
    with pytest.raises(json.JSONDecodeError):
        reply.json()
    assert listing(fresh_endpoint).status == 200
    assert [(c.status, c.code) for c in fresh_endpoint.calls] == [(200, "Garbled"), (200, None)]


def test_garbled_times_2_garbles_twice(fresh_endpoint) -> None:
    fresh_endpoint.fail(garbled(times=2))
    assert [listing(fresh_endpoint).body for _ in range(2)] == [b"<html>502 Bad Gateway</html>"] * 2


def test_times_counts_down(fresh_endpoint) -> None:
    fresh_endpoint.fail(throttling(times=3))
    statuses = [listing(fresh_endpoint).status for _ in range(4)]
    assert statuses == [400, 400, 400, 200]
    assert [c.code for c in fresh_endpoint.calls] == ["Throttling.User"] * 3 + [None]


def test_faults_are_taken_in_the_order_queued(fresh_endpoint) -> None:
    fresh_endpoint.fail(unavailable(times=2), throttling())
    assert [listing(fresh_endpoint).status for _ in range(4)] == [503, 503, 400, 200]


def test_an_action_specific_fault_leaves_other_actions_alone(fresh_endpoint) -> None:
    fresh_endpoint.fail(throttling("PutEvaluations", times=2))
    assert listing(fresh_endpoint).status == 200
    get = {"ResourceId": "d-1", "ResourceType": DISK, "Region": "cn-hangzhou"}
    assert call(fresh_endpoint, "GetDiscoveredResource", get).status == 200
    refused(put(fresh_endpoint, [evaluation()]), 400, "Throttling.User", "Request was denied due to user flow control.")
    assert listing(fresh_endpoint).status == 200
    refused(put(fresh_endpoint, [evaluation()]), 400, "Throttling.User", "Request was denied due to user flow control.")
    assert put(fresh_endpoint, [evaluation()]).status == 200
    assert fresh_endpoint.put(TOKEN) == [evaluation()]


def test_a_fault_is_answered_only_to_an_authenticated_call(fresh_endpoint) -> None:
    fresh_endpoint.fail(server_error())
    refused(
        listing(fresh_endpoint, secret="wrong"),
        400,
        "SignatureDoesNotMatch",
        "Specified signature does not match our calculation.",
    )
    refused(
        listing(fresh_endpoint), 500, "InternalError", "The request processing has failed due to some unknown error."
    )
    assert listing(fresh_endpoint).status == 200


def test_a_fault_answers_before_the_parameters_are_checked(fresh_endpoint) -> None:
    fresh_endpoint.fail(throttling())
    refused(
        call(fresh_endpoint, "ListDiscoveredResources", {"MaxResults": "0"}),
        400,
        "Throttling.User",
        "Request was denied due to user flow control.",
    )


def test_calls_record_action_parameters_status_and_code(fresh_endpoint) -> None:
    listing(fresh_endpoint, ResourceTypes=INSTANCE)
    call(
        fresh_endpoint,
        "GetDiscoveredResource",
        {"ResourceId": "i-x", "ResourceType": INSTANCE, "Region": "cn-hangzhou"},
    )
    put(fresh_endpoint, [evaluation()])
    listing(fresh_endpoint, secret="wrong")
    call(fresh_endpoint, "DescribeRegions", query={"RegionId": "cn-hangzhou"})
    recorded = [(c.action, dict(c.parameters), c.status, c.code) for c in fresh_endpoint.calls]
    assert recorded == [
        ("ListDiscoveredResources", {"MaxResults": "100", "ResourceTypes": INSTANCE}, 200, None),
        (
            "GetDiscoveredResource",
            {"ResourceId": "i-x", "ResourceType": INSTANCE, "Region": "cn-hangzhou"},
            404,
            "ResourceNotExists",
        ),
        ("PutEvaluations", {"ResultToken": TOKEN, "Evaluations": json.dumps([evaluation()])}, 200, None),
        ("ListDiscoveredResources", {"MaxResults": "100"}, 400, "SignatureDoesNotMatch"),
        ("DescribeRegions", {"RegionId": "cn-hangzhou"}, 404, "InvalidAction.NotFound"),
    ]
    assert all(isinstance(c, RecordedCall) for c in fresh_endpoint.calls)
    assert [c.status for c in fresh_endpoint.calls_of("ListDiscoveredResources")] == [200, 400]
    assert [c.code for c in fresh_endpoint.calls_of("GetDiscoveredResource")] == ["ResourceNotExists"]
    assert fresh_endpoint.calls_of("ListConfigRules") == []
    assert fresh_endpoint.calls[0].headers["x-acs-action"] == "ListDiscoveredResources"
    assert fresh_endpoint.calls[0].headers["authorization"].startswith(f"{ALGORITHM} Credential={LONG_TERM.id},")


def test_url_is_only_there_while_running() -> None:
    endpoint = AlibabaConfigEndpoint({})
    with pytest.raises(RuntimeError, match=r"^the endpoint is not running$"):
        _ = endpoint.url
    with endpoint:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", endpoint.url)
    with pytest.raises(RuntimeError, match=r"^the endpoint is not running$"):
        _ = endpoint.url
