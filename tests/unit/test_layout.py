"""The package's imports flow one way: no module imports one that imports it back.

Imports inside functions count (they run); those under ``if TYPE_CHECKING:`` do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import geogan_core

ROOT = Path(geogan_core.__file__).parent


def _runtime_imports(tree: ast.AST) -> set[str]:
    """Every ``geogan_core`` module or name a module imports at run time."""
    out: set[str] = set()
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= set().union(*(_runtime_imports(n) for n in node.orelse))
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("geogan_core"):
            out |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("geogan_core")}
        out |= _runtime_imports(node)
    return out


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package's modules it imports at run time."""
    imports = {}
    for f in sorted(root.rglob("*.py")):
        name = ".".join(("geogan_core", *f.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        imports[name] = _runtime_imports(ast.parse(f.read_text()))
    return {m: {d for d in deps if d in imports and d != m} for m, deps in imports.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle (its modules, the first repeated at the end), or ``[]``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> list[str]:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                return path[path.index(d):] + [d]
            if d not in state and (found := visit(d, path + [d])):
                return found
        state[m] = 2
        return []

    for m in sorted(graph):
        if m not in state and (found := visit(m, [m])):
            return found
    return []


def test_the_circle_finder_finds_a_lazy_circle_and_skips_type_checking_imports(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("from geogan_core.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from geogan_core.a import g\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from geogan_core.a import g\n")
    graph = import_graph(pkg)
    assert graph["geogan_core.c"] == set()
    assert find_circle(graph) == ["geogan_core.a", "geogan_core.b", "geogan_core.a"]


def test_no_module_imports_one_that_imports_it_back():
    graph = import_graph()
    assert len(graph) > 50 and graph["geogan_core.retrieval.train"]  # the whole package was read
    assert find_circle(graph) == []
