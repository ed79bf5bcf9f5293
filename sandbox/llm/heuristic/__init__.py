"""The heuristic backend: an offline, deterministic, persona-driven policy (no network, no key).

It is the classical agent-based-model baseline, not a language model: it answers every purpose from
the request's structured ``facts`` and the persona's Big Five scores, with templated language. What
each policy models is documented in docs/heuristic-backend.md.
"""

from sandbox.llm.heuristic.backend import HeuristicBackend, Policy

__all__ = ["HeuristicBackend", "Policy"]
