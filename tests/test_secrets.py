"""Secrets never reach the logs or the outputs: each redaction rule, the processor chain `configure_logging`
builds, and full scans of an organization at debug level (in process, and the real CLI in a subprocess)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import secrets
import string
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import structlog
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.server import Emulator
from structlog.testing import capture_logs

from checks import BUILTIN
from scanner.aws.config_evaluations import ResultTokens
from scanner.errors import MESSAGE_LIMIT, REDACTED, AwsError, redact, scrub, token_for_logs
from scanner.logs import configure_logging, is_secret_key, redact_secrets
from scanner.outputs.reports import OutputSpec
from scanner.registry import SelectedCheck
from scanner.runner import run_scan
from scanner.scan.request import Access, AccountSource, Destinations, ScanRequest
from tests.support import assumed_session, client, waitless_limits

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
TEMPORARY_KEY_ID = "ASIAQAAAAAAAJ3TXQX4M"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# Shaped like an STS session token: a fixed prefix and a few hundred base64 characters.
SESSION_TOKEN = (
    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDx"
    + base64.b64encode(hashlib.sha512(b"session").digest() * 5).decode()
)
# Shaped like the resultToken AWS Config puts in a rule's event: base64 of a JSON document of encrypted bytes.
RESULT_TOKEN = base64.b64encode(
    json.dumps(
        {
            "encryptedData": [(index * 37) % 256 - 128 for index in range(360)],
            "materialSetSerialNumber": 1,
            "ivParameterSpec": {"iv": [(index * 11) % 256 - 128 for index in range(16)]},
        },
        separators=(",", ":"),
    ).encode()
).decode()
SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
EXTERNAL_ID = "ext-7Qk2-Zp9w-4Rm1"
ROLE = "OrganizationAccountAccessRole"
CHECK = "desired-instance-type"


# --- the patterns --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"AccessKeyId: {TEMPORARY_KEY_ID}", "AccessKeyId: ASIA****"),
        (f'{{"AccessKeyId": "{KEY_ID}"}}', '{"AccessKeyId": "AKIA****"}'),
        (f"key {KEY_ID}/20261123/us-east-1/config/aws4_request", "key AKIA****/20261123/us-east-1/config/aws4_request"),
        (f"user_{KEY_ID}_x", "user_AKIA****_x"),
    ],
)
def test_access_key_ids_keep_only_their_prefix(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        f"aws_secret_access_key = {SECRET_KEY}",
        f'{{"SecretAccessKey": "{SECRET_KEY}", "Expiration": "2026-11-24T10:00:00Z"}}',
        f"the key is {SECRET_KEY}.",
        f"secret={SECRET_KEY}&next=1",
        # moto's secret keys: letters, digits, + and / in any order.
        "credentials: 7Ab+/qRsT9uVwXyZ0aBcDeFgHiJkLmNoPqRsTuVw rest",
    ],
)
def test_secret_access_keys_are_masked(text: str) -> None:
    masked = redact(text)
    assert SECRET_KEY not in masked
    assert "7Ab+/qRsT9uVwXyZ0aBcDeFgHiJkLmNoPqRsTuVw" not in masked
    assert REDACTED in masked


@pytest.mark.parametrize("token", [SESSION_TOKEN, RESULT_TOKEN])
def test_session_and_result_tokens_are_masked(token: str) -> None:
    assert len(token) >= 100
    for text in (f"token {token} was refused", f"ResultToken={token}", f"['{token}']", token):
        masked = redact(text)
        assert token[:16] not in masked
        assert token[-16:] not in masked
        assert REDACTED in masked


def test_sigv4_fragments_are_masked() -> None:
    header = (
        f"Authorization: AWS4-HMAC-SHA256 Credential={KEY_ID}/20261123/us-east-1/config/aws4_request, "
        f"SignedHeaders=host;x-amz-date;x-amz-security-token, Signature={SIGNATURE}"
    )
    assert redact(header) == (
        "Authorization: AWS4-HMAC-SHA256 Credential=****, "
        "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=****"
    )
    url = (
        "https://bucket.s3.amazonaws.com/key?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={TEMPORARY_KEY_ID}%2F20261123%2Fus-east-1%2Fs3%2Faws4_request"
        f"&X-Amz-Security-Token={SESSION_TOKEN[:60].replace('/', '%2F')}&X-Amz-Signature={SIGNATURE}"
    )
    assert redact(url) == (
        "https://bucket.s3.amazonaws.com/key?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=****&X-Amz-Security-Token=****&X-Amz-Signature=****"
    )


def _percent(text: str) -> str:
    """URL encoding of a token's base64 (`+`, `/`, `=` as %2B, %2F, %3D), as a presigned URL carries it."""
    return text.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


