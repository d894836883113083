"""Checks beyond the built-in ones: Python files in a directory (`--checks-dir`) and installed packages that
declare the entry-point group `cloudsweep.checks`.

A file or an entry point provides `CHECK` (a `scanner.registry.Check`), `CHECKS` (several), or is itself a check
or an iterable of checks. Every check joins one registry with the built-ins; an id that is already taken is an
error naming both places, never a silent override. Files whose names start with `_` or `test_`, and `conftest.py`,
are skipped, so a check's tests and helpers can live beside it: the directory is put on `sys.path`, so a check
file can `import _shared` from it. A file name must be a Python identifier (`my_check.py`, not `my-check.py`):
`--workers` finds a check's code again by its module name.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType

from scanner.errors import UsageError
from scanner.registry import Check, Cloud, DuplicateCheckError, Registry

ENTRY_POINT_GROUP = "cloudsweep.checks"
CHECKS_DIR_ENVIRONMENT = "CLOUDSWEEP_CHECKS_DIR"  # directories, separated by os.pathsep
# A flat module name per file: pickle (`--workers`) finds a check's functions again by module name.
_MODULE_PREFIX = "cloudsweep_checks_dir_"


class CheckLoadError(UsageError):
    """A checks file or entry point that cannot be imported, defines no check, or reuses a check id."""


def checks_dirs_from(environ: Mapping[str, str]) -> tuple[Path, ...]:
    value = environ.get(CHECKS_DIR_ENVIRONMENT, "")
    return tuple(Path(part) for part in value.split(os.pathsep) if part)


def builtin_checks(cloud: Cloud) -> Registry:
    if cloud is Cloud.ALIBABA:
        from checks.alibaba import BUILTIN as ALIBABA_BUILTIN

        return ALIBABA_BUILTIN
    from checks import BUILTIN

    return BUILTIN


def load_registry(checks_dirs: Sequence[Path] = (), *, entry_points: bool = True, cloud: Cloud = Cloud.AWS) -> Registry:
    """The built-in checks plus those of installed entry points and of each directory, in that order: the checks
    of one cloud (a directory or package may hold both clouds' checks; the other cloud's are left out)."""
    registry = Registry()
    for check in builtin_checks(cloud):
        registry.register(check, "built-in")
    if entry_points:
        for entry_point in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            source = f"entry point {entry_point.name} = {entry_point.value}"
            try:
                loaded = entry_point.load()
            except Exception as exc:  # a broken plugin is the user's error to see, not a traceback
                raise CheckLoadError(
                    f"{source} ({ENTRY_POINT_GROUP}) failed to load: {type(exc).__name__}: {exc}"
                ) from exc
            _register_all(registry, _checks_in(loaded, source), source, cloud)
    stems: dict[str, Path] = {}
    for directory in checks_dirs:
        for path in _check_files(directory):
            if path.stem in stems:
                raise CheckLoadError(
                    f"{path}: a checks file named {path.name} was already loaded from {stems[path.stem]}"
                )
            stems[path.stem] = path
            _register_all(registry, _checks_in(_import_file(path), str(path)), str(path), cloud)
    return registry


def _check_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise CheckLoadError(f"--checks-dir {directory}: not a directory")
    paths = sorted(
        path
        for path in directory.glob("*.py")
        if path.is_file() and not path.name.startswith(("_", "test_")) and path.name != "conftest.py"
    )
    for path in paths:
        if not path.stem.isidentifier():
            raise CheckLoadError(
                f"{path}: a checks file name must be a Python identifier, like {_suggest(path.stem)}.py"
            )
    # So that check files can import helpers beside them (files starting with "_").
    if str(directory.resolve()) not in sys.path:
        sys.path.append(str(directory.resolve()))
    return paths


def _suggest(stem: str) -> str:
    cleaned = "".join(character if character.isalnum() else "_" for character in stem)
    return cleaned if cleaned[:1].isalpha() else f"check_{cleaned}"


def _import_file(path: Path) -> ModuleType:
    name = _MODULE_PREFIX + path.stem
    existing = sys.modules.get(name)
    if existing is not None and Path(getattr(existing, "__file__", "")).resolve() == path.resolve():
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CheckLoadError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's file: show what is wrong in it, not our stack
        del sys.modules[name]
        raise CheckLoadError(f"{path}: {type(exc).__name__}: {exc}") from exc
    return module


def _checks_in(loaded: object, source: str) -> list[Check]:
    if isinstance(loaded, ModuleType):
        found: list[object] = []
        if hasattr(loaded, "CHECK"):
            found.append(loaded.CHECK)
        found.extend(getattr(loaded, "CHECKS", ()))
    elif isinstance(loaded, Check):
        found = [loaded]
    elif isinstance(loaded, Iterable) and not isinstance(loaded, str | bytes):
        found = list(loaded)
    else:
        found = []
    if not found:
        raise CheckLoadError(f"{source}: defines no check (a module-level CHECK or CHECKS of scanner.registry.Check)")
    wrong = [type(value).__name__ for value in found if not isinstance(value, Check)]
    if wrong:
        raise CheckLoadError(f"{source}: CHECK/CHECKS must be scanner.registry.Check values, got {', '.join(wrong)}")
    return [value for value in found if isinstance(value, Check)]


def _register_all(registry: Registry, found: Iterable[Check], source: str, cloud: Cloud) -> None:
    for check in found:
        if check.cloud is not cloud:
            continue
        try:
            registry.register(check, source)
        except DuplicateCheckError as exc:
            raise CheckLoadError(str(exc)) from None
