"""torchxp_core's imports run one way: no module reaches itself again through its imports.

Every import counts, also those inside functions and under ``TYPE_CHECKING``: a cycle hidden
from the interpreter is still two modules that cannot be read one before the other.
"""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "torchxp_core"
PACKAGE = CORE.name


def _module_name(path: Path) -> str:
    parts = path.relative_to(CORE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(CORE.rglob("*.py"))}


def _imports(path: Path, known: set[str]) -> set[str]:
    """The core modules ``path`` imports: ``from a.b import c`` names a.b.c when c is a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, known) - {name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path that ends where it starts, or [] when there is none."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str]:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return []
        for target in sorted(graph[name]):
            found = visit(target, [*path, name])
            if found:
                return found
        done.add(name)
        return []

    for name in sorted(graph):
        found = visit(name, [])
        if found:
            return found
    return []


def test_the_walk_sees_the_core_and_its_type_checking_imports() -> None:
    graph = _graph()
    assert {f"{PACKAGE}.config", f"{PACKAGE}.data", f"{PACKAGE}.figures.style"} <= set(graph)
    assert f"{PACKAGE}.catalogue" in graph[f"{PACKAGE}.config"]
    assert f"{PACKAGE}.config" in graph[f"{PACKAGE}.data"]
    # A cycle planted under TYPE_CHECKING is found.
    planted = {name: set(targets) for name, targets in graph.items()}
    planted[f"{PACKAGE}.catalogue"].add(f"{PACKAGE}.data")
    assert _cycle(planted)


def test_core_imports_have_no_cycle() -> None:
    cycle = _cycle(_graph())
    assert not cycle, "import cycle: " + " -> ".join(cycle)
