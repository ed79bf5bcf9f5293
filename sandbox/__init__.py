"""A multi-agent social-simulation sandbox for researchers who study LLM role-playing agents.

Importing ``sandbox`` is cheap: heavy modules (mesa, litellm, pandas) load only when used.
The main entry points are re-exported lazily::

    from sandbox import World, load_world, Run
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what a type checker sees; at run time ``__getattr__`` imports on first use
    from sandbox.llm.client import ModelClient
    from sandbox.llm.factory import make_client
    from sandbox.personas.persona import Persona
    from sandbox.runner.run import Run
    from sandbox.runner.settings import RunSettings
    from sandbox.world.config import WorldConfig, load_world
    from sandbox.world.world import World

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

__all__ = [
    "ModelClient",
    "Persona",
    "Run",
    "RunSettings",
    "World",
    "WorldConfig",
    "__version__",
    "load_world",
    "make_client",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
