"""The house's layout, as docs/design.md's map states it: four packages strictly layered
(shapenet_render < iggan < baselines < benchmark), no import cycle between modules, click only in
the command line, and no source file too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("shapenet_render", "iggan", "baselines", "benchmark")
#: Lines a source file may have; the procedural shape builders (long tables of parts) are exempt.
MAX_LINES = 720
LONG_BY_NATURE = {"shapenet_render/sources/procedural"}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _runtime_imports(tree: ast.AST):
    """Every import statement, module level or inside functions, except under ``if TYPE_CHECKING``."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for child in node.body for n in ast.walk(child)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skip:
            yield node


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (a submodule import counts as the submodule)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps: set[str] = set()
        is_pkg = path.name == "__init__.py"
        for node in _runtime_imports(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    here = name.split(".") if is_pkg else name.split(".")[:-1]
                    here = here[: len(here) - node.level + 1]
                    base = ".".join([*here, base] if base else here)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names
                ]
            for target in targets:
                while target and target not in mods:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    deps.add(target)
        graph[name] = deps
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> list[str] | None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph.get(u, ())):
            if state.get(v) == 1:
                return stack[stack.index(v) :] + [v]
            if v not in state and (found := visit(v)):
                return found
        stack.pop()
        state[u] = 2
        return None

    for u in sorted(graph):
        if u not in state and (found := visit(u)):
            return found
    return None


def test_no_import_cycle():
    cycle = _find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one():  # the check above would be worthless if it could not
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_packages_only_import_downwards():
    rank = {p: i for i, p in enumerate(PACKAGES)}
    upward = [
        f"{a} -> {b}"
        for a, deps in import_graph().items()
        for b in deps
        if rank[b.split(".")[0]] > rank[a.split(".")[0]]
    ]
    assert not upward, "imports from a higher layer: " + ", ".join(sorted(upward))


def test_only_the_command_line_imports_click():
    users = sorted(
        str(path.relative_to(ROOT))
        for name, path in _modules().items()
        if not name.startswith("benchmark.cli")
        and any(
            (a.name if isinstance(node, ast.Import) else node.module or "").split(".")[0] == "click"
            for node in _runtime_imports(ast.parse(path.read_text()))
            for a in getattr(node, "names", [])
        )
    )
    assert not users, f"click outside benchmark/cli/: {users}"


def test_no_source_file_is_too_long():
    long = sorted(
        f"{path.relative_to(ROOT)} ({n} lines)"
        for path in _modules().values()
        if not any(str(path.relative_to(ROOT)).startswith(p) for p in LONG_BY_NATURE)
        and (n := len(path.read_text().splitlines())) > MAX_LINES
    )
    assert not long, f"over {MAX_LINES} lines: {long}"
