"""Parameter kinds and helpers that several checks share (not a check: `checks/__init__.py` registers none here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scanner.model import ANNOTATION_LIMIT, Compliance
from scanner.registry import ExtraData, Parameter, ParameterError, Result, Snapshot


def approved_image(image_id: Any, approved: Sequence[str], missing: str) -> Result:
    """An instance's image against an approved list: whole ids only (a substring test would approve "ami-1" because
    "ami-12" is listed, as Alibaba Cloud's sample does); `missing` is the note for an absent or non-string id."""
    if not isinstance(image_id, str) or not image_id:
        return Result(Compliance.NON_COMPLIANT, missing)
    if image_id in approved:
        return Result(Compliance.COMPLIANT, f"image {image_id} is approved")
    return Result(Compliance.NON_COMPLIANT, f"image {image_id} is not one of {', '.join(approved)}")


def flag(value: Any) -> bool | None:
    """A configuration's boolean: true or false, or the strings "true"/"false" in any case; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def kms_key_id(key: str) -> str | None:
    """The key id of a bare key id or a key ARN (arn:aws:kms:region:account:key/<id>); None for any other ARN."""
    if not key.startswith("arn:"):
        return key
    parts = key.split(":", 5)
    resource = parts[5] if len(parts) == 6 else ""
    kind, _, found = resource.partition("/")
    return found if kind == "key" and found else None


def same_kms_key(actual: str, wanted: str) -> bool:
    """Two ARNs must be equal; a bare id matches an ARN of that key in any account and region."""
    if actual.startswith("arn:") and wanted.startswith("arn:"):
        return actual == wanted
    actual_id = kms_key_id(actual)
    return actual_id is not None and actual_id == kms_key_id(wanted)


class KmsKeyParameter(Parameter):
    def convert(self, check_id: str, raw: Any) -> Any:
        key: str = super().convert(check_id, raw)
        # Resources record their key's ARN, never an alias, and resolving an alias would need a KMS call.
        if "alias/" in key or kms_key_id(key) is None:
            raise ParameterError(check_id, self.name, f"expected a KMS key id or key ARN (not an alias), got {raw!r}")
        return key


class MissingExtraDataError(KeyError):
    """The scanner ran a check without extra data it declared: a scanner bug, never a verdict."""

    def __str__(self) -> str:
        return str(self.args[0])


def declared_extra(snapshot: Snapshot, data: ExtraData, check_id: str, what: str) -> Any:
    """The extra data in the snapshot; never a stand-in (an empty report, no policy) for data not read."""
    if data not in snapshot.extra:
        raise MissingExtraDataError(
            f"{check_id}: the snapshot of {snapshot.account_id} {snapshot.region} has no {what}"
        )
    return snapshot.extra[data]


def fit_findings(parts: Sequence[str], limit: int = ANNOTATION_LIMIT) -> str:
    """Join findings; when they do not fit an annotation, keep whole ones and say how many were left out."""
    text = "; ".join(parts)
    if len(text) <= limit:
        return text
    for kept in range(len(parts) - 1, 0, -1):
        text = "; ".join(parts[:kept]) + f"; and {len(parts) - kept} more"
        if len(text) <= limit:
            return text
    return parts[0]  # Evaluation truncates a single overlong finding with a visible marker
