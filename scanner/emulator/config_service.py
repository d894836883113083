"""AWS Config, emulated from moto's live state (placeholder: forwards everything to moto)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from scanner.emulator.moto_app import InProcessMoto, StartResponse, WSGIApp, WSGIEnviron


class ConfigService:
    def __init__(self, moto: InProcessMoto, *, global_resource_region: str = "us-east-1") -> None:
        self.moto = moto
        self.global_resource_region = global_resource_region

    def reset(self) -> None:
        return None


class ConfigLayer:
    def __init__(self, app: WSGIApp, service: ConfigService, lock: threading.RLock) -> None:
        self._app = app
        self._service = service
        self._lock = lock

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            body: Any = list(self._app(environ, start_response))
        return body
