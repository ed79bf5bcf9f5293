"""The heuristic backend: an offline, deterministic, persona-driven policy (no network, no key).

It is the classical agent-based-model baseline, not a language model: it answers every purpose from
the request's structured ``facts`` and the persona's Big Five scores, with templated language. The
policies live with the layers that ask (agents, world, each scenario) and are registered in a
``PolicyRegistry``; what each models is documented in docs/heuristic-backend.md.
"""

from sandbox.llm.heuristic.backend import HeuristicBackend
from sandbox.llm.heuristic.registry import POLICIES, Policy, PolicyRegistry

__all__ = ["POLICIES", "HeuristicBackend", "Policy", "PolicyRegistry"]
