"""The lazy public API (``from sandbox import World``) is what a type checker sees, and ships typed."""

import ast
from pathlib import Path

import sandbox

INIT = Path(sandbox.__file__)


def type_checking_imports() -> dict[str, str]:
    tree = ast.parse(INIT.read_text())
    [block] = [n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n)]
    return {
        a.asname or a.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for a in node.names
    }


def test_every_lazy_name_is_imported_for_type_checkers_from_the_same_module():
    assert type_checking_imports() == sandbox._LAZY
    assert set(sandbox.__all__) == {"__version__", *sandbox._LAZY}


def test_lazy_names_resolve_to_the_real_objects():
    from sandbox.world.world import World

    assert sandbox.World is World
    for name in sandbox._LAZY:
        assert getattr(sandbox, name).__name__ == name


def test_the_package_is_marked_typed_and_ships_the_marker():
    assert (INIT.parent / "py.typed").exists()
    pyproject = (INIT.parent.parent / "pyproject.toml").read_text()
    assert '"py.typed"' in pyproject
