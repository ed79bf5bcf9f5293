"""Imports flow one way: no module imports a higher layer, no two subpackages import each other.

Layers, low to high (docs/architecture.md): errors, seeds, validation, quoting, defaults,
collector, background < personas < llm, store < agents < world < scenarios < runner, analysis < tui, cli. Imports inside functions and
under ``TYPE_CHECKING`` count too: a lazy import is still a dependency.
"""

import ast
from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[1] / "sandbox"

LAYERS = [
    {"errors", "seeds", "validation", "quoting", "defaults", "prompts", "collector", "background"},
    {"personas"},
    {"llm", "store"},
    {"agents"},
    {"world"},
    {"scenarios"},
    {"runner", "analysis"},
    {"tui", "cli", "cli_common", "cli_personas", "cli_sweep", "console", "scripts", "__main__"},
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}
EXEMPT = {"__init__", "testing"}  # the lazy public API, and test helpers


def unit_of(module: str) -> str | None:
    """``sandbox.llm.client`` -> ``llm``; None for modules outside the package."""
    parts = module.split(".")
    return parts[1] if parts[0] == "sandbox" and len(parts) > 1 else None


def imports(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in ``source``, a module of ``package``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            if node.module in (None, "sandbox") or (node.level and not node.module):
                found += [(node.lineno, f"{module}.{a.name}") for a in node.names]
    return found


def graph() -> tuple[set[tuple[str, str]], list[str]]:
    edges, upward = set(), []
    for path in sorted(SANDBOX.rglob("*.py")):
        src = path.relative_to(SANDBOX).with_suffix("").parts[0]
        if src in EXEMPT:
            continue
        assert src in RANK, f"sandbox/{src} has no layer: add it to LAYERS in {__file__}"
        package = ".".join(("sandbox", *path.relative_to(SANDBOX).parts[:-1]))
        for line, module in imports(path.read_text(encoding="utf-8"), package):
            dst = unit_of(module)
            if dst is None or dst == src or dst in EXEMPT:
                continue
            assert dst in RANK, f"{path}:{line} imports {module}, which has no layer"
            edges.add((src, dst))
            if RANK[dst] > RANK[src]:
                upward.append(f"{path.relative_to(SANDBOX.parent)}:{line} {src} -> {dst}")
    return edges, upward


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one unit (Tarjan)."""
    nodes = sorted({n for e in edges for n in e})
    succ = {n: sorted(b for a, b in edges if a == n) for n in nodes}
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for n in nodes:
        if n not in index:
            visit(n)
    return out


def test_no_module_imports_a_higher_layer():
    _, upward = graph()
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycle_between_subpackages():
    edges, _ = graph()
    assert not cycles(edges)


def test_the_checker_sees_upward_imports_and_cycles():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sandbox.scenarios.debate import DebateRules\n"
        "def f():\n    from sandbox.agents import emotions\n"
        "from . import client\n"
        "from ..world import rules\n"
    )
    found = [m for _, m in imports(source, "sandbox.llm.heuristic")]
    assert "sandbox.scenarios.debate" in found and "sandbox.agents" in found
    assert "sandbox.llm.heuristic.client" in found and "sandbox.llm.world" in found
    assert cycles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]
