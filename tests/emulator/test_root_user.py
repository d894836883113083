"""The root user in IAM's credential report and account summary, and the control that sets it."""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.root_user import RootUser
from cloudsweep_emulator.server import Emulator

from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import assumed_session, client

ROOT = "<root_account>"
COLUMNS = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
]


def report_rows(iam: Any) -> list[dict[str, str]]:
    for _ in range(10):
        if iam.generate_credential_report()["State"] == "COMPLETE":
            break
    content = iam.get_credential_report()["Content"].decode()
    reader = csv.DictReader(io.StringIO(content))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def root_row(iam: Any) -> dict[str, str]:
    rows = report_rows(iam)
    assert rows[0]["user"] == ROOT, "AWS writes the root user first"
    assert [row["user"] for row in rows].count(ROOT) == 1
    return rows[0]


def control(emulator: Emulator, method: str, path: str = "", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(f"{emulator.endpoint_url}/_cloudsweep/root-users{path}", method=method, data=data)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def report_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@pytest.fixture
def iam(boto_session: Any, emulator: Emulator) -> Any:
    return client(boto_session, "iam", emulator.endpoint_url)


def test_the_report_has_a_default_root_row_as_aws_writes_it(emulator: Emulator, iam: Any) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    emulator.reset()
    after = datetime.now(UTC)
    iam.create_user(UserName="alice")

    row = root_row(iam)
    created = datetime.fromisoformat(row.pop("user_creation_time"))
    # Outside any organization, the account is as old as the emulator's state.
    assert before <= created <= after
    assert row == {
        "user": ROOT,
        "arn": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root",
        "password_enabled": "not_supported",
        "password_last_used": "no_information",
        "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "mfa_active": "false",
        "access_key_1_active": "false",
        "access_key_1_last_rotated": "N/A",
        "access_key_1_last_used_date": "N/A",
        "access_key_1_last_used_region": "N/A",
        "access_key_1_last_used_service": "N/A",
        "access_key_2_active": "false",
        "access_key_2_last_rotated": "N/A",
        "access_key_2_last_used_date": "N/A",
        "access_key_2_last_used_region": "N/A",
        "access_key_2_last_used_service": "N/A",
        "cert_1_active": "false",
        "cert_1_last_rotated": "N/A",
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }
    assert [row["user"] for row in report_rows(iam)] == [ROOT, "alice"]
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"], summary["Users"]) == (0, 0, 1)


@pytest.mark.slow
def test_root_mfa_and_access_keys_are_set_per_account_over_http(
    emulator: Emulator, boto_session: Any, iam: Any
) -> None:
    organizations = client(boto_session, "organizations", emulator.endpoint_url)
    organizations.create_organization(FeatureSet="ALL")
    status = organizations.create_account(AccountName="member", Email="member@example.com")["CreateAccountStatus"]
    member = status["AccountId"]
    member_iam = client(assumed_session(boto_session, emulator.endpoint_url, member), "iam", emulator.endpoint_url)

    assert control(emulator, "PUT", f"/{MANAGEMENT_ACCOUNT}", {"mfa_active": True}) == (
        200,
        {"password_enabled": True, "mfa_active": True, "access_keys": []},
    )
    code, member_root = control(emulator, "PUT", f"/{member}", {"access_keys": [{"active": True}, {"active": False}]})
    assert code == 200
    key_created = member_root["access_keys"][0]["created"]
    assert member_root == {
        "password_enabled": True,
        "mfa_active": False,
        "access_keys": [{"active": True, "created": key_created}, {"active": False, "created": key_created}],
    }

    management_row = root_row(iam)
    assert (management_row["mfa_active"], management_row["access_key_1_active"]) == ("true", "false")
    row = root_row(member_iam)
    joined = organizations.describe_account(AccountId=member)["Account"]["JoinedTimestamp"]
    assert row["arn"] == f"arn:aws:iam::{member}:root"
    assert row["user_creation_time"] == report_time(joined)
    assert {column: row[column] for column in COLUMNS if column.startswith(("mfa", "access_key"))} == {
        "mfa_active": "false",
        "access_key_1_active": "true",
        "access_key_1_last_rotated": key_created,
        "access_key_1_last_used_date": "N/A",
        "access_key_1_last_used_region": "N/A",
        "access_key_1_last_used_service": "N/A",
        "access_key_2_active": "false",
        "access_key_2_last_rotated": key_created,
        "access_key_2_last_used_date": "N/A",
        "access_key_2_last_used_region": "N/A",
        "access_key_2_last_used_service": "N/A",
    }
    summary = member_iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (0, 1)
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (1, 0)

    # Changing the keys' states keeps the keys; dropping one deletes it.
    time.sleep(1.1)
    assert control(emulator, "PUT", f"/{member}", {"access_keys": [{"active": False}]}) == (
        200,
        {"password_enabled": True, "mfa_active": False, "access_keys": [{"active": False, "created": key_created}]},
    )
    row = root_row(member_iam)
    assert (row["access_key_1_active"], row["access_key_1_last_rotated"]) == ("false", key_created)
    assert (row["access_key_2_active"], row["access_key_2_last_rotated"]) == ("false", "N/A")

    assert control(emulator, "GET") == (
        200,
        {
            MANAGEMENT_ACCOUNT: {"password_enabled": True, "mfa_active": True, "access_keys": []},
            member: {
                "password_enabled": True,
                "mfa_active": False,
                "access_keys": [{"active": False, "created": key_created}],
            },
        },
    )
    assert control(emulator, "DELETE", f"/{member}") == (200, {})
    assert control(emulator, "GET", f"/{member}") == (
        200,
        {"password_enabled": True, "mfa_active": False, "access_keys": []},
    )
    assert root_row(iam)["mfa_active"] == "true"
    assert control(emulator, "DELETE") == (200, {})
    assert root_row(iam)["mfa_active"] == "false"


def test_a_root_user_without_credentials_is_reported_as_such(emulator: Emulator, iam: Any) -> None:
    emulator.root_users.update(MANAGEMENT_ACCOUNT, password_enabled=False, mfa_active=False, access_keys=())
    assert emulator.root_users.get(MANAGEMENT_ACCOUNT) == RootUser(password_enabled=False)

    row = root_row(iam)
    assert (row["password_enabled"], row["password_last_used"], row["mfa_active"], row["access_key_1_active"]) == (
        "false",
        "N/A",
        "false",
        "false",
    )


def test_the_report_is_left_alone_when_moto_has_none(iam: Any) -> None:
    with pytest.raises(iam.exceptions.CredentialReportNotPresentException):
        iam.get_credential_report()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("PUT", f"/{MANAGEMENT_ACCOUNT}", b"not json", 400, "Expecting value: line 1 column 1 (char 0)"),
        ("PUT", f"/{MANAGEMENT_ACCOUNT}", [], 400, "the body must be a JSON object"),
        ("PUT", f"/{MANAGEMENT_ACCOUNT}", {"mfa": True}, 400, "unknown fields: mfa"),
        ("PUT", f"/{MANAGEMENT_ACCOUNT}", {"mfa_active": "yes"}, 400, "mfa_active must be true or false"),
        (
            "PUT",
            f"/{MANAGEMENT_ACCOUNT}",
            {"access_keys": [{"active": True}] * 3},
            400,
            "access_keys must be a list of at most 2 keys",
        ),
        (
            "PUT",
            f"/{MANAGEMENT_ACCOUNT}",
            {"access_keys": [True]},
            400,
            'each access key must be {"active": true} or {"active": false}',
        ),
        ("PUT", "/12345", {"mfa_active": True}, 404, "'12345' is not an account id"),
        ("PUT", "", {"mfa_active": True}, 405, "PUT is not supported on /_cloudsweep/root-users"),
        (
            "POST",
            f"/{MANAGEMENT_ACCOUNT}",
            {},
            405,
            f"POST is not supported on /_cloudsweep/root-users/{MANAGEMENT_ACCOUNT}",
        ),
    ],
)
def test_the_control_refuses_what_it_cannot_do(
    emulator: Emulator, method: str, path: str, body: Any, status: int, error: str
) -> None:
    assert control(emulator, method, path, body) == (status, {"error": error})
    assert emulator.root_users.users() == {}


def test_faults_never_hit_the_control(emulator: Emulator, iam: Any) -> None:
    emulator.faults.add(FaultRule.throttle())
    assert control(emulator, "PUT", f"/{MANAGEMENT_ACCOUNT}", {"mfa_active": True}) == (
        200,
        {"password_enabled": True, "mfa_active": True, "access_keys": []},
    )
    with pytest.raises(iam.exceptions.ClientError, match="Throttling"):
        iam.get_account_summary()
