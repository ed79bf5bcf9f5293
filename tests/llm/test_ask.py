"""``Ask`` gives the very request the call sites built by hand before it existed.

The expected requests below are built the old way (``LLMRequest(...)`` with the template rendered
by hand and the schema passed twice), so a change in what a site asks shows up here as well as in
the cache keys, replays and trajectories."""

import asyncio
from types import SimpleNamespace

from pydantic import BaseModel

from sandbox.agents.cognition import importance_request
from sandbox.agents.cognition_answers import importance_model
from sandbox.agents.memory import Memory
from sandbox.agents.survey import administer
from sandbox.llm.ask import Ask
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.llm.request import LLMRequest, json_schema_of
from sandbox.llm.templates import PromptLibrary
from sandbox.personas.persona import Persona
from sandbox.personas.questionnaire import load_instrument
from sandbox.personas.wording import render
from sandbox.quoting import PromptText, quote
from sandbox.scenarios.debate import SCALE, DebateRules, DebateScenario, Judgement, Topic
from sandbox.seeds import derive_seed
from sandbox.store.records import ActionRecord

PROMPTS = PromptLibrary()
ANN = Persona.model_validate({"name": "Ann", "age": 34, "big_five": {"openness": 0.8}})


class RecordingClient(ModelClient):
    """The heuristic client, keeping every request it is given."""

    def __init__(self, **policies) -> None:
        super().__init__(HeuristicBackend(policies=policies))
        self.requests: list[LLMRequest] = []

    async def complete(self, request, response_model=None):
        self.requests.append(request)
        return await super().complete(request, response_model)


def same(a: LLMRequest, b: LLMRequest) -> None:
    assert a == b
    assert a.response_model is b.response_model
    assert a.cache_key("m") == b.cache_key("m")


class Yes(BaseModel):
    yes: bool


def test_an_ask_is_the_request_rendered_from_its_template():
    ask = Ask(
        template="interview_judge",
        answer=Yes,
        purpose="test.yes",
        fields={"name": "Ann", "question": "Q?", "answer": "A.", "subject": "s"},
        facts={"k": 1},
        agent="Ann",
        tick=3,
        seed=9,
        temperature=0.2,
        max_tokens=50,
    )
    t = PROMPTS.get("interview_judge")
    expected = LLMRequest(
        purpose="test.yes",
        messages=t.render(
            {"name": "Ann", "question": "Q?", "answer": "A.", "subject": "s"},
            schema=json_schema_of(Yes),
        ),
        response_model=Yes,
        agent="Ann",
        tick=3,
        temperature=0.2,
        seed=9,
        max_tokens=50,
        facts={"k": 1},
        template="interview_judge",
    )
    same(ask.request(PROMPTS), expected)
    bare = Ask(template="interview_judge", answer=Yes, purpose="p", fields=ask.fields)
    assert bare.request(PROMPTS).agent is None and bare.request(PROMPTS).temperature == 0.7


def test_importance_request_is_the_old_construction():
    agent = SimpleNamespace(name="Ann", persona=ANN, persona_style="biography")
    memories = [Memory(1, "observation", "Bo waved", 2), Memory(2, "observation", "rain", 2)]
    request = importance_request(agent, memories, PROMPTS, tick=2, seed=5, keywords=["party"])
    model = importance_model(2)
    t = PROMPTS.get("memory_importance")
    listing = PromptText("1. " + quote("Bo waved") + "\n2. " + quote("rain"))
    expected = LLMRequest(
        purpose="memory.importance",
        messages=t.render(
            {"name": "Ann", "persona": render(ANN, "biography"), "memories": listing},
            schema=json_schema_of(model),
        ),
        response_model=model,
        agent="Ann",
        tick=2,
        temperature=0.0,
        seed=5,
        facts={
            "agent": "Ann",
            "traits": ANN.big_five.as_dict(),
            "memories": [
                {"text": "Bo waved", "kind": "observation"},
                {"text": "rain", "kind": "observation"},
            ],
            "keywords": ["party"],
        },
        template="memory_importance",
    )
    assert request.response_model.model_json_schema() == model.model_json_schema()
    assert request.model_copy(update={"response_model": model}) == expected
    assert request.cache_key("m") == expected.cache_key("m")


def test_survey_requests_are_the_old_construction():
    instrument = load_instrument()
    client = RecordingClient()
    asyncio.run(administer(ANN, instrument, client, mode="item", seed=4, tick=1))
    first = client.requests[0]
    item = instrument.items[0]
    t = PROMPTS.get("survey_item")
    expected = LLMRequest(
        purpose="survey.item",
        messages=t.render(
            {
                "persona": render(ANN, "biography"),
                "instructions": PromptText(instrument.instructions),
                "scale": instrument.scale_text(),
                "statement": quote(item.text),
            },
            schema=json_schema_of(first.response_model),
        ),
        response_model=first.response_model,
        agent="Ann",
        tick=1,
        temperature=0.0,
        seed=derive_seed(4, "survey", instrument.instrument, "Ann", item.number),
        facts=first.facts,
        template="survey_item",
    )
    same(first, expected)
    assert first.facts["items"] == [
        {"number": item.number, "domain": item.domain, "facet": item.facet, "keyed": item.keyed}
    ]


def test_debate_judge_requests_are_the_old_construction():
    topic = Topic(id="zoo", statement="Zoos are good")
    rules = DebateRules(
        DebateScenario(groups=[["Ann", "Bo"]], topics=[topic], pairings=[[[["Ann", "Bo"]]]]),
        judge=RecordingClient(**{"debate.stance": lambda facts, rng: {"on_topic": True}}),
    )
    world = SimpleNamespace(
        prompts=PROMPTS, config=SimpleNamespace(seed=11, on_model_error="record")
    )
    said = ActionRecord(tick=3, agent="Ann", resolution_order=0, kind="post", text="I agree")
    asyncio.run(rules._judge(world, 3, [("Ann", said)]))
    t = PROMPTS.get("debate_stance")
    expected = LLMRequest(
        purpose="debate.stance",
        messages=t.render(
            {"statement": quote(topic.statement), "text": quote("I agree"), "scale": SCALE},
            schema=json_schema_of(Judgement),
        ),
        response_model=Judgement,
        agent=None,
        tick=3,
        temperature=0.0,
        seed=derive_seed(11, 3, "Ann", "judge"),
        facts={"text": "I agree", "statement": topic.statement, "kind": "post"},
        template="debate_stance",
    )
    same(rules.judge.requests[0], expected)
