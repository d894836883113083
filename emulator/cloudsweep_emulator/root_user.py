"""The account's root user, as IAM reports it: moto knows of no root user at all.

AWS writes the root user as the `<root_account>` row of every IAM credential report, and counts root's MFA device
and access keys in GetAccountSummary (AccountMFAEnabled, AccountAccessKeysPresent). moto writes IAM users only and
always counts 0, so every root check would see an account without a root user. `RootUserLayer` (WSGI middleware)
adds the row to moto's GetCredentialReport answer and sets the two summary counts, from the account's `RootUser`.

No AWS API sets root's MFA or access keys (the root user manages them, signed in as root), so `RootUserControls`
does, in-process (`Emulator.root_users`) or over HTTP, like the fault controls:

    GET    /_cloudsweep/root-users             the root user of every account set so far
    GET    /_cloudsweep/root-users/ACCOUNT     one account's root user (the default if never set)
    PUT    /_cloudsweep/root-users/ACCOUNT     set it; a JSON object of any of
                                               {"password_enabled": bool, "mfa_active": bool,
                                                "access_keys": [{"active": bool}, ...]} (at most 2 keys),
                                               the fields left out are kept
    DELETE /_cloudsweep/root-users[/ACCOUNT]   back to the default (every account, or one)

The default root user is an ordinary account's: a password, no MFA device, no access key. `password_enabled`
false stands for a root user whose credentials were removed (centralized root access): the report then writes
"false" where it writes "not_supported" for a root user with a password. The row's user_creation_time is the
account's creation: its Organizations join time, or for an account outside any organization, the time the
emulator's state was last reset.
"""

from __future__ import annotations

import base64
import binascii
import copy
import csv
import io
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from cloudsweep_emulator.moto_app import InProcessMoto
from cloudsweep_emulator.wsgi import (
    StartResponse,
    WSGIApp,
    WSGIEnviron,
    acting_account,
    call_app,
    json_reply,
    read_request,
    request_body,
    with_content_length,
)

CONTROL_PATH = "/_cloudsweep/root-users"
ROOT_USER = "<root_account>"
MAX_ACCESS_KEYS = 2  # IAM's quota per user, root included
REPORT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_CONTENT = re.compile(rb"(<Content>)([^<]*)(</Content>)")
_SUMMARY_ENTRY = re.compile(rb"(<entry><key>(AccountMFAEnabled|AccountAccessKeysPresent)</key><value>)\d+(</value>)")
_NOT_IN_ORGANIZATION = frozenset({"AWSOrganizationsNotInUseException", "AccountNotFoundException"})


@dataclass(frozen=True)
class RootAccessKey:
    active: bool
    created: datetime