# An STS token with +, / and = spread through it (SESSION_TOKEN's /////// is one run: this one breaks up every run).
PLUS_TOKEN = (
    "IQoJb3JpZ2luX2VjE"
    + "".join(
        f"{base64.b64encode(hashlib.sha256(bytes([index])).digest()).decode()[:40]}+{index:02d}/" for index in range(12)
    )
    + "AbC=="
)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("free text", f"could not fetch {_percent(PLUS_TOKEN)} in time"),
        ("lowercase escapes", f"token {_percent(PLUS_TOKEN).replace('%2F', '%2f').replace('%2B', '%2b')} refused"),
        (
            "presigned URL inside a URL",
            f"redirect=https%3A%2F%2Fb.s3.amazonaws.com%2Fk%3FX-Amz-Security-Token%3D{_percent(PLUS_TOKEN)}%26a%3Db",
        ),
        ("encoded twice", f"url {_percent(PLUS_TOKEN).replace('%', '%25')} end"),
        ("JSON-escaped slashes", '{"message": "bad ' + PLUS_TOKEN.replace("/", "\\/") + '"}'),
    ],
)
def test_url_encoded_session_tokens_are_masked(name: str, text: str) -> None:
    masked = redact(text)
    pieces = [piece for piece in re.split(r"[+/=]", PLUS_TOKEN) if len(piece) >= 8]
    assert len(pieces) >= 12
    assert [piece for piece in pieces if piece in masked] == [], masked
    assert REDACTED in masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"X-Amz-Security-Token%3D{_percent(PLUS_TOKEN)}", f"X-Amz-Security-Token%3D{REDACTED}"),
        # Ordinary encoded text around it stays as it is; the value ends at an encoded `&`.
        (
            f"a%2Fb%3Dc 100%25 of /tmp/x%2Fy X-Amz-Signature%3D{SIGNATURE}%26next%3D1",
            f"a%2Fb%3Dc 100%25 of /tmp/x%2Fy X-Amz-Signature%3D{REDACTED}%26next%3D1",
        ),
        (f"X-Amz-Credential%3D{TEMPORARY_KEY_ID}%2F20261123%2Fus-east-1", f"X-Amz-Credential%3D{REDACTED}"),
    ],
)
def test_url_encoded_names_and_separators_are_understood(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"SessionToken": "short"}', '{"SessionToken": "****"}'),
        ("x-amz-security-token: abc123", "x-amz-security-token: ****"),
        ("Action=AssumeRole&ExternalId=team-a&RoleArn=arn", "Action=AssumeRole&ExternalId=****&RoleArn=arn"),
        ("password='hunter2'", "password='****'"),
    ],
)
def test_values_named_as_secrets_are_masked_however_short(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The security token included in the request is expired",
        "The request signature we calculated does not match the signature you provided.",
        "2026-11-24T10:00:00.123456Z",
        "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole",
        "arn:aws:sts::111122223333:assumed-role/CloudSweepAudit/cloudsweep",
        "i-0abc1234def567890 sg-0123456789abcdef0 vol-0123456789abcdef0",
        "AROA3X42LBCDEFGHIJKLM:cloudsweep",
        # A SHA-1 in hex, an all-caps identifier: 40 characters, but one case only.
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890123",
        "/tmp/pytest-of-root/pytest-12/test_a_full_scan0/reports/evaluations.ocsf.json",
        "instance type m5.large is not one of t3.micro, t3.small",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) is text


def test_scrub_is_redact_cut_to_the_message_limit() -> None:
    message = f"key {KEY_ID} " + "word " * 200 + SECRET_KEY
    assert scrub(message) == redact(message)[:MESSAGE_LIMIT]
    assert scrub(f"key {KEY_ID} is not valid") == "key AKIA**** is not valid"
    assert AwsError("sts", "assume_role", "AccessDenied", f"token {SESSION_TOKEN}").message == "token ****"


