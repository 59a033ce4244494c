"""The architecture as the folders state it, held by the imports: the core of the hookbridge package never
reaches for AWS, its AWS adapters depend on the core alone, and neither package has an import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.template import ROOT

PACKAGES = {
    "hookbridge": ROOT / "layers" / "shared" / "hookbridge",
    "hookbridge_cli": ROOT / "cli" / "src" / "hookbridge_cli",
}
# The core types and ports an adapter may use (hookbridge/aws/ implements hookbridge/ports.py).
CORE_FOR_ADAPTERS = {"hookbridge.errors", "hookbridge.model", "hookbridge.ports", "hookbridge.subscription"}
# The one place that assembles adapters and core into Lambda handlers.
COMPOSITION_ROOT = "hookbridge.assembly"


def modules(package: str) -> dict[str, Path]:
    root = PACKAGES[package]
    found = {}
    for path in root.rglob("*.py"):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(path: Path, known: set[str]) -> set[str]:
    """The modules of ours a module imports, anywhere in it (imports inside functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
                break
    return found


def graph(package: str) -> dict[str, set[str]]:
    found = modules(package)
    known = set(found)
    return {name: imports(path, known) - {name} for name, path in found.items()}


def test_the_core_never_imports_an_aws_adapter() -> None:
    for module, imported in graph("hookbridge").items():
        if module.startswith((COMPOSITION_ROOT, "hookbridge.aws")):
            continue
        adapters = sorted(i for i in imported if i.startswith("hookbridge.aws"))
        assert not adapters, f"{module} imports {adapters}: depend on hookbridge.ports instead"


def test_the_aws_adapters_depend_on_the_core_types_only() -> None:
    for module, imported in graph("hookbridge").items():
        if not module.startswith("hookbridge.aws"):
            continue
        beyond = sorted(
            i for i in imported if not i.startswith("hookbridge.aws") and i not in CORE_FOR_ADAPTERS
        )
        assert not beyond, f"{module} imports {beyond}: an adapter depends on the core's types only"


def test_nothing_in_the_layer_imports_the_command_line() -> None:
    for path in PACKAGES["hookbridge"].rglob("*.py"):
        assert "hookbridge_cli" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_cycles(package: str) -> None:
    edges = graph(package)
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
        if module in done:
            return
        for imported in sorted(edges.get(module, ())):
            # A module importing a sibling through its package (from pkg import sub) is not a cycle with
            # the package's __init__ unless __init__ imports it back, which the edges show.
            visit(imported, [*path, module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])
