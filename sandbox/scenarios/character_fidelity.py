"""Character fidelity over a trajectory (after CharacterBox, Wang et al. 2025) as world rules.

A scene (an event, a time, a place, a description) with a cast: each agent plays a part with a
goal and private knowledge. Each tick is a round. In one call (``character_fidelity.act``) every
character first updates its private belief / desire / intention notes (seeing only its own notes
of the last round), then does one physical action the others see and says one line. The notes go
to ``beliefs`` (strategy ``bdi``, private: never shown to another agent); the action and line go to
``actions`` (kind ``act``) and, as a ``say`` event, to everyone in the scene.

After the last round the judge role evaluates each character's trajectory in two calls: a
critique first (``character_fidelity.critique``), then 1-5 scores on seven dimensions with the
critique in view (``character_fidelity.score``). ``judge_characters`` makes those calls; the
experiment stores them in ``fidelity_critiques`` and ``fidelity_scores``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.llm.request import LLMRequest
from sandbox.personas.wording import render
from sandbox.quoting import PromptText, one_line, quote, quoted_list
from sandbox.scenarios import character_fidelity_policies
from sandbox.scenarios.registry import Scenario
from sandbox.seeds import derive_seed
from sandbox.store.records import ActionRecord, BeliefRecord
from sandbox.world.rules import Resolution, gather_outcomes

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient
    from sandbox.world.world import World

DIMENSIONS = (
    "knowledge_accuracy",
    "emotional_expression",
    "personality_traits",
    "behavioral_accuracy",
    "immersion",
    "adaptability",
    "behavioral_coherence",
)
Score = Literal[1, 2, 3, 4, 5]


class Act(BaseModel):
    """One round of a character: its private notes first, then what it does and says."""

    belief: str = Field(description="what you now believe about the others and the situation")
    desire: str = Field(description="what you want")
    intention: str = Field(description="what you intend to do next")
    action: str = Field(min_length=1, max_length=200, description="one visible physical action")
    line: str = Field(min_length=1, max_length=400, description="one line said out loud")


class Critique(BaseModel):
    critique: str = Field(min_length=1)


class FidelityScores(BaseModel):
    knowledge_accuracy: Score
    emotional_expression: Score
    personality_traits: Score
    behavioral_accuracy: Score
    immersion: Score
    adaptability: Score
    behavioral_coherence: Score


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(min_length=1)
    goal: str = Field(min_length=1)
    knows: list[str] = Field(default_factory=list, description="private knowledge at the start")


class Scene(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str
    time: str
    location: str
    description: str
    parts: list[Part] = Field(min_length=1, description="cycled over the cast")
    rumours: list[str] = Field(
        default_factory=list,
        description="claims nobody in the scene knows to be true (offline slips use them)",
    )


class CharacterFidelityScenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["character_fidelity"] = "character_fidelity"
    scene: Scene
    cast: dict[str, Part] = Field(description="agent name -> its part")
    rounds: int = Field(4, ge=1)
    label: str = ""

    def ticks(self) -> int:
        return self.rounds


def record_text(history: list[dict[str, Any]]) -> PromptText:
    """The public record of the scene: who did and said what, by round (never anyone's notes)."""
    if not history:
        return PromptText("Nothing yet: this is the first round.")
    return PromptText(
        "\n".join(
            f"- Round {e['round']}: {one_line(e['agent'])} {quote(e['action'])} and says "
            f"{quote(e['line'])}"
            for e in history
        )
    )


def notes_text(notes: dict[str, str] | None) -> PromptText:
    if not notes:
        return PromptText("- none yet")
    return PromptText(
        "\n".join(f"- {k}: {quote(notes[k])}" for k in ("belief", "desire", "intention"))
    )


def heard_facts(scenario: CharacterFidelityScenario, history: list[dict[str, Any]]) -> list[str]:
    """Every cast member's starting knowledge that someone has said out loud so far."""
    said = " ".join(e["line"].lower() for e in history)
    facts = dict.fromkeys(f for name in sorted(scenario.cast) for f in scenario.cast[name].knows)
    return [f for f in facts if f.lower() in said]


class CharacterFidelityRules:
    name = "character_fidelity"

    def __init__(
        self, scenario: CharacterFidelityScenario, judge: ModelClient | None = None
    ) -> None:
        self.s = scenario
        self.judge = judge
        # The cast in a fixed order: the recorded config's JSON sorts the mapping's keys, so a
        # resumed or replayed run sees the same order as the first one.
        self.names = sorted(scenario.cast)
        self.history: list[dict[str, Any]] = []  # public: round, agent, action, line
        self.notes: dict[str, list[dict[str, Any]]] = {}  # private, by agent: round + notes

    @classmethod
    def from_spec(
        cls, spec: dict[str, Any], judge: ModelClient | None = None
    ) -> CharacterFidelityRules:
        return cls(CharacterFidelityScenario.model_validate(spec), judge=judge)

    def _last_notes(self, agent: str) -> dict[str, str] | None:
        own = self.notes.get(agent)
        return own[-1]["notes"] if own else None

    def _request(self, world: World, tick: int, agent: Any) -> LLMRequest:
        part = self.s.cast[agent.name]
        scene = self.s.scene
        last = self._last_notes(agent.name)
        facts = {
            "agent": agent.name,
            "traits": agent.persona.big_five.as_dict(),
            "role": part.role,
            "goal": part.goal,
            "knows": list(part.knows),
            "heard": heard_facts(self.s, self.history),
            "rumours": list(scene.rumours),
            "others": [n for n in self.names if n != agent.name],
            "round": tick,
            "last_intention": last["intention"] if last else None,
        }
        fields = {
            "name": agent.name,
            "persona": render(agent.persona, "biography"),
            "role": part.role,
            "goal": part.goal,
            "knows": quoted_list(part.knows, empty="nothing in particular", bullet="\n- "),
            "event": scene.event,
            "time": scene.time,
            "location": scene.location,
            "description": scene.description,
            "record": record_text(self.history),
            "notes": notes_text(last),
            "round": tick,
            "rounds": self.s.rounds,
        }
        return Ask(
            template="character_fidelity_act",
            answer=Act,
            purpose="character_fidelity.act",
            fields=fields,
            facts=facts,
            agent=agent.name,
            tick=tick,
            temperature=0.5,
            seed=derive_seed(world.config.seed, tick, agent.name),
        ).request(world.prompts)

    def scene(self, world: World, tick: int) -> None:
        if tick == 1:
            scene = self.s.scene
            world.bus.emit(
                "announcement",
                "world",
                f"{scene.event}. {scene.time}, {scene.location}. {scene.description}",
                visibility="agents",
                audience=self.names,
            )

    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        agents = list(world.agents.select(lambda a: a.name in self.s.cast))
        requests = [self._request(world, tick, a) for a in agents]
        return await gather_outcomes(world, requests, [a.name for a in agents])

    async def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Any]
    ) -> Resolution:
        out = Resolution()
        for position, name in enumerate(order):
            outcome = outcomes[name]
            if isinstance(outcome, ModelAnswerError):
                out.actions.append(
                    ActionRecord(
                        tick=tick,
                        agent=name,
                        resolution_order=position,
                        kind="error",
                        status="error",
                        detail=str(outcome),
                    )
                )
                continue
            act: Act = outcome.value
            notes = {"belief": act.belief, "desire": act.desire, "intention": act.intention}
            out.beliefs.append(
                BeliefRecord(
                    tick=tick,
                    agent=name,
                    about=name,
                    level="individual",
                    strategy="bdi",
                    question=f"belief, desire and intention notes, round {tick}",
                    answer=notes,
                    raw=outcome.raw,
                )
            )
            self.notes.setdefault(name, []).append({"round": tick, "notes": notes})
            entry = {"round": tick, "agent": name, "action": act.action, "line": act.line}
            self.history.append(entry)
            world.bus.emit(
                "say",
                name,
                f'{name} {act.action} and says: "{act.line}"',
                visibility="agents",
                audience=self.names,
                data={"round": tick, "action": act.action},
            )
            out.actions.append(
                ActionRecord(
                    tick=tick,
                    agent=name,
                    resolution_order=position,
                    kind="act",
                    text=act.line,
                    data={"round": tick, "action": act.action},
                )
            )
        return out

    async def reflect(self, world: World, tick: int) -> None:
        return None

    def state_dict(self) -> dict[str, Any]:
        return {
            "history": [dict(e) for e in self.history],
            "notes": {k: [dict(n) for n in v] for k, v in self.notes.items()},
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.history = [dict(e) for e in state.get("history", [])]
        self.notes = {k: [dict(n) for n in v] for k, v in state.get("notes", {}).items()}

    # --- the judge, after the last round ----------------------------------------------------------

    def trajectory_of(self, agent: str) -> list[dict[str, Any]]:
        """The character's rounds: its notes, action and line (what the judge reads)."""
        notes = {n["round"]: n["notes"] for n in self.notes.get(agent, [])}
        return [
            {
                "round": e["round"],
                "notes": notes.get(e["round"]),
                "action": e["action"],
                "line": e["line"],
            }
            for e in self.history
            if e["agent"] == agent
        ]


def _trajectory_text(rounds: list[dict[str, Any]]) -> PromptText:
    if not rounds:
        return PromptText("- (the character did nothing: every one of its answers failed)")
    lines = []
    for r in rounds:
        notes = r["notes"] or {}
        lines.append(
            f"- Round {r['round']}: notes: belief {quote(notes.get('belief', ''))}, desire "
            f"{quote(notes.get('desire', ''))}, intention {quote(notes.get('intention', ''))}; "
            f"action {quote(r['action'])}; line {quote(r['line'])}"
        )
    return PromptText("\n".join(lines))


class JudgedCharacter(BaseModel):
    """The judge's verdict on one character: its critique and scores (None where a call failed)."""

    agent: str
    critique: str | None
    critique_raw: str | None = None
    critique_error: str | None = None
    scores: dict[str, int] | None = None
    scores_raw: str | None = None
    scores_error: str | None = None


async def judge_characters(world: World, judge: ModelClient) -> list[JudgedCharacter]:
    """Critique, then score, every character's trajectory (characters concurrently)."""
    rules = world.rules
    if not isinstance(rules, CharacterFidelityRules):
        raise TypeError("judge_characters needs a world with character_fidelity rules")
    tick = max(world.tick, 1)
    scene = rules.s.scene
    heard = heard_facts(rules.s, rules.history)

    async def one(agent: Any) -> JudgedCharacter:
        name = agent.name
        part = rules.s.cast[name]
        rounds = rules.trajectory_of(name)
        fields = {
            "name": name,
            "persona": render(agent.persona, "biography"),
            "role": part.role,
            "goal": part.goal,
            "knows": quoted_list(part.knows, empty="nothing in particular", bullet="\n- "),
            "heard": quoted_list(heard, empty="nothing beyond their own knowledge", bullet="\n- "),
            "event": scene.event,
            "time": scene.time,
            "location": scene.location,
            "description": scene.description,
            "trajectory": _trajectory_text(rounds),
        }
        facts = {
            "agent": name,
            "traits": agent.persona.big_five.as_dict(),
            "knows": list(part.knows),
            "heard": heard,
            "rumours": list(scene.rumours),
            "others": [n for n in rules.names if n != name],
            "rounds": rounds,
        }
        request = Ask(
            template="character_fidelity_critique",
            answer=Critique,
            purpose="character_fidelity.critique",
            fields=fields,
            facts=facts,
            agent=name,
            tick=tick,
            temperature=0.0,
            seed=derive_seed(world.config.seed, "critique", name),
        ).request(world.prompts)
        try:
            critique = await judge.complete(request)
        except ModelAnswerError as exc:
            return JudgedCharacter(agent=name, critique=None, critique_error=str(exc))
        text = critique.value.critique
        request = Ask(
            template="character_fidelity_score",
            answer=FidelityScores,
            purpose="character_fidelity.score",
            fields={**fields, "critique": quote(text)},
            facts={**facts, "critique": text},
            agent=name,
            tick=tick,
            temperature=0.0,
            seed=derive_seed(world.config.seed, "score", name),
        ).request(world.prompts)
        base = {"agent": name, "critique": text, "critique_raw": critique.raw}
        try:
            scored = await judge.complete(request)
        except ModelAnswerError as exc:
            return JudgedCharacter(**base, scores_error=str(exc))
        return JudgedCharacter(**base, scores=scored.value.model_dump(), scores_raw=scored.raw)

    cast = list(world.agents.select(lambda a: a.name in rules.s.cast))
    return list(await asyncio.gather(*(one(a) for a in cast)))


async def evaluate(world: World, judge: ModelClient, study: Any = None) -> dict[str, list[dict]]:
    """The rows of ``fidelity_critiques`` and ``fidelity_scores`` for a finished run (a failed
    critique or scoring is a row with its error and no score)."""
    tick = world.tick
    critiques, scores = [], []
    for v in await judge_characters(world, judge):
        critiques.append(
            {
                "tick": tick,
                "agent": v.agent,
                "judge": judge.model_id,
                "critique": v.critique,
                "raw": v.critique_raw,
                "error": v.critique_error,
            }
        )
        error = v.critique_error or v.scores_error
        for dim in DIMENSIONS:
            scores.append(
                {
                    "tick": tick,
                    "agent": v.agent,
                    "judge": judge.model_id,
                    "dimension": dim,
                    "score": None if v.scores is None else v.scores[dim],
                    "error": f"not scored: {error}" if v.scores is None else None,
                }
            )
    return {"fidelity_critiques": critiques, "fidelity_scores": scores}


SCENARIO = Scenario(
    name="character_fidelity",
    rules=CharacterFidelityRules.from_spec,
    policies=character_fidelity_policies.POLICIES,
    prompts=("character_fidelity_act", "character_fidelity_critique", "character_fidelity_score"),
    judged=True,
)