# --- the processor: keys, structures, exceptions -------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "secret",
        "password",
        "token",
        "credentials",
        "Authorization",
        "session_token",
        "SessionToken",
        "result_token",
        "X-Amz-Security-Token",
        "SecretAccessKey",
        "aws_secret_access_key",
        "external_id",
        "ExternalId",
        "api_key",
        "private_key",
    ],
)
def test_values_of_secret_named_keys_are_masked(key: str) -> None:
    assert is_secret_key(key)
    event = redact_secrets(None, "info", {"event": "x", key: "plain-looking", "nested": {key: {"a": ["b"]}}})
    assert event == {"event": "x", key: REDACTED, "nested": {key: REDACTED}}


@pytest.mark.parametrize(
    "key", ["event", "account_id", "region", "role_arn", "resource_id", "evaluations", "throttled", "error_code"]
)
def test_ordinary_keys_keep_their_values(key: str) -> None:
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    "value",
    [None, True, False, "", token_for_logs(RESULT_TOKEN), token_for_logs("short"), token_for_logs("TESTMODE")],
)
def test_secret_named_keys_keep_what_says_nothing_of_the_secret(value: Any) -> None:
    """A result token shortened by `token_for_logs` is meant to be logged; so is whether there is a token."""
    assert redact_secrets(None, "info", {"event": "x", "result_token": value})["result_token"] == value


def test_nested_structures_are_masked_without_touching_the_callers_own() -> None:
    response = {
        "Credentials": {"AccessKeyId": TEMPORARY_KEY_ID, "SecretAccessKey": SECRET_KEY, "SessionToken": SESSION_TOKEN},
        "AssumedRoleUser": {"Arn": "arn:aws:sts::111122223333:assumed-role/CloudSweepAudit/cloudsweep"},
    }
    calls = [("assume_role", {"note": f"signed with {TEMPORARY_KEY_ID}"}), {f"sent {SECRET_KEY}"}]
    before = json.dumps([response, repr(calls)])
    event = redact_secrets(
        None, "debug", {"event": "sts answered", "response": response, "calls": calls, "keys": (KEY_ID, "x")}
    )
    assert event["response"] == {
        "Credentials": REDACTED,
        "AssumedRoleUser": {"Arn": "arn:aws:sts::111122223333:assumed-role/CloudSweepAudit/cloudsweep"},
    }
    # Unchanged parts are the caller's own objects, not copies.
    assert event["response"]["AssumedRoleUser"] is response["AssumedRoleUser"]
    assert event["calls"] == [("assume_role", {"note": "signed with ASIA****"}), {"sent ****"}]
    assert event["keys"] == ("AKIA****", "x")
    assert json.dumps([response, repr(calls)]) == before, "the caller's structures were modified"


def test_an_event_without_secrets_is_returned_as_it_came() -> None:
    items = [{"resource_id": f"i-{index:017x}", "compliance": "COMPLIANT"} for index in range(2000)]
    event = {"event": "target finished", "account_id": "111122223333", "items": items, "seconds": 0.27}
    masked = redact_secrets(None, "debug", event)
    assert masked is event
    assert masked["items"] is items


def test_redaction_costs_microseconds_per_event() -> None:
    """A scan logs a few events per target: redaction must not show up in its CPU."""
    event = {
        "event": "aws call retried",
        "service": "config",
        "operation": "list_discovered_resources",
        "attempt": 2,
        "sleep": 0.123,
        "error_code": "ThrottlingException",
        "throttled": True,
        "account_id": "111122223333",
        "region": "eu-west-1",
        "level": "info",
        "timestamp": "2026-11-24T10:00:00.123456Z",
    }
    started = time.perf_counter()
    for _ in range(5000):
        redact_secrets(None, "info", dict(event))
    # About 10 microseconds an event on the development machine; the bound leaves a wide margin for loaded CI.
    assert (time.perf_counter() - started) / 5000 < 0.0005


