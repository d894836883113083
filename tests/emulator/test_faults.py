"""The fault layer, seen through real boto3 and aioboto3 clients talking to the running emulator."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aioboto3
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.retries.standard import (
    RetryContext,
    ThrottledRetryableChecker,
    TransientRetryableChecker,
)
from cloudsweep_emulator.faults import FaultKind, FaultLayer, FaultPlan, FaultRule, Injection
from cloudsweep_emulator.moto_app import account_for_access_key, create_moto_app
from cloudsweep_emulator.server import Emulator
from cloudsweep_emulator.wsgi import rest_json_operation
from werkzeug.serving import BaseWSGIServer, make_server

MANAGEMENT = "123456789012"
MEMBER = "210987654321"
OTHER_MEMBER = "333333333333"
STATIC_KEYS = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "not-a-real-secret"}
ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})
THREE_ATTEMPTS = Config(retries={"mode": "standard", "total_max_attempts": 3})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_client(
    endpoint_url: str,
    service: str,
    region: str = "us-east-1",
    config: Config = ONE_ATTEMPT,
    credentials: dict[str, str] | None = None,
) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name=region,
        endpoint_url=endpoint_url,
        config=config,
        **(credentials or STATIC_KEYS),
    )


def credentials_in(endpoint_url: str, account: str) -> dict[str, str]:
    """Working keys for `account`, the way a scanner gets them: sts:AssumeRole (moto issues any)."""
    sts = make_client(endpoint_url, "sts")
    issued = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/scanner", RoleSessionName="tests")
    keys = issued["Credentials"]
    return {
        "aws_access_key_id": keys["AccessKeyId"],
        "aws_secret_access_key": keys["SecretAccessKey"],
        "aws_session_token": keys["SessionToken"],
    }


def error_of(call: Callable[[], object]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def code_and_status(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def injection(kind: FaultKind, service: str, operation: str | None, region: str = "us-east-1") -> Injection:
    return Injection(kind, service, operation, MANAGEMENT, region)


# --- Error shapes, per protocol ----------------------------------------------------------------

ORGANIZATIONS = ("organizations", "list_accounts", "ListAccounts")
CONFIG = ("config", "describe_config_rules", "DescribeConfigRules")
EC2 = ("ec2", "describe_instances", "DescribeInstances")
IAM = ("iam", "list_users", "ListUsers")
STS = ("sts", "get_caller_identity", "GetCallerIdentity")
S3 = ("s3", "list_buckets", "ListBuckets")

ERROR_SHAPES = [
    # JSON protocol (X-Amz-Target): always 400 for client faults, like the real Coral services.
    (ORGANIZATIONS, FaultRule.throttle(count=1), "ThrottlingException", 400),
    (ORGANIZATIONS, FaultRule.expired_token(count=1), "ExpiredTokenException", 400),
    (ORGANIZATIONS, FaultRule.access_denied(count=1), "AccessDeniedException", 400),
    (ORGANIZATIONS, FaultRule.server_error(500, count=1), "InternalFailure", 500),
    (CONFIG, FaultRule.throttle(count=1), "ThrottlingException", 400),
    (CONFIG, FaultRule.server_error(503, count=1), "ServiceUnavailable", 503),
    # EC2 protocol: its own codes and statuses.
    (EC2, FaultRule.throttle(count=1), "RequestLimitExceeded", 503),
    (EC2, FaultRule.expired_token(count=1), "RequestExpired", 400),
    (EC2, FaultRule.access_denied(count=1), "UnauthorizedOperation", 403),
    (EC2, FaultRule.server_error(500, count=1), "InternalError", 500),
    (EC2, FaultRule.server_error(503, count=1), "Unavailable", 503),
    # Query protocol (IAM, STS).
    (IAM, FaultRule.throttle(count=1), "Throttling", 400),
    (IAM, FaultRule.access_denied(count=1), "AccessDenied", 403),
    (IAM, FaultRule.server_error(500, count=1), "InternalFailure", 500),
    (STS, FaultRule.expired_token(count=1), "ExpiredToken", 403),
    (STS, FaultRule.server_error(503, count=1), "ServiceUnavailable", 503),
    # S3 (rest-xml).
    (S3, FaultRule.throttle(count=1), "SlowDown", 503),
    (S3, FaultRule.expired_token(count=1), "ExpiredToken", 400),
    (S3, FaultRule.access_denied(count=1), "AccessDenied", 403),
    (S3, FaultRule.server_error(500, count=1), "InternalError", 500),
]


@pytest.mark.parametrize(
    ("api", "rule", "code", "status"),
    ERROR_SHAPES,
    ids=[f"{api[0]}-{code}" for api, _, code, _ in ERROR_SHAPES],
)
def test_botocore_parses_each_protocols_error_shape(
    emulator: Emulator, api: tuple[str, str, str], rule: FaultRule, code: str, status: int
) -> None:
    service, method, operation = api
    client = make_client(emulator.endpoint_url, service)
    emulator.faults.add(rule)

    error = error_of(getattr(client, method))

    assert code_and_status(error) == (code, status)
    assert emulator.faults.injected() == Counter({injection(rule.kind, service, operation): 1})


def test_access_denied_message_names_the_action(emulator: Emulator) -> None:
    iam = make_client(emulator.endpoint_url, "iam")
    emulator.faults.add(FaultRule.access_denied(count=1))

    error = error_of(iam.list_users)

    assert error.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{MANAGEMENT}:root is not authorized to perform: iam:ListUsers"
    )


# --- Counts, probability and determinism -------------------------------------------------------


def test_a_counted_rule_faults_exactly_the_next_n_matching_calls(emulator: Emulator) -> None:
    ec2 = make_client(emulator.endpoint_url, "ec2")
    iam = make_client(emulator.endpoint_url, "iam")
    emulator.faults.add(FaultRule.throttle(count=3, service="ec2"))

    iam.list_users()
    outcomes = [_succeeds(ec2.describe_instances) for _ in range(5)]

    assert outcomes == [False, False, False, True, True]
    assert emulator.faults.injected() == Counter({injection(FaultKind.THROTTLING, "ec2", "DescribeInstances"): 3})
    [active] = emulator.faults.rules()
    assert (active.injected, active.remaining) == (3, 0)


def _succeeds(call: Callable[[], object]) -> bool:
    try:
        call()
    except ClientError:
        return False
    return True


def _throttled_sequence(emulator: Emulator, calls: int = 24) -> list[bool]:
    iam = make_client(emulator.endpoint_url, "iam")
    emulator.faults.clear()
    emulator.faults.add(FaultRule.throttle(probability=0.5))
    return [_succeeds(iam.list_users) for _ in range(calls)]


@pytest.fixture
def restore_seed(emulator: Emulator) -> Iterator[None]:
    seed = emulator.faults.seed
    yield
    emulator.faults.clear(seed=seed)


@pytest.mark.usefixtures("restore_seed")
def test_a_seed_replays_the_same_probabilistic_faults(emulator: Emulator) -> None:
    first = _throttled_sequence(emulator)
    second = _throttled_sequence(emulator)
    emulator.faults.clear(seed=emulator.faults.seed + 1)
    other_seed = _throttled_sequence(emulator)

    assert first == second
    assert 0 < first.count(False) < len(first)
    assert other_seed != first


def _concurrent_injections(emulator: Emulator) -> Counter[Injection]:
    emulator.faults.clear()
    emulator.faults.add(FaultRule.throttle(probability=0.4, service="ec2"))
    clients = {region: make_client(emulator.endpoint_url, "ec2", region) for region in ("us-east-1", "eu-west-1")}
    calls = [clients["us-east-1"].describe_vpcs, clients["eu-west-1"].describe_vpcs] * 12
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(_succeeds, calls))
    return emulator.faults.injected()


def test_a_seed_decides_the_same_faults_whatever_the_arrival_order(emulator: Emulator) -> None:
    first = _concurrent_injections(emulator)
    second = _concurrent_injections(emulator)

    assert first == second
    assert 0 < sum(first.values()) < 24


def test_probability_zero_never_fires_and_the_plan_is_thread_safe(emulator: Emulator) -> None:
    emulator.faults.add(FaultRule.throttle(probability=0.0))
    emulator.faults.add(FaultRule.expired_token(count=5, service="iam"))
    iam = make_client(emulator.endpoint_url, "iam")

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda _: _succeeds(iam.list_users), range(12)))

    assert outcomes.count(False) == 5
    assert emulator.faults.injected() == Counter({injection(FaultKind.EXPIRED_TOKEN, "iam", "ListUsers"): 5})


def test_the_first_matching_error_rule_wins(emulator: Emulator) -> None:
    emulator.faults.add(FaultRule.access_denied(count=1, operation="ListUsers"))
    emulator.faults.add(FaultRule.throttle(count=1))
    iam = make_client(emulator.endpoint_url, "iam")

    first, second = error_of(iam.list_users), error_of(iam.list_users)

    assert code_and_status(first)[0] == "AccessDenied"
    assert code_and_status(second)[0] == "Throttling"
    iam.list_users()


# --- Scoping: account, region, operation -------------------------------------------------------


def test_an_account_scoped_fault_leaves_other_accounts_alone(emulator: Emulator) -> None:
    member_iam = make_client(emulator.endpoint_url, "iam", credentials=credentials_in(emulator.endpoint_url, MEMBER))
    management_iam = make_client(emulator.endpoint_url, "iam")
    emulator.faults.add(FaultRule.throttle(account=MEMBER))

    management_iam.list_users()
    error = error_of(member_iam.list_users)

    assert code_and_status(error) == ("Throttling", 400)
    assert emulator.faults.injected() == Counter(
        {Injection(FaultKind.THROTTLING, "iam", "ListUsers", MEMBER, "us-east-1"): 1}
    )


def test_the_moto_account_header_decides_the_account(emulator: Emulator) -> None:
    iam = make_client(emulator.endpoint_url, "iam")
    iam.meta.events.register("before-sign.iam", _act_in(MEMBER))
    emulator.faults.add(FaultRule.throttle(account=MEMBER))

    assert code_and_status(error_of(iam.list_users)) == ("Throttling", 400)


def _act_in(account: str) -> Callable[..., None]:
    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    return add_header


def test_a_region_scoped_fault_leaves_other_regions_alone(emulator: Emulator) -> None:
    emulator.faults.add(FaultRule.throttle(region="eu-west-1", service="ec2"))

    make_client(emulator.endpoint_url, "ec2", "us-east-1").describe_instances()
    error = error_of(make_client(emulator.endpoint_url, "ec2", "eu-west-1").describe_instances)

    assert code_and_status(error) == ("RequestLimitExceeded", 503)


def test_an_operation_scoped_fault_leaves_other_operations_alone(emulator: Emulator) -> None:
    ec2 = make_client(emulator.endpoint_url, "ec2")
    emulator.faults.add(FaultRule.throttle(operation="DescribeInstances"))

    ec2.describe_vpcs()

    assert code_and_status(error_of(ec2.describe_instances))[0] == "RequestLimitExceeded"


def test_access_denied_for_an_account_denies_assuming_a_role_into_it(emulator: Emulator) -> None:
    member_keys = credentials_in(emulator.endpoint_url, MEMBER)
    emulator.faults.add(FaultRule.access_denied(account=MEMBER))
    sts = make_client(emulator.endpoint_url, "sts")
    role_arn = f"arn:aws:iam::{MEMBER}:role/scanner"

    denied = error_of(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="tests"))
    credentials_in(emulator.endpoint_url, OTHER_MEMBER)
    denied_inside = error_of(make_client(emulator.endpoint_url, "ec2", credentials=member_keys).describe_instances)

    assert code_and_status(denied) == ("AccessDenied", 403)
    assert denied.response["Error"]["Message"].endswith(f"sts:AssumeRole on resource: {role_arn}")
    assert code_and_status(denied_inside) == ("UnauthorizedOperation", 403)
    assert emulator.faults.injected() == Counter(
        {
            injection(FaultKind.ACCESS_DENIED, "sts", "AssumeRole"): 1,
            Injection(FaultKind.ACCESS_DENIED, "ec2", "DescribeInstances", MEMBER, "us-east-1"): 1,
        }
    )


# --- Latency -----------------------------------------------------------------------------------


@pytest.fixture
def layered_moto() -> Iterator[tuple[str, FaultPlan, list[float]]]:
    """moto behind a FaultLayer whose sleep only records: (endpoint, plan, requested sleeps)."""
    plan = FaultPlan(seed=3)
    sleeps: list[float] = []
    layer = FaultLayer(create_moto_app(), plan, resolve_account=account_for_access_key, sleep=sleeps.append)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, layer, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", plan, sleeps
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_latency_rules_stack_and_precede_an_error(layered_moto: tuple[str, FaultPlan, list[float]]) -> None:
    endpoint, plan, sleeps = layered_moto
    plan.add(FaultRule.latency(250, service="ec2"))
    plan.add(FaultRule.latency(40, count=2))
    plan.add(FaultRule.throttle(count=1, service="ec2"))
    ec2, iam = make_client(endpoint, "ec2"), make_client(endpoint, "iam")

    throttled = error_of(ec2.describe_instances)
    iam.list_users()
    iam.list_users()
    ec2.describe_instances()

    assert code_and_status(throttled)[0] == "RequestLimitExceeded"
    assert sleeps == [0.29, 0.04, 0.25]
    assert plan.injected()[injection(FaultKind.LATENCY, "ec2", "DescribeInstances")] == 3


def test_latency_passes_the_call_through(emulator: Emulator) -> None:
    emulator.faults.add(FaultRule.latency(5, count=1))

    assert make_client(emulator.endpoint_url, "sts").get_caller_identity()["Account"] == MANAGEMENT
    assert emulator.faults.injected() == Counter({injection(FaultKind.LATENCY, "sts", "GetCallerIdentity"): 1})


# --- Dropped connections and retries -----------------------------------------------------------


def test_a_dropped_connection_is_a_connection_error_and_the_server_carries_on(emulator: Emulator) -> None:
    ec2 = make_client(emulator.endpoint_url, "ec2")
    emulator.faults.add(FaultRule.connection_reset(count=1, service="ec2"))

    with pytest.raises(ConnectionClosedError):
        ec2.describe_instances()
    ec2.describe_instances()

    assert emulator.faults.injected() == Counter({injection(FaultKind.CONNECTION_RESET, "ec2", "DescribeInstances"): 1})


def test_a_dropped_json_protocol_call_gets_no_response_at_all(emulator: Emulator) -> None:
    # A JSON call carries a body; left unread it would be parsed as a second request and answered with a 400.
    config = make_client(emulator.endpoint_url, "config")
    emulator.faults.add(FaultRule.connection_reset(count=1, operation="ListDiscoveredResources"))

    with pytest.raises(ConnectionClosedError):
        config.list_discovered_resources(resourceType="AWS::EC2::Instance")
    assert config.list_discovered_resources(resourceType="AWS::EC2::Instance")["resourceIdentifiers"] == []


@pytest.mark.anyio
async def test_aioboto3_sees_a_dropped_json_call_as_a_connection_error(emulator: Emulator) -> None:
    session = aioboto3.Session(**STATIC_KEYS)
    emulator.faults.add(FaultRule.connection_reset(count=1, operation="ListDiscoveredResources"))
    async with _async_client(session, emulator.endpoint_url, "config", ONE_ATTEMPT) as config:
        with pytest.raises(BotocoreConnectionError):
            await config.list_discovered_resources(resourceType="AWS::EC2::Instance")
        after = await config.list_discovered_resources(resourceType="AWS::EC2::Instance")
    assert after["resourceIdentifiers"] == []


def _record_retry_contexts(client: Any) -> list[RetryContext]:
    """What botocore's retry handler is shown after each attempt, built from the real responses."""
    contexts: list[RetryContext] = []

    def record(attempts: int, response: Any, caught_exception: Any, operation: Any, **_: Any) -> None:
        http_response, parsed = response if response is not None else (None, None)
        contexts.append(
            RetryContext(
                attempt_number=attempts,
                operation_model=operation,
                parsed_response=parsed,
                http_response=http_response,
                caught_exception=caught_exception,
            )
        )

    client.meta.events.register_first(f"needs-retry.{client.meta.service_model.service_id.hyphenize()}", record)
    return contexts


