"""`--security-hub`: findings into AWS Security Hub, per account and region, as a scan finishes each target.

- NON_COMPLIANT evaluations are imported with BatchImportFindings (ASFF, `scanner.outputs.asff`), at most 100 a
  call. The finding Id is derived from (account, region, check, resource type, resource id), so a re-import
  updates the same finding rather than adding one.
- The scan first reads the target's earlier cloudsweep findings (GetFindings). Once a finding exists, only
  BatchUpdateFindings changes its Workflow and Note (AWS ignores them in a re-import), so after the import:
  a finding suppressed now but not before goes to Workflow SUPPRESSED (the Note says by which entry and why); one
  suppressed before but not now, or resolved before and failing again, goes back to NEW.
- Earlier FAILED findings that this scan evaluated COMPLIANT or NOT_APPLICABLE are resolved: re-imported with
  Compliance PASSED and RecordState ARCHIVED, and set to Workflow RESOLVED. A finding for a resource this scan did
  not evaluate is left as it is: not seeing is not passing.
- `FailedFindings` and `UnprocessedFindings` are retried (backoff) for three rounds, then reported as failures of
  the target: the scan exits 3, never silently short of findings.
- Without `--security-hub-account`, each account's findings go to its own Security Hub with the scan's
  credentials for it. With it, every finding goes to that account's Security Hub with the caller's own
  credentials, so it must be the caller's account (anything else is a failure of every target). Security Hub
  takes a finding only from the account in its AwsAccountId, so the aggregation account's findings carry its id
  there, and the scanned account in the resource's ARN and ProductFields `cloudsweep/account_id`.

Memory: one target's failing findings (ASFF documents) and the ids of its passing ones, until the target ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from scanner.aws.clients import AwsClients, CallContext
from scanner.errors import AwsError
from scanner.model import Compliance, Evaluation, Target
from scanner.outputs.asff import NOTE_AUTHOR, NOTE_LIMIT, to_asff
from scanner.outputs.findings import Finding, ScanInfo
from scanner.registry import Check
from scanner.results import Failure

log = structlog.get_logger("cloudsweep.security_hub")

IMPORT_BATCH = 100  # BatchImportFindings' limit
FAILED_FINDING_ROUNDS = 3
GET_FINDINGS_PAGE = 100


@dataclass
class _TargetFindings:
    failing: list[dict[str, Any]] = field(default_factory=list)
    passing: set[str] = field(default_factory=set)  # finding ids this scan saw COMPLIANT or NOT_APPLICABLE


class SecurityHubSink:
    """Imports each target's findings when the target is done (see the module docstring)."""

    def __init__(
        self,
        clients: AwsClients,
        checks: Mapping[str, Check],
        scan: ScanInfo,
        aggregation_account: str | None = None,
        now: datetime | None = None,
        caller: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._clients = clients
        self._checks = checks
        self._scan = scan
        self._aggregation_account = aggregation_account
        self._now = now or datetime.now(UTC)
        self._caller = caller
        self._targets: dict[Target, _TargetFindings] = {}
        self.imported = 0
        self.resolved = 0
        self.updated = 0

    async def put(self, evaluation: Evaluation) -> None:
        findings = self._targets.setdefault(Target(evaluation.account_id, evaluation.region), _TargetFindings())
        finding = Finding(evaluation, self._checks[evaluation.check])
        if evaluation.compliance is Compliance.NON_COMPLIANT:
            document = to_asff(finding, self._scan, now=self._now, importing_account=self._aggregation_account)
            findings.failing.append(document)
        else:
            findings.passing.add(finding.uid)

    async def finish_target(self, target: Target) -> list[Failure]:
        findings = self._targets.pop(target, None)
        if findings is None:
            return []
        what = f"Security Hub findings of {target.account_id}"
        if self._aggregation_account is not None and self._aggregation_account != self._caller():
            message = (
                f"--security-hub-account {self._aggregation_account} must be the caller's own account "
                f"({self._caller()}): findings are imported with the caller's credentials"
            )
            return [_failure(target, what, "NotTheCaller", message)]
        # An aggregation account signs with the caller's own (ambient) credentials: account None.
        context = CallContext(None if self._aggregation_account else target.account_id, target.region)
        try:
            hub = await self._clients.client("securityhub", target.region)
            earlier = {found["Id"]: found for found in await self._earlier_findings(hub, context, target)}
            failures = await self._import(hub, context, target, findings.failing, "import")
            failures += await self._update_workflows(hub, context, target, findings.failing, earlier)
            resolved = [
                self._resolved(found)
                for finding_id, found in earlier.items()
                if finding_id in findings.passing
                and found.get("RecordState") == "ACTIVE"
                and found.get("Compliance", {}).get("Status") == "FAILED"
            ]
            failures += await self._import(hub, context, target, resolved, "resolve")
            failures += await self._update(hub, context, target, resolved, "RESOLVED", None)
            self.resolved += len(resolved)
        except AwsError as error:
            return [_failure(target, what, error.code, error.message)]
        return failures

    async def _earlier_findings(self, hub: Any, context: CallContext, target: Target) -> list[dict[str, Any]]:
        """This target's cloudsweep findings, active and archived, every page (filtered here too: an emulator may
        not). Archived ones too: one resolved earlier and failing again must go back to Workflow NEW."""
        owner = self._aggregation_account or target.account_id
        filters = {
            "GeneratorId": [{"Value": "cloudsweep/", "Comparison": "PREFIX"}],
            "AwsAccountId": [{"Value": owner, "Comparison": "EQUALS"}],
            "Region": [{"Value": target.region, "Comparison": "EQUALS"}],
        }
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            paging: dict[str, Any] = {"NextToken": token} if token else {}
            page = await self._clients.call(
                hub, "get_findings", context=context, Filters=filters, MaxResults=GET_FINDINGS_PAGE, **paging
            )
            found += [finding for finding in page.get("Findings", []) if _belongs(finding, owner, target)]
            token = page.get("NextToken")
            if not token:
                return found

    def _resolved(self, finding: Mapping[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in finding.items() if key not in ("Workflow", "Note")} | {
            "UpdatedAt": self._timestamp(),
            "Compliance": dict(finding.get("Compliance", {})) | {"Status": "PASSED"},
            "RecordState": "ARCHIVED",
        }

    def _timestamp(self) -> str:
        return self._now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    async def _update_workflows(
        self,
        hub: Any,
        context: CallContext,
        target: Target,
        failing: Sequence[dict[str, Any]],
        earlier: Mapping[str, Mapping[str, Any]],
    ) -> list[Failure]:
        """Workflow changes a re-import cannot make: into SUPPRESSED, or back to NEW (see the module docstring)."""
        changes: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        for finding in failing:
            before = earlier.get(finding["Id"])
            if before is None:
                continue  # created by this import, with its Workflow and Note
            was = before.get("Workflow", {}).get("Status")
            suppressed = finding.get("Workflow", {}).get("Status") == "SUPPRESSED"
            if suppressed and was != "SUPPRESSED":
                changes.setdefault(("SUPPRESSED", finding["Note"]["Text"]), []).append(finding)
            elif not suppressed and was in ("SUPPRESSED", "RESOLVED"):
                note = "cloudsweep: no mutelist entry suppresses this finding any more" if was == "SUPPRESSED" else None
                changes.setdefault(("NEW", note), []).append(finding)
        failures: list[Failure] = []
        for (status, note), findings in changes.items():
            failures += await self._update(hub, context, target, findings, status, note)
        return failures

    async def _update(
        self,
        hub: Any,
        context: CallContext,
        target: Target,
        findings: Sequence[Mapping[str, Any]],
        status: str,
        note: str | None,
    ) -> list[Failure]:
        failures: list[Failure] = []
        for start in range(0, len(findings), IMPORT_BATCH):
            pending = [{"Id": f["Id"], "ProductArn": f["ProductArn"]} for f in findings[start : start + IMPORT_BATCH]]
            update: dict[str, Any] = {"Workflow": {"Status": status}}
            if note:
                update["Note"] = {"Text": note[:NOTE_LIMIT], "UpdatedBy": NOTE_AUTHOR}
            for round_number in range(FAILED_FINDING_ROUNDS):
                if round_number:
                    await self._clients.settings.retry.backoff(round_number)
                response = await self._clients.call(
                    hub, "batch_update_findings", context=context, FindingIdentifiers=pending, **update
                )
                unprocessed = response.get("UnprocessedFindings", [])
                self.updated += len(pending) - len(unprocessed)
                pending = [item["FindingIdentifier"] for item in unprocessed]
                if not pending:
                    break
            if pending:
                errors = ", ".join(
                    f"{item['FindingIdentifier']['Id']} ({item.get('ErrorCode')})" for item in unprocessed[:3]
                )
                message = f"Security Hub did not set {len(pending)} findings to {status}: {errors}"
                failures.append(_failure(target, f"update {len(pending)} findings", "UnprocessedFindings", message))
        return failures

    async def _import(
        self, hub: Any, context: CallContext, target: Target, findings: Sequence[dict[str, Any]], what: str
    ) -> list[Failure]:
        failures: list[Failure] = []
        for start in range(0, len(findings), IMPORT_BATCH):
            batch = list(findings[start : start + IMPORT_BATCH])
            refused = await self._import_batch(hub, context, target, batch)
            self.imported += len(batch) - len(refused)
            if refused:
                ids = ", ".join(
                    f"{item['Id']} ({item.get('ErrorCode')}: {item.get('ErrorMessage')})" for item in refused[:3]
                )
                message = f"Security Hub refused {len(refused)} findings after {FAILED_FINDING_ROUNDS} tries: {ids}"
                failures.append(_failure(target, f"{what} {len(refused)} findings", "FailedFindings", message))
        return failures

    async def _import_batch(
        self, hub: Any, context: CallContext, target: Target, batch: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """One batch, its FailedFindings retried; what Security Hub still refuses, with its errors."""
        pending = batch
        refused: list[dict[str, Any]] = []
        for round_number in range(FAILED_FINDING_ROUNDS):
            if round_number:
                await self._clients.settings.retry.backoff(round_number)
            response = await self._clients.call(hub, "batch_import_findings", context=context, Findings=pending)
            refused = list(response.get("FailedFindings", []))
            if not refused:
                return []
            failed_ids = {item.get("Id") for item in refused}
            pending = [finding for finding in pending if finding["Id"] in failed_ids]
            log.warning(
                "findings refused, retrying",
                account_id=target.account_id,
                region=target.region,
                count=len(pending),
                error=refused[0].get("ErrorCode"),
            )
        return refused


def _belongs(finding: Mapping[str, Any], owner: str, target: Target) -> bool:
    fields = finding.get("ProductFields") or {}
    return (
        str(finding.get("GeneratorId", "")).startswith("cloudsweep/")
        and finding.get("AwsAccountId") == owner
        and fields.get("cloudsweep/account_id", finding.get("AwsAccountId")) == target.account_id
        and finding.get("Region", target.region) == target.region
    )


def _failure(target: Target, what: str, code: str, message: str) -> Failure:
    return Failure(target.account_id, target.region, what, code, message, ("security hub",))