def test_objects_and_exceptions_given_as_values_are_masked_as_rendered() -> None:
    @dataclass
    class Leaky:
        token: str

    @dataclass
    class Careful:
        token: str = field(repr=False)

    careful = Careful(SESSION_TOKEN)
    event = redact_secrets(
        None,
        "error",
        {
            "event": "x",
            "error": RuntimeError(f"denied for {KEY_ID}"),
            "thing": Leaky(SESSION_TOKEN),
            "careful": careful,
            "raw": f"SessionToken={SESSION_TOKEN}".encode(),
        },
    )
    assert event["error"] == "RuntimeError('denied for AKIA****')"
    assert event["thing"].endswith("Leaky(token='****')")
    assert event["careful"] is careful, "an object whose repr holds no secret is rendered as before"
    assert event["raw"] == "b'SessionToken=****'"


def test_capture_logs_with_the_processor_shows_what_a_log_line_would_hold() -> None:
    """`capture_logs` replaces the configured processors: tests that look at events see them unredacted, unless
    they ask for the processor."""
    log = structlog.get_logger("tests.secrets")
    with capture_logs(processors=[redact_secrets]) as captured:
        log.warning("credentials refreshed", credentials={"AccessKeyId": KEY_ID}, detail=f"key {TEMPORARY_KEY_ID}")
    assert captured == [
        {"event": "credentials refreshed", "credentials": REDACTED, "detail": "key ASIA****", "log_level": "warning"}
    ]
    with capture_logs() as raw:
        log.warning("credentials refreshed", detail=f"key {TEMPORARY_KEY_ID}")
    assert raw[0]["detail"] == f"key {TEMPORARY_KEY_ID}"


# --- the configured chain ------------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    """A stream that says it is a terminal: configure_logging picks the console renderer for it."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _leaky_exception() -> ValueError:
    try:
        try:
            raise KeyError(f"SessionToken={SESSION_TOKEN}")
        except KeyError as cause:
            raise ValueError(f"AssumeRole answered {KEY_ID} {SECRET_KEY}") from cause
    except ValueError as exc:
        return exc


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("renderer", ["json", "console"])
@pytest.mark.parametrize("level", ["debug", "info", "warning", "error"])
def test_every_level_and_both_renderers_redact(renderer: str, level: str) -> None:
    stream = io.StringIO() if renderer == "json" else Terminal()
    configure_logging(level, stream)
    log = structlog.get_logger("tests.secrets")
    getattr(log, level)(
        "careless event",
        credentials={"AccessKeyId": KEY_ID, "SecretAccessKey": SECRET_KEY, "SessionToken": SESSION_TOKEN},
        text=f"signed by {KEY_ID}/20261123 with {SECRET_KEY}",
        result_token=token_for_logs(RESULT_TOKEN),
        request=f"Action=AssumeRole&ExternalId={EXTERNAL_ID}",
        exc_info=_leaky_exception(),
    )
    written = stream.getvalue()
    assert "careless event" in written
    assert "ValueError: AssumeRole answered AKIA**** ****" in written, "the traceback is rendered, masked"
    assert "KeyError" in written, "the cause is rendered too"
    assert RESULT_TOKEN[:8] in written, "what token_for_logs keeps stays"
    for secret in (KEY_ID, SECRET_KEY, SESSION_TOKEN, SESSION_TOKEN[-40:], EXTERNAL_ID, RESULT_TOKEN[8:40]):
        assert secret not in written


@pytest.mark.usefixtures("restore_logging")
def test_contextvars_are_masked_too() -> None:
    stream = io.StringIO()
    configure_logging("info", stream)
    structlog.contextvars.bind_contextvars(session_token=SESSION_TOKEN, worker=1)
    try:
        structlog.get_logger("tests.secrets").info("bound")
    finally:
        structlog.contextvars.clear_contextvars()
    line = json.loads(stream.getvalue())
    assert line["session_token"] == REDACTED
    assert line["worker"] == 1


# --- full scans at debug level -------------------------------------------------------------------------------------


def caller_credentials() -> tuple[str, str]:
    """A fresh access key id and secret for the scan's caller: strings no other test and no fixture uses."""
    key_id = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))
    while True:
        secret = "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
        if any(c.isupper() for c in secret) and any(c.islower() for c in secret):
            return key_id, secret


@dataclass
class Organization:
    members: list[str]