RECOVERABLE = [
    (FaultRule.throttle(count=1), ThrottledRetryableChecker()),
    (FaultRule.server_error(503, count=1), TransientRetryableChecker()),
    (FaultRule.server_error(500, count=1), TransientRetryableChecker()),
    (FaultRule.connection_reset(count=1), TransientRetryableChecker()),
]


@pytest.mark.parametrize(("rule", "checker"), RECOVERABLE, ids=["throttle", "503", "500", "reset"])
def test_standard_retries_recover_from_a_one_shot_fault(
    emulator: Emulator, rule: FaultRule, checker: ThrottledRetryableChecker | TransientRetryableChecker
) -> None:
    ec2 = make_client(emulator.endpoint_url, "ec2", config=THREE_ATTEMPTS)
    contexts = _record_retry_contexts(ec2)
    emulator.faults.add(rule)

    response = ec2.describe_vpcs()

    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert checker.is_retryable(contexts[0])
    assert sum(emulator.faults.injected().values()) == 1


def test_standard_retries_recover_a_json_call_from_a_throttle(emulator: Emulator) -> None:
    organizations = make_client(emulator.endpoint_url, "organizations", config=THREE_ATTEMPTS)
    organizations.create_organization(FeatureSet="ALL")
    emulator.faults.add(FaultRule.throttle(count=1, service="organizations"))

    accounts = organizations.list_accounts()

    assert accounts["ResponseMetadata"]["RetryAttempts"] == 1
    assert [account["Id"] for account in accounts["Accounts"]] == [MANAGEMENT]


