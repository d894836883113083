"""Security Hub as AWS runs it, where moto falls short, and refusals on demand.

- **Provider updates.** After a finding is created, BatchImportFindings cannot change its `Workflow` or `Note`
  (they belong to the customer, who changes them with BatchUpdateFindings); moto's import overwrites everything.
  `SecurityHubLayer` drops those two fields from the import of a finding that already exists.
- **BatchUpdateFindings**, which moto lacks: `Workflow.Status` and `Note` of findings named by Id and ProductArn,
  answered with ProcessedFindings / UnprocessedFindings as AWS does.
- **Refusals on demand.** moto's BatchImportFindings refuses only findings without resources, so the emulator can
  refuse chosen ones the way AWS does under load (in `FailedFindings`, HTTP 200):

      emulator.security_hub.refuse(id_prefix, times=1)   refuse findings whose Id starts with the prefix, `times`
                                                         imports each (None: always)

  The refused findings are taken out of the request before moto sees it (none is stored) and added to the
  response's FailedFindings and FailedCount.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

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

# What only the customer may change once a finding exists (BatchUpdateFindings), not its provider.
CUSTOMER_FIELDS = ("Workflow", "Note")
WORKFLOW_STATUSES = frozenset({"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"})


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


def _stored(account: str, region: str) -> dict[str, Any]:
    """moto's findings of one account and region, by Id (its model objects: `.data` is the finding)."""
    from moto.securityhub.models import securityhub_backends

    return {finding.id: finding for finding in securityhub_backends[account][region].findings}


class SecurityHubLayer:
    def __init__(
        self, app: WSGIApp, controls: SecurityHubControls, resolve_account: Callable[[str], str], lock: Any
    ) -> None:
        self._app = app
        self._controls = controls
        self._resolve_account = resolve_account
        self._lock = lock

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        request = read_request(environ)
        if request.service != "securityhub" or request.operation not in ("BatchImportFindings", "BatchUpdateFindings"):
            return self._app(environ, start_response)
        account = acting_account(request, self._resolve_account)
        region = request.region or "us-east-1"
        document: dict[str, Any] = json.loads(request_body(environ) or b"{}")
        if request.operation == "BatchUpdateFindings":
            with self._lock:
                return json_reply(start_response, 200, _batch_update(_stored(account, region), document))
        return self._import(environ, start_response, document, account, region)

    def _import(
        self, environ: WSGIEnviron, start_response: StartResponse, document: dict[str, Any], account: str, region: str
    ) -> Iterable[bytes]:
        findings = list(document.get("Findings") or [])
        refused = [finding for finding in findings if self._controls.refused(str(finding.get("Id", "")))]
        with self._lock:
            existing = set(_stored(account, region))
        kept = []
        for finding in findings:
            if finding in refused:
                continue
            if finding.get("Id") in existing:
                finding = {key: value for key, value in finding.items() if key not in CUSTOMER_FIELDS}
            kept.append(finding)
        body = json.dumps(document | {"Findings": kept}).encode()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("cloudsweep.body", None)
        response = call_app(self._app, environ)
        if not response.ok or not refused:
            start_response(response.status, response.headers, response.exc_info)
            return [response.body]
        answer: dict[str, Any] = json.loads(response.body or b"{}")
        failed = [
            {"Id": finding.get("Id", ""), "ErrorCode": "ThrottlingException", "ErrorMessage": "refused by the emulator"}
            for finding in refused
        ]
        answer["FailedFindings"] = [*answer.get("FailedFindings", []), *failed]
        answer["FailedCount"] = int(answer.get("FailedCount", 0)) + len(failed)
        out = json.dumps(answer).encode()
        start_response(response.status, with_content_length(response.headers, len(out)), response.exc_info)
        return [out]


def _batch_update(stored: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    processed: list[dict[str, str]] = []
    unprocessed: list[dict[str, Any]] = []
    workflow = request.get("Workflow")
    note = request.get("Note")
    for identifier in request.get("FindingIdentifiers") or []:
        finding = stored.get(identifier.get("Id"))
        if finding is None or finding.data.get("ProductArn") != identifier.get("ProductArn"):
            unprocessed.append(
                {"FindingIdentifier": identifier, "ErrorCode": "FindingNotFound", "ErrorMessage": "Finding Not Found"}
            )
            continue
        if isinstance(workflow, dict) and workflow.get("Status") in WORKFLOW_STATUSES:
            finding.data["Workflow"] = {"Status": workflow["Status"]}
        if isinstance(note, dict) and note.get("Text"):
            finding.data["Note"] = {"Text": note["Text"], "UpdatedBy": note.get("UpdatedBy", ""), "UpdatedAt": ""}
        processed.append({"Id": identifier["Id"], "ProductArn": identifier["ProductArn"]})
    return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}
