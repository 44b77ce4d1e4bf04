"""The decision core's modules import one another without a cycle (issue 10, "Files by concern").

A cycle (the loader running determinations, the determination reading the loader's types) forces
imports inside functions and makes the load order matter; each module here is importable on its
own, with the modules it names fully defined first.
"""

from __future__ import annotations

import ast
from pathlib import Path

import eligibility

PACKAGE = Path(eligibility.__file__).parent


def _imports_of(path: Path) -> set[str]:
    """The `eligibility` modules `path` imports anywhere in it (top level or inside a function)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("eligibility.")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "eligibility":
                # `from eligibility import rules` names a module.
                found |= {f"eligibility.{a.name}" for a in node.names}
            elif node.module.startswith("eligibility."):
                found.add(node.module)
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module of the package (`eligibility.x`) and the package modules it imports."""
    modules = {f"eligibility.{p.stem}": p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return {name: _imports_of(path) & set(modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules in order, the first repeated last), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph[node]):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle is not None:
            return cycle
    return None


def test_the_core_has_no_import_cycle() -> None:
    assert find_cycle(import_graph()) is None


def test_the_check_finds_a_cycle_where_there_is_one() -> None:
    # The shape the policy split removed: the loader ran determinations (an import inside
    # `check_examples`) and the determination read the loader's types.
    graph = {
        "eligibility.policy": {"eligibility.determination"},
        "eligibility.determination": {"eligibility.policy"},
        "eligibility.rules": set(),
    }
    assert find_cycle(graph) == [
        "eligibility.determination",
        "eligibility.policy",
        "eligibility.determination",
    ]


def test_the_graph_sees_the_loader_running_the_examples() -> None:
    # The graph is read from the sources, so it must see the edges that matter here.
    graph = import_graph()
    assert "eligibility.examples" in graph["eligibility.policy"]
    assert "eligibility.determination" in graph["eligibility.examples"]
    assert "eligibility.policy" not in graph["eligibility.determination"]
