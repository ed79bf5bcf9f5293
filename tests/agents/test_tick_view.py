"""The agents' cognition runs on a TickView alone: no World, only what the view carries."""

import asyncio
from dataclasses import asdict, dataclass
from datetime import date

import mesa

from sandbox.agents import intake, planning, reflection
from sandbox.agents.agent import PersonaAgent
from sandbox.agents.cognition_config import CognitionConfig
from sandbox.agents.embeddings import HashingEmbedder
from sandbox.agents.memory import MemoryStream
from sandbox.agents.mind import Mind
from sandbox.agents.policies import POLICIES
from sandbox.agents.view import TickView
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.llm.templates import PromptLibrary
from sandbox.personas.persona import Persona
from sandbox.seeds import derive_seed


@dataclass(frozen=True)
class Party:
    host: str = "Bo"
    what: str = "a garden party"
    place: str = "garden"
    day: int = 1
    start_hour: int = 17
    end_hour: int = 19
    keyword: str = "party"

    def model_dump(self):
        return asdict(self)


def agents():
    model = mesa.Model(seed=1)
    out = []
    for name, place in (("Ann", "kitchen"), ("Bo", "garden")):
        persona = Persona.model_validate({"name": name, "big_five": {"extraversion": 0.8}})
        mind = Mind(stream=MemoryStream(dim=64, minutes_per_tick=30))
        out.append(PersonaAgent(model, persona, place, 8, mind=mind, home=place))
    return out


def view_of(people, client, requests, tick=1, hour=8):
    async def gather(reqs, keys):
        requests.extend(reqs)
        answers = await asyncio.gather(*(client.complete(r) for r in reqs))
        return dict(zip(keys, answers, strict=True))

    async def feel(source, asks):
        return [None for _ in asks]

    return TickView(
        tick=tick,
        hour=hour,
        day=1,
        time_text=f"Monday 02 March 2026, {hour:02d}:00",
        date_text="Monday 02 March 2026",
        weekday="Monday",
        start_date=date(2026, 3, 2),
        seed=5,
        places=("kitchen", "garden"),
        agents=people,
        happenings=(Party(),),
        prompts=PromptLibrary(),
        embedder_or_none=HashingEmbedder(64),
        gather=gather,
        feel=feel,
    )


def test_intake_planning_and_reflection_need_only_the_view():
    people = agents()
    ann = people[0]
    client = ModelClient(HeuristicBackend(policies=POLICIES))
    cog = CognitionConfig(reflection_threshold=1)
    requests = []
    view = view_of(people, client, requests)
    ann.mind.pending.append(("observation", "Bo talks about a party tonight", 1, ()))

    learned = asyncio.run(intake.remember(view))
    assert learned == {"Ann": ["a garden party"], "Bo": ["a garden party"]}  # heard of / hosts
    assert [m.text for m in ann.mind.stream.memories] == ["Bo talks about a party tonight"]
    assert view.known(ann)[0]["when"] == "Monday at 17:00" and view.known(ann)[0]["today"]

    asyncio.run(planning.plan_day(view, cog))
    assert [r.purpose for r in requests] == ["agent.plan", "agent.plan"]
    assert requests[0].seed == derive_seed(5, 1, "Ann", "plan")
    assert ann.mind.plan_day == 1 and ann.mind.plan
    assert ann.mind.stream.memories[-1].text.startswith("My plan for Monday:")

    asks, keys, batches = intake.importance_asks(view, cog)
    assert keys == ["importance|Ann", "importance|Bo"] and len(batches["Ann"]) == 2
    outcomes = asyncio.run(view.gather(asks, keys))
    for agent in people:
        intake.score(agent, batches[agent.name], outcomes[f"importance|{agent.name}"], cog)
    assert not ann.mind.stream.unscored() and ann.mind.since_reflection > 0

    asyncio.run(reflection.reflect(view, cog))
    assert "agent.reflect.insights" in [r.purpose for r in requests]
    assert any(m.kind == "reflection" for m in ann.mind.stream.memories)
    assert ann.mind.since_reflection == 0.0


def test_an_asleep_agent_perceives_nothing():
    people = agents()
    ann = people[0]
    ann.mind.plan = [{"start_hour": 0, "end_hour": 24, "place": "kitchen", "activity": "sleeping"}]
    ann.mind.pending.append(("observation", "a noise", 1, ()))
    view = view_of(people, None, [], hour=3)
    assert intake.asleep(ann, 3)
    asyncio.run(intake.remember(view))
    assert not ann.mind.stream.memories and not ann.mind.pending