@dataclass(frozen=True)
class RootUser:
    password_enabled: bool = True
    mfa_active: bool = False
    access_keys: tuple[RootAccessKey, ...] = ()

    def __post_init__(self) -> None:
        if len(self.access_keys) > MAX_ACCESS_KEYS:
            raise ValueError(f"a root user has at most {MAX_ACCESS_KEYS} access keys, got {len(self.access_keys)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "password_enabled": self.password_enabled,
            "mfa_active": self.mfa_active,
            "access_keys": [
                {"active": key.active, "created": key.created.strftime(REPORT_TIME_FORMAT)} for key in self.access_keys
            ],
        }


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RootUserControls:
    """Each account's root user. Thread-safe; an account never set has the default `RootUser()`."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._users: dict[str, RootUser] = {}

    def get(self, account_id: str) -> RootUser:
        with self._lock:
            return self._users.get(account_id, RootUser())

    def update(
        self,
        account_id: str,
        *,
        password_enabled: bool | None = None,
        mfa_active: bool | None = None,
        access_keys: Sequence[bool] | None = None,
    ) -> RootUser:
        """Change what is given; `access_keys` lists the keys root has, each active or not.

        A key that root already had at that position keeps its creation time; a new one is created now.
        """
        _check_account(account_id)
        with self._lock:
            user = self._users.get(account_id, RootUser())
            if password_enabled is not None:
                user = replace(user, password_enabled=password_enabled)
            if mfa_active is not None:
                user = replace(user, mfa_active=mfa_active)
            if access_keys is not None:
                now = self._clock()
                keys = tuple(
                    RootAccessKey(active, user.access_keys[index].created if index < len(user.access_keys) else now)
                    for index, active in enumerate(access_keys)
                )
                user = replace(user, access_keys=keys)
            self._users[account_id] = user
            return user

    def saved(self) -> dict[str, RootUser]:
        with self._lock:
            return copy.deepcopy(self._users)

    def restore(self, saved: dict[str, RootUser]) -> None:
        with self._lock:
            self._users = copy.deepcopy(saved)

    def reset(self, account_id: str | None = None) -> None:
        """Back to the default root user: one account's, or every account's."""
        with self._lock:
            if account_id is None:
                self._users.clear()
            else:
                self._users.pop(account_id, None)

    def users(self) -> dict[str, RootUser]:
        with self._lock:
            return dict(self._users)


def _check_account(account_id: str) -> None:
    if not _ACCOUNT_ID.match(account_id):
        raise ValueError(f"an account id is 12 digits, got {account_id!r}")


# --- The report row ------------------------------------------------------------------------------------


def _report_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(REPORT_TIME_FORMAT)


def root_row(account_id: str, user: RootUser, created: datetime) -> dict[str, str]:
    """The `<root_account>` row as AWS writes it, by column name."""
    row = {
        "user": ROOT_USER,
        "arn": f"arn:aws:iam::{account_id}:root",
        "user_creation_time": _report_time(created),
        # IAM never reports a root password's state or age, only whether root has any credentials at all.
        "password_enabled": "not_supported" if user.password_enabled else "false",
        "password_last_used": "no_information" if user.password_enabled else "N/A",
        "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "mfa_active": _flag(user.mfa_active),
        "cert_1_active": "false",
        "cert_1_last_rotated": "N/A",
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }
    for number in range(1, MAX_ACCESS_KEYS + 1):
        key = user.access_keys[number - 1] if number <= len(user.access_keys) else None
        row[f"access_key_{number}_active"] = _flag(key is not None and key.active)
        row[f"access_key_{number}_last_rotated"] = _report_time(key.created) if key is not None else "N/A"
        for column in ("last_used_date", "last_used_region", "last_used_service"):
            row[f"access_key_{number}_{column}"] = "N/A"
    return row


def _flag(value: bool) -> str:
    return "true" if value else "false"


def with_root_row(report: str, account_id: str, user: RootUser, created: datetime) -> str:
    """The CSV report with the root user's row first after the header, in the header's column order.

    A `<root_account>` row already in the report is replaced: these controls are the emulator's only account of root.
    """
    lines = report.splitlines()
    if not lines:
        return report
    columns = next(csv.reader([lines[0]]))
    values = root_row(account_id, user, created)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([values.get(column, "N/A") for column in columns])
    rows = [line for line in lines[1:] if not line.startswith(ROOT_USER + ",")]
    return "\n".join([lines[0], buffer.getvalue().rstrip("\n"), *rows]) + "\n"


def _rewrite_report(body: bytes, account_id: str, user: RootUser, created: datetime) -> bytes:
    def rewrite(found: re.Match[bytes]) -> bytes:
        try:
            report = base64.b64decode(found.group(2), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return found.group(0)
        content = with_root_row(report, account_id, user, created).encode("utf-8")
        return found.group(1) + base64.b64encode(content) + found.group(3)

    return _CONTENT.sub(rewrite, body, count=1)


def _rewrite_summary(body: bytes, user: RootUser) -> bytes:
    counts = {
        b"AccountMFAEnabled": int(user.mfa_active),
        b"AccountAccessKeysPresent": int(bool(user.access_keys)),
    }

    def rewrite(found: re.Match[bytes]) -> bytes:
        return found.group(1) + str(counts[found.group(2)]).encode() + found.group(3)

    return _SUMMARY_ENTRY.sub(rewrite, body)


# --- When an account was created -----------------------------------------------------------------------


def organization_join_time(moto: InProcessMoto, account_id: str) -> datetime | None:
    """When the account joined its organization (for an account Organizations created, its creation); None
    outside any organization. Reads Organizations through its API; the caller holds the emulator's state lock."""
    moto.acting_account = account_id
    organizations = moto.client("organizations", "us-east-1")
    try:
        management = organizations.describe_organization()["Organization"]["MasterAccountId"]
        moto.acting_account = management
        joined: datetime = organizations.describe_account(AccountId=account_id)["Account"]["JoinedTimestamp"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _NOT_IN_ORGANIZATION:
            return None
        raise
    return joined


# --- The middleware --------------------------------------------------------------------------------------


class RootUserLayer:
    """WSGI: the root user's row in GetCredentialReport, its counts in GetAccountSummary, and the control path.

    `resolve_account` maps an access key id to the account the emulator acts in; `account_created` gives an
    account's creation time.
    """

    def __init__(
        self,
        app: WSGIApp,
        controls: RootUserControls,
        *,
        resolve_account: Callable[[str], str],
        account_created: Callable[[str], datetime],
    ) -> None:
        self._app = app
        self._controls = controls
        self._resolve_account = resolve_account
        self._account_created = account_created

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PATH or path.startswith(CONTROL_PATH + "/"):
            return _control(self._controls, environ, start_response)
        request = read_request(environ)
        if request.service != "iam" or request.operation not in ("GetCredentialReport", "GetAccountSummary"):
            return self._app(environ, start_response)
        response = call_app(self._app, environ)
        body = response.body
        if response.ok:
            account = acting_account(request, self._resolve_account)
            user = self._controls.get(account)
            if request.operation == "GetCredentialReport":
                body = _rewrite_report(body, account, user, self._account_created(account))
            else:
                body = _rewrite_summary(body, user)
        start_response(response.status, with_content_length(response.headers, len(body)), response.exc_info)
        return [body]


# --- The control surface ---------------------------------------------------------------------------------


def _control(controls: RootUserControls, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    account = environ.get("PATH_INFO", "").removeprefix(CONTROL_PATH).strip("/")
    if account and not _ACCOUNT_ID.match(account):
        return json_reply(start_response, 404, {"error": f"{account!r} is not an account id"})
    if method == "GET":
        if account:
            return json_reply(start_response, 200, controls.get(account).to_dict())
        return json_reply(start_response, 200, {key: user.to_dict() for key, user in sorted(controls.users().items())})
    if method == "DELETE":
        controls.reset(account or None)
        return json_reply(start_response, 200, {})
    if method == "PUT" and account:
        try:
            changes = _changes(request_body(environ))
            user = controls.update(account, **changes)
        except ValueError as exc:
            return json_reply(start_response, 400, {"error": str(exc)})
        return json_reply(start_response, 200, user.to_dict())
    where = f"{CONTROL_PATH}/{account}" if account else CONTROL_PATH
    return json_reply(start_response, 405, {"error": f"{method} is not supported on {where}"})


def _changes(body: bytes) -> dict[str, Any]:
    document = json.loads(body or b"null")  # ValueError for a body that is not JSON
    if not isinstance(document, dict):
        raise ValueError("the body must be a JSON object")
    unknown = set(document) - {"password_enabled", "mfa_active", "access_keys"}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    for name in ("password_enabled", "mfa_active"):
        if name in document:
            if not isinstance(document[name], bool):
                raise ValueError(f"{name} must be true or false")
            changes[name] = document[name]
    if "access_keys" in document:
        changes["access_keys"] = _access_keys(document["access_keys"])
    return changes


def _access_keys(value: Any) -> list[bool]:
    if not isinstance(value, list) or len(value) > MAX_ACCESS_KEYS:
        raise ValueError(f"access_keys must be a list of at most {MAX_ACCESS_KEYS} keys")
    flags = []
    for key in value:
        if not isinstance(key, Mapping) or set(key) != {"active"} or not isinstance(key["active"], bool):
            raise ValueError('each access key must be {"active": true} or {"active": false}')
        flags.append(key["active"])
    return flags
