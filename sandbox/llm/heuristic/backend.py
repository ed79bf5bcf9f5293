"""Dispatching requests to policies by purpose."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping

from sandbox.errors import ModelUnavailableError
from sandbox.llm.heuristic.registry import POLICIES, Policy, PolicyRegistry
from sandbox.llm.request import Completion, LLMRequest, Message, Usage


def request_rng(request: LLMRequest) -> random.Random:
    """A generator seeded by the request alone, so each answer is independent of call order."""
    material = f"{request.seed}|{request.purpose}|{request.agent}|{request.tick}"
    return random.Random(int.from_bytes(hashlib.blake2b(material.encode()).digest()[:8], "big"))


class HeuristicBackend:
    """Answers each request with the offline policy for its purpose: ``policies`` (overrides, for
    tests and experiments) first, then ``registry`` (by default the process-wide one)."""

    name = "heuristic"
    model_id = "heuristic"
    cacheable = False

    def __init__(
        self,
        policies: Mapping[str, Policy] | None = None,
        registry: PolicyRegistry | None = None,
    ) -> None:
        self.policies: dict[str, Policy] = dict(policies or {})
        self.registry = registry if registry is not None else POLICIES

    def policy(self, purpose: str) -> Policy | None:
        return self.policies.get(purpose) or self.registry.get(purpose)

    async def complete(self, request: LLMRequest, messages: tuple[Message, ...]) -> Completion:
        policy = self.policy(request.purpose)
        if policy is None:
            known = ", ".join(sorted({*self.policies, *self.registry.purposes()}))
            raise ModelUnavailableError(
                f"the heuristic backend has no policy for purpose {request.purpose!r} (it knows: "
                f"{known}). A scenario registers its offline policies when it is loaded "
                "(sandbox.scenarios.load_scenario) and a World the engine's; otherwise pass "
                "policies={...} to HeuristicBackend, or use a litellm model."
            )
        answer = policy(request.facts, request_rng(request))
        return Completion(text=json.dumps(answer, ensure_ascii=False), usage=Usage(cost_usd=0.0))
