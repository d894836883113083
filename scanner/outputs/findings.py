"""What the report formats are written from: one evaluation with its check's metadata and its suppression.

The JSON lines record (`Evaluation.to_record`) stays the scan's own minimal format; the other formats (JSON
document, CSV, OCSF, ASFF, HTML, Security Hub) also need the check's title, severity and remediation, whether a
mutelist entry suppresses the finding, and which scan produced it. `Finding` carries exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scanner.model import Compliance, Evaluation, Suppression
from scanner.registry import Check, Severity


@dataclass(frozen=True)
class ScanInfo:
    """The scan a finding came from."""

    scan_id: str  # unique per run: a UUID
    started: datetime
    tool_version: str


@dataclass(frozen=True)
class Finding:
    evaluation: Evaluation
    check: Check

    @property
    def suppression(self) -> Suppression | None:
        return self.evaluation.suppression

    @property
    def severity(self) -> Severity:
        return self.check.severity

    @property
    def non_compliant(self) -> bool:
        return self.evaluation.compliance is Compliance.NON_COMPLIANT

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What identifies a finding across runs: account, region, check, resource type and id."""
        evaluation = self.evaluation
        return (
            evaluation.account_id,
            evaluation.region,
            evaluation.check,
            evaluation.resource_type,
            evaluation.resource_id,
        )


__all__ = ["Finding", "ScanInfo", "Suppression"]
