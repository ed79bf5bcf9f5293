"""Emotion vectors of retrieval queries, from the same source as the memories' (Emotional RAG
scores both with one model; ``RetrievalConfig.emotion_source``).

- ``lexicon``: the word lexicon of ``sandbox.agents.emotions`` for queries, memories and
  reflections alike; no call.
- ``model``: one ``memory.emotions`` call per query (memories are scored with their importance,
  reflections with their own ``memory.emotions`` call). A failed call is recorded in ``llm_calls``
  and the query gets no emotions (``None``: retrieved on semantic distance alone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from sandbox.agents.emotions import lexicon_emotions
from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.personas.wording import describe
from sandbox.quoting import quote
from sandbox.seeds import derive_seed
from sandbox.world.rules import gather_outcomes

if TYPE_CHECKING:
    from sandbox.world.world import World


class EmotionScores(BaseModel):
    emotions: list[int] = Field(
        min_length=8,
        max_length=8,
        description="joy, trust, fear, surprise, sadness, disgust, anger, anticipation; 1-10 each",
    )


async def emotions_of(
    world: World, source: str, asks: list[tuple[str, str]], tick: int
) -> list[list[float] | None]:
    """The emotion vector of each (agent name, text), from ``source``."""
    if source == "lexicon" or not asks:
        return [lexicon_emotions(text) for _, text in asks]
    requests = []
    for i, (name, text) in enumerate(asks):
        agent = world.agent(name)
        persona = describe(agent.persona) if getattr(agent, "persona", None) else ""
        requests.append(
            Ask(
                template="memory_emotions",
                answer=EmotionScores,
                purpose="memory.emotions",
                fields={"name": name, "persona": persona, "text": quote(text)},
                facts={"text": text, "lexicon": lexicon_emotions(text)},
                agent=name,
                tick=tick,
                seed=derive_seed(world.config.seed, tick, name, "emotions", i),
                temperature=0.0,
            ).request(world.prompts)
        )
    outcomes = await gather_outcomes(world, requests, [str(i) for i in range(len(asks))])
    out: list[list[float] | None] = []
    for i in range(len(asks)):
        outcome = outcomes[str(i)]
        if isinstance(outcome, ModelAnswerError):
            out.append(None)
        else:
            out.append([float(min(10, max(1, e))) for e in outcome.value.emotions])
    return out
