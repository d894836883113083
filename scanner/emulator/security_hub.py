"""Security Hub refusals on demand: moto's BatchImportFindings refuses only findings without resources, so the
emulator can refuse chosen findings the way AWS does under load or for bad input (in `FailedFindings`, HTTP 200).

    emulator.security_hub.refuse(id_prefix, times=1)   refuse findings whose Id starts with the prefix, `times`
                                                       imports each (None: always)

`SecurityHubLayer` takes the refused findings out of the request before moto sees it (so none is stored) and adds
them to the response's FailedFindings and FailedCount.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable
from typing import Any

from scanner.emulator.wsgi import (
    StartResponse,
    WSGIApp,
    WSGIEnviron,
    call_app,
    read_request,
    request_body,
    with_content_length,
)


class SecurityHubControls:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refusals: dict[str, int | None] = {}

    def refuse(self, id_prefix: str, times: int | None = 1) -> None:
        with self._lock:
            self._refusals[id_prefix] = times

    def clear(self) -> None:
        with self._lock:
            self._refusals.clear()

    def refused(self, finding_id: str) -> bool:
        """Whether to refuse this finding now (each refusal counts down its `times`)."""
        with self._lock:
            for prefix, left in self._refusals.items():
                if finding_id.startswith(prefix) and (left is None or left > 0):
                    if left is not None:
                        self._refusals[prefix] = left - 1
                    return True
            return False


class SecurityHubLayer:
    def __init__(self, app: WSGIApp, controls: SecurityHubControls) -> None:
        self._app = app
        self._controls = controls

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        request = read_request(environ)
        if request.service != "securityhub" or request.operation != "BatchImportFindings":
            return self._app(environ, start_response)
        document: dict[str, Any] = json.loads(request_body(environ) or b"{}")
        findings = document.get("Findings") or []
        refused = [finding for finding in findings if self._controls.refused(str(finding.get("Id", "")))]
        if not refused:
            return self._app(environ, start_response)
        document["Findings"] = [finding for finding in findings if finding not in refused]
        body = json.dumps(document).encode()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("cloudsweep.body", None)
        response = call_app(self._app, environ)
        answer: dict[str, Any] = json.loads(response.body or b"{}") if response.ok else {}
        if not response.ok:
            start_response(response.status, response.headers, response.exc_info)
            return [response.body]
        failed = [
            {"Id": finding.get("Id", ""), "ErrorCode": "ThrottlingException", "ErrorMessage": "refused by the emulator"}
            for finding in refused
        ]
        answer["FailedFindings"] = [*answer.get("FailedFindings", []), *failed]
        answer["FailedCount"] = int(answer.get("FailedCount", 0)) + len(failed)
        out = json.dumps(answer).encode()
        start_response(response.status, with_content_length(response.headers, len(out)), response.exc_info)
        return [out]
