"""`--security-hub`: findings into AWS Security Hub, per account and region, as a scan finishes each target.

- NON_COMPLIANT evaluations are imported with BatchImportFindings (ASFF, `scanner.outputs.asff`), at most 100 a
  call; a suppressed one goes in with Workflow SUPPRESSED. The finding Id is derived from (account, region,
  check, resource type, resource id), so a re-import updates the same finding rather than adding one.
- Earlier cloudsweep findings that this scan evaluated COMPLIANT or NOT_APPLICABLE are resolved: read back with
  GetFindings (ACTIVE, FAILED, generator `cloudsweep/`), then re-imported with Compliance PASSED and RecordState
  ARCHIVED. A finding for a resource this scan did not evaluate is left as it is: not seeing is not passing.
- `FailedFindings` are retried (backoff) for three rounds, then reported as failures of the target: the scan
  exits 3, never silently short of findings.
- Without `--security-hub-account`, each account's findings go to its own Security Hub with the scan's
  credentials for it. With it, every finding goes to that account's Security Hub (its `default` product), with
  the caller's own credentials: run cloudsweep from the aggregation account.

Memory: one target's failing findings (ASFF documents) and the ids of its passing ones, until the target ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from scanner.aws.clients import AwsClients, CallContext
from scanner.errors import AwsError
from scanner.model import Compliance, Evaluation, Target
from scanner.orchestrator import Failure
from scanner.outputs.asff import to_asff
from scanner.outputs.findings import Finding, ScanInfo
from scanner.outputs.ocsf import finding_uid
from scanner.registry import Check

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
    ) -> None:
        self._clients = clients
        self._checks = checks
        self._scan = scan
        self._aggregation_account = aggregation_account
        self._now = now or datetime.now(UTC)
        self._targets: dict[Target, _TargetFindings] = {}
        self.imported = 0
        self.resolved = 0

    def _product_arn(self, region: str) -> str | None:
        account = self._aggregation_account
        return f"arn:aws:securityhub:{region}:{account}:product/{account}/default" if account else None

    async def put(self, evaluation: Evaluation) -> None:
        findings = self._targets.setdefault(Target(evaluation.account_id, evaluation.region), _TargetFindings())
        finding = Finding(evaluation, self._checks[evaluation.check])
        if evaluation.compliance is Compliance.NON_COMPLIANT:
            document = to_asff(finding, self._scan, product_arn=self._product_arn(evaluation.region), now=self._now)
            findings.failing.append(document)
        else:
            findings.passing.add(finding_uid(finding))

    async def finish_target(self, target: Target) -> list[Failure]:
        findings = self._targets.pop(target, None)
        if findings is None:
            return []
        # The aggregation account (the caller's, with no role of its own) signs with the caller's credentials.
        context = CallContext(self._aggregation_account or target.account_id, target.region)
        try:
            hub = await self._clients.client("securityhub", target.region)
            failures = await self._import(hub, context, target, findings.failing, "import")
            if findings.passing:
                earlier = await self._earlier_findings(hub, context, target)
                resolved = [self._resolved(found) for found in earlier if found["Id"] in findings.passing]
                failures += await self._import(hub, context, target, resolved, "resolve")
                self.resolved += len(resolved)
        except AwsError as error:
            return [_failure(target, f"Security Hub findings of {target.account_id}", error.code, error.message)]
        return failures

    async def _earlier_findings(self, hub: Any, context: CallContext, target: Target) -> list[dict[str, Any]]:
        """This target's ACTIVE, FAILED cloudsweep findings, every page (filtered here too: an emulator may not)."""
        filters = {
            "GeneratorId": [{"Value": "cloudsweep/", "Comparison": "PREFIX"}],
            "AwsAccountId": [{"Value": target.account_id, "Comparison": "EQUALS"}],
            "Region": [{"Value": target.region, "Comparison": "EQUALS"}],
            "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
            "ComplianceStatus": [{"Value": "FAILED", "Comparison": "EQUALS"}],
        }
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            paging: dict[str, Any] = {"NextToken": token} if token else {}
            page = await self._clients.call(
                hub, "get_findings", context=context, Filters=filters, MaxResults=GET_FINDINGS_PAGE, **paging
            )
            found += [
                finding
                for finding in page.get("Findings", [])
                if str(finding.get("GeneratorId", "")).startswith("cloudsweep/")
                and finding.get("AwsAccountId") == target.account_id
                and finding.get("Region", target.region) == target.region
                and finding.get("RecordState") == "ACTIVE"
                and finding.get("Compliance", {}).get("Status") == "FAILED"
            ]
            token = page.get("NextToken")
            if not token:
                return found

    def _resolved(self, finding: Mapping[str, Any]) -> dict[str, Any]:
        now = self._now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return dict(finding) | {
            "UpdatedAt": now,
            "Compliance": dict(finding.get("Compliance", {})) | {"Status": "PASSED"},
            "RecordState": "ARCHIVED",
        }

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


def _failure(target: Target, what: str, code: str, message: str) -> Failure:
    return Failure(target.account_id, target.region, what, code, message, ("security hub",))
