"""The import graph: no cycles between modules or between monitor's packages; libraries never
import monitor.

Imports inside functions count too: a cycle broken by a function-level import is still a
cycle in the design. ``from pkg import name`` counts as an import of ``pkg.name`` when that
is a module, else of ``pkg``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("monitor", "classifiers", "playbooks", "alerts", "config")
LIBRARIES = ("classifiers", "playbooks", "alerts", "config")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield sub if sub in known else target


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for target in _imports(name, path, known):
            # an import of a package's submodule also names the package; keep the most specific
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    cycles = _cycles(_graph())
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def _package(module: str) -> str:
    """A module's unit of layering: monitor's sub-packages (and top modules), each library."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "monitor" else parts[0]


def test_no_import_cycles_between_packages() -> None:
    layers: dict[str, set[str]] = {}
    for name, targets in _graph().items():
        edges = layers.setdefault(_package(name), set())
        edges.update(_package(t) for t in targets if _package(t) != _package(name))
    cycles = _cycles(layers)
    assert cycles == [], "package cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("library", LIBRARIES)
def test_libraries_never_import_monitor(library: str) -> None:
    bad = sorted(
        f"{name} imports {target}"
        for name, targets in _graph().items()
        if name.split(".")[0] == library
        for target in targets
        if target.split(".")[0] == "monitor"
    )
    assert bad == []


def test_the_checker_finds_a_cycle_and_a_function_level_import(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from monitor.app import build_app\n", encoding="utf-8")
    assert list(_imports("monitor.x", source, {"monitor.app"})) == ["monitor.app"]
