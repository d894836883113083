"""The pure parts of scanner.alibaba.config_api: credentials, regions, settings, endpoints, error classification,
and the retry loop of `ConfigApi.call` driven by an injected coroutine (no network: the endpoint is never called)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from darabonba.exceptions import UnretryableException
from darabonba.policy.retry import RetryPolicyContext
from structlog.testing import capture_logs

from scanner.alibaba.config_api import (
    ALIBABA_RETRY,
    ENDPOINT_ENVIRONMENT,
    PUBLISHED_RATES,
    AlibabaCredentials,
    AlibabaSettings,
    ConfigApi,
    EvaluationsNotAccepted,
    _endpoint_parts,
    config_region,
    error_code,
    is_retryable,
    is_throttle,
)
from scanner.errors import AlibabaError, UsageError

KEY_ID = "LTAI5tExampleKeyId0001"
SECRET = "Zp0Oq9Wn8Xm7Yl6Ak5Bj4Ci3Dh2Eg1"
TOKEN = "CAISExampleSecurityToken"
MISSING_CONTEXT = (
    "context.credentials has no access_key_id and access_key_secret: give the function a role "
    "(Function Compute passes its temporary credentials in the context)"
)
THROTTLE_MESSAGE = "Request was denied due to user flow control."


def context(**credentials: Any) -> SimpleNamespace:
    return SimpleNamespace(credentials=SimpleNamespace(**credentials))


# --- credentials --------------------------------------------------------------------------------------------------


def test_credentials_from_a_snake_case_context() -> None:
    found = AlibabaCredentials.from_context(
        context(access_key_id=KEY_ID, access_key_secret=SECRET, security_token=TOKEN)
    )
    assert found == AlibabaCredentials(KEY_ID, SECRET, TOKEN)


def test_credentials_from_a_camel_case_context() -> None:
    found = AlibabaCredentials.from_context(context(accessKeyId=KEY_ID, accessKeySecret=SECRET, securityToken=TOKEN))
    assert found == AlibabaCredentials(KEY_ID, SECRET, TOKEN)


@pytest.mark.parametrize("token", [None, "", 5])
def test_a_context_without_a_usable_token_is_a_long_term_key(token) -> None:
    found = AlibabaCredentials.from_context(
        context(access_key_id=KEY_ID, access_key_secret=SECRET, security_token=token)
    )
    assert found == AlibabaCredentials(KEY_ID, SECRET, None)


@pytest.mark.parametrize(
    "ctx",
    [
        SimpleNamespace(),
        SimpleNamespace(credentials=None),
        context(),
        context(access_key_id=KEY_ID),
        context(access_key_secret=SECRET),
        context(access_key_id="", access_key_secret=SECRET),
        context(access_key_id=KEY_ID, access_key_secret=""),
        context(access_key_id=KEY_ID, access_key_secret=b"bytes"),
        context(access_key_id=7, access_key_secret=SECRET),
        None,
    ],
)
def test_a_context_without_credentials_is_a_usage_error(ctx) -> None:
    with pytest.raises(UsageError) as caught:
        AlibabaCredentials.from_context(ctx)
    assert str(caught.value) == MISSING_CONTEXT


def test_the_repr_hides_the_secret_and_the_token() -> None:
    credentials = AlibabaCredentials(KEY_ID, SECRET, TOKEN)
    assert repr(credentials) == f"AlibabaCredentials(access_key_id='{KEY_ID}')"
    assert SECRET not in str(credentials)
    assert TOKEN not in str(credentials)


def test_credentials_from_the_environment() -> None:
    environment = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN,
    }
    assert AlibabaCredentials.from_environment(environment) == AlibabaCredentials(KEY_ID, SECRET, TOKEN)
    environment["ALIBABA_CLOUD_SECURITY_TOKEN"] = ""
    assert AlibabaCredentials.from_environment(environment) == AlibabaCredentials(KEY_ID, SECRET, None)
    del environment["ALIBABA_CLOUD_SECURITY_TOKEN"]
    assert AlibabaCredentials.from_environment(environment) == AlibabaCredentials(KEY_ID, SECRET, None)


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID},
        {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET, "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN},
        {"ALIBABA_CLOUD_ACCESS_KEY_ID": "", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET},
    ],
)
def test_the_environment_without_a_key_pair_is_a_usage_error(environment) -> None:
    with pytest.raises(UsageError) as caught:
        AlibabaCredentials.from_environment(environment)
    assert str(caught.value) == "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"


# --- regions, settings, endpoints -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function_region", "environment", "expected"),
    [
        ("cn-hangzhou", {}, "cn-shanghai"),
        ("cn-beijing", {}, "cn-shanghai"),
        ("cn-shanghai", {}, "cn-shanghai"),
        (None, {}, "cn-shanghai"),
        ("ap-southeast-1", {}, "ap-southeast-1"),
        ("eu-central-1", {}, "ap-southeast-1"),
        ("us-west-1", {}, "ap-southeast-1"),
        ("", {}, "cn-shanghai"),
        ("cn-hangzhou", {"CLOUDSWEEP_ALIBABA_CONFIG_REGION": "ap-southeast-1"}, "ap-southeast-1"),
        ("us-west-1", {"CLOUDSWEEP_ALIBABA_CONFIG_REGION": "cn-shanghai"}, "cn-shanghai"),
        ("us-west-1", {"CLOUDSWEEP_ALIBABA_CONFIG_REGION": ""}, "ap-southeast-1"),
    ],
)
def test_config_region(function_region, environment, expected) -> None:
    assert config_region(function_region, environment) == expected


def test_settings_from_an_environment() -> None:
    settings = AlibabaSettings.from_environment("eu-central-1", {ENDPOINT_ENVIRONMENT: "http://127.0.0.1:8080"})
    assert settings == AlibabaSettings(region="ap-southeast-1", endpoint="http://127.0.0.1:8080")
    assert settings.retry == ALIBABA_RETRY
    assert settings.retry.sleep is asyncio.sleep
    assert dict(settings.rates) == {"ListDiscoveredResources": 10.0, "PutEvaluations": 5000 / 60}
    assert settings.rates is not PUBLISHED_RATES
    assert (settings.connect_timeout_ms, settings.read_timeout_ms) == (5_000, 30_000)


def test_settings_from_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDSWEEP_ALIBABA_CONFIG_REGION", "cn-shanghai")
    monkeypatch.delenv(ENDPOINT_ENVIRONMENT, raising=False)
    settings = AlibabaSettings.from_environment("us-west-1")
    assert (settings.region, settings.endpoint) == ("cn-shanghai", None)
    monkeypatch.setenv(ENDPOINT_ENVIRONMENT, "https://config.example.test")
    monkeypatch.delenv("CLOUDSWEEP_ALIBABA_CONFIG_REGION")
    settings = AlibabaSettings.from_environment("us-west-1")
    assert (settings.region, settings.endpoint) == ("ap-southeast-1", "https://config.example.test")


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("http://127.0.0.1:9", ("http", "127.0.0.1:9")),
        ("https://config.cn-shanghai.aliyuncs.com", ("https", "config.cn-shanghai.aliyuncs.com")),
        ("config.cn-shanghai.aliyuncs.com", ("https", "config.cn-shanghai.aliyuncs.com")),
        ("localhost:8080", ("https", "localhost:8080")),
        ("http://127.0.0.1:9/ignored/path", ("http", "127.0.0.1:9")),
    ],
)
def test_endpoint_parts(endpoint, expected) -> None:
    assert _endpoint_parts(endpoint) == expected


@pytest.mark.parametrize("endpoint", ["ftp://config.example.test", "http://", "https://", "", "/just/a/path", "ws://x"])
def test_a_bad_endpoint_is_a_usage_error(endpoint) -> None:
    with pytest.raises(UsageError) as caught:
        _endpoint_parts(endpoint)
    assert str(caught.value) == f"CLOUDSWEEP_ALIBABA_ENDPOINT: expected http(s)://host[:port], got {endpoint!r}"


# --- error classification on the SDK's own exceptions -----------------------------------------------------------


def unretryable(inner: BaseException) -> UnretryableException:
    """What the SDK raises for a transport failure (its own retries off)."""
    return UnretryableException(RetryPolicyContext(retries_attempted=0, exception=inner))


@pytest.mark.parametrize(
    ("exc", "code", "throttle", "retryable"),
    [
        (
            ClientException(status_code=400, code="Throttling.User", message=THROTTLE_MESSAGE),
            "Throttling.User",
            True,
            True,
        ),
        (ClientException(status_code=400, code="Throttling", message="slow"), "Throttling", True, True),
        (ClientException(status_code=429, code="TooManyRequests", message="slow"), "TooManyRequests", True, True),
        (ThrottlingException(status_code=400, message="slow"), "ThrottlingException", True, True),
        (ThrottlingException(status_code=400, code="Throttling.Api", message="slow"), "Throttling.Api", True, True),
        (
            ServerException(status_code=503, code="ServiceUnavailable", message="later"),
            "ServiceUnavailable",
            False,
            True,
        ),
        (ServerException(status_code=500, message="oops"), "ServerException", False, True),
        (ServerException(status_code=502, code="None", message="bad gateway"), "ServerException", False, True),
        (ClientException(code="InternalError", message="oops"), "InternalError", False, True),
        (ClientException(status_code=400, code="NoPermission", message="no"), "NoPermission", False, False),
        (ClientException(status_code=404, code="ResourceNotExists", message="gone"), "ResourceNotExists", False, False),
        (
            ClientException(status_code=400, code="SignatureDoesNotMatch", message="no"),
            "SignatureDoesNotMatch",
            False,
            False,
        ),
        (unretryable(ConnectionRefusedError(111, "Connection refused")), "UnretryableException", False, True),
        (EvaluationsNotAccepted(False), "EvaluationsNotAccepted", False, True),
        (OSError("network is down"), "OSError", False, True),
        (ConnectionResetError(), "ConnectionResetError", False, True),
        (TimeoutError(), "TimeoutError", False, True),
        (ValueError("a bug"), "ValueError", False, False),
        (KeyError("a bug"), "KeyError", False, False),
    ],
)
def test_error_classification(exc, code, throttle, retryable) -> None:
    assert error_code(exc) == code
    assert is_throttle(exc) is throttle
    assert is_retryable(exc) is retryable


def test_an_unretryable_exception_keeps_its_cause() -> None:
    inner = ConnectionRefusedError(111, "Connection refused")
    exc = unretryable(inner)
    assert exc.inner_exception is inner
    assert str(exc) == "[Errno 111] Connection refused"


def test_evaluations_not_accepted() -> None:
    exc = EvaluationsNotAccepted(None)
    assert str(exc) == "PutEvaluations returned Result=None"
    assert exc.code == "EvaluationsNotAccepted"


# --- ConfigApi.call: the retry loop -----------------------------------------------------------------------------


class Sleeps:
    """The retry policy's injected sleep: records, never waits."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def api(sleep: Sleeps, *, max_attempts: int = 3, **settings: Any) -> ConfigApi:
    return ConfigApi(
        AlibabaCredentials(KEY_ID, SECRET),
        AlibabaSettings(
            region="cn-shanghai",
            endpoint="http://127.0.0.1:9",
            retry=replace(ALIBABA_RETRY, sleep=sleep, max_attempts=max_attempts),
            **settings,
        ),
    )


