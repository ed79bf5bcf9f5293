"""Multiple-choice theory-of-mind questions from the recorded inner speech (after ToMATO).

Every thought of a dyad becomes one question put to the thinker's partner: what did the thinker
believe / intend / want / feel / know when it said its line (first order), or what did it think
the partner believed / intended / ... (second order)? The options are the thought itself and up to
three distractors drawn, seeded, from the dyad's other thoughts (the same mental state first, then
the thinker's other thoughts, then the rest; other dyads' thoughts only if the dyad has too few).
An item is in the false-belief subset when its thought is a belief (first or second order) of the
agent who lacks the situation's key fact, asked of the partner who knows it.

Each question is one call of the answering agent's own model (``tom_inner_speech.answer``); the prompt shows the
conversation as that agent heard it (lines said out loud, its own thoughts not needed) and the
options. Nothing is judged: an answer is right when it picks the thought's letter.
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, create_model

from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.llm.request import LLMRequest
from sandbox.personas.wording import render
from sandbox.quoting import PromptText, quote
from sandbox.scenarios.tom_inner_speech import TomRules, Turn, role_text, transcript
from sandbox.seeds import derive_rng, derive_seed

if TYPE_CHECKING:
    from sandbox.world.world import World

LETTERS = "ABCD"
_FIRST_Q = {
    "belief": "What does {s} think when saying {u}?",
    "intention": "What does {s} intend to do when saying {u}?",
    "desire": "What does {s} want when saying {u}?",
    "emotion": "How does {s} feel when saying {u}?",
    "knowledge": "What does {s} know when saying {u}?",
}
_SECOND_Q = {
    "belief": "believe",
    "intention": "intend to do",
    "desire": "want",
    "emotion": "feel",
    "knowledge": "know",
}


class TomItem(BaseModel):
    item: int
    dyad: int
    thinker: str
    answerer: str
    tick: int
    turn: int
    mental_state: str
    tom_order: int
    false_belief: bool
    utterance: str
    question: str
    options: list[str]
    correct: str = Field(description="the letter of the thinker's own thought")
    sources: list[list[int]] = Field(description="(dyad, turn) each option's thought came from")


def question_text(turn: Turn) -> str:
    u = quote(turn.utterance)
    if turn.tom_order == 1:
        return _FIRST_Q[turn.mental_state].format(s=turn.speaker, u=u)
    verb = _SECOND_Q[turn.mental_state]
    return f"What does {turn.speaker} think that you {verb} when {turn.speaker} says {u}?"


def _distractors(target: Turn, turns: list[Turn], seed: int) -> list[Turn]:
    rng = derive_rng(seed, "tom-distractors", target.dyad, target.turn)
    seen = {target.thought.strip().lower()}
    same = [t for t in turns if t.dyad == target.dyad and t.turn != target.turn]
    rest = [t for t in turns if t.dyad != target.dyad]
    tiers = [
        [t for t in same if t.mental_state == target.mental_state],
        [t for t in same if t.mental_state != target.mental_state and t.speaker == target.speaker],
        [t for t in same if t.mental_state != target.mental_state and t.speaker != target.speaker],
        [t for t in rest if t.mental_state == target.mental_state],
        [t for t in rest if t.mental_state != target.mental_state],
    ]
    out: list[Turn] = []
    for tier in tiers:
        tier = list(tier)
        rng.shuffle(tier)
        for t in tier:
            key = t.thought.strip().lower()
            if key not in seen and len(out) < len(LETTERS) - 1:
                seen.add(key)
                out.append(t)
    return out


def build_items(rules: TomRules, seed: int) -> list[TomItem]:
    """One item per recorded thought (with at least one distractor), in turn order."""
    items: list[TomItem] = []
    for target in sorted(rules.turns, key=lambda t: (t.dyad, t.turn)):
        wrong = _distractors(target, rules.turns, seed)
        if not wrong:
            continue
        options = [target, *wrong]
        derive_rng(seed, "tom-options", target.dyad, target.turn).shuffle(options)
        situation = rules.s.situations[target.dyad]
        uninformed = rules.s.dyads[target.dyad][1 - situation.informed]
        items.append(
            TomItem(
                item=len(items) + 1,
                dyad=target.dyad,
                thinker=target.speaker,
                answerer=target.partner,
                tick=target.tick,
                turn=target.turn,
                mental_state=target.mental_state,
                tom_order=target.tom_order,
                false_belief=target.mental_state == "belief" and target.speaker == uninformed,
                utterance=target.utterance,
                question=question_text(target),
                options=[t.thought for t in options],
                correct=LETTERS[options.index(target)],
                sources=[[t.dyad, t.turn] for t in options],
            )
        )
    return items


@functools.cache
def choice_model(n: int) -> type[BaseModel]:
    letters = tuple(LETTERS[:n])
    choice = (Literal[letters], Field(description="the option's letter"))
    return create_model("Choice", choice=choice)  # type: ignore[arg-type]


def options_text(options: list[str]) -> PromptText:
    return PromptText("\n".join(f"{LETTERS[i]}. {quote(o)}" for i, o in enumerate(options)))


def _request(world: World, rules: TomRules, item: TomItem) -> LLMRequest:
    situation = rules.s.situations[item.dyad]
    i = rules.s.dyads[item.dyad].index(item.answerer)
    agent = world.agent(item.answerer)
    turns = rules.dyad_turns(item.dyad)
    model = choice_model(len(item.options))
    return Ask(
        template="tom_question",
        answer=model,
        purpose="tom_inner_speech.answer",
        fields={
            "persona": render(agent.persona, "binary"),
            "role": role_text(situation.roles[i], situation.informed == i),
            "setting": quote(situation.setting),
            "partner": item.thinker,
            "history": transcript(turns, item.answerer, own_thoughts=False),
            "question": PromptText(item.question),
            "options": options_text(item.options),
        },
        facts={
            "options": item.options,
            "line": item.utterance,
            "heard": [t.utterance for t in turns if t.speaker == item.thinker],
            "role": situation.roles[i].model_dump(),
            "mental_state": item.mental_state,
            "tom_order": item.tom_order,
            "item": item.item,
        },
        agent=item.answerer,
        tick=world.tick,
        temperature=0.0,
        seed=derive_seed(world.config.seed, "tom-answer", item.item),
    ).request(world.prompts)


async def evaluate(world: World) -> dict[str, list[dict[str, Any]]]:
    """Build the items of a finished run and have each agent answer about its partner; the rows
    of ``tom_items`` and ``tom_answers`` (a failed answer is a row with its error, no choice)."""
    rules = world.rules
    assert isinstance(rules, TomRules)
    items = build_items(rules, world.config.seed)
    requests = [_request(world, rules, item) for item in items]
    results = await asyncio.gather(
        *(world.client.complete(r) for r in requests), return_exceptions=True
    )
    answers = []
    for item, result in zip(items, results, strict=True):
        if isinstance(result, BaseException) and not isinstance(result, ModelAnswerError):
            raise result
        row: dict[str, Any] = {"item": item.item, "agent": item.answerer,
                               "model": world.client.model_id}  # fmt: skip
        if isinstance(result, ModelAnswerError):
            row.update(choice=None, correct=None, raw=result.raw, error=str(result))
        else:
            choice = result.value.choice
            row.update(choice=choice, correct=int(choice == item.correct), raw=result.raw)
        answers.append(row)
    rows = [{**i.model_dump(), "false_belief": int(i.false_belief)} for i in items]
    return {"tom_items": rows, "tom_answers": answers}
