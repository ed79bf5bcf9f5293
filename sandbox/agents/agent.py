"""PersonaAgent: a mesa Agent with a persona, a position, what it perceived, and (in worlds with
cognition) a mind: memory stream, day plan and reflection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mesa

from sandbox.agents.actions import Decision
from sandbox.agents.memory import MemoryKind
from sandbox.llm.ask import Ask
from sandbox.llm.request import LLMRequest
from sandbox.llm.templates import PromptLibrary
from sandbox.personas.persona import Persona
from sandbox.personas.wording import WordingStyle, render
from sandbox.quoting import PromptText, quote, quoted_list

if TYPE_CHECKING:
    from sandbox.agents.memory import Retrieved
    from sandbox.agents.mind import Mind
    from sandbox.store.records import EventRecord


@dataclass(frozen=True)
class Situation:
    """What an agent can see of the world when it decides (the same snapshot for everyone)."""

    tick: int
    time_text: str
    hour: int
    place: str
    place_description: str
    place_activities: tuple[str, ...]
    others_here: tuple[str, ...]
    places: tuple[str, ...]
    crowd: dict[str, int]
    conversation: dict[str, Any] | None = None
    memories: tuple[Retrieved, ...] = ()
    happenings: tuple[dict[str, Any], ...] = ()
    new_happenings: tuple[dict[str, Any], ...] = field(default_factory=tuple)


class PersonaAgent(mesa.Agent):
    """An agent that acts as its persona."""

    def __init__(
        self,
        model: mesa.Model,
        persona: Persona,
        place: str,
        memory_window: int,
        persona_style: WordingStyle = "biography",
        *,
        home: str | None = None,
        work: str | None = None,
        mind: Mind | None = None,
    ) -> None:
        super().__init__(model)
        # told (agent, from, to) when the agent changes place (the world's index of who is where)
        self.on_move: Callable[[PersonaAgent, str, str], None] | None = None
        self.persona_style: WordingStyle = persona_style
        self.persona = persona
        self.name = persona.name
        self.place = place
        self.home = home or place
        self.work = work
        self.work_activity = f"working as {persona.occupation}" if persona.occupation else None
        self.ticks_here = 0
        self.memory_window = memory_window
        self.mind = mind
        self.last_retrieved: tuple[Retrieved, ...] = ()
        # (tick, kind, source, text, addressed_to) of what this agent perceived, oldest first.
        self.observations: list[dict[str, Any]] = []
        # each observation's key in a checkpoint's table of observations ("tick.seq" of its event)
        self.observation_keys: list[str] = []

    @property
    def place(self) -> str:
        return self._place

    @place.setter
    def place(self, value: str) -> None:
        old = getattr(self, "_place", None)
        self._place = value
        if self.on_move is not None and old is not None and old != value:
            self.on_move(self, old, value)

    def perceive(
        self,
        events: list[EventRecord],
        shared: dict[int, tuple[str, dict[str, Any]]] | None = None,
    ) -> None:
        """Add ``events`` to what this agent perceived. ``shared`` (id(event) -> (key,
        observation)), when given, makes everyone who perceives one event hold the same
        observation, so a checkpoint stores it once (see ``state_dict``)."""
        for ev in events:
            found = shared.get(id(ev)) if shared is not None else None
            if found is None:
                found = (f"{ev.tick}.{ev.seq}", observation(ev))
                if shared is not None:
                    shared[id(ev)] = found
            self.observation_keys.append(found[0])
            self.observations.append(found[1])
            if self.mind is not None:
                involved = ev.kind == "say" and self.name in (ev.source, ev.data.get("to"))
                kind: MemoryKind = "conversation" if involved else "observation"
                self.mind.pending.append((kind, ev.text, ev.tick, (ev.kind,)))
        excess = len(self.observations) - 4 * self.memory_window
        if excess > 0:
            del self.observations[:excess]
            del self.observation_keys[:excess]

    def persona_text(self) -> PromptText:
        """The persona as prompt text, rendered once per persona and style (not every tick)."""
        key = (self.persona, self.persona_style)
        cached = getattr(self, "_persona_text", None)
        if cached is None or cached[0][0] is not key[0] or cached[0][1] != key[1]:
            cached = (key, render(self.persona, self.persona_style))
            self._persona_text = cached
        return cached[1]

    def recent(self) -> list[dict[str, Any]]:
        return self.observations[-self.memory_window :]

    def decision_request(
        self, situation: Situation, prompts: PromptLibrary, seed: int
    ) -> LLMRequest:
        recent = self.recent()
        addressed_by = [
            {"speaker": o["source"], "text": o["text"]}
            for o in recent
            if o["kind"] == "say" and o["to"] == self.name and o["tick"] >= situation.tick - 1
        ]
        block = self.mind.block_at(situation.hour) if self.mind else None
        facts = {
            "agent": self.name,
            "traits": self.persona.big_five.as_dict(),
            "place": self.place,
            "place_activities": list(situation.place_activities),
            # shared by everyone's facts this tick, not copied per agent (the policies only read)
            "places": situation.places,
            "others_here": list(situation.others_here),
            "crowd": situation.crowd,
            "addressed_by": addressed_by,
            "ticks_here": self.ticks_here,
            "hour": situation.hour,
            "plan_place": block["place"] if block else None,
            "plan_activity": block["activity"] if block else None,
            "conversation": situation.conversation,
            "happenings": list(situation.happenings),
            "new_happenings": list(situation.new_happenings),
        }
        talk = situation.conversation
        return Ask(
            template="agent_decide",
            answer=Decision,
            purpose="agent.decide",
            fields={
                "name": self.name,
                "persona": self.persona_text(),
                "time": situation.time_text,
                "place": self.place,
                "place_description": (
                    quote(situation.place_description) if situation.place_description else ""
                ),
                "others_here": ", ".join(situation.others_here) or "nobody else",
                "places": ", ".join(situation.places),
                "observations": quoted_list((o["text"] for o in recent), empty="- nothing yet"),
                "plan": (
                    PromptText(f"{quote(block['activity'])} at the {block['place']}")
                    if block
                    else "none"
                ),
                "conversation": PromptText(
                    f"You are in a conversation with {talk['partner']} ({talk['turns']} turns so "
                    f"far); it is your turn to speak or to end it.\n"
                    if talk
                    else ""
                ),
                "memories": quoted_list(
                    (r.memory.text for r in situation.memories), empty="- none"
                ),
            },
            facts=facts,
            agent=self.name,
            tick=situation.tick,
            seed=seed,
            temperature=0.7,
        ).request(prompts)

    def state_dict(self, observed: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        """This agent's part of a checkpoint. With ``observed`` (the world's table of
        observations, filled here), each observation is stored there once under its key and the
        agent's ``observations`` are the keys."""
        state: dict[str, Any] = {"place": self.place, "ticks_here": self.ticks_here}
        if observed is None:
            state["observations"] = list(self.observations)
        else:
            observed.update(zip(self.observation_keys, self.observations, strict=True))
            state["observations"] = list(self.observation_keys)
        if self.mind is not None:
            state["mind"] = self.mind.state_dict()
        return state

    def load_state(
        self, state: dict[str, Any], observed: dict[str, dict[str, Any]] | None = None
    ) -> None:
        """Restore ``state``: its observations are keys into ``observed`` or, in a checkpoint
        written before observations were shared, the observations themselves."""
        self.place = state["place"]
        self.ticks_here = state["ticks_here"]
        keys, seen = [], []
        for i, o in enumerate(state["observations"]):
            if isinstance(o, str):
                keys.append(o)
                seen.append((observed or {})[o])
            else:  # an earlier version's: kept with a key of its own
                keys.append(
                    f"{o['tick']}.{o['seq']}" if "seq" in o else f"{o['tick']}.{self.name}.{i}"
                )
                seen.append(o)
        self.observation_keys, self.observations = keys, seen
        if self.mind is not None and "mind" in state:
            self.mind.load_state(state["mind"])


def observation(event: EventRecord) -> dict[str, Any]:
    """What an agent keeps of an event it perceived (JSON-ready)."""
    return {
        "tick": event.tick,
        "seq": event.seq,
        "kind": event.kind,
        "source": event.source,
        "text": event.text,
        "to": event.data.get("to"),
    }
