"""Trait expression in dialogue (after PsyPlay, Yang et al. 2025) as world rules.

Every agent gets a role card with one Big Five trait at one pole (high or low) and one intensity,
worded with the nine-level wording of ``sandbox.personas.wording``: "a bit" (levels 4 / 6), plain
(3 / 7), "very" (2 / 8), "extremely" (1 / 9), either as the domain's adjective pair ("very outgoing
and talkative") or as its six facet adjectives ("very friendly, very sociable, ..."). Pairs talk on
an assigned topic, taking turns, one message a tick, ``turns`` messages each, at most
``max_words`` words; the card says to keep to the trait and its intensity and never to name it.

After the ticks (``evaluate``) the judge role reads each agent's own messages alone (not its
partner's) and names the trait the speaker expresses most clearly and its pole, or
``undetermined`` (``trait_expression.judge``, one call per agent, through the judge client). A
card is a success when the judge names its trait and pole. The positive pole is the socially
desirable one: high openness, conscientiousness, extraversion, agreeableness; low neuroticism.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.llm.request import LLMRequest
from sandbox.personas.persona import BIG_FIVE_DOMAINS, DOMAIN_CODES
from sandbox.personas.wording import DOMAIN_ADJECTIVES, FACET_ADJECTIVES, level_phrase
from sandbox.quoting import PromptText, one_line, quote
from sandbox.scenarios import trait_policies
from sandbox.scenarios.pairs import announce_to_pairs, ask_speakers
from sandbox.scenarios.registry import Scenario
from sandbox.seeds import derive_seed
from sandbox.store.records import ActionRecord
from sandbox.world.rules import Resolution

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient
    from sandbox.world.world import World

Trait = Literal["openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism"]
Direction = Literal["high", "low"]
Intensity = Literal["a bit", "plain", "very", "extremely"]
Wording = Literal["adjectives", "facets"]
INTENSITIES: tuple[str, ...] = ("a bit", "plain", "very", "extremely")
# Nine-level wording levels (low pole, high pole) per intensity.
LEVELS: dict[str, tuple[int, int]] = {
    "a bit": (4, 6),
    "plain": (3, 7),
    "very": (2, 8),
    "extremely": (1, 9),
}
HIGH_IS_POSITIVE = {d: d != "neuroticism" for d in BIG_FIVE_DOMAINS}


def level_of(direction: str, intensity: str) -> int:
    low, high = LEVELS[intensity]
    return high if direction == "high" else low


def card_phrase(trait: str, direction: str, intensity: str, wording: str) -> str:
    """The trait as a role card words it, with the nine-level qualifiers."""
    level = level_of(direction, intensity)
    if wording == "adjectives":
        return level_phrase(level, *DOMAIN_ADJECTIVES[trait])
    code = DOMAIN_CODES[trait]
    phrases = [level_phrase(level, *FACET_ADJECTIVES[f"{code}{i}"]) for i in range(1, 7)]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def pole_of(trait: str, direction: str) -> str:
    return "positive" if (direction == "high") == HIGH_IS_POSITIVE[trait] else "negative"


class RoleCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    trait: Trait
    direction: Direction
    intensity: Intensity
    wording: Wording = "adjectives"

    @property
    def pole(self) -> str:
        return pole_of(self.trait, self.direction)

    @property
    def phrase(self) -> str:
        return card_phrase(self.trait, self.direction, self.intensity, self.wording)


class TraitScenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["trait_expression"] = "trait_expression"
    pairs: list[tuple[str, str]]
    topics: list[str] = Field(description="one per pair")
    cards: dict[str, RoleCard] = Field(description="agent -> its role card")
    turns: int = Field(2, ge=1, description="messages each partner writes")
    max_words: int = Field(30, ge=5)
    label: str = ""

    def ticks(self) -> int:
        return 2 * self.turns


class TraitMessage(BaseModel):
    message: str = Field(min_length=1, max_length=600)


class TraitJudgement(BaseModel):
    trait: Trait | Literal["undetermined"] = Field(
        description="the Big Five trait the speaker's personality expresses most clearly"
    )
    direction: Direction | None = Field(None, description="high or low; null if undetermined")
    reason: str = Field(description="one short sentence")


TRAIT_GUIDE = (
    "openness (high: curious, imaginative, open to new ideas; low: conventional, prefers the "
    "familiar), conscientiousness (high: organised, dutiful, plans ahead; low: careless, "
    "disorganised, spontaneous), extraversion (high: outgoing, talkative, energetic; low: "
    "reserved, quiet, solitary), agreeableness (high: warm, cooperative, trusting; low: critical, "
    "blunt, competitive), neuroticism (high: anxious, tense, easily upset; low: calm, emotionally "
    "stable)"
)


class TraitRules:
    name = "trait_expression"

    def __init__(self, scenario: TraitScenario, judge: ModelClient | None = None) -> None:
        self.s = scenario
        self.judge = judge
        self.pair_of = {a: p for p, pair in enumerate(scenario.pairs) for a in pair}
        self.said: list[dict[str, Any]] = []

    @classmethod
    def from_spec(cls, spec: dict[str, Any], judge: ModelClient | None = None) -> TraitRules:
        return cls(TraitScenario.model_validate(spec), judge=judge)

    def lines_of(self, agent: str) -> list[str]:
        return [e["text"] for e in self.said if e["speaker"] == agent]

    def _history(self, pair: int, me: str) -> PromptText:
        said = [e for e in self.said if e["pair"] == pair]
        if not said:
            return PromptText("The conversation has not started yet; you write the first message.")
        lines = ["The conversation so far:"]
        for e in said:
            who = "You" if e["speaker"] == me else one_line(e["speaker"])
            lines.append(f"- {who}: {quote(e['text'])}")
        return PromptText("\n".join(lines))

    def _request(self, world: World, tick: int, pair: int) -> tuple[str, LLMRequest]:
        speaker = self.s.pairs[pair][(tick - 1) % 2]
        partner = self.s.pairs[pair][tick % 2]
        card = self.s.cards[speaker]
        fields = {
            "name": speaker,
            "phrase": card.phrase,
            "partner": partner,
            "topic": quote(self.s.topics[pair]),
            "history": self._history(pair, speaker),
            "words": self.s.max_words,
            "turn": (tick + 1) // 2,
            "turns": self.s.turns,
        }
        return speaker, Ask(
            template="trait_turn",
            answer=TraitMessage,
            purpose="trait_expression.turn",
            fields=fields,
            facts={
                "agent": speaker,
                "trait": card.trait,
                "direction": card.direction,
                "intensity": card.intensity,
                "topic": self.s.topics[pair],
                "turn": tick,
            },
            agent=speaker,
            tick=tick,
            temperature=0.7,
            seed=derive_seed(world.config.seed, tick, speaker),
        ).request(world.prompts)

    def scene(self, world: World, tick: int) -> None:
        texts = [f'Your conversation topic: "{topic}"' for topic in self.s.topics]
        announce_to_pairs(world, tick, self.s.pairs, texts)

    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        made = [self._request(world, tick, p) for p in range(len(self.s.pairs))]
        return await ask_speakers(world, made)

    async def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Any]
    ) -> Resolution:
        out = Resolution()
        for position, name in enumerate(order):
            if name not in outcomes:
                continue
            outcome = outcomes[name]
            pair = self.pair_of[name]
            partner = next(a for a in self.s.pairs[pair] if a != name)
            data = {"pair": pair, "turn": tick, "topic": self.s.topics[pair]}
            base = {"tick": tick, "agent": name, "resolution_order": position}
            if isinstance(outcome, ModelAnswerError):
                out.actions.append(
                    ActionRecord(
                        **base, kind="error", status="error", detail=str(outcome), data=data
                    )
                )
                continue
            text = outcome.value.message
            self.said.append({"pair": pair, "tick": tick, "speaker": name, "text": text})
            out.actions.append(
                ActionRecord(**base, kind="say", target=partner, text=text, data=data)
            )
            world.bus.emit(
                "say",
                name,
                f'{name} (to {partner}): "{text}"',
                visibility="agents",
                audience=[name, partner],
                data={"to": partner, **data},
            )
        return out

    async def reflect(self, world: World, tick: int) -> None:
        return None

    def state_dict(self) -> dict[str, Any]:
        return {"said": [dict(e) for e in self.said]}

    def load_state(self, state: dict[str, Any]) -> None:
        self.said = [dict(e) for e in state.get("said", [])]


def _judge_request(world: World, rules: TraitRules, agent: str) -> LLMRequest:
    lines = rules.lines_of(agent)
    topic = rules.s.topics[rules.pair_of[agent]]
    return Ask(
        template="trait_judge",
        answer=TraitJudgement,
        purpose="trait_expression.judge",
        fields={
            "topic": quote(topic),
            "lines": PromptText("\n".join(f"- {quote(line)}" for line in lines)),
            "traits": TRAIT_GUIDE,
        },
        facts={"lines": lines},
        agent=None,
        tick=world.tick,
        temperature=0.0,
        seed=derive_seed(world.config.seed, "trait-judge", agent),
    ).request(world.prompts)


async def evaluate(world: World, judge: ModelClient) -> dict[str, list[dict[str, Any]]]:
    """The judge reads each agent's own lines and names its trait and pole; the rows of
    ``trait_judgements`` (an agent with no valid line, or a failed judgement, is a row with its
    error and no verdict)."""
    rules = world.rules
    assert isinstance(rules, TraitRules)
    agents = [a for pair in rules.s.pairs for a in pair]
    spoke = [a for a in agents if rules.lines_of(a)]
    results = await asyncio.gather(
        *(judge.complete(_judge_request(world, rules, a)) for a in spoke), return_exceptions=True
    )
    verdicts = dict(zip(spoke, results, strict=True))
    rows = []
    for agent in agents:
        card = rules.s.cards[agent]
        row: dict[str, Any] = {
            "agent": agent,
            "trait": card.trait,
            "direction": card.direction,
            "pole": card.pole,
            "intensity": card.intensity,
            "wording": card.wording,
            "topic": rules.s.topics[rules.pair_of[agent]],
            "lines": rules.lines_of(agent),
            "judge": judge.model_id,
        }
        verdict = verdicts.get(agent)
        if verdict is None:
            row["error"] = "no valid line to judge"
        elif isinstance(verdict, ModelAnswerError):
            row.update(raw=verdict.raw, error=str(verdict))
        elif isinstance(verdict, BaseException):
            raise verdict
        else:
            v = verdict.value
            trait_ok = v.trait == card.trait
            row.update(
                judged_trait=v.trait,
                judged_direction=v.direction,
                trait_correct=int(trait_ok),
                success=int(trait_ok and v.direction == card.direction),
                reason=v.reason,
                raw=verdict.raw,
            )
        rows.append(row)
    return {"trait_judgements": rows}


SCENARIO = Scenario(
    name="trait_expression",
    rules=TraitRules.from_spec,
    policies=trait_policies.POLICIES,
    prompts=("trait_turn", "trait_judge"),
    judged=True,
)
