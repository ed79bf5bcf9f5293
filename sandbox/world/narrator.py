"""The narrator: describes scenes, announces scheduled events, and resolves free-form acts.

Free-form acts (``do``) of a tick are resolved in one call, in the seeded resolution order, into
what visibly happens, what the agent is now doing, and the place's state. The narrator is given only
public facts (who, where, the act, who else is there), never an agent's thoughts, so it cannot
reveal them. A place whose state changes is described anew to those there. Rule-based scenarios
do not use it; offline, the heuristic backend's templated narrator answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.agents.cognition_answers import narration_model
from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.quoting import PromptText, quote
from sandbox.seeds import derive_seed

if TYPE_CHECKING:
    from sandbox.world.world import World


@dataclass(frozen=True)
class Act:
    agent: str
    place: str
    activity: str


class Narrator:
    def __init__(self) -> None:
        self.place_states: dict[str, str] = {}

    def describe_scenes(self, world: World) -> None:
        for place in world.places.values():
            text = f"The {place.name}: {place.description}".rstrip(": ")
            world.bus.emit("scene", "narrator", text, visibility="place", place=place.name)

    def announce(self, world: World, text: str, place: str | None) -> None:
        world.bus.emit(
            "announcement", "narrator", text, visibility="place" if place else "public", place=place
        )

    async def resolve(self, world: World, tick: int, acts: list[Act]) -> dict[str, str]:
        """Resolve acts (already in resolution order); returns agent -> new status."""
        if not acts:
            return {}
        names = tuple(a.agent for a in acts)
        model = narration_model(names)
        occupancy = world.occupancy()
        listing = PromptText(
            "\n".join(
                f"{i + 1}. {a.agent}, at the {a.place} (with {len(occupancy[a.place]) - 1} "
                f"others): {quote(a.activity)}"
                for i, a in enumerate(acts)
            )
        )
        request = Ask(
            template="narrator_resolve",
            answer=model,
            purpose="narrator.resolve",
            fields={"time": world.clock.describe(tick), "acts": listing},
            facts={
                "acts": [
                    {
                        "agent": a.agent,
                        "place": a.place,
                        "activity": a.activity,
                        "occupants": len(occupancy[a.place]),
                    }
                    for a in acts
                ]
            },
            tick=tick,
            seed=derive_seed(world.config.seed, tick, "narrator"),
            temperature=0.5,
        ).request(world.prompts)
        try:
            answer = await world.client.complete(request)
        except ModelAnswerError as exc:
            if world.config.on_model_error == "abort":
                raise
            # Recorded in llm_calls; the acts still happen, told plainly, and the log says so.
            for a in acts:
                world.bus.emit(
                    "do",
                    a.agent,
                    f"{a.agent} {a.activity} at the {a.place}.",
                    visibility="place",
                    place=a.place,
                    data={"narrator_error": str(exc)[:200]},
                )
            return {a.agent: a.activity for a in acts}
        statuses: dict[str, str] = {}
        for act, outcome in zip(acts, answer.value.outcomes, strict=True):
            world.bus.emit("do", act.agent, outcome.outcome, visibility="place", place=act.place)
            statuses[act.agent] = outcome.agent_state
            if outcome.place_state and self.place_states.get(act.place) != outcome.place_state:
                self.place_states[act.place] = outcome.place_state
                world.bus.emit(
                    "scene",
                    "narrator",
                    f"The {act.place} is {outcome.place_state}.",
                    visibility="place",
                    place=act.place,
                )
        return statuses

    def state_dict(self) -> dict[str, Any]:
        return {"place_states": dict(self.place_states)}

    def load_state(self, state: dict[str, Any]) -> None:
        self.place_states = dict(state.get("place_states", {}))