def test_standard_retries_do_not_retry_an_expired_token(emulator: Emulator) -> None:
    iam = make_client(emulator.endpoint_url, "iam", config=THREE_ATTEMPTS)
    emulator.faults.add(FaultRule.expired_token(count=2))

    error = error_of(iam.list_users)

    assert error.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert sum(emulator.faults.injected().values()) == 1


# --- aioboto3 ----------------------------------------------------------------------------------


def _async_client(session: aioboto3.Session, endpoint_url: str, service: str, config: Config) -> Any:
    return session.client(service, region_name="us-east-1", endpoint_url=endpoint_url, config=config)


@pytest.mark.anyio
async def test_aioboto3_parses_json_throttles_and_recovers_with_retries(emulator: Emulator) -> None:
    session = aioboto3.Session(**STATIC_KEYS)
    emulator.faults.add(FaultRule.throttle(count=2, service="config"))

    async with _async_client(session, emulator.endpoint_url, "config", ONE_ATTEMPT) as config:
        with pytest.raises(ClientError) as caught:
            await config.describe_config_rules()
    async with _async_client(session, emulator.endpoint_url, "organizations", THREE_ATTEMPTS) as organizations:
        await organizations.create_organization(FeatureSet="ALL")
        emulator.faults.add(FaultRule.throttle(count=1, service="organizations"))
        accounts = await organizations.list_accounts()

    assert code_and_status(caught.value) == ("ThrottlingException", 400)
    assert accounts["ResponseMetadata"]["RetryAttempts"] == 1
    assert [account["Id"] for account in accounts["Accounts"]] == [MANAGEMENT]