@pytest.fixture
def organization(aws_env: Emulator, boto_session: Any) -> Organization:
    """The management account and two members (entered through OrganizationAccountAccessRole), each with an
    instance of a type the check refuses and an IAM user."""
    organizations = client(boto_session, "organizations", aws_env.endpoint_url)
    organizations.create_organization(FeatureSet="ALL")
    members = []
    sessions = [boto_session]
    for name in ("alpha", "beta"):
        status = organizations.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        members.append(status["AccountId"])
        sessions.append(assumed_session(boto_session, aws_env.endpoint_url, status["AccountId"], ROLE))
    for index, session in enumerate(sessions):
        ec2 = client(session, "ec2", aws_env.endpoint_url)
        ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, InstanceType="m5.large")
        client(session, "iam", aws_env.endpoint_url).create_user(UserName=f"user-{index}")
    return Organization(members)


@dataclass(frozen=True)
class Secret:
    """A credential the scan used; `keep` is how many leading characters may show (an access key id's prefix, a
    result token's `token_for_logs`)."""

    what: str
    value: str
    keep: int = 0

    def fragments(self) -> list[str]:
        """The whole secret and every 16 characters of it past `keep` (stride 4): any leak of 19 characters or
        more contains one."""
        tail = self.value[self.keep :]
        width = min(16, len(tail))
        return [self.value, *(tail[start : start + width] for start in range(0, len(tail) - width + 1, 4))]


def assert_nowhere(secrets_used: list[Secret], texts: dict[str, str]) -> None:
    for secret in secrets_used:
        for fragment in secret.fragments():
            for where, text in texts.items():
                assert fragment not in text, f"{secret.what} ({fragment!r}) found in {where}"


def outputs(directory: Path) -> dict[str, str]:
    found = {str(path): path.read_text(encoding="utf-8") for path in sorted(directory.rglob("*")) if path.is_file()}
    assert found, f"no outputs in {directory}"
    return found


def report_options(directory: Path) -> list[str]:
    """`--output` values: the JSON lines first (streamed), then every report format."""
    names = ("evaluations.jsonl", "report.json", "report.csv", "report.ocsf.json", "report.asff.json", "report.html")
    return [str(directory / name) for name in names]


@dataclass
class Observed:
    """What the scan's own botocore sessions did: every AssumeRole's credentials, every key that signed."""

    assumed: list[dict[str, str]] = field(default_factory=list)
    signing_keys: set[str] = field(default_factory=set)
    security_tokens: set[str] = field(default_factory=set)