def failing(*outcomes: BaseException | str) -> tuple[Callable[[], Awaitable[str]], list[int]]:
    """A stand-in for one SDK call: raises (or returns) the outcomes in order, the last one from then on."""
    attempts: list[int] = []

    async def function() -> str:
        attempts.append(len(attempts) + 1)
        outcome = outcomes[min(len(attempts), len(outcomes)) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return function, attempts


def run(config_api: ConfigApi, operation: str, function: Callable[[], Awaitable[str]]) -> str:
    async def main() -> str:
        return await config_api.call(operation, function)

    return anyio.run(main, backend="asyncio")


def test_a_first_success_is_one_attempt() -> None:
    sleep = Sleeps()
    config_api = api(sleep)
    function, attempts = failing("ok")
    assert run(config_api, "GetDiscoveredResource", function) == "ok"
    assert attempts == [1]
    assert config_api.calls == {"GetDiscoveredResource": 1}
    assert sleep.seconds == []


def test_retryable_errors_are_retried_until_a_success() -> None:
    sleep = Sleeps()
    config_api = api(sleep)
    function, attempts = failing(
        ServerException(status_code=503, code="ServiceUnavailable", message="later"),
        unretryable(ConnectionResetError(104, "Connection reset by peer")),
        "ok",
    )
    with capture_logs() as logs:
        assert run(config_api, "GetDiscoveredResource", function) == "ok"
    assert attempts == [1, 2, 3]
    assert config_api.calls == {"GetDiscoveredResource": 3}
    # wait_random_exponential: up to 0.2 s, then up to 0.4 s.
    assert len(sleep.seconds) == 2
    assert 0 <= sleep.seconds[0] <= 0.2
    assert 0 <= sleep.seconds[1] <= 0.4
    assert [{k: v for k, v in log.items() if k != "sleep"} for log in logs] == [
        {
            "event": "alibaba call retried",
            "log_level": "info",
            "operation": "GetDiscoveredResource",
            "attempt": 1,
            "error_code": "ServiceUnavailable",
            "throttled": False,
        },
        {
            "event": "alibaba call retried",
            "log_level": "info",
            "operation": "GetDiscoveredResource",
            "attempt": 2,
            "error_code": "UnretryableException",
            "throttled": False,
        },
    ]


def test_throttling_is_retried_then_an_alibaba_error() -> None:
    sleep = Sleeps()
    config_api = api(sleep)
    throttled = ClientException(status_code=400, code="Throttling.User", message=THROTTLE_MESSAGE)
    function, attempts = failing(throttled)
    with pytest.raises(AlibabaError) as caught:
        run(config_api, "ListDiscoveredResources", function)
    assert attempts == [1, 2, 3]
    assert config_api.calls == {"ListDiscoveredResources": 3}
    assert len(sleep.seconds) == 2
    error = caught.value
    assert (error.service, error.operation, error.code, error.message) == (
        "config",
        "ListDiscoveredResources",
        "Throttling.User",
        THROTTLE_MESSAGE,
    )
    assert str(error) == f"config:ListDiscoveredResources failed with Throttling.User: {THROTTLE_MESSAGE}"
    assert error.__cause__ is throttled


def test_each_throttle_halves_the_operation_bucket_rate() -> None:
    config_api = api(Sleeps())
    function, _ = failing(ThrottlingException(status_code=400, message="slow"))
    assert config_api._bucket("ListDiscoveredResources").rate == 10.0
    with pytest.raises(AlibabaError) as caught:
        run(config_api, "ListDiscoveredResources", function)
    assert caught.value.code == "ThrottlingException"
    bucket = config_api._bucket("ListDiscoveredResources")
    assert bucket.rate == 1.25
    assert bucket.throttles == 3
    # Other operations keep their own buckets.
    assert config_api._bucket("PutEvaluations").rate == 5000 / 60


def test_a_success_after_a_throttle_recovers_part_of_the_rate() -> None:
    config_api = api(Sleeps(), rates={"PutEvaluations": 20.0})
    function, attempts = failing(ClientException(status_code=400, code="Throttling.User", message="slow"), "ok")
    assert run(config_api, "PutEvaluations", function) == "ok"
    assert attempts == [1, 2]
    # Halved to 10, then one success adds back 5% of the configured 20.
    assert config_api._bucket("PutEvaluations").rate == pytest.approx(11.0)


def test_server_errors_are_not_throttles() -> None:
    config_api = api(Sleeps())
    function, attempts = failing(ServerException(status_code=500, code="InternalError", message="oops"))
    with pytest.raises(AlibabaError) as caught:
        run(config_api, "ListDiscoveredResources", function)
    assert attempts == [1, 2, 3]
    assert (caught.value.code, caught.value.message) == ("InternalError", "oops")
    assert config_api._bucket("ListDiscoveredResources").rate == 10.0
    assert config_api._bucket("ListDiscoveredResources").throttles == 0


@pytest.mark.parametrize(
    ("exc", "code", "message"),
    [
        (
            ClientException(status_code=400, code="NoPermission", message="You are not authorized."),
            "NoPermission",
            "You are not authorized.",
        ),
        (ClientException(status_code=404, code="ResourceNotExists", message="gone"), "ResourceNotExists", "gone"),
    ],
)
def test_a_non_retryable_sdk_error_is_raised_after_one_attempt(exc, code, message) -> None:
    sleep = Sleeps()
    config_api = api(sleep)
    function, attempts = failing(exc)
    with pytest.raises(AlibabaError) as caught:
        run(config_api, "GetDiscoveredResource", function)
    assert attempts == [1]
    assert sleep.seconds == []
    assert (caught.value.code, caught.value.message) == (code, message)
    assert caught.value.__cause__ is exc


def test_a_bug_is_raised_as_itself_after_one_attempt() -> None:
    config_api = api(Sleeps())
    bug = ValueError("not an API error")
    function, attempts = failing(bug)
    with pytest.raises(ValueError, match=r"^not an API error$") as caught:
        run(config_api, "GetDiscoveredResource", function)
    assert caught.value is bug
    assert attempts == [1]


@pytest.mark.parametrize(
    ("exc", "code", "message"),
    [
        (EvaluationsNotAccepted(False), "EvaluationsNotAccepted", "PutEvaluations returned Result=False"),
        (
            unretryable(ConnectionRefusedError(111, "Connection refused")),
            "UnretryableException",
            "[Errno 111] Connection refused (ConnectionRefusedError: [Errno 111] Connection refused)",
        ),
        (OSError("network is down"), "OSError", "network is down"),
        (TimeoutError("read timed out"), "TimeoutError", "read timed out"),
    ],
)
def test_retryable_errors_become_an_alibaba_error_after_the_last_attempt(exc, code, message) -> None:
    config_api = api(Sleeps(), max_attempts=4)
    function, attempts = failing(exc)
    with pytest.raises(AlibabaError) as caught:
        run(config_api, "PutEvaluations", function)
    assert attempts == [1, 2, 3, 4]
    assert config_api.calls == {"PutEvaluations": 4}
    assert (caught.value.operation, caught.value.code, caught.value.message) == ("PutEvaluations", code, message)


def test_the_sdks_argument_errors_are_not_retried_but_its_unreadable_error_answers_are() -> None:
    from Tea.exceptions import RequiredArgumentException, ValidateException

    assert is_retryable(unretryable(RequiredArgumentException("ResultToken"))) is False
    assert is_retryable(unretryable(ValidateException("MaxResults is more than 100"))) is False
    # A 503 whose body is a JSON string: the SDK's `err.get` fails with AttributeError; another try may succeed.
    assert is_retryable(unretryable(AttributeError("'str' object has no attribute 'get'"))) is True


def test_the_sdks_header_logging_is_held_at_warnings() -> None:
    import logging

    from scanner.logs import configure_logging

    # Imported above, after any logging setup: the module caps darabonba-core, which sets itself to DEBUG.
    assert logging.getLogger("darabonba-core").getEffectiveLevel() >= logging.WARNING
    configure_logging("debug")
    for name in ("darabonba-core", "credentials"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING
