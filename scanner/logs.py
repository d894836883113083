"""structlog set-up: key/value events to stderr, a console renderer on a TTY and JSON lines otherwise.

Every event passes `redact_secrets` just before it is rendered, whatever its level and whichever renderer:
credentials never reach a log line, even when a debug event or an exception carries them. On a terminal it then
passes `escape_for_terminal`: values (resource ids, AWS messages) are data, and their control characters are shown
escaped, never sent (the JSON renderer escapes them itself).
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

from scanner.errors import REDACTED, redact
from scanner.text import terminal_safe

# Key names that say their value is a secret (lower-cased, `-` and `_` removed): `secret_access_key`,
# `SessionToken`, `X-Amz-Security-Token`, `password`, `credentials`, `Authorization`, `result_token`,
# `external_id` (the role's shared secret against the confused deputy), ... A harmless key caught by these
# (`next_token`, `secret_arn`) loses its value: better than the other way round.
_SECRET_KEY = re.compile(r"secret|passw|token|credential|authori[sz]ation|signature|externalid|privatekey|apikey")
# What `token_for_logs` (scanner.aws.config_evaluations) leaves of a result token, its first 8 characters and
# an ellipsis, is meant to be logged: enough to tell two tokens apart, never the token.
_SHORTENED = re.compile(r".{0,8}…", re.DOTALL)
# Nesting deeper than this is rendered as its (redacted) repr rather than walked: no event is built that deep,
# and a self-referencing structure must not recurse forever.
_MAX_DEPTH = 16


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """Whether a key's name says its value is a secret (the key names a scan logs are few: cached)."""
    return _SECRET_KEY.search(key.lower().replace("_", "").replace("-", "")) is not None


def _harmless_under_secret_key(value: Any) -> bool:
    """What a secret-named key may keep: no value, a flag saying whether there is one, or a shortened token."""
    if value is None or isinstance(value, bool | int | float):
        # `token_count=3`: a number under a secret-sounding name is a count, not a secret.
        return True
    return isinstance(value, str) and (not value or _SHORTENED.fullmatch(value) is not None)


def _redacted(value: Any, depth: int = 0) -> Any:
    """`value` with its secrets masked; `value` itself (the same object) when it has none, so that an event
    without secrets costs no copies and a caller's own structures are never modified."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= _MAX_DEPTH:
        return redact(repr(value))
    if isinstance(value, Mapping):
        return _redacted_mapping(value, depth + 1)
    if isinstance(value, list | tuple | set | frozenset):
        items = [_redacted(item, depth + 1) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        # A tuple subclass (a named tuple) cannot be rebuilt from a list: renderers show it as a plain sequence.
        return items if isinstance(value, list) else tuple(items) if isinstance(value, tuple) else type(value)(items)
    structlog_form = getattr(value, "__structlog__", None)
    if callable(structlog_form):
        # What JSONRenderer would render the object as.
        form = structlog_form()
        masked_form = _redacted(form, depth + 1)
        return value if masked_form is form else masked_form
    # Anything else (exceptions, dataclasses, paths, bytes) is rendered as its repr by both renderers: mask that.
    text = repr(value)
    masked = redact(text)
    return value if masked is text else masked


def _redacted_mapping(mapping: Mapping[Any, Any], depth: int) -> Mapping[Any, Any]:
    changed: dict[Any, Any] | None = None
    for key, value in mapping.items():
        if isinstance(key, str) and is_secret_key(key) and not _harmless_under_secret_key(value):
            new_key, new_value = key, REDACTED
        else:
            new_key = redact(key) if isinstance(key, str) else key
            new_value = _redacted(value, depth)
        if changed is None and (new_key is not key or new_value is not value):
            # The first change: copy what came before it, unchanged.
            changed = {}
            for earlier_key, earlier_value in mapping.items():
                if earlier_key is key:
                    break
                changed[earlier_key] = earlier_value
        if changed is not None:
            changed[new_key] = new_value
    return mapping if changed is None else changed


def redact_secrets(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask credentials anywhere in the event (see the module docstring and SECURITY.md).

    Values of secret-named keys (`is_secret_key`) become `****`, at any depth, unless they are None, a bool, empty
    or a `token_for_logs` prefix. In every other string, nested in dicts, lists, tuples and sets too, and in the
    repr of any other object (an exception given as a value), `scanner.errors.redact` masks access key ids (the
    prefix stays: `ASIA****`), secret access keys, session and result tokens (base64 runs of 100 characters or
    more), SigV4 `Signature=` and `Credential=` values, and values named `SecretAccessKey`, `SessionToken`,
    `X-Amz-Security-Token`, `ExternalId` or `password`. An `exc_info` is rendered into `exception` first, so its
    traceback is masked too. The event's own structures are never modified: what changes is copied.
    """
    if event_dict.get("exc_info"):
        event_dict = structlog.processors.format_exc_info(logger, method_name, event_dict)
    masked = _redacted_mapping(event_dict, 0)
    return event_dict if masked is event_dict else dict(masked)


