"""What a scenario is to the engine: a ``Scenario`` entry, and loading one by name.

A scenario is one module that ends with a declarative ``SCENARIO = Scenario(...)``: its name, how
its ``Rules`` are built from a world file's ``scenario:`` block, the offline policies for its
purposes, and the prompt templates it renders. Nothing happens when the module is imported;
``load_scenario`` imports it when a world file names it and registers its policies with the
heuristic backend. A name without a dot is a module of ``sandbox.scenarios``; a dotted name is any
importable module (a scenario kept in one's own package).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from sandbox.errors import ConfigError
from sandbox.llm.heuristic import POLICIES, Policy, PolicyRegistry

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient
    from sandbox.world.config import WorldConfig
    from sandbox.world.rules import Rules
    from sandbox.world.world import World

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class Scenario:
    """One experiment family. ``rules(spec)`` (``rules(spec, judge=client)`` when ``judged``)
    builds the rules from the world file's ``scenario:`` block; ``policies`` answer its purposes
    offline; ``prompts`` are the template names (``sandbox/prompts/<name>.md``) it renders."""

    name: str
    rules: Callable[..., Rules]
    policies: Mapping[str, Policy] = field(default_factory=dict)
    prompts: tuple[str, ...] = ()
    judged: bool = False

    def register(self, registry: PolicyRegistry | None = None) -> None:
        """Make the heuristic backend answer this scenario's purposes (idempotent)."""
        (registry if registry is not None else POLICIES).register(self.policies)

    def make_rules(self, spec: dict[str, Any], judge: ModelClient | None = None) -> Rules:
        return self.rules(spec, judge=judge) if self.judged else self.rules(spec)


# An evaluation: (the finished world, the judge client, the study) -> table -> rows
Evaluate = Callable[["World", "ModelClient", Any], Awaitable[dict[str, list[dict[str, Any]]]]]


@dataclass(frozen=True)
class Experiment:
    """One kind of experiment file (``experiment: <kind>``), declared by the module that defines
    its study: a module of ``sandbox.scenarios`` that ends with ``EXPERIMENTS = (Experiment(...),)``
    is found by ``find_experiment`` and needs no other registration.

    ``load(path)`` reads the file into ``study`` (a pydantic class); ``worlds(study)`` gives
    (condition label, world) for each run; ``evaluate(world, judge, study)``, if any, runs after
    the run's ticks and returns the rows of the study's own ``tables`` (its model calls are
    collected and stored with them). ``resumable``: also evaluated when a resumed run reaches its
    end (``sandbox run --resume``, where the study is not known); a study whose ``self_report``
    is true gets the IPIP-NEO-120 self-report after its evaluation."""

    kind: str
    study: type[BaseModel]
    load: Callable[[Path], BaseModel]
    worlds: Callable[[Any], list[tuple[str, WorldConfig]]]
    evaluate: Evaluate | None = None
    tables: tuple[str, ...] = ()
    resumable: bool = False


def registered_experiments() -> dict[str, Experiment]:
    """kind -> ``Experiment``, from every module of ``sandbox.scenarios`` that declares some."""
    import sandbox.scenarios as package

    found: dict[str, Experiment] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for entry in getattr(module, "EXPERIMENTS", ()):
            if isinstance(entry, Experiment):
                found[entry.kind] = entry
    return found


def find_experiment(kind: str) -> Experiment | None:
    """The registered experiment of ``kind`` (None for the kinds the runner knows by itself)."""
    return registered_experiments().get(kind)


def _module_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(
            f"scenario name {name!r} is not a module name; use a scenario of sandbox.scenarios "
            f"({', '.join(builtin_scenarios())}) or a dotted module path"
        )
    return name if "." in name else f"{__package__}.{name}"


def _entry(module_name: str) -> Scenario | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    entry = getattr(module, "SCENARIO", None)
    return entry if isinstance(entry, Scenario) else None


def builtin_scenarios() -> list[str]:
    """The scenarios shipped in ``sandbox.scenarios`` (modules that define ``SCENARIO``)."""
    import sandbox.scenarios as package

    names = []
    for info in pkgutil.iter_modules(package.__path__):
        entry = _entry(f"{package.__name__}.{info.name}")
        if entry is not None:
            names.append(entry.name)
    return sorted(names)


def load_scenario(name: str, registry: PolicyRegistry | None = None) -> Scenario:
    """The scenario called ``name``, with its offline policies registered in ``registry``
    (default: the process-wide one the heuristic backend reads)."""
    entry = _entry(_module_name(name))
    if entry is None:
        raise ConfigError(
            f"unknown scenario {name!r}; known: {', '.join(builtin_scenarios())} (or a dotted "
            "path to a module that defines SCENARIO = Scenario(...))"
        )
    entry.register(registry)
    return entry