def observing_hooks(observed: Observed) -> tuple[tuple[str, Callable[..., Any]], ...]:
    """Record what the scan really used, and log it at debug level as careless code would: the raw AssumeRole
    parameters and answer, every signed request's headers and body. Only the processor stands between those
    events and the log."""
    careless = structlog.get_logger("tests.careless")

    def assume_role_called(params: dict[str, Any], **_: Any) -> None:
        careless.debug("assuming a role", params=params)

    def assume_role_answered(parsed: dict[str, Any], **_: Any) -> None:
        credentials = parsed["Credentials"]
        observed.assumed.append(
            {name: credentials[name] for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")}
        )
        careless.debug("sts answered", response=parsed)

    def sent(request: Any, **_: Any) -> None:
        headers = {name: _text(value) for name, value in request.headers.items()}
        observed.signing_keys.add(headers["Authorization"].split("Credential=")[1].split("/")[0])
        if "X-Amz-Security-Token" in headers:
            observed.security_tokens.add(headers["X-Amz-Security-Token"])
        careless.debug("request sent", url=request.url, headers=headers, body=request.body)

    return (
        ("before-call.sts.AssumeRole", assume_role_called),
        ("after-call.sts.AssumeRole", assume_role_answered),
        ("before-send", sent),
    )


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


@pytest.mark.usefixtures("restore_logging")
def test_a_full_scan_at_debug_level_leaks_no_credential_into_logs_or_outputs(
    aws_env: Emulator, organization: Organization, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id, secret_key = caller_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret_key)
    # One member's first Config call meets an expired token: its role is assumed again mid-scan.
    aws_env.faults.add(FaultRule.expired_token(count=1, account=organization.members[0], service="config"))
    observed = Observed()
    stream = io.StringIO()
    configure_logging("debug", stream)
    out = tmp_path / "out"
    out.mkdir()
    checks = tuple(
        SelectedCheck(BUILTIN.get(check_id), BUILTIN.get(check_id).parameters.parse(check_id, parameters))
        for check_id, parameters in ((CHECK, {"desiredInstanceType": "t3.micro"}), ("iam-inactive-user", {}))
    )
    specs = [OutputSpec.parse(option) for option in report_options(out)]
    report = run_scan(
        ScanRequest(
            checks=checks,
            regions=("us-east-1",),
            source=AccountSource(organization=True),
            access=Access(
                role_name=ROLE,
                external_id=EXTERNAL_ID,
                endpoint_url=aws_env.endpoint_url,
                event_hooks=observing_hooks(observed),
            ),
            destinations=Destinations(
                output=specs[0].path,
                reports=tuple(specs[1:]),
                output_dir=out / "accounts",
                result_tokens=ResultTokens(by_check={CHECK: RESULT_TOKEN}, test_mode=True),
            ),
            limits=waitless_limits(),
        ),
        log_level="debug",
    )

    assert report.all_failures == []
    assert report.counts.total >= 6, "every account's instance and user evaluated"
    assert len(observed.assumed) == 3, "a role per member, and one again after the expired token"
    assumed_keys = {credentials["AccessKeyId"] for credentials in observed.assumed}
    assert observed.signing_keys == {key_id} | assumed_keys, "every key that signed a request is accounted for"
    assert observed.security_tokens == {credentials["SessionToken"] for credentials in observed.assumed}
    used = [Secret("the caller's access key id", key_id, keep=4), Secret("the caller's secret key", secret_key)]
    for credentials in observed.assumed:
        used += [
            Secret("an assumed role's access key id", credentials["AccessKeyId"], keep=4),
            Secret("an assumed role's secret key", credentials["SecretAccessKey"]),
            Secret("an assumed role's session token", credentials["SessionToken"]),
        ]
    used += [Secret("the result token", RESULT_TOKEN, keep=8), Secret("the external id", EXTERNAL_ID)]

    logs = stream.getvalue()
    events = [json.loads(line) for line in logs.splitlines()]
    names = [event["event"] for event in events]
    # The scan's own debug events, and the careless ones that carried every credential, are all there, masked.
    for name in ("scan started", "role assumed", "credentials refreshed after an expired token", "evaluations put"):
        assert name in names
    answers = [event for event in events if event["event"] == "sts answered"]
    assert len(answers) == 3
    assert all(event["response"]["Credentials"] == REDACTED for event in answers)
    assumptions = [event for event in events if event["event"] == "assuming a role"]
    assert len(assumptions) == 3
    assert all(event["params"]["body"]["ExternalId"] == REDACTED for event in assumptions)
    sent = [event for event in events if event["event"] == "request sent"]
    assert any("PutEvaluations" in event["headers"].get("X-Amz-Target", "") for event in sent)
    assert all(event["headers"]["Authorization"] == REDACTED for event in sent)
    assert_nowhere(used, {"the debug log": logs} | outputs(out))


@pytest.mark.slow
def test_the_cli_at_debug_level_logs_and_writes_no_credential(
    aws_env: Emulator, organization: Organization, tmp_path: Path
) -> None:
    """The real command in its own process, with its own logging configuration and two worker processes: what it
    prints on stderr and stdout and every file it writes hold none of the credentials moto issued it."""
    from moto.sts.models import sts_backends

    def issued() -> dict[str, Any]:
        return {
            role.access_key_id: role
            for account in list(sts_backends.keys())
            for backend in sts_backends[account].values()
            for role in backend.assumed_roles
        }

    before = set(issued())
    key_id, secret_key = caller_credentials()
    aws_env.faults.add(FaultRule.expired_token(count=1, account=organization.members[1], service="config"))
    out = tmp_path / "out"
    out.mkdir()
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")} | {
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": aws_env.endpoint_url,
    }
    command = [
        sys.executable,
        "-m",
        "scanner",
        "--log-level",
        "debug",
        "scan",
        "--org",
        "--role-name",
        ROLE,
        "--external-id",
        EXTERNAL_ID,
        "--regions",
        "us-east-1",
        "--checks",
        f"{CHECK},iam-inactive-user",
        "--param",
        f"{CHECK}.desiredInstanceType=t3.micro",
        "--result-token",
        f"{CHECK}={RESULT_TOKEN}",
        "--put-test-mode",
        "--workers",
        "2",
        "--fail-on",
        "never",
        "--output-dir",
        str(out / "accounts"),
        *(argument for option in report_options(out) for argument in ("--output", option)),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=100)

    assert result.returncode == 0, result.stderr[-3000:]
    new = [role for access_key_id, role in issued().items() if access_key_id not in before]
    assert len(new) == 3, "a role per member, and one again after the expired token"
    used = [Secret("the caller's access key id", key_id, keep=4), Secret("the caller's secret key", secret_key)]
    for role in new:
        used += [
            Secret("an assumed role's access key id", role.access_key_id, keep=4),
            Secret("an assumed role's secret key", role.secret_access_key),
            Secret("an assumed role's session token", role.session_token),
        ]
    used += [Secret("the result token", RESULT_TOKEN, keep=8), Secret("the external id", EXTERNAL_ID)]
    # Every log line is whole JSON, though two worker processes wrote to the same stderr.
    stderr_events = [json.loads(line)["event"] for line in result.stderr.splitlines() if line.startswith("{")]
    for name in ("scan started", "role assumed", "credentials refreshed after an expired token", "evaluations put"):
        assert name in stderr_events, result.stderr[-3000:]
    assert_nowhere(used, {"stderr": result.stderr, "stdout": result.stdout} | outputs(out))


