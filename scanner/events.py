"""Reading a rule event's fields (AWS Config and Alibaba Cloud Config alike): JSON-object fields bounded in depth,
enumerated fields named in their errors. Every problem is an EventError naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

from scanner.documents import check_depth, load_json
from scanner.errors import EventError


def event_object(document: Mapping[str, Any], name: str, *, required: bool) -> dict[str, Any]:
    """A rule event's JSON-object field (`invokingEvent`, `ruleParameters`): an object, or a JSON string of one; at
    most `MAX_DEPTH` levels deep either way."""
    value = document.get(name)
    if value is None or value == "":
        if required:
            raise EventError(name, "is missing")
        return {}
    if isinstance(value, str):
        try:
            value = load_json(value)
        except (ValueError, RecursionError) as exc:
            problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise EventError(name, f"is not valid JSON ({problem})") from None
    else:
        try:
            check_depth(value)
        except ValueError as exc:
            raise EventError(name, f"is {exc}") from None
    if not isinstance(value, Mapping):
        raise EventError(name, f"must be a JSON object, got {type(value).__name__}")
    return dict(value)


def event_document(event: Any) -> None:
    """Refuse a whole rule event (already parsed, as the Lambda runtime hands it) nested deeper than `MAX_DEPTH`."""
    try:
        check_depth(event)
    except ValueError as exc:
        raise EventError("event", str(exc)) from None


E = TypeVar("E", bound=Enum)


def event_enum(kind: type[E], raw: Any, field_name: str, what: str) -> E:
    """A rule event's enumerated field (`messageType`), or an EventError naming the values it may take."""
    try:
        return kind(raw)
    except ValueError as exc:
        known = ", ".join(str(member.value) for member in kind)
        raise EventError(field_name, f"unknown {what} {raw!r} (known: {known})") from exc
