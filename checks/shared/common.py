"""Parameter kinds and helpers that several checks share (not a check: nothing here is registered)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scanner.documents import json_kind
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


class UnreadableFieldError(ValueError):
    """A field recorded as a JSON type it never has (ipRanges a string, a rule that is not an object): what it says
    cannot be read, so a check meeting it says so and never passes the resource.

    Its text is `SOURCE records WHERE as KIND, not WANTED`; `detail` is the part after SOURCE.
    """

    def __init__(
        self, where: str, value: Any, wanted: str, *, shown: str | None = None, source: str = "the configuration item"
    ) -> None:
        self.detail = f"records {where} as {shown or json_kind(value)}, not {wanted}"
        super().__init__(f"{source} {self.detail}")
        self.where = where


def cannot_judge(error: UnreadableFieldError) -> Result:
    """The verdict on a resource whose data could not be read."""
    return Result(Compliance.NON_COMPLIANT, f"{error}, so it cannot be judged")


def text_field(mapping: Mapping[str, Any], key: str, where: str | None = None) -> str | None:
    """A text field: its string, or None when it is absent or null; UnreadableFieldError for any other type."""
    value = mapping.get(key)
    if value is None or isinstance(value, str):
        return value
    raise UnreadableFieldError(where or key, value, "a string")


def boolean_field(mapping: Mapping[str, Any], key: str, where: str | None = None) -> bool | None:
    """A flag recorded as a boolean or "true"/"false" (any case): None when absent or null, else
    UnreadableFieldError."""
    value = mapping.get(key)
    if value is None:
        return None
    read = flag(value)
    if read is None:
        raise UnreadableFieldError(where or key, value, "true or false")
    return read


def list_field(mapping: Mapping[str, Any], key: str, where: str | None = None) -> list[Any] | None:
    """A list field: the list, or None when absent or null; UnreadableFieldError for any other type."""
    value = mapping.get(key)
    if value is None or isinstance(value, list):
        return value
    raise UnreadableFieldError(where or key, value, "a list")


def object_field(mapping: Mapping[str, Any], key: str, where: str | None = None) -> Mapping[str, Any] | None:
    """An object field: the object, or None when absent or null; UnreadableFieldError for any other type."""
    value = mapping.get(key)
    if value is None or isinstance(value, Mapping):
        return value
    raise UnreadableFieldError(where or key, value, "an object")


def objects(values: Sequence[Any], where: str) -> list[Mapping[str, Any]]:
    """Every element of a list of objects; UnreadableFieldError naming the first that is not one."""
    for index, value in enumerate(values):
        if not isinstance(value, Mapping):
            raise UnreadableFieldError(f"{where}[{index}]", value, "an object")
    return list(values)


_POLICY_LISTS = ("Action", "NotAction", "Resource", "NotResource")
_CONDITION_SCALARS = (str, bool, int, float)


def _strings(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(entry, str) for entry in value))


def _condition_values(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(entry, _CONDITION_SCALARS) for entry in value)
    return isinstance(value, _CONDITION_SCALARS)


def checked_statement(statement: Any, where: str, source: str) -> Mapping[str, Any]:
    """A policy statement whose elements have the policy grammar's types: Effect Allow or Deny; Action, Resource and
    their Not forms a string or a list of strings; Principal "*" or a map to strings; Condition a map of operators to
    maps of keys to values. UnreadableFieldError names the first element that has not, so that no check judges a
    statement by the parts it happens to read."""
    if not isinstance(statement, Mapping):
        raise UnreadableFieldError(where, statement, "an object", source=source)
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        shown = repr(effect)[:40] if isinstance(effect, str) else None
        raise UnreadableFieldError(f"{where}.Effect", effect, "Allow or Deny", shown=shown, source=source)
    for name in _POLICY_LISTS:
        if name in statement and (not _strings(statement[name]) or statement[name] == []):
            raise UnreadableFieldError(
                f"{where}.{name}", statement[name], "a string or a list of strings", source=source
            )
    for name in ("Principal", "NotPrincipal"):
        if name not in statement or isinstance(statement[name], str):
            continue
        principal = statement[name]
        if not isinstance(principal, Mapping):
            raise UnreadableFieldError(f"{where}.{name}", principal, '"*" or an object', source=source)
        for kind, value in principal.items():
            if not _strings(value):
                raise UnreadableFieldError(
                    f"{where}.{name}.{kind}", value, "a string or a list of strings", source=source
                )
    if "Condition" in statement:
        condition = statement["Condition"]
        if not isinstance(condition, Mapping):
            raise UnreadableFieldError(f"{where}.Condition", condition, "an object", source=source)
        for operator, block in condition.items():
            if not isinstance(block, Mapping):
                raise UnreadableFieldError(f"{where}.Condition.{operator}", block, "an object", source=source)
            for key, value in block.items():
                if not _condition_values(value):
                    at = f"{where}.Condition.{operator}.{key}"
                    raise UnreadableFieldError(at, value, "a value or a list of values", source=source)
    return statement


def checked_statements(document: Mapping[str, Any], source: str) -> list[Mapping[str, Any]]:
    """A policy document's statements (one object, or a list), each checked by `checked_statement`; a document
    without a Statement, or with one of another type, raises UnreadableFieldError."""
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        return [checked_statement(statements, "Statement", source)]
    if not isinstance(statements, list | tuple):
        raise UnreadableFieldError("Statement", statements, "a statement or a list of them", source=source)
    return [checked_statement(statement, f"Statement[{index}]", source) for index, statement in enumerate(statements)]


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
