"""Personality from interviews (after InCharacter, Wang et al. 2024, and PersonaGym, Samuel et al.
2025), run after a world's ticks.

Every agent is interviewed with open questions: IPIP-NEO-120 items turned into questions ("Would
you say you worry about things? Tell me about it.", the same items for every agent and world) and,
optionally, one persona-specific probe per domain (a situation named for the persona). Each
question is answered in character from the memories the world's retrieval strategy recalls for it
(``personality_interview.answer``; nothing in the world changes and no memory's last access is
touched). The judge role then reads the whole interview and rates the five domains 1-5 with a
rationale first (``personality_interview.judge``, one call per agent).

Rows for ``persona_interview_items``, ``persona_interview_answers`` and
``persona_interview_scores`` (see docs/trajectory-schema.md).
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.llm.heuristic import POLICIES
from sandbox.personas.persona import BIG_FIVE_DOMAINS
from sandbox.personas.questionnaire import Item, load_instrument
from sandbox.personas.wording import render
from sandbox.quoting import PromptText, quote, quoted_list
from sandbox.scenarios import personality_interview_policies
from sandbox.seeds import derive_rng, derive_seed

if TYPE_CHECKING:
    from sandbox.agents.memory import Retrieved
    from sandbox.llm.client import ModelClient
    from sandbox.world.world import World

CODES = {"openness": "O", "conscientiousness": "C", "extraversion": "E", "agreeableness": "A",
         "neuroticism": "N"}  # fmt: skip
DOMAIN_OF = {code: domain for domain, code in CODES.items()}
PROBES: dict[str, str] = {
    "extraversion": "Picture a party where you know almost nobody. What do you do in the first ten "
    "minutes?",
    "agreeableness": "Someone takes the credit for something you did. How do you respond?",
    "conscientiousness": "You have a big deadline next week. How do you go about the week?",
    "neuroticism": "Something important goes wrong at the last minute. How do you feel, and what "
    "goes through your head?",
    "openness": "A friend invites you to an exhibition of a kind of art you have never heard of. "
    "What do you say?",
}
_SWAPS = [(r"\bam\b", "are"), (r"\bmy\b", "your"), (r"\bmyself\b", "yourself"),
          (r"\bI\b", "you"), (r"\bme\b", "you"), (r"\bmine\b", "yours")]  # fmt: skip


class InterviewAnswer(BaseModel):
    answer: str = Field(min_length=1, max_length=1200)


class JudgedProfile(BaseModel):
    rationale: str = Field(description="what the answers show about each domain")
    openness: float = Field(ge=1, le=5)
    conscientiousness: float = Field(ge=1, le=5)
    extraversion: float = Field(ge=1, le=5)
    agreeableness: float = Field(ge=1, le=5)
    neuroticism: float = Field(ge=1, le=5)


class Question(BaseModel):
    item: int = Field(description="position in the interview, from 1")
    source: str = Field(description="the instrument the item comes from, or 'probe'")
    number: int | None = Field(None, description="the instrument's item number")
    domain: str
    keyed: str = "plus"
    question: str


def item_question(item: Item) -> str:
    """An IPIP item ("Worry about things") as an open question to the respondent."""
    text = item.text[0].lower() + item.text[1:]
    for pattern, repl in _SWAPS:
        text = re.sub(pattern, repl, text)
    return f"Would you say you {text}? Tell me about it."


def choose_items(per_domain: int, seed: int) -> list[Item]:
    """``per_domain`` IPIP-NEO-120 items per domain, plus- and minus-keyed in turn (seeded)."""
    instrument = load_instrument("ipip-neo-120")
    rng = derive_rng(seed, "interview-items")
    chosen: list[Item] = []
    for code in ("O", "C", "E", "A", "N"):
        pools = {
            k: rng.sample(pool, len(pool))
            for k in ("plus", "minus")
            for pool in [[i for i in instrument.items if i.domain == code and i.keyed == k]]
        }
        for n in range(per_domain):
            keyed = "plus" if n % 2 == 0 or not pools["minus"] else "minus"
            chosen.append(pools[keyed].pop())
    return chosen


def questions_for(persona: Any, items: list[Item], probes: bool) -> list[Question]:
    out = [
        Question(
            item=n,
            source="ipip-neo-120",
            number=i.number,
            domain=DOMAIN_OF[i.domain],
            keyed=i.keyed,
            question=item_question(i),
        )
        for n, i in enumerate(items, start=1)
    ]
    if probes:
        # Named for the persona: its name, and its occupation when it has one.
        about = (
            f"{persona.name}, you work as {persona.occupation}."
            if persona.occupation
            else (f"{persona.name},")
        )
        for domain in CODES:
            text = PROBES[domain]
            if about.endswith(","):
                text = text[0].lower() + text[1:]
            out.append(
                Question(
                    item=len(out) + 1, source="probe", domain=domain, question=f"{about} {text}"
                )
            )
    return out


async def recall(world: World, name: str, question: str, k: int) -> list[Retrieved]:
    """The memories the world's retrieval strategy brings up for ``question`` (read-only)."""
    from sandbox.world.emotion_scoring import emotions_of

    agent = world.agent(name)
    cognition = world.config.cognition
    if agent.mind is None or world.embedder is None or cognition is None:
        return []
    config = cognition.retrieval
    now = max(world.tick, 1)
    vector = (await world.embedder.embed([question]))[0]
    [felt] = await emotions_of(world, config.scoring_source(), [(name, question)], now)
    return agent.mind.stream.retrieve(
        vector, now, config.model_copy(update={"k": k}), query_emotions=felt, touch=False
    )