@pytest.mark.anyio
async def test_aioboto3_sees_a_dropped_connection_as_a_transient_connection_error(emulator: Emulator) -> None:
    session = aioboto3.Session(**STATIC_KEYS)
    emulator.faults.add(FaultRule.connection_reset(count=1))

    async with _async_client(session, emulator.endpoint_url, "sts", ONE_ATTEMPT) as sts:
        with pytest.raises((BotocoreConnectionError, HTTPClientError)) as caught:
            await sts.get_caller_identity()
        identity = await sts.get_caller_identity()
    emulator.faults.add(FaultRule.connection_reset(count=1))
    async with _async_client(session, emulator.endpoint_url, "sts", THREE_ATTEMPTS) as sts:
        retried = await sts.get_caller_identity()

    assert TransientRetryableChecker().is_retryable(RetryContext(attempt_number=1, caught_exception=caught.value))
    assert identity["Account"] == MANAGEMENT
    assert retried["ResponseMetadata"]["RetryAttempts"] == 1


# --- The control surface -----------------------------------------------------------------------


def _control(endpoint_url: str, method: str, path: str = "", body: object = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{endpoint_url}/_cloudsweep/faults{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_the_control_surface_adds_lists_and_clears_rules(emulator: Emulator) -> None:
    endpoint = emulator.endpoint_url
    status, added = _control(endpoint, "POST", body={"kind": "throttling", "service": "iam", "count": 2})
    iam = make_client(endpoint, "iam")
    throttled = error_of(iam.list_users)
    _, listing = _control(endpoint, "GET")
    _, after_delete = _control(endpoint, "DELETE", f"/{added['id']}")

    assert status == 201
    assert added["kind"] == "throttling"
    assert (added["service"], added["count"], added["injected"]) == ("iam", 2, 0)
    assert code_and_status(throttled) == ("Throttling", 400)
    assert listing["rules"] == [{**added, "injected": 1, "remaining": 1}]
    assert listing["injected"] == [
        {
            "kind": "throttling",
            "service": "iam",
            "operation": "ListUsers",
            "account": MANAGEMENT,
            "region": "us-east-1",
            "count": 1,
        }
    ]
    assert after_delete["rules"] == []
    iam.list_users()


def test_the_control_surface_is_never_faulted_and_rejects_bad_rules(emulator: Emulator) -> None:
    endpoint = emulator.endpoint_url
    emulator.faults.add(FaultRule.connection_reset())

    bad_kind = _control(endpoint, "POST", body={"kind": "meteor"})
    bad_field = _control(endpoint, "POST", body={"kind": "throttling", "colour": "red"})
    bad_probability = _control(endpoint, "POST", body={"kind": "throttling", "probability": 2})
    server_error = _control(endpoint, "POST", body={"kind": "server_error", "probability": 0.5})
    cleared = _control(endpoint, "DELETE")
    missing = _control(endpoint, "DELETE", "/99")

    assert [bad_kind[0], bad_field[0], bad_probability[0]] == [400, 400, 400]
    assert "colour" in bad_field[1]["error"]
    assert server_error[0] == 201
    assert (server_error[1]["status"], server_error[1]["probability"]) == (500, 0.5)
    assert cleared == (200, {"seed": emulator.faults.seed, "rules": [], "injected": []})
    assert missing[0] == 404
    assert make_client(endpoint, "sts").get_caller_identity()["Account"] == MANAGEMENT


# --- Rules as values ---------------------------------------------------------------------------


def test_rules_round_trip_through_json_and_reject_nonsense() -> None:
    rule = FaultRule.server_error(503, probability=0.25, count=4, account=MEMBER, region="eu-west-1")

    assert FaultRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    for bad in (
        lambda: FaultRule.throttle(probability=1.5),
        lambda: FaultRule.throttle(count=0),
        lambda: FaultRule.latency(0),
        lambda: FaultRule.server_error(502),
        lambda: FaultRule(FaultKind.THROTTLING, status=500),
        lambda: FaultRule.from_dict({"kind": "latency", "latency_ms": "10"}),
        lambda: FaultRule.from_dict({"kind": "throttling", "count": True}),
    ):
        with pytest.raises(ValueError, match=r"."):
            bad()


@pytest.mark.parametrize(
    ("service", "method", "path", "operation"),
    [
        ("securityhub", "POST", "/findings/import", "BatchImportFindings"),
        ("securityhub", "POST", "/findings", "GetFindings"),
        ("lambda", "GET", "/2015-03-31/functions/my-function/policy", "GetPolicy"),
        ("lambda", "GET", "/2015-03-31/functions/", "ListFunctions"),
        ("securityhub", "DELETE", "/nowhere", None),
        ("no-such-service", "GET", "/", None),
        (None, "GET", "/", None),
    ],
)
def test_rest_json_operations_are_named_from_method_and_path(
    service: str | None, method: str, path: str, operation: str | None
) -> None:
    """So that a fault rule scoped to a REST API's operation (BatchImportFindings) matches its calls."""
    assert rest_json_operation(service, method, path) == operation
