"""The import layers of docs/architecture.md, enforced: entry points -> runner and rule runtime (side by side) -> scan
engine -> cloud providers -> cloud-neutral core, each module importing only its own layer or those below, and no
import cycle anywhere. The rule runtime imports no cloud; each cloud's rule backend imports its own. The emulator
(emulator/, a distribution of its own) is imported by no module of the product: the CLI's `emulator` and `demo`
commands load it by name when it is installed.

Every import counts: at module level, inside functions (lazy) and under TYPE_CHECKING alike."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

ENTRY, RUNNER, ENGINE, PROVIDERS, CORE = range(5)
# The rule runtime stands beside the runner, on the engine: one rule event, one scan's sinks; neither imports the other.
RULES = RUNNER
LAYER_NAMES = ("entry points", "runner and rule runtime", "scan engine", "cloud providers", "core")
# Modules outside the stack: test helpers for check authors, imported by nothing below the entry points.
OUTSIDE = ("scanner.testing",)
# Entry points and commands; first match of the longest prefix wins.
LAYERS: dict[str, int] = {
    "scanner.__main__": ENTRY,
    "scanner.cli": ENTRY,
    "scanner.lambda_handler": ENTRY,
    "scanner.function_compute": ENTRY,
    "scanner.worker_process": ENTRY,
    "scanner.progress": ENTRY,  # the rich rendering of the engine's progress protocol
    "scanner.check_docs": ENTRY,
    "scanner.iam_policy": ENTRY,
    "scanner.rule_tools": ENTRY,
    "scanner.diff": ENTRY,
    "scanner.alibaba.tools": ENTRY,  # `cloudsweep event --cloud alibaba`, `rule-json`
    "scanner.runner": RUNNER,
    "scanner.rules": RULES,
    "scanner.scan": ENGINE,
    "scanner.plugins": ENGINE,
    "scanner.aws": PROVIDERS,
    "scanner.alibaba": PROVIDERS,
    "scanner": CORE,
}
CLOUDS = ("scanner.aws", "scanner.alibaba")
# Known crossings, each with the issue that removes it.
ALLOWED = {}


def allowed(module: str, target: str) -> bool:
    return any(module == source and (target == to or target.startswith(to + ".")) for source, to in ALLOWED)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: str) -> dict[str, Path]:
    return {module_name(path): path for path in (ROOT / package).rglob("*.py")}


MODULES = modules("scanner")


def imported(path: Path, known: set[str]) -> Iterator[str]:
    """The known modules (or `checks`, `cloudsweep_emulator`) `path` imports."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            for special in ("checks", "cloudsweep_emulator"):
                if name == special or name.startswith(special + "."):
                    yield special
                    break
            else:
                while name and name not in known:
                    name = name.rpartition(".")[0]
                if name:
                    yield name


def graph() -> dict[str, set[str]]:
    known = set(MODULES)
    return {name: set(imported(path, known)) - {name} for name, path in MODULES.items()}


def layer_of(module: str) -> int:
    prefix = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[prefix]


def test_every_module_has_a_layer() -> None:
    assert "scanner.runner" in MODULES
    assert "scanner.scan.engine" in MODULES
    for module in MODULES:
        assert layer_of(module) in range(5), module


def test_each_module_imports_its_own_layer_or_those_below() -> None:
    crossings = []
    for module, targets in graph().items():
        if module.startswith(OUTSIDE):
            continue
        for target in targets:
            if allowed(module, target) or (target == "checks" and layer_of(module) <= ENGINE):
                continue
            if target.startswith(OUTSIDE) or target in ("checks", "cloudsweep_emulator"):
                crossings.append(f"{module} -> {target} (outside the stack)")
            elif layer_of(target) < layer_of(module):
                crossings.append(
                    f"{module} ({LAYER_NAMES[layer_of(module)]}) -> {target} ({LAYER_NAMES[layer_of(target)]})"
                )
    assert crossings == []


def test_the_runner_and_the_rule_runtime_stand_side_by_side() -> None:
    def part(module: str) -> str | None:
        return next((p for p in ("scanner.runner", "scanner.rules") if module == p or module.startswith(p + ".")), None)

    edges = graph()
    crossings = [
        f"{module} -> {target}"
        for module, targets in edges.items()
        for target in targets
        if part(module) and part(target) and part(module) != part(target)
    ]
    assert crossings == []


def test_the_rule_runtime_is_cloud_neutral_and_each_backend_keeps_to_its_cloud() -> None:
    edges = graph()

    def clouds(module: str) -> set[str]:
        return {
            cloud for target in edges[module] for cloud in CLOUDS if target == cloud or target.startswith(cloud + ".")
        }

    assert clouds("scanner.rules.runtime") == set()
    assert clouds("scanner.rules") == set()
    assert clouds("scanner.rules.aws_config") == {"scanner.aws"}
    assert clouds("scanner.rules.alibaba_config") == {"scanner.alibaba"}


def test_no_import_cycle() -> None:
    edges = graph()
    cycles = [component for component in strongly_connected(edges) if len(component) > 1]
    assert cycles == []


def test_checks_import_the_core_only() -> None:
    known = set(MODULES)
    for path in (ROOT / "checks").rglob("*.py"):
        for target in imported(path, known):
            if target == "checks":
                continue
            assert layer_of(target) == CORE, f"{path.name} -> {target}"
            assert not target.startswith(OUTSIDE), f"{path.name} -> {target}"


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


@pytest.mark.parametrize(
    ("edges", "cyclic"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
        ({"a": {"a"}}, False),
    ],
)
def test_the_cycle_finder_finds_cycles(edges: dict[str, set[str]], cyclic: bool) -> None:
    assert any(len(component) > 1 for component in strongly_connected(edges)) is cyclic


def test_no_check_imports_another_checks_module() -> None:
    for cloud in ("aws", "alibaba"):
        for path in (ROOT / "checks" / cloud).glob("*.py"):
            if path.name == "__init__.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("checks"):
                    assert node.module.startswith("checks.shared"), f"checks/{cloud}/{path.name} -> {node.module}"
