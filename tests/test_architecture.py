"""The layout tells the truth: data flows one way, modules keep their privates, files stay small.

Sub-packages, lowest first (a module imports only from its own package or from
lower ones; ``exceptions`` and ``_version`` are leaves every layer may use, and the
package's ``__init__`` is the facade that re-exports the public names)::

    core < fast < training < persist < estimator < viz, teach, export < playground < cli

``fast`` (how the core's formulas are executed: buffers, flat vectors, compiled
kernels) sits between the maths and the training loop that picks a route.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "glassnet"

RANKS = {
    "exceptions": 0,
    "_version": 0,
    "core": 1,
    "fast": 2,
    "training": 3,
    "persist": 4,
    "estimator": 5,
    "viz": 6,
    "teach": 6,
    "export": 6,
    "playground": 7,
    "cli": 8,
}
FACADES = {"glassnet", "glassnet.__main__"}
MAX_LINES = 400
# A public class with its numpydoc may reach 500 lines (the allowance).
LONGER = {"glassnet.estimator.classifier": 500}


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["glassnet", *parts])


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(source: str, module: str, is_package: bool) -> list[tuple[str, str, int]]:
    """Every glassnet import in ``source``: (imported module, imported name or "", line)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                (a.name, "", node.lineno) for a in node.names if a.name.startswith("glassnet")
            ]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node)
            if target.startswith("glassnet"):
                found += [(target, a.name, node.lineno) for a in node.names]
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """What in one module breaks the import rules (empty when nothing does)."""
    out = []
    if module in FACADES:
        return out
    mine = _layer(module)
    for target, name, line in imports(source, module, is_package):
        # ``from .pkg import mod`` imports a module, not a name of pkg.
        full = f"{target}.{name}" if name and f"{target}.{name}" in ALL_MODULES else target
        theirs = _layer(full)
        if theirs != mine and RANKS.get(theirs, 99) >= RANKS.get(mine, -1):
            out.append(f"{module}:{line} imports {full} ({theirs} is not below {mine})")
        if name.startswith("_") and not name.startswith("__") and full == target:
            out.append(f"{module}:{line} imports the private name {name} from {target}")
    tree = ast.parse(source)
    aliases = {
        (a.asname or a.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and _resolve(module, is_package, node).startswith("glassnet")
        for a in node.names
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            out.append(f"{module}:{node.lineno} reaches into {node.value.id}.{node.attr}")
    return out


SOURCES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}
ALL_MODULES = set(SOURCES)


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_a_module_imports_only_from_below_and_no_private_names(module: str) -> None:
    path = SOURCES[module]
    found = violations(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
    assert found == []


def test_every_sub_package_has_a_rank() -> None:
    layers = {_layer(m) for m in SOURCES if m not in FACADES} - {""}
    assert layers <= set(RANKS), sorted(layers - set(RANKS))


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("from ..training.loop import train\n", "glassnet.core.layers", "not below core"),
        ("from ..estimator import classifier\n", "glassnet.fast.flat", "not below fast"),
        ("from ..viz.grid import boundary_grid\n", "glassnet.teach.datasets", "viz is not below"),
        ("from .layers import _Hidden\n", "glassnet.core.sequential", "private name _Hidden"),
        ("from . import kernels\nkernels._off()\n", "glassnet.fast.flat", "kernels._off"),
        ("import glassnet.cli\n", "glassnet.persist.files", "cli is not below persist"),
    ],
    ids=["core-imports-training", "fast-imports-estimator", "teach-imports-viz", "private",
         "reach-in", "absolute"],
)  # fmt: skip
def test_the_checker_catches_a_wrong_import(source: str, module: str, expected: str) -> None:
    found = violations(source, module)
    assert any(expected in v for v in found), found


def test_the_import_graph_has_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for module, path in SOURCES.items():
        edges = set()
        for target, name, _ in imports(path.read_text(encoding="utf-8"), module,
                                       path.name == "__init__.py"):  # fmt: skip
            full = f"{target}.{name}" if f"{target}.{name}" in ALL_MODULES else target
            if full in ALL_MODULES and full != module and module not in FACADES:
                edges.add(full)
        graph[module] = edges
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, trail: list[str]) -> bool:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle.extend([*trail, m, n])
                return True
            if state.get(n) is None and visit(n, [*trail, m]):
                return True
        state[m] = 2
        return False

    for m in sorted(graph):
        if state.get(m) is None and visit(m, []):
            break
    assert cycle == []


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_no_source_file_is_too_long(module: str) -> None:
    lines = len(SOURCES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= LONGER.get(module, MAX_LINES), f"{module}: {lines} lines"
