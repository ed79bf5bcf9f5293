"""Plans: a day plan in hourly blocks at the start of each simulated day, and replans.

- ``plan_day``: every agent without a plan for today asks for one (``agent.plan``), from memories
  retrieved for "plans for today"; the plan is remembered as a ``plan`` memory;
- ``replan``: agents whose decision carried a ``plan_change`` revise the rest of the day
  (``agent.replan``); the blocks already past are kept.

A failed answer leaves the agent without a plan (day plan) or with its old plan (replan); the
failure is in ``llm_calls``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.agents.cognition import plan_request, replan_request
from sandbox.agents.view import mind_of
from sandbox.errors import ModelAnswerError
from sandbox.seeds import derive_seed

if TYPE_CHECKING:
    from sandbox.agents.agent import PersonaAgent
    from sandbox.agents.cognition_config import CognitionConfig
    from sandbox.agents.view import TickView


async def plan_day(view: TickView, cog: CognitionConfig) -> None:
    """A day plan for every agent that has none for today (one call each, concurrently)."""
    requests, keys = [], []
    by_name = {a.name: a for a in view.agents}
    for agent in view.agents:
        if agent.mind is None or agent.mind.plan_day == view.day:
            continue
        query = (await view.embedder.embed([f"plans for today {agent.name}"]))[0]
        memories = agent.mind.stream.retrieve(query, view.tick, cog.retrieval)
        requests.append(
            plan_request(
                agent,
                view.prompts,
                tick=view.tick,
                seed=derive_seed(view.seed, view.tick, agent.name, "plan"),
                date=view.date_text,
                from_hour=view.hour,
                places=view.places,
                known=view.known(agent),
                memories=memories,
            )
        )
        keys.append(agent.name)
    outcomes = await view.gather(requests, keys)
    for name, outcome in outcomes.items():
        await _set_plan(view, by_name[name], outcome)


async def _set_plan(view: TickView, agent: PersonaAgent, outcome: Any) -> None:
    mind = mind_of(agent)
    mind.plan_day = view.day
    if isinstance(outcome, ModelAnswerError):
        mind.plan = []  # no plan: the agent acts without one; the failure is in llm_calls
        return
    mind.plan = [b.model_dump() for b in outcome.value.blocks]
    text = f"My plan for {view.weekday}: {mind.plan_text()}"
    vector = (await view.embedder.embed([text]))[0]
    mind.stream.add("plan", text, view.tick, vector)


async def replan(view: TickView, replans: list[tuple[PersonaAgent, str]]) -> None:
    """Revise the rest of the day of each (agent, reason), concurrently."""
    requests = [
        replan_request(
            agent,
            view.prompts,
            tick=view.tick,
            seed=derive_seed(view.seed, view.tick, agent.name, "replan"),
            time=view.time_text,
            from_hour=view.hour,
            places=view.places,
            reason=reason,
            known=view.known(agent),
        )
        for agent, reason in replans
    ]
    outcomes = await view.gather(requests, [a.name for a, _ in replans])
    for agent, _ in replans:
        outcome = outcomes[agent.name]
        mind = mind_of(agent)
        if isinstance(outcome, ModelAnswerError):
            continue  # the old plan stands; the failure is in llm_calls
        kept = [b for b in mind.plan if b["end_hour"] <= view.hour]
        new_blocks = [b.model_dump() for b in outcome.value.blocks]
        mind.plan = kept + new_blocks
        mind.plan_day = view.day
        text = f"I changed my plan: {mind.plan_text()}"
        mind.stream.add("plan", text, view.tick, (await view.embedder.embed([text]))[0])