# Written by ConsoleRenderer as they are, on lines of their own: their line breaks are kept.
_MULTILINE_KEYS = frozenset({"exception", "stack"})


class _Shown:
    """A value whose console form is decided here: ConsoleRenderer writes `repr()` of anything not a string."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return self._text


def escape_for_terminal(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor, for ConsoleRenderer: no control character of the event's values reaches the terminal.

    ConsoleRenderer writes the event and some strings as they are (only strings with spaces or quotes are `repr`-ed):
    the event is escaped with `terminal_safe`, a string value with a control character is shown as its `repr`
    (Python's escapes, the same as `terminal_safe`'s), and any other value whose `repr` has one (a custom
    `__repr__`) has it escaped. Values without control characters are left as they are.
    """
    escaped: EventDict = {}
    for key, value in event_dict.items():
        if key == "event" and isinstance(value, str):
            escaped[key] = terminal_safe(value)
        elif key in _MULTILINE_KEYS and isinstance(value, str):
            escaped[key] = terminal_safe(value, newlines=True)
        elif isinstance(value, str):
            escaped[key] = value if terminal_safe(value) == value else _Shown(repr(value))
        else:
            shown = repr(value)
            safe = terminal_safe(shown)
            escaped[key] = value if safe == shown else _Shown(safe)
    return escaped


# Alibaba Cloud's SDK: darabonba-core logs every request's headers (the signature, the STS token) at DEBUG, and sets
# its own logger to DEBUG when imported; its credentials package logs refreshes.
QUIET_LIBRARIES = ("botocore", "aiobotocore", "boto3", "urllib3", "aiohttp", "darabonba-core", "credentials")


def configure_logging(level: str = "info", stream: TextIO | None = None) -> None:
    stream = stream or sys.stderr
    rendering: list[structlog.typing.Processor] = (
        [escape_for_terminal, structlog.dev.ConsoleRenderer(colors=True)]
        if stream.isatty()
        else [structlog.processors.JSONRenderer()]
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            # Last before rendering: it must see every key the processors above add (tracebacks included).
            redact_secrets,
            *rendering,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        # One write per line: non-interactive stderr is unbuffered, and print's separate newline let the lines of
        # `--workers` processes, which share the parent's stderr, run into each other.
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    # The SDK's own stdlib logging bypasses the processor: at DEBUG botocore logs response bodies, AssumeRole's
    # secret key and session token among them (Lambda's log level controls can turn that on). Warnings at most.
    for name in QUIET_LIBRARIES:
        library = logging.getLogger(name)
        library.setLevel(max(library.getEffectiveLevel(), logging.WARNING))


LOG_LEVEL_ENVIRONMENT = "CLOUDSWEEP_LOG_LEVEL"
_LEVELS = ("debug", "info", "warning", "error")


def configure_function_logging(environment: Mapping[str, str]) -> None:
    """A function's logging (Lambda, Function Compute): the CLI's, at CLOUDSWEEP_LOG_LEVEL, once per warm instance."""
    level = environment.get(LOG_LEVEL_ENVIRONMENT, "info").lower()
    _configure_once(level if level in _LEVELS else "info")


@functools.cache
def _configure_once(level: str) -> None:
    configure_logging(level)
