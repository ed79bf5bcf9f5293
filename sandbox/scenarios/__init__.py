"""Scenarios: experiment families that run on the world engine with their own rules.

A world file (or a study builder) names its scenario in ``scenario: {name: ..., ...}``;
``make_rules`` turns that into the ``Rules`` the world runs. One module per family.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.errors import ConfigError
from sandbox.world.rules import Rules

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient

SCENARIOS = ("trust", "debate", "games")


def make_rules(spec: dict[str, Any] | None, judge: ModelClient | None = None) -> Rules | None:
    """The rules a scenario spec asks for (None: the default open-world rules). ``judge`` is the
    client judging calls go through (see ``runner.run.judge_for``); None: the world's client."""
    if not spec:
        return None
    name = spec.get("name")
    if name == "trust":
        from sandbox.scenarios.trust import TrustRules

        return TrustRules.from_spec(spec)
    if name == "debate":
        from sandbox.scenarios.debate import DebateRules

        return DebateRules.from_spec(spec, judge=judge)
    if name == "games":
        from sandbox.scenarios.games import GamesRules

        return GamesRules.from_spec(spec)
    raise ConfigError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
