"""Dispatching requests to policies by purpose."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.errors import ModelUnavailableError
from sandbox.llm.heuristic import cognition, debate, decide, games, interviews, survey, trust
from sandbox.llm.request import Completion, LLMRequest, Message, Usage

Policy = Callable[[Mapping[str, Any], random.Random], dict[str, Any]]

DEFAULT_POLICIES: dict[str, Policy] = {
    "agent.decide": decide.decide,
    "survey.item": survey.survey_item,
    "survey.batch": survey.survey_batch,
    "memory.importance": cognition.importance,
    "agent.plan": cognition.plan,
    "agent.replan": cognition.replan,
    "agent.reflect.questions": cognition.reflect_questions,
    "agent.reflect.insights": cognition.reflect_insights,
    "narrator.resolve": cognition.narrate,
    "agent.interview": cognition.interview,
    "interview.judge": interviews.judge_knowledge,
    "memory.emotions": interviews.score_emotions,
    "debate.opinion": debate.opinion,
    "debate.post": debate.post,
    "debate.chat": debate.chat,
    "debate.stance": debate.judge,
    "games.expectation": games.expect,
    "games.dictator": games.dictator,
    "games.ultimatum.offer": games.offer,
    "games.ultimatum.respond": games.respond,
    "games.public_goods": games.contribute,
    "games.pd": games.choose,
    "trust.send": trust.send,
    "trust.forecast": trust.forecast,
    "trust.belief.rank": trust.belief_rank,
    "trust.belief.dollars": trust.belief_dollars,
}


def request_rng(request: LLMRequest) -> random.Random:
    """A generator seeded by the request alone, so each answer is independent of call order."""
    material = f"{request.seed}|{request.purpose}|{request.agent}|{request.tick}"
    return random.Random(int.from_bytes(hashlib.blake2b(material.encode()).digest()[:8], "big"))


class HeuristicBackend:
    name = "heuristic"
    model_id = "heuristic"
    cacheable = False

    def __init__(self, policies: Mapping[str, Policy] | None = None) -> None:
        self.policies: dict[str, Policy] = dict(DEFAULT_POLICIES)
        if policies:
            self.policies.update(policies)

    async def complete(self, request: LLMRequest, messages: tuple[Message, ...]) -> Completion:
        policy = self.policies.get(request.purpose)
        if policy is None:
            known = ", ".join(sorted(self.policies))
            raise ModelUnavailableError(
                f"the heuristic backend has no policy for purpose {request.purpose!r} (it knows: "
                f"{known}). Pass policies={{...}} to HeuristicBackend, or use a litellm model."
            )
        answer = policy(request.facts, request_rng(request))
        return Completion(text=json.dumps(answer, ensure_ascii=False), usage=Usage(cost_usd=0.0))
