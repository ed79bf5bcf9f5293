"""Theory of mind from inner speech (after ToMATO, Shinoda et al. 2025) as world rules.

Dyads talk about a situation in which each has a private goal and beliefs, and one of them (the
``informed`` role) knows a fact that contradicts what the other believes (information asymmetry,
so the other holds a false belief). The partners take turns, one turn a tick. Each turn the
speaker first writes its inner speech, a private thought that opens with a prefix naming one
mental state (belief, intention, desire, emotion, knowledge) in first order ("I think ...") or
second order ("I think that <partner> thinks ..."), then says one line out loud.

The thought is a ``thoughts`` row (purpose ``tom.thought``), never an event: the partner's prompts
show only what was said out loud (``say`` actions, visible to the pair). An agent's own prompts
show its own earlier thoughts. The rules keep every turn (``turns``, saved in checkpoints); after
the ticks, ``sandbox.scenarios.tom_items`` turns the thoughts into multiple-choice questions that
each agent answers about its partner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.llm.request import LLMRequest
from sandbox.personas.wording import render
from sandbox.quoting import PromptText, one_line, quote
from sandbox.scenarios import tom_policies
from sandbox.scenarios.pairs import (
    announce_to_pairs,
    ask_speakers,
    failed_turn,
    say_to_partner,
)
from sandbox.scenarios.registry import Scenario
from sandbox.seeds import derive_seed
from sandbox.store.records import ThoughtRecord
from sandbox.world.rules import Resolution

if TYPE_CHECKING:
    from sandbox.world.world import World

MentalState = Literal["belief", "intention", "desire", "emotion", "knowledge"]
MENTAL_STATES: tuple[str, ...] = ("belief", "intention", "desire", "emotion", "knowledge")
# (state, order) in the order turns cycle through them: agent i of a dyad speaks turns i, i+2, ...
COMBOS: tuple[tuple[str, int], ...] = tuple((s, o) for s in MENTAL_STATES for o in (1, 2))
_FIRST = {
    "belief": "I think",
    "intention": "I will",
    "desire": "I want",
    "emotion": "I feel",
    "knowledge": "I know",
}
_SECOND = {
    "belief": "thinks",
    "intention": "will",
    "desire": "wants",
    "emotion": "feels",
    "knowledge": "knows",
}
_ABOUT = {
    "belief": "what you believe",
    "intention": "what you will do",
    "desire": "what you want",
    "emotion": "how you feel",
    "knowledge": "what you know",
}


def prefix(state: str, order: int, partner: str) -> str:
    """The words a thought opens with (ToMATO's pre-filled inner speech)."""
    return _FIRST[state] if order == 1 else f"I think that {partner} {_SECOND[state]}"


_THIRD = {
    "belief": "believes",
    "intention": "intends to do",
    "desire": "wants",
    "emotion": "feels",
    "knowledge": "knows",
}


def thought_topic(state: str, order: int, partner: str) -> str:
    """What a thought of ``state`` and ``order`` is about, as the turn prompt says it."""
    return _ABOUT[state] if order == 1 else f"what you think {partner} {_THIRD[state]}"


class Role(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(description="who this person is in the situation, e.g. 'the seller'")
    goal: str
    plan: str
    knows: str = Field(description="a fact this person knows")
    believes: str = Field(description="what this person believes")


class Situation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    subject: str = Field(description="what the conversation is about, e.g. 'the used car'")
    setting: str = Field(description="the situation as both partners know it")
    roles: tuple[Role, Role]
    informed: Literal[0, 1] = Field(
        description="the role whose 'knows' the other does not know and that makes the other's "
        "'believes' false"
    )


class TomScenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["tom_inner_speech"] = "tom_inner_speech"
    dyads: list[tuple[str, str]]
    situations: list[Situation] = Field(description="one per dyad")
    turns: int = Field(10, ge=2, description="turns per dyad (the partners alternate)")
    max_words: int = Field(40, ge=5)
    label: str = ""

    def ticks(self) -> int:
        return self.turns


class Turn(BaseModel):
    """One turn of a dyad: the speaker's private thought and what it said out loud."""

    model_config = ConfigDict(frozen=True)

    dyad: int
    turn: int
    tick: int
    speaker: str
    partner: str
    mental_state: str
    tom_order: int
    prefix: str
    thought: str
    utterance: str


class TurnAnswer(BaseModel):
    thought: str = Field(min_length=1, description="your private inner speech, opening as asked")
    utterance: str = Field(min_length=1, max_length=600, description="what you say out loud")


def transcript(turns: list[Turn], me: str, *, own_thoughts: bool) -> PromptText:
    """A dyad's conversation as ``me`` sees it: every line said out loud; its own thoughts only
    when ``own_thoughts`` (a partner's thought is never shown)."""
    if not turns:
        return PromptText("The conversation has not started yet.")
    lines = []
    for t in turns:
        who = "You" if t.speaker == me else one_line(t.speaker)
        if own_thoughts and t.speaker == me:
            lines.append(f"(Your private thought: {quote(t.thought)})")
        lines.append(f"{who}: {quote(t.utterance)}")
    return PromptText("\n".join(lines))


def role_text(role: Role, informed: bool) -> PromptText:
    lines = [
        f"Your role: {one_line(role.role)}.",
        f"Your goal: {quote(role.goal)}",
        f"Your plan: {quote(role.plan)}",
        f"What you know: {quote(role.knows)}"
        + (" (the other person does not know this)" if informed else ""),
        f"What you believe: {quote(role.believes)}",
    ]
    return PromptText("\n".join(lines))


class TomRules:
    name = "tom_inner_speech"

    def __init__(self, scenario: TomScenario) -> None:
        self.s = scenario
        self.dyad_of = {a: d for d, pair in enumerate(scenario.dyads) for a in pair}
        self.turns: list[Turn] = []

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> TomRules:
        return cls(TomScenario.model_validate(spec))

    def speaker(self, dyad: int, turn: int) -> tuple[str, str, int]:
        """(speaker, partner, index of the speaker in the dyad) of a dyad's turn (1-based)."""
        i = (turn - 1) % 2
        pair = self.s.dyads[dyad]
        return pair[i], pair[1 - i], i

    def combo(self, dyad: int, turn: int) -> tuple[str, int]:
        """The mental state and order a turn's thought is about: turns walk through ``COMBOS``
        (state x order), each dyad starting one step past where the previous one stopped, so a
        dyad of 10 turns covers all ten and the partners swap orders from one dyad to the next."""
        return COMBOS[(turn - 1 + dyad * (self.s.turns + 1)) % len(COMBOS)]

    def dyad_turns(self, dyad: int) -> list[Turn]:
        return [t for t in self.turns if t.dyad == dyad]

    def _request(self, world: World, tick: int, dyad: int) -> tuple[str, LLMRequest]:
        speaker, partner, i = self.speaker(dyad, tick)
        situation = self.s.situations[dyad]
        state, order = self.combo(dyad, tick)
        opening = prefix(state, order, partner)
        agent = world.agent(speaker)
        role = situation.roles[i]
        informed = situation.informed == i
        heard = [t.utterance for t in self.dyad_turns(dyad) if t.speaker == partner]
        facts = {
            "agent": speaker,
            "partner": partner,
            "traits": agent.persona.big_five.as_dict(),
            "subject": situation.subject,
            "role": role.model_dump(),
            "partner_role": situation.roles[1 - i].role,
            "informed": informed,
            "mental_state": state,
            "tom_order": order,
            "prefix": opening,
            "heard": heard,
            "turn": tick,
        }
        fields = {
            "persona": render(agent.persona, "binary"),
            "role": role_text(role, informed),
            "setting": quote(situation.setting),
            "partner": partner,
            "partner_role": situation.roles[1 - i].role,
            "history": transcript(self.dyad_turns(dyad), speaker, own_thoughts=True),
            "prefix": quote(opening),
            "about": thought_topic(state, order, partner),
            "turn": (tick + 1) // 2,
            "turns": (self.s.turns + 1 - i) // 2,
            "words": self.s.max_words,
        }
        return speaker, Ask(
            template="tom_turn",
            answer=TurnAnswer,
            purpose="tom_inner_speech.turn",
            fields=fields,
            facts=facts,
            agent=speaker,
            tick=tick,
            temperature=0.6,
            seed=derive_seed(world.config.seed, tick, speaker),
        ).request(world.prompts)

    def scene(self, world: World, tick: int) -> None:
        texts = [f'Situation: "{s.setting}"' for s in self.s.situations]
        announce_to_pairs(world, tick, self.s.dyads, texts)

    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        made = [self._request(world, tick, d) for d in range(len(self.s.dyads))]
        outcomes = await ask_speakers(world, made)
        return {name: (outcomes[name], self.dyad_of[name]) for name, _ in made}

    async def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Any]
    ) -> Resolution:
        out = Resolution()
        for position, name in enumerate(order):
            if name not in outcomes:
                continue
            outcome, dyad = outcomes[name]
            speaker, partner, _ = self.speaker(dyad, tick)
            state, tom_order = self.combo(dyad, tick)
            data = {"dyad": dyad, "turn": tick, "mental_state": state, "tom_order": tom_order}
            base = {"tick": tick, "agent": name, "resolution_order": position}
            if isinstance(outcome, ModelAnswerError):
                out.actions.append(failed_turn(base, outcome, data))
                continue
            answer = outcome.value
            turn = Turn(
                dyad=dyad, turn=tick, tick=tick, speaker=speaker, partner=partner,
                mental_state=state, tom_order=tom_order, prefix=prefix(state, tom_order, partner),
                thought=answer.thought, utterance=answer.utterance,
            )  # fmt: skip
            self.turns.append(turn)
            out.thoughts.append(
                ThoughtRecord(tick=tick, agent=name, purpose="tom.thought", text=answer.thought)
            )
            out.actions.append(say_to_partner(world, base, name, partner, answer.utterance, data))
        return out

    async def reflect(self, world: World, tick: int) -> None:
        return None

    def state_dict(self) -> dict[str, Any]:
        return {"turns": [t.model_dump() for t in self.turns]}

    def load_state(self, state: dict[str, Any]) -> None:
        self.turns = [Turn.model_validate(t) for t in state.get("turns", [])]


SCENARIO = Scenario(
    name="tom_inner_speech",
    rules=TomRules.from_spec,
    policies=tom_policies.POLICIES,
    prompts=("tom_turn", "tom_question"),
)
