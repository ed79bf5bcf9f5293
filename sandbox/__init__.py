"""A multi-agent social-simulation sandbox for researchers who study LLM role-playing agents.

Importing ``sandbox`` is cheap: heavy modules (mesa, litellm, pandas) load only when used.
The main entry points are re-exported lazily::

    from sandbox import World, load_world, Run
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "World": "sandbox.world.world",
    "load_world": "sandbox.world.config",
    "WorldConfig": "sandbox.world.config",
    "Persona": "sandbox.personas.persona",
    "Run": "sandbox.runner.run",
    "RunSettings": "sandbox.runner.settings",
    "ModelClient": "sandbox.llm.client",
    "make_client": "sandbox.llm.factory",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
