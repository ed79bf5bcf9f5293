import asyncio
import json

import pytest

from sandbox.agents.actions import Decision
from sandbox.errors import ModelUnavailableError
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.llm.request import LLMRequest, Message
from sandbox.world.policies import POLICIES as WORLD_POLICIES
from sandbox.world.policies import decide


def facts(**traits):
    base = dict.fromkeys(
        ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism"), 0.5
    )
    base.update(traits)
    return {
        "agent": "Ann",
        "traits": base,
        "place": "cafe",
        "places": ["cafe", "park"],
        "others_here": ["Bo", "Cy"],
        "addressed_by": [],
        "crowd": {"cafe": 3, "park": 0},
        "ticks_here": 0,
        "place_activities": ["reads"],
    }


def request(f, seed=1):
    return LLMRequest(
        purpose="agent.decide",
        messages=(Message(role="user", content="x"),),
        response_model=Decision,
        agent="Ann",
        tick=1,
        seed=seed,
        facts=f,
    )


def answer(f, seed):
    completion = asyncio.run(HeuristicBackend(WORLD_POLICIES).complete(request(f, seed), ()))
    return Decision.model_validate_json(completion.text)


def test_same_request_same_answer():
    f = facts()
    assert [answer(f, s) for s in range(20)] == [answer(f, s) for s in range(20)]


def test_answers_always_fit_the_schema():
    import random

    for seed in range(300):
        rng = random.Random(seed)
        f = facts(**{k: rng.random() for k in facts()["traits"]})
        f["others_here"] = rng.choice([[], ["Bo"], ["Bo", "Cy"]])
        d = Decision.model_validate(decide(f, rng))
        if d.action == "move":
            assert d.target == "park"


def test_extraverts_talk_more_than_introverts():
    def share_say(e):
        return sum(answer(facts(extraversion=e), s).action == "say" for s in range(400)) / 400

    assert share_say(0.95) > share_say(0.05) + 0.3


def test_agreeable_agents_answer_when_addressed():
    def reply_rate(a):
        f = facts(agreeableness=a, extraversion=0.5)
        f["addressed_by"] = [{"speaker": "Bo", "text": "hi"}]
        out = [answer(f, s) for s in range(400)]
        return sum(d.action == "say" and d.target == "Bo" for d in out) / 400

    assert reply_rate(0.95) > reply_rate(0.05) + 0.2


def test_unknown_purpose_is_an_error_not_a_default():
    req = request(facts()).model_copy(update={"purpose": "nobody.knows"})
    with pytest.raises(ModelUnavailableError, match=r"no policy for purpose 'nobody\.knows'"):
        asyncio.run(HeuristicBackend().complete(req, ()))


def test_answers_are_json_text():
    completion = asyncio.run(HeuristicBackend(WORLD_POLICIES).complete(request(facts()), ()))
    assert json.loads(completion.text)["action"] in {"say", "move", "do", "wait"}
