"""Choosing checks and their parameters, before any API call: a bad parameter is a usage error (exit 2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from scanner.documents import load_json, load_yaml, shown, shown_text
from scanner.errors import UsageError
from scanner.registry import ParameterError, Registry, SelectedCheck

ParamsByCheck = dict[str, dict[str, Any]]


def load_params_file(path: Path) -> ParamsByCheck:
    """A JSON or YAML file mapping check id to its parameters (bounded: at most MAX_DEPTH levels deep, YAML aliases
    standing for at most MAX_ALIAS_NODES values)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read parameters file {path}: {reason}") from exc
    yaml_file = path.suffix.lower() in (".yaml", ".yml")
    try:
        document = load_yaml(text) if yaml_file else load_json(text)
    except (ValueError, RecursionError, yaml.YAMLError) as exc:
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        kind = "YAML" if yaml_file else path.suffix.lstrip(".").upper() or "JSON"
        raise UsageError(f"parameters file {path} is not valid {kind}: {shown_text(problem, 500)}") from None
    if document is None:
        return {}
    if not isinstance(document, Mapping) or not all(isinstance(value, Mapping) for value in document.values()):
        raise UsageError(f"parameters file {path} must map each check id to an object of parameters")
    return {str(check_id): dict(values) for check_id, values in document.items()}


def parse_param_options(options: Iterable[str]) -> ParamsByCheck:
    """`--param CHECK.NAME=VALUE`, repeated."""
    params: ParamsByCheck = {}
    for option in options:
        key, equals, value = option.partition("=")
        check_id, dot, name = key.partition(".")
        if not equals or not dot or not check_id or not name:
            example = "desired-instance-type.desiredInstanceType=t3.micro"
            raise UsageError(f"--param {option!r}: expected CHECK.NAME=VALUE, e.g. {example}")
        params.setdefault(check_id, {})[name] = value
    return params


def merge_params(registry: Registry, *layers: ParamsByCheck) -> ParamsByCheck:
    """Later layers win, name by name; an alias and its declared name are the same parameter."""
    merged: ParamsByCheck = {}
    for layer in layers:
        for check_id, values in layer.items():
            schema = registry.get(check_id).parameters if check_id in registry else None
            target = merged.setdefault(check_id, {})
            for name, value in values.items():
                target[schema.canonical_name(name) if schema else name] = value
    return merged


def select_checks(registry: Registry, check_ids: Iterable[str] | None, params: ParamsByCheck) -> list[SelectedCheck]:
    """The checks to run with parsed parameters.

    Named checks must all be runnable. With no names: every built-in whose required parameters are given.
    Parameters for a check that is not registered, or malformed values, are usage errors.
    """
    for check_id in params:
        if check_id not in registry:
            raise UsageError(f"parameters given for unknown check {shown(check_id)}")
    explicit = check_ids is not None
    candidates = (
        [registry.get(check_id) for check_id in dict.fromkeys(check_ids)] if check_ids is not None else list(registry)
    )
    selected: list[SelectedCheck] = []
    for check in candidates:
        given = params.get(check.id)
        if not explicit and given is None and check.parameters.has_required():
            continue
        try:
            selected.append(SelectedCheck(check, check.parameters.parse(check.id, given or {})))
        except ParameterError as exc:
            # The message may quote the value given, whatever its size.
            raise UsageError(shown_text(str(exc), 500)) from exc
    if not selected:
        raise UsageError("no check to run: name checks with --checks and give their required parameters")
    return selected
