"""Opt-in regions per account, seen through real boto3 and aioboto3 clients talking to moto behind a RegionLayer."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import aioboto3
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.retries.standard import RetryContext, StandardRetryConditions
from cloudsweep_emulator.moto_app import account_for_access_key, create_moto_app
from cloudsweep_emulator.regions import (
    DEFAULT_REGIONS,
    OPT_IN_REGIONS,
    RegionControls,
    RegionLayer,
)
from cloudsweep_emulator.wsgi import StartResponse, WSGIApp, WSGIEnviron, read_request
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import Client
from werkzeug.wrappers import Response

MANAGEMENT = "123456789012"
MEMBER = "210987654321"
STATIC_KEYS = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "not-a-real-secret"}
COMMERCIAL_REGIONS = DEFAULT_REGIONS | OPT_IN_REGIONS
FIVE_STANDARD_ATTEMPTS = Config(retries={"mode": "standard", "total_max_attempts": 5})
FIVE_LEGACY_ATTEMPTS = Config(retries={"mode": "legacy", "total_max_attempts": 5})


class _CountingApp:
    """Counts the requests that reach the layer, by (service, operation, region)."""

    def __init__(self, app: WSGIApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str | None, str | None, str | None]] = Counter()

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        request = read_request(environ)
        with self._lock:
            self.calls[(request.service, request.operation, request.region)] += 1
        return self._app(environ, start_response)


@dataclass(frozen=True)
class Layered:
    endpoint_url: str
    controls: RegionControls
    counter: _CountingApp

    def client(
        self,
        service: str,
        region: str = "us-east-1",
        config: Config | None = None,
        credentials: dict[str, str] | None = None,
    ) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint_url,
            config=config or Config(retries={"mode": "standard", "total_max_attempts": 1}),
            **(credentials or STATIC_KEYS),
        )


@pytest.fixture(scope="module")
def layered_server() -> Iterator[Layered]:
    controls = RegionControls()
    counter = _CountingApp(RegionLayer(create_moto_app(), controls, account_for_access_key))
    server: BaseWSGIServer = make_server("127.0.0.1", 0, counter, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Layered(f"http://127.0.0.1:{server.server_port}", controls, counter)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def layered(layered_server: Layered) -> Iterator[Layered]:
    layered_server.controls.clear()
    layered_server.counter.calls.clear()
    yield layered_server
    layered_server.controls.clear()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def error_of(call: Callable[[], object]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def code_and_status(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def credentials_in(layered: Layered, account: str) -> dict[str, str]:
    """Working keys for `account`, the way a scanner gets them: sts:AssumeRole (moto issues any)."""
    issued = layered.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/scanner", RoleSessionName="tests")
    keys = issued["Credentials"]
    return {
        "aws_access_key_id": keys["AccessKeyId"],
        "aws_secret_access_key": keys["SecretAccessKey"],
        "aws_session_token": keys["SessionToken"],
    }


# --- The controls --------------------------------------------------------------------------------------


def test_every_region_starts_enabled_and_only_opt_in_regions_can_be_disabled() -> None:
    controls = RegionControls()

    assert controls.is_empty()
    assert not controls.is_disabled(MANAGEMENT, "af-south-1")
    for region in ("us-east-1", "eu-west-1", "cn-north-1", "xx-nowhere-1"):
        with pytest.raises(ValueError, match="only opt-in regions"):
            controls.disable(MANAGEMENT, region)
        with pytest.raises(ValueError, match="only opt-in regions"):
            controls.enable(MANAGEMENT, region)
    with pytest.raises(ValueError, match="12 digits"):
        controls.disable("management", "af-south-1")
    assert controls.is_empty()


def test_disable_enable_and_clear_are_per_account_and_region() -> None:
    controls = RegionControls()
    controls.disable(MANAGEMENT, "af-south-1")
    controls.disable(MANAGEMENT, "me-south-1")
    controls.disable(MEMBER, "ap-east-1")

    assert controls.is_disabled(MANAGEMENT, "af-south-1")
    assert not controls.is_disabled(MEMBER, "af-south-1")
    assert controls.disabled_regions(MANAGEMENT) == {"af-south-1", "me-south-1"}

    controls.enable(MANAGEMENT, "af-south-1")
    controls.enable(MANAGEMENT, "af-south-1")
    assert controls.disabled_regions(MANAGEMENT) == {"me-south-1"}

    controls.clear()
    assert controls.is_empty()
    assert not controls.is_disabled(MEMBER, "ap-east-1")


def test_controls_are_thread_safe() -> None:
    controls = RegionControls()
    accounts = [f"{n:012d}" for n in range(200)]
    regions = sorted(OPT_IN_REGIONS)

    def toggle(account: str) -> None:
        for region in regions:
            controls.disable(account, region)
            controls.is_disabled(account, region)
        controls.enable(account, regions[0])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(toggle, accounts))

    assert all(controls.disabled_regions(account) == set(regions[1:]) for account in accounts)


def test_the_region_lists_cover_every_commercial_region_moto_serves() -> None:
    # A botocore upgrade that adds a region shows up here: it must be classified as default or opt-in.
    served = set(boto3.session.Session().get_available_regions("ec2"))

    assert served == COMMERCIAL_REGIONS
    assert not DEFAULT_REGIONS & OPT_IN_REGIONS


# --- Calls into a disabled region ----------------------------------------------------------------------

DISABLED_REGION_ERRORS = [
    # (service, operation, region the client is in, code, HTTP status)
    ("ec2", "describe_instances", "af-south-1", "AuthFailure", 401),
    ("logs", "describe_log_groups", "af-south-1", "UnrecognizedClientException", 400),
    ("config", "describe_config_rules", "af-south-1", "UnrecognizedClientException", 400),
    ("sts", "get_caller_identity", "af-south-1", "InvalidClientTokenId", 403),
    ("s3", "list_buckets", "af-south-1", "InvalidToken", 400),
]


@pytest.mark.parametrize(("service", "operation", "region", "code", "status"), DISABLED_REGION_ERRORS)
@pytest.mark.parametrize("config", [FIVE_STANDARD_ATTEMPTS, FIVE_LEGACY_ATTEMPTS], ids=["standard", "legacy"])
def test_a_disabled_region_fails_with_the_protocols_auth_error_and_is_not_retried(
    layered: Layered, service: str, operation: str, region: str, code: str, status: int, config: Config
) -> None:
    layered.controls.disable(MANAGEMENT, region)
    client = layered.client(service, region, config=config)

    error = error_of(getattr(client, operation))

    assert code_and_status(error) == (code, status)
    assert error.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert sum(layered.counter.calls.values()) == 1
    assert not StandardRetryConditions(max_attempts=5).is_retryable(
        RetryContext(
            attempt_number=1,
            operation_model=client.meta.service_model.operation_model(error.operation_name),
            parsed_response=error.response,
            http_response=None,
            caught_exception=None,
        )
    )


def test_the_error_bodies_are_in_each_protocols_shape(layered: Layered) -> None:
    layered.controls.disable(MANAGEMENT, "me-south-1")
    ec2 = error_of(layered.client("ec2", "me-south-1").describe_vpcs)
    logs = error_of(layered.client("logs", "me-south-1").describe_log_groups)
    sts = error_of(layered.client("sts", "me-south-1").get_caller_identity)

    assert ec2.response["Error"]["Message"] == "AWS was not able to validate the provided access credentials"
    assert logs.response["Error"]["Message"] == "The security token included in the request is invalid"
    assert sts.response["Error"] == {
        "Type": "Sender",
        "Code": "InvalidClientTokenId",
        "Message": "The security token included in the request is invalid.",
    }


def test_other_regions_other_accounts_and_global_services_are_unaffected(layered: Layered) -> None:
    member = credentials_in(layered, MEMBER)
    layered.controls.disable(MANAGEMENT, "af-south-1")
    layered.controls.disable(MEMBER, "ap-east-1")

    assert layered.client("ec2", "ap-east-1").describe_instances()["Reservations"] == []
    assert layered.client("ec2", "eu-west-1").describe_instances()["Reservations"] == []
    assert layered.client("logs", "me-south-1").describe_log_groups()["logGroups"] == []
    assert layered.client("ec2", "af-south-1", credentials=member).describe_instances()["Reservations"] == []
    assert layered.client("sts", "af-south-1", credentials=member).get_caller_identity()["Account"] == MEMBER
    assert code_and_status(error_of(layered.client("ec2", "ap-east-1", credentials=member).describe_instances)) == (
        "AuthFailure",
        401,
    )
    # Global services are served from us-east-1, whatever region the client is in.
    assert layered.client("iam", "af-south-1").list_users()["Users"] == []
    assert layered.client("route53", "af-south-1").list_hosted_zones()["HostedZones"] == []
    organizations = _organizations_answer(layered.client("organizations", "af-south-1"))
    assert organizations == "AWSOrganizationsNotInUseException" or organizations.startswith("o-")


def _organizations_answer(organizations: Any) -> str:
    """Organizations' own answer: an organization's id, or its error code when there is none."""
    try:
        return str(organizations.describe_organization()["Organization"]["Id"])
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    assert layered.client("sts", "aws-global").get_caller_identity()["Account"] == MANAGEMENT


def test_the_moto_account_header_decides_the_account(layered: Layered) -> None:
    layered.controls.disable(MEMBER, "af-south-1")
    ec2 = layered.client("ec2", "af-south-1")
    ec2.meta.events.register(
        "before-sign.ec2.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", MEMBER)
    )

    assert code_and_status(error_of(ec2.describe_instances)) == ("AuthFailure", 401)


def test_enable_restores_the_region(layered: Layered) -> None:
    layered.controls.disable(MANAGEMENT, "eu-south-1")
    ec2 = layered.client("ec2", "eu-south-1")
    error_of(ec2.describe_instances)

    layered.controls.enable(MANAGEMENT, "eu-south-1")

    assert ec2.describe_instances()["Reservations"] == []


def test_a_form_body_still_reaches_moto_intact(layered: Layered) -> None:
    layered.controls.disable(MANAGEMENT, "af-south-1")
    ec2 = layered.client("ec2", "eu-west-1")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    try:
        found = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.7.0.0/16"]}])["Vpcs"]
        assert [v["VpcId"] for v in found] == [vpc]
    finally:
        ec2.delete_vpc(VpcId=vpc)


@pytest.mark.anyio
async def test_aioboto3_sees_the_same_errors_without_retrying(layered: Layered) -> None:
    layered.controls.disable(MANAGEMENT, "il-central-1")
    session = aioboto3.Session(**STATIC_KEYS)
    kwargs: dict[str, Any] = {
        "region_name": "il-central-1",
        "endpoint_url": layered.endpoint_url,
        "config": FIVE_STANDARD_ATTEMPTS,
    }

    async with session.client("ec2", **kwargs) as ec2:
        with pytest.raises(ClientError) as ec2_error:
            await ec2.describe_instances()
    async with session.client("config", **kwargs) as config:
        with pytest.raises(ClientError) as config_error:
            await config.describe_config_rules()
    async with session.client("ec2", **{**kwargs, "region_name": "eu-west-1"}) as ec2_elsewhere:
        regions = await ec2_elsewhere.describe_regions()

    assert code_and_status(ec2_error.value) == ("AuthFailure", 401)
    assert code_and_status(config_error.value) == ("UnrecognizedClientException", 400)
    assert layered.counter.calls[("ec2", "DescribeInstances", "il-central-1")] == 1
    assert layered.counter.calls[("config", "DescribeConfigRules", "il-central-1")] == 1
    assert "il-central-1" not in {region["RegionName"] for region in regions["Regions"]}


# --- DescribeRegions -----------------------------------------------------------------------------------


def _statuses(response: dict[str, Any]) -> dict[str, str]:
    return {region["RegionName"]: region["OptInStatus"] for region in response["Regions"]}


def _expected(disabled: set[str], *, listed: Set[str]) -> dict[str, str]:
    def status(region: str) -> str:
        if region in disabled:
            return "not-opted-in"
        return "opted-in" if region in OPT_IN_REGIONS else "opt-in-not-required"

    return {region: status(region) for region in listed}


def test_describe_regions_lists_every_commercial_region_as_enabled_by_default(layered: Layered) -> None:
    regions = layered.client("ec2").describe_regions()

    assert _statuses(regions) == _expected(set(), listed=COMMERCIAL_REGIONS)
    assert {region["Endpoint"] for region in regions["Regions"]} == {
        f"ec2.{region}.amazonaws.com" for region in COMMERCIAL_REGIONS
    }


def test_describe_regions_leaves_out_the_accounts_disabled_regions(layered: Layered) -> None:
    disabled = {"af-south-1", "me-south-1"}
    for region in disabled:
        layered.controls.disable(MANAGEMENT, region)
    layered.controls.disable(MEMBER, "ap-east-1")

    regions = layered.client("ec2", "eu-central-1").describe_regions()

    assert _statuses(regions) == _expected(disabled, listed=COMMERCIAL_REGIONS - disabled)


def test_describe_all_regions_marks_the_disabled_ones_not_opted_in(layered: Layered) -> None:
    disabled = {"af-south-1", "me-south-1"}
    for region in disabled:
        layered.controls.disable(MANAGEMENT, region)

    regions = layered.client("ec2").describe_regions(AllRegions=True)

    assert _statuses(regions) == _expected(disabled, listed=COMMERCIAL_REGIONS)
    assert _statuses(layered.client("ec2").describe_regions(AllRegions=False)) == _expected(
        disabled, listed=COMMERCIAL_REGIONS - disabled
    )


def test_describe_regions_follows_the_acting_account(layered: Layered) -> None:
    member = credentials_in(layered, MEMBER)
    layered.controls.disable(MEMBER, "ap-east-1")

    assert "ap-east-1" in _statuses(layered.client("ec2").describe_regions())
    assert "ap-east-1" not in _statuses(layered.client("ec2", credentials=member).describe_regions())


def test_regions_named_in_the_request_are_described_even_when_disabled(layered: Layered) -> None:
    # AWS: "You can specify any Regions, whether they are enabled and disabled for your account."
    layered.controls.disable(MANAGEMENT, "af-south-1")

    regions = layered.client("ec2").describe_regions(RegionNames=["af-south-1", "ap-east-1", "us-west-2"])

    assert _statuses(regions) == {
        "af-south-1": "not-opted-in",
        "ap-east-1": "opted-in",
        "us-west-2": "opt-in-not-required",
    }


def test_describe_regions_filters_by_opt_in_status_and_name(layered: Layered) -> None:
    layered.controls.disable(MANAGEMENT, "af-south-1")
    ec2 = layered.client("ec2")

    enabled = ec2.describe_regions(
        AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]
    )
    not_opted_in = ec2.describe_regions(
        AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["not-opted-in"]}]
    )
    by_name = ec2.describe_regions(
        Filters=[
            {"Name": "region-name", "Values": ["ap-east-1", "us-east-1"]},
            {"Name": "opt-in-status", "Values": ["opted-in"]},
        ]
    )

    assert set(_statuses(enabled)) == COMMERCIAL_REGIONS - {"af-south-1"}
    assert _statuses(not_opted_in) == {"af-south-1": "not-opted-in"}
    assert _statuses(by_name) == {"ap-east-1": "opted-in"}


def test_describe_regions_from_a_disabled_region_is_refused(layered: Layered) -> None:
    layered.controls.disable(MANAGEMENT, "af-south-1")

    error = error_of(layered.client("ec2", "af-south-1").describe_regions)

    assert code_and_status(error) == ("AuthFailure", 401)


# --- DescribeRegions bytes -----------------------------------------------------------------------------

_SIGNED_IN_EU_WEST_1 = {
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/eu-west-1/ec2/aws4_request, "
        "SignedHeaders=host, Signature=0"
    ),
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
}


def _post(app: WSGIApp, body: str) -> Response:
    response: Response = Client(app, response_wrapper=Response).post("/", data=body, headers=_SIGNED_IN_EU_WEST_1)
    return response


def test_the_rewritten_body_is_motos_byte_for_byte_but_for_the_regions() -> None:
    moto = create_moto_app()
    controls = RegionControls()
    controls.disable(MANAGEMENT, "me-south-1")
    layer = RegionLayer(moto, controls, account_for_access_key)
    action = "Action=DescribeRegions&Version=2016-11-15"

    # Default regions: moto already reports them as AWS does.
    defaults = f"{action}&RegionName.1=us-east-1&RegionName.2=eu-west-1"
    assert _post(layer, defaults).get_data() == _post(moto, defaults).get_data()

    # ap-east-1 is opt-in and enabled; cn-north-1 belongs to another partition.
    from_moto = _post(moto, f"{action}&RegionName.1=us-east-1&RegionName.2=ap-east-1")
    from_layer = _post(layer, f"{action}&RegionName.1=us-east-1&RegionName.2=ap-east-1&RegionName.3=cn-north-1")
    moto_status = b"<optInStatus>not-opted-in</optInStatus><regionName>ap-east-1<"
    expected = from_moto.get_data().replace(moto_status, b"<optInStatus>opted-in</optInStatus><regionName>ap-east-1<")

    assert moto_status in from_moto.get_data()
    assert from_layer.get_data() == expected
    assert from_layer.status_code == 200
    assert from_layer.headers["Content-Length"] == str(len(expected))
    assert from_layer.headers["Content-Type"] == from_moto.headers["Content-Type"]


def test_describe_regions_errors_pass_through_untouched() -> None:
    moto = create_moto_app()
    layer = RegionLayer(moto, RegionControls(), account_for_access_key)
    dry_run = "Action=DescribeRegions&Version=2016-11-15&DryRun=true"

    from_moto, from_layer = _post(moto, dry_run), _post(layer, dry_run)

    assert from_layer.status_code == from_moto.status_code == 412
    assert from_layer.get_data() == from_moto.get_data()
    assert from_layer.headers["Content-Length"] == str(len(from_moto.get_data()))
