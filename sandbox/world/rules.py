"""Rules: what a tick does between perceiving and committing.

The world runs the fixed parts of a tick (clock, perceive, seeded resolution order, hooks, commit);
a ``Rules`` object supplies the rest: the scene's events, the decisions (model calls) and their
resolution. ``OpenWorldRules`` is the default: agents say, move, do or wait. Scenario modules
(``sandbox/scenarios``) provide their own, for experiments whose moves are game actions or elicited
beliefs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sandbox.agents.actions import Decision
from sandbox.agents.agent import Situation
from sandbox.errors import ModelAnswerError
from sandbox.seeds import derive_seed
from sandbox.store.records import ActionRecord, BeliefRecord, ThoughtRecord

if TYPE_CHECKING:
    from sandbox.world.world import World


@dataclass
class Resolution:
    actions: list[ActionRecord] = field(default_factory=list)
    thoughts: list[ThoughtRecord] = field(default_factory=list)
    beliefs: list[BeliefRecord] = field(default_factory=list)


class Rules(Protocol):
    name: str

    def scene(self, world: World, tick: int) -> None:
        """Emit the tick's scene events (announcements, outcomes to report)."""

    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        """Make the tick's model calls from one snapshot; outcomes keyed by agent (or any key)."""

    def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Any]
    ) -> Resolution:
        """Apply outcomes in ``order`` (seeded) and say what the tick produced."""

    def state_dict(self) -> dict[str, Any]:
        """What the rules carry from tick to tick (saved in each checkpoint)."""

    def load_state(self, state: dict[str, Any]) -> None: ...


async def gather_outcomes(world: World, requests: list, keys: list[str]) -> dict[str, Any]:
    """Run requests concurrently; a ``ModelAnswerError`` becomes that key's outcome when the world
    records answer errors, anything else stops the tick."""
    results = await asyncio.gather(
        *(world.client.complete(r) for r in requests), return_exceptions=True
    )
    outcomes: dict[str, Any] = {}
    for key, result in zip(keys, results, strict=True):
        if isinstance(result, ModelAnswerError) and world.config.on_model_error == "record":
            outcomes[key] = result
        elif isinstance(result, BaseException):
            raise result
        else:
            outcomes[key] = result
    return outcomes


class OpenWorldRules:
    """Agents at places say, move, do or wait (``agent.decide``)."""

    name = "open-world"

    def scene(self, world: World, tick: int) -> None:
        if tick == 1:
            for place in world.places.values():
                text = f"The {place.name}: {place.description}".rstrip(": ")
                world.bus.emit("scene", "narrator", text, visibility="place", place=place.name)
        for ev in world.scheduled_events(tick):
            visibility = "place" if ev.place else "public"
            world.bus.emit("announcement", "world", ev.text, visibility=visibility, place=ev.place)

    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        occupancy = world.occupancy()
        crowd = {p: len(names) for p, names in occupancy.items()}
        place_names = tuple(world.places)
        time_text = world.clock.describe(tick)
        hour = world.clock.time_at(tick).hour
        requests, keys = [], []
        for agent in world.persona_agents:
            place = world.places[agent.place]
            situation = Situation(
                tick=tick,
                time_text=time_text,
                hour=hour,
                place=agent.place,
                place_description=place.description,
                place_activities=tuple(place.activities),
                others_here=tuple(n for n in occupancy[agent.place] if n != agent.name),
                places=place_names,
                crowd=crowd,
            )
            seed = derive_seed(world.config.seed, tick, agent.name)
            requests.append(agent.decision_request(situation, world.prompts, seed))
            keys.append(agent.name)
        outcomes = await gather_outcomes(world, requests, keys)
        return {k: (v if isinstance(v, ModelAnswerError) else v.value) for k, v in outcomes.items()}

    def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Decision | Any]
    ) -> Resolution:
        from sandbox.world.resolve import resolve_tick

        actions, thoughts = resolve_tick(world, tick, order, outcomes)
        return Resolution(actions=actions, thoughts=thoughts)

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        return None
