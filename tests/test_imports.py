"""The import rules of docs/DESIGN.md, checked by reading the source (ast), never by importing it.

Layers, top to bottom: trust_tests → fixtures → compressors, reports, contracts. A module may import its own
layer and the layers below it; compressors/ and reports/ import nothing from each other, fixtures/ or
trust_tests/; contracts/ imports nothing from the project.
No cycle among project modules, counting imports inside functions too (a lazy import hides a cycle, it does
not remove it); imports under `if TYPE_CHECKING:` never run and are left out.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("trust_tests", "fixtures", "compressors", "reports", "contracts")
# What each package may import from the project (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "trust_tests": frozenset({"fixtures", "compressors", "reports", "contracts"}),
    "fixtures": frozenset({"compressors", "reports", "contracts"}),
    "compressors": frozenset({"contracts"}),
    "reports": frozenset({"contracts"}),
    "contracts": frozenset(),
}



def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import that can run, including lazy ones inside functions."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                pkg = module.split(".") if is_package else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join([*pkg, base] if base else pkg)
            yield base, node.lineno
            for alias in node.names:  # `from pkg import mod` imports pkg.mod when it is a module
                yield f"{base}.{alias.name}", node.lineno
        stack.extend(ast.iter_child_nodes(node))


def import_graph(root: Path) -> dict[str, dict[str, int]]:
    """Project module -> {project module it imports: first line}."""
    files = {module_name(root, p): p for pkg in PACKAGES if (root / pkg).is_dir() for p in (root / pkg).rglob("*.py")}
    graph: dict[str, dict[str, int]] = {}
    for mod, path in files.items():
        edges: dict[str, int] = {}
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target, line in _imports(tree, mod, path.name == "__init__.py"):
            if target in files and target != mod:
                edges.setdefault(target, line)
        graph[mod] = edges
    return graph


def upward_imports(graph: dict[str, dict[str, int]]) -> list[str]:
    bad = []
    for mod, edges in sorted(graph.items()):
        top = mod.split(".")[0]
        for target, line in sorted(edges.items()):
            other = target.split(".")[0]
            if other != top and other not in ALLOWED[top]:
                allowed = sorted(ALLOWED[top]) or "nothing"
                bad.append(f"{mod}:{line} imports {target} ({top}/ may import only {allowed})")
    return bad


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _is_parent(a: str, b: str) -> bool:
    return b.startswith(a + ".")


def project_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    # A module importing its own package (`from compressors import X` inside compressors/, or walking the
    # package's modules) reaches the package's __init__, which re-exports submodules: left out, else every
    # re-export would read as a cycle.
    pruned = {m: {t: ln for t, ln in e.items() if not _is_parent(t, m)} for m, e in graph.items()}
    return cycles(pruned)


def test_the_project_has_no_upward_import() -> None:
    assert upward_imports(import_graph(ROOT)) == []


def test_the_project_has_no_import_cycle() -> None:
    assert project_cycles(import_graph(ROOT)) == []


# Probes are pure code (docs/DESIGN.md): they import contracts/ and each other, never the plugin or the backends.


def probe_imports(graph: dict[str, dict[str, int]]) -> list[str]:
    bad = []
    for mod, edges in sorted(graph.items()):
        if not mod.startswith("trust_tests.probes"):
            continue
        for target, line in sorted(edges.items()):
            pure = target.startswith(("contracts", "trust_tests.probes"))
            if not pure:
                bad.append(f"{mod}:{line} imports {target} (probes may import only contracts/ and other probes)")
    return bad


def test_probes_import_only_contracts_and_probes() -> None:
    assert probe_imports(import_graph(ROOT)) == []


# --- the checks can fail ----------------------------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir(exist_ok=True)
        (tmp_path / pkg / "__init__.py").touch()
    return tmp_path


def test_a_planted_cycle_is_found_even_through_a_lazy_import(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "fixtures/a.py": "from fixtures.b import x\n",
        "fixtures/b.py": "def x():\n    from fixtures import c\n",
        "fixtures/c.py": "import fixtures.a\n",
        "fixtures/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from fixtures.a import x\n",
    })
    graph = import_graph(root)
    assert project_cycles(graph) == [["fixtures.a", "fixtures.b", "fixtures.c"]]


def test_type_checking_imports_do_not_make_a_cycle(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "fixtures/a.py": "from fixtures.b import x\n",
        "fixtures/b.py": "import typing\nif typing.TYPE_CHECKING:\n    from fixtures.a import y\nx = 1\n",
    })
    assert project_cycles(import_graph(root)) == []


@pytest.mark.parametrize(("path", "text", "expected"), [
    ("compressors/m.py", "from fixtures.loading import LoadError\n", "compressors.m:1 imports fixtures.loading"),
    ("reports/m.py", "def f():\n    import trust_tests.probes\n", "reports.m:2 imports trust_tests.probes"),
    ("contracts/m.py", "from compressors import base\n", "contracts.m:1 imports compressors"),
    ("fixtures/m.py", "from trust_tests import x\n", "fixtures.m:1 imports trust_tests"),
    ("compressors/m.py", "from reports import scorecard\n", "compressors.m:1 imports reports"),
    ("fixtures/m.py", "from ..trust_tests import x\n", "fixtures.m:1 imports trust_tests"),
])
def test_a_planted_upward_import_is_found(tmp_path: Path, path: str, text: str, expected: str) -> None:
    root = _tree(tmp_path, {path: text, "fixtures/loading.py": "", "reports/scorecard.py": "",
                            "compressors/base.py": "", "fixtures/gate.py": "", "trust_tests/x.py": "",
                            "trust_tests/probes/__init__.py": ""})
    bad = upward_imports(import_graph(root))
    assert len(bad) >= 1 and bad[0].startswith(expected), bad


def test_a_probe_importing_the_plugin_is_found(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"trust_tests/probes/p.py": "def f():\n    from fixtures.loading import check_weights\n",
                            "trust_tests/probes/q.py": "from contracts.weights import check_weights\n",
                            "fixtures/loading.py": "", "contracts/weights.py": ""})
    assert probe_imports(import_graph(root)) == [
        "trust_tests.probes.p:2 imports fixtures.loading (probes may import only contracts/ and other probes)"]


def test_downward_imports_are_allowed(tmp_path: Path) -> None:
    imports = {"trust_tests/t.py": ("fixtures.gate", "trust_tests.probes.p"), "trust_tests/probes/p.py": ("contracts",),
               "fixtures/gate.py": ("compressors.base", "reports.scorecard"), "compressors/base.py": ("contracts.v",),
               "reports/scorecard.py": ("contracts.v",), "contracts/v.py": ("json",)}
    root = _tree(tmp_path, {path: "".join(f"import {m}\n" for m in mods) for path, mods in imports.items()})
    graph = import_graph(root)
    assert graph["fixtures.gate"] == {"compressors.base": 1, "reports.scorecard": 2}
    assert upward_imports(graph) == [] and project_cycles(graph) == []
