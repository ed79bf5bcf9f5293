"""Scenarios: experiment families that run on the world engine with their own rules.

A world file (or a study builder) names its scenario in ``scenario: {name: ..., ...}``;
``make_rules`` turns that into the ``Rules`` the world runs. One module per family, each ending with
a ``SCENARIO = Scenario(...)`` entry (see ``registry.py`` and docs/scenarios.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.scenarios.registry import Scenario, builtin_scenarios, load_scenario

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient
    from sandbox.world.rules import Rules

__all__ = ["Scenario", "builtin_scenarios", "load_scenario", "make_rules"]


def make_rules(spec: dict[str, Any] | None, judge: ModelClient | None = None) -> Rules | None:
    """The rules a scenario spec asks for (None: the default open-world rules). ``judge`` is the
    client judging calls go through (see ``runner.run.judge_for``); None: the world's client."""
    if not spec:
        return None
    name = spec.get("name")
    if not isinstance(name, str):
        from sandbox.errors import ConfigError

        raise ConfigError(
            f"a scenario block needs a name (one of {', '.join(builtin_scenarios())}); got {name!r}"
        )
    return load_scenario(name).make_rules(spec, judge=judge)
