"""Talking to the emulator: boto3 clients bound to the account and region they act in, the emulator's own control
paths, and `SeedError`, which every failure becomes.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from cloudsweep_emulator.boto import create_client
from cloudsweep_emulator.seed.plan import _AccountPlan

ROOT_USER_CONTROL_PATH = "/_cloudsweep/root-users"
# cloudsweep_emulator.todays_defaults serves it (this package stays free of moto).
UNENCRYPTED_BUCKETS_PATH = "/_cloudsweep/unencrypted-buckets/"


class SeedError(Exception):
    """Seeding failed; the message names the account, region and step."""

    def __init__(self, message: str, *, account: str | None = None, region: str | None = None) -> None:
        super().__init__(message)
        self.account = account
        self.region = region


@dataclass(frozen=True)
class _Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


# Fail fast: seeding talks to a local emulator, where a retry only hides the problem and slows the failure.
_CLIENT_CONFIG = BotoConfig(
    retries={"total_max_attempts": 1},
    connect_timeout=5,
    read_timeout=60,
    s3={"addressing_style": "path"},
)


class _Api:
    """A boto3 client bound to the account and region it acts in; every failure becomes a SeedError."""

    def __init__(self, client: Any, account_id: str, account_label: str, region: str) -> None:
        self._client = client
        self._account_id = account_id
        self._account_label = account_label
        self._region = region

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self._client, operation)(**params)
        except (BotoCoreError, ClientError) as exc:
            raise SeedError(
                f"seeding {self._account_label} in {self._region}: {operation}{_target_of(params)} failed: {exc}",
                account=self._account_id,
                region=self._region,
            ) from exc
        return response


def _target_of(params: Mapping[str, Any]) -> str:
    for key in (
        "GroupName",
        "GroupId",
        "Bucket",
        "UserName",
        "RoleName",
        "PolicyName",
        "Name",
        "AccountName",
        "DBInstanceIdentifier",
        "FunctionName",
    ):
        if key in params:
            return f" ({key}={params[key]})"
    return ""


class _ClientFactory:
    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def api(self, service: str, region: str, credentials: _Credentials, account_id: str, account_label: str) -> _Api:
        client = create_client(
            service,
            region_name=region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            config=_CLIENT_CONFIG,
        )
        return _Api(client, account_id, account_label, region)


class _AccountContext:
    """One account being seeded: its plan, credentials, and one client per service and region."""

    def __init__(self, plan: _AccountPlan, account_id: str, credentials: _Credentials, clients: _ClientFactory) -> None:
        self.plan = plan
        self.account_id = account_id
        self.credentials = credentials
        self.clients = clients
        self.label = f"account {plan.label} ({account_id})"
        self._apis: dict[tuple[str, str], _Api] = {}

    def api(self, service: str, region: str = "us-east-1") -> _Api:
        key = (service, region)
        if key not in self._apis:
            self._apis[key] = self.clients.api(service, region, self.credentials, self.account_id, self.label)
        return self._apis[key]

    def api_as(self, credentials: _Credentials, service: str, region: str = "us-east-1") -> _Api:
        return self.clients.api(service, region, credentials, self.account_id, self.label)


def _seed_moto_identifiers(endpoint_url: str, seed: int) -> None:
    # moto draws every generated id from one process-wide Random; seeding it makes ids repeat per seed.
    request = urllib.request.Request(f"{endpoint_url}/moto-api/seed?a={seed}", method="POST", data=b"")  # noqa: S310  (the emulator on loopback)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            response.read()
    except OSError as exc:  # urllib's URLError and HTTPError included
        raise SeedError(f"seeding moto's id generator at {endpoint_url}/moto-api/seed failed: {exc}") from exc


def _control(context: _AccountContext, path: str, method: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """A call to one of the emulator's own control paths, in the account's name; its JSON answer."""
    url = f"{context.clients.endpoint_url}{path}"
    headers = {"Content-Type": "application/json", "x-moto-account-id": context.account_id}
    request = urllib.request.Request(  # noqa: S310  (the emulator on loopback)
        url, method=method, data=json.dumps(dict(document)).encode(), headers=headers
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
    except (OSError, ValueError) as exc:  # urllib's URLError and HTTPError included; ValueError: not JSON
        raise SeedError(f"seeding {context.label}: {method} {url} failed: {exc}", account=context.account_id) from exc
    return answer