def test_the_sdks_own_debug_logging_is_silenced() -> None:
    """botocore's DEBUG logs carry response bodies (AssumeRole's secret key): configure_logging caps them."""
    import logging

    from scanner.logs import QUIET_LIBRARIES, configure_logging

    botocore_logger = logging.getLogger("botocore.endpoint")
    logging.getLogger("botocore").setLevel(logging.DEBUG)
    try:
        configure_logging("debug", io.StringIO())
        assert not botocore_logger.isEnabledFor(logging.DEBUG)
        assert all(logging.getLogger(name).getEffectiveLevel() >= logging.WARNING for name in QUIET_LIBRARIES)
    finally:
        logging.getLogger("botocore").setLevel(logging.NOTSET)


# --- Alibaba Cloud's credentials -------------------------------------------------------------------------------

ALIBABA_SECRET = "Fk3Ld9Qw2Zx8Vb7Nm6Hj5Gt4Rf3Ed1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key LTAI5tQ2k9xExampleKey12 refused", "key LTAI**** refused"),
        ("Credential=LTAI5tQ2k9xExampleKey12,SignedHeaders=host", "Credential=****,SignedHeaders=host"),
        ("temporary key STS.NTQ1mMx3oTjVg9k2ExampleKeyId", "temporary key STS.****"),
        (f"access_key_secret: {ALIBABA_SECRET}", "access_key_secret: ****"),
        (f"AccessKeySecret={ALIBABA_SECRET}&Format=JSON", "AccessKeySecret=****&Format=JSON"),
        (f'{{"accessKeySecret": "{ALIBABA_SECRET}"}}', '{"accessKeySecret": "****"}'),
        ("x-acs-security-token: CAISabc123", "x-acs-security-token: ****"),
    ],
)
def test_alibaba_cloud_keys_and_named_secrets_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "STS.GetCallerIdentity failed with NoPermission",
        "STS.AssumeRoleWithWebIdentity",
        "stack-WebServerSecurityGroup1A2B3C4D-abc",
        "MyProdWebServerInstanceRole01x",
        "image ubuntu_22_04_x64_20G_alibase_20240130.vhd is not one of m-bp1g7004ksh0oeuc6a1x",
        "i-bp12g4xbl4i0brkn7x3a sg-bp1h96fz9fagaegp2r4k d-bp1c6n5mr7qdl2x0w8zq",
        "request id: A7A0FFF8-0B44-40C6-8BBF-3A185EFDF3F7",
    ],
)
def test_ordinary_alibaba_cloud_text_is_left_alone(text: str) -> None:
    assert redact(text) is text
