"""The surface plugin authors rely on: `scanner.checks_api` and one exception tree under CloudSweepError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import scanner
from scanner import checks_api
from scanner.errors import CloudSweepError


def test_the_check_api_exports_what_it_names_and_only_that() -> None:
    exported = {name for name in dir(checks_api) if not name.startswith("_") and name != "annotations"}
    assert set(checks_api.__all__) == exported
    for name in checks_api.__all__:
        assert getattr(checks_api, name) is not None


def test_a_check_can_be_written_from_the_api_alone() -> None:
    def evaluate(
        item: checks_api.ConfigurationItem, params: checks_api.ParameterValues, snapshot: checks_api.Snapshot
    ) -> checks_api.Result:
        return checks_api.Result(checks_api.Compliance.COMPLIANT, "fine")

    check = checks_api.Check(
        id="api-only",
        title="A check from the public API",
        description="Always compliant.",
        rationale="A test.",
        severity=checks_api.Severity.LOW,
        remediation="None.",
        remediation_cli="aws ec2 describe-volumes",
        scope=checks_api.CheckScope.RESOURCE,
        resource_types=("AWS::EC2::Volume",),
        evaluate_resource=evaluate,
    )
    assert check.id == "api-only"


def public_exceptions() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(scanner.__path__, "scanner."):
        if module_info.name.startswith("scanner.testing") or module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Exception)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = value
    return sorted(found.values(), key=lambda kind: f"{kind.__module__}.{kind.__qualname__}")


@pytest.mark.parametrize("kind", public_exceptions(), ids=lambda kind: f"{kind.__module__}.{kind.__qualname__}")
def test_every_public_error_is_a_cloudsweep_error(kind: type[BaseException]) -> None:
    assert issubclass(kind, CloudSweepError)


def test_the_tree_is_documented_where_it_is_defined() -> None:
    doc = (Path(scanner.__file__).parent / "errors.py").read_text(encoding="utf-8").split('"""', 2)[1]
    for kind in public_exceptions():
        assert kind.__name__ in doc, kind.__name__


def test_one_version_source() -> None:
    from importlib.metadata import version

    assert version("cloudsweep") == scanner.__version__
    pyproject = (Path(scanner.__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert "\nversion = " not in pyproject.split("[project]", 1)[1].split("\n[", 1)[0]
