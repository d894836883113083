"""moto, loaded the way the emulator needs it: in-process, quiet, and callable without a socket.

Importing this module imports moto. Nothing outside `cloudsweep_emulator` may import it.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

# Before moto.ec2 is imported: the default AMI catalogue costs ~1 s per EC2 backend.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.config import Config as BotoConfig
from cloudsweep_emulator import managed_policies
from cloudsweep_emulator.boto import create_client
from cloudsweep_emulator.wsgi import WSGIApp
from moto.core.base_backend import BackendDict
from moto.iam.models import get_account_id_from, iam_backends
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client
from werkzeug.wrappers import Response

# AWS managed policies (AdministratorAccess, ...) exist in every AWS account; moto's own switch loads all 1,582 per
# account, too slow here, so every account gets a subset instead (see managed_policies).
managed_policies.install()

ACCOUNT_HEADER = "x-moto-account-id"
DEFAULT_ACCOUNT_ID = "123456789012"


def create_moto_app() -> WSGIApp:
    from cloudsweep_emulator.todays_defaults import install_ec2_defaults  # it builds on this module

    install_ec2_defaults()
    app: WSGIApp = DomainDispatcherApplication(create_backend_app)
    return app


def reset_moto() -> None:
    """Forget every account's state, as moto's /moto-api/reset does."""
    moto_api_backend.reset()


class MotoState:
    """Every moto backend's state at one moment, and moto's identifier generator: `restore_moto` puts it back."""

    def __init__(self) -> None:
        backends: list[BackendDict[Any]] = list(BackendDict._instances)  # type: ignore[misc]
        # A backend that refers to another service's BackendDict keeps referring to the live one, not a copy.
        self._backends = backends
        self._contents = copy.deepcopy([dict(backend) for backend in backends], _shared(backends))
        self._random = mock_random.getstate()

    def restore(self) -> None:
        moto_api_backend.reset()
        contents = copy.deepcopy(self._contents, _shared(self._backends))
        for backend, saved in zip(self._backends, contents, strict=True):
            backend.update(saved)
            if backend not in BackendDict._instances:  # type: ignore[misc]
                BackendDict._instances.append(backend)  # type: ignore[misc]
        mock_random.setstate(self._random)


def _shared(backends: list[BackendDict[Any]]) -> dict[int, Any]:
    return {id(backend): backend for backend in backends}


def snapshot_moto() -> MotoState:
    """moto's state now (a deep copy: ~0.2 s for the demo organization, which takes ~3 s to build)."""
    return MotoState()


def backdate_iam_user(account_id: str, user_name: str, created: datetime) -> None:
    """Make a user (and its access keys) older than the API can: the demo needs users inactive for months."""
    user = iam_backends[account_id]["global"].users[user_name]
    user.create_date = created
    for key in user.access_keys:
        key.create_date = created


def account_for_access_key(access_key_id: str) -> str:
    """The account moto resolves a request's access key to (its default account when unknown)."""
    account: str = get_account_id_from(access_key_id)
    return account


class _RawBody:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterable[bytes]:
        yield self._data


class InProcessMoto:
    """boto3 clients that talk to moto's WSGI app directly: no socket, no fault layer.

    The emulator's own collectors read resource state through moto's public API this way, acting in
    the account named by `acting_account` (moto's `x-moto-account-id` header). Callers hold the
    emulator's state lock, so one account at a time.
    """

    def __init__(self, app: WSGIApp) -> None:
        self._client = Client(app, response_wrapper=Response)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.RLock()
        self.acting_account = DEFAULT_ACCOUNT_ID

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                client = create_client(
                    service,
                    region_name=region,
                    endpoint_url="http://moto.in-process",
                    aws_access_key_id="AKIAEMULATORINTERNAL",
                    aws_secret_access_key="emulator-internal",  # noqa: S106  (moto accepts any key)
                    config=BotoConfig(retries={"total_max_attempts": 1}),
                )
                client.meta.events.register_first("before-send", self._send)
                self._clients[key] = client
            return self._clients[key]

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        headers[ACCOUNT_HEADER] = self.acting_account
        body: Any = request.body
        if hasattr(body, "read"):
            body = body.read()
        url = request.url or "/"
        path = url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        response = self._client.open(path, method=request.method, headers=headers, data=body or b"")
        response_headers = HTTPHeaders()
        for name, value in response.headers.items():
            response_headers[name] = value
        return AWSResponse(url, response.status_code, response_headers, _RawBody(response.get_data()))
