"""What the report formats are written from: one evaluation with its check's metadata and its suppression.

The JSON lines record (`Evaluation.to_record`) stays the scan's own minimal format; the other formats (JSON
document, CSV, OCSF, ASFF, HTML, Security Hub) also need the check's title, severity and remediation, whether a
mutelist entry suppresses the finding, and which scan produced it. `Finding` carries exactly that.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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

    @functools.cached_property
    def record(self) -> dict[str, Any]:
        """The evaluation record plus what the check says about it: title, severity, remediation. Made once per
        finding, however many reports write it (do not change it: copy)."""
        return self.evaluation.to_record() | {
            "title": self.check.title,
            "severity": self.check.severity.value,
            "remediation": self.check.remediation,
        }

    @functools.cached_property
    def uid(self) -> str:
        """The finding's id in every format, the same on every run: `cloudsweep/ACCOUNT/REGION/CHECK/DIGEST`.

        The digest is over the whole `key` (the check included), so resource ids of any length or alphabet give an
        id of bounded length (ASFF allows 512 characters); the readable prefix is for people and filters.
        """
        account, region, check, _, _ = self.key
        # NUL never occurs in AWS identifiers: the join is unambiguous.
        digest = hashlib.sha256("\0".join(self.key).encode("utf-8")).hexdigest()[:32]
        return f"cloudsweep/{account}/{region}/{check}/{digest}"

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