class InterviewResult(BaseModel):
    items: list[dict[str, Any]]
    answers: list[dict[str, Any]]
    scores: list[dict[str, Any]]

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "persona_interview_items": self.items,
            "persona_interview_answers": self.answers,
            "persona_interview_scores": self.scores,
        }


def interview_text(asked: list[tuple[Question, str | None]]) -> PromptText:
    lines = []
    for q, answer in asked:
        lines.append(f"Q{q.item}: {quote(q.question)}")
        lines.append(f"A{q.item}: " + (quote(answer) if answer is not None else "(no answer)"))
    return PromptText("\n".join(lines))


async def interview_and_judge(world: World, judge: ModelClient, study: Any) -> InterviewResult:
    """Interview every agent of ``world`` and have ``judge`` rate the answers (see the module)."""
    POLICIES.register(personality_interview_policies.POLICIES)
    items = choose_items(study.items_per_domain, study.seed)
    strategy = world.config.cognition.retrieval.strategy if world.config.cognition else "none"
    tick = max(world.tick, 1)

    async def one(agent: Any) -> tuple[list[dict], list[dict], list[dict]]:
        name = agent.name
        traits = agent.persona.big_five.as_dict()
        questions = questions_for(agent.persona, items, study.probes)
        recalled = [await recall(world, name, q.question, study.k) for q in questions]
        requests = []
        for q, memories in zip(questions, recalled, strict=True):
            texts = [r.memory.text for r in memories]
            requests.append(
                Ask(
                    template="personality_interview_answer",
                    answer=InterviewAnswer,
                    purpose="personality_interview.answer",
                    fields={
                        "name": name,
                        "persona": render(agent.persona, world.config.persona_style),
                        "memories": quoted_list(texts, empty="- nothing in particular"),
                        "question": quote(q.question),
                    },
                    facts={
                        "agent": name,
                        "traits": traits,
                        "domain": q.domain,
                        "keyed": q.keyed,
                        "source": q.source,
                        "memories": texts,
                    },
                    agent=name,
                    tick=tick,
                    temperature=0.0,
                    seed=derive_seed(world.config.seed, "persona-interview", name, q.item, *texts),
                ).request(world.prompts)
            )
        results = await asyncio.gather(
            *(world.client.complete(r) for r in requests), return_exceptions=True
        )
        item_rows, answer_rows, asked = [], [], []
        for q, memories, result in zip(questions, recalled, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, ModelAnswerError):
                raise result
            failed = isinstance(result, ModelAnswerError)
            answer = None if isinstance(result, ModelAnswerError) else result.value.answer
            item_rows.append({"agent": name, **q.model_dump()})
            answer_rows.append(
                {
                    "tick": tick,
                    "agent": name,
                    "item": q.item,
                    "strategy": strategy,
                    "memories": [r.memory.text for r in memories],
                    "answer": answer,
                    "raw": result.raw,
                    "error": str(result) if failed else None,
                }
            )
            asked.append((q, answer))
        request = Ask(
            template="personality_interview_judge",
            answer=JudgedProfile,
            purpose="personality_interview.judge",
            fields={"name": name, "interview": interview_text(asked)},
            facts={
                "answers": [{"domain": q.domain, "keyed": q.keyed, "answer": a} for q, a in asked]
            },
            agent=name,
            tick=tick,
            temperature=0.0,
            seed=derive_seed(world.config.seed, "persona-interview-judge", name),
        ).request(world.prompts)
        base = {"tick": tick, "agent": name, "judge": judge.model_id}
        try:
            judged = await judge.complete(request)
        except ModelAnswerError as exc:
            score_rows = [
                {
                    **base,
                    "domain": d,
                    "score": None,
                    "normalized": None,
                    "rationale": None,
                    "raw": exc.raw,
                    "error": str(exc),
                }
                for d in BIG_FIVE_DOMAINS
            ]
            return item_rows, answer_rows, score_rows
        profile = judged.value
        score_rows = [
            {
                **base,
                "domain": d,
                "score": getattr(profile, d),
                "normalized": (getattr(profile, d) - 1) / 4,
                "rationale": profile.rationale,
                "raw": judged.raw,
                "error": None,
            }
            for d in BIG_FIVE_DOMAINS
        ]
        return item_rows, answer_rows, score_rows

    done = await asyncio.gather(*(one(a) for a in world.agents))
    return InterviewResult(
        items=[r for d in done for r in d[0]],
        answers=[r for d in done for r in d[1]],
        scores=[r for d in done for r in d[2]],
    )


async def evaluate(world: World, judge: ModelClient, study: Any) -> dict[str, list[dict]]:
    """The rows of the ``persona_interview_*`` tables for a finished run."""
    return (await interview_and_judge(world, judge, study)).tables()
