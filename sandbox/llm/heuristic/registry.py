"""The table of offline policies the heuristic backend answers from, by purpose.

The model layer knows no purpose of the layers above it. Each layer that asks a model declares the
offline policies for its own purposes next to the code that asks (``agents/policies.py``,
``world/policies.py``, each scenario's module) and registers them here explicitly: the world
registers the engine's when it is built, ``sandbox.scenarios.load_scenario`` a scenario's when a
world file names it. Only the policies that need nothing above ``personas`` ship with the backend:
the questionnaire (``survey.*``), the interview judge and emotion scoring.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.errors import ConfigError

Policy = Callable[[Mapping[str, Any], random.Random], dict[str, Any]]


def _qualname(policy: Policy) -> str:
    return f"{getattr(policy, '__module__', '?')}.{getattr(policy, '__qualname__', repr(policy))}"


class PolicyRegistry:
    """Purpose -> policy. Registering the same policy again is a no-op; a different policy for a
    purpose already taken is a configuration error (two scenarios claiming one purpose)."""

    def __init__(self, policies: Mapping[str, Policy] | None = None) -> None:
        self._policies: dict[str, Policy] = {}
        if policies:
            self.register(policies)

    def register(self, policies: Mapping[str, Policy]) -> None:
        for purpose, policy in policies.items():
            known = self._policies.get(purpose)
            if known is not None and _qualname(known) != _qualname(policy):
                raise ConfigError(
                    f"purpose {purpose!r} already has the offline policy {_qualname(known)}; "
                    f"cannot register {_qualname(policy)} too. Give the new purpose its own name "
                    "(purposes are '<scenario>.<what>')"
                )
            self._policies[purpose] = policy

    def get(self, purpose: str) -> Policy | None:
        return self._policies.get(purpose)

    def purposes(self) -> list[str]:
        return sorted(self._policies)

    def __contains__(self, purpose: object) -> bool:
        return purpose in self._policies


def _builtin() -> dict[str, Policy]:
    from sandbox.llm.heuristic import interviews, survey

    return {
        "survey.item": survey.survey_item,
        "survey.batch": survey.survey_batch,
        "interview.judge": interviews.judge_knowledge,
        "memory.emotions": interviews.score_emotions,
    }


POLICIES = PolicyRegistry(_builtin())
"""The process-wide registry every ``HeuristicBackend`` reads unless it is given its own."""
