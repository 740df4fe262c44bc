"""The package's shape: no import cycles, every import points down the layers, and the modules
on the start-up path (the command's entry point, the standby and pool workers) import neither
pydantic nor LibCST, so a forked worker is ready before the command has finished loading."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "auditor"

LAYERS: list[tuple[str, ...]] = [
    ("auditor", "auditor.errors", "auditor.resources", "auditor.safewrite", "auditor.locations"),
    ("auditor.yamlmarks", "auditor.model", "auditor.store", "auditor.cachesize", "auditor.validation"),
    ("auditor.facts", "auditor.render"),
    ("auditor.matchers",),
    ("auditor.rules",),
    ("auditor.engine",),
    ("auditor.config", "auditor.levels"),
    ("auditor.adopt",),
    ("auditor.session", "auditor.testing"),
    ("auditor.gatecli", "auditor.fleet"),
    ("auditor.cli",),
    ("auditor.launch",),
]
"""Bottom first. A module may import from lower layers and from its own package; two packages
of one layer know nothing of each other."""

START_UP = ("auditor.launch", "auditor.engine.standby", "auditor.engine.process", "auditor.engine.tasks",
            "auditor.engine.workers", "auditor.engine.executors", "auditor.engine.caches", "auditor.engine.results")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module of the package this one imports, wherever the import statement is."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "auditor")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "auditor":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in MODULES else node.module)
    out.discard(name)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _component(module: str) -> tuple[int, str]:
    """The layer a module belongs to and its unit in that layer (the longest listed prefix)."""
    best: tuple[int, str] | None = None
    for rank, units in enumerate(LAYERS):
        for unit in units:
            if (module == unit or (unit != "auditor" and module.startswith(unit + "."))) and \
                    (best is None or len(unit) > len(best[1])):
                best = (rank, unit)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        _component(module)


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for module, targets in GRAPH.items():
        rank, unit = _component(module)
        for target in targets:
            t_rank, t_unit = _component(target)
            if t_unit != unit and t_rank >= rank:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports that do not point down the layers:\n" + "\n".join(sorted(wrong))


def test_the_import_graph_has_no_cycles() -> None:
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target):], target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_layer_check_sees_a_cycle_and_an_upward_import() -> None:
    """The checks above would fail on the shapes they forbid."""
    GRAPH["auditor.store"].add("auditor.engine.scan")
    try:
        with pytest.raises(AssertionError, match=re.escape("auditor.store -> auditor.engine.scan")):
            test_imports_point_down_the_layers()
        with pytest.raises(AssertionError, match="import cycles"):
            test_the_import_graph_has_no_cycles()
    finally:
        GRAPH["auditor.store"].discard("auditor.engine.scan")


@pytest.mark.slow  # a fresh interpreter
def test_the_start_up_path_imports_neither_pydantic_nor_libcst() -> None:
    code = (f"import sys\nfor m in {START_UP!r}: __import__(m)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'libcst', 'click'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
