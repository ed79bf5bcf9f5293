"""Memory intake: perceptions become memories, happenings are learnt, importance is scored.

- ``remember``: each agent's pending perceptions become memories, embedded in one batch per tick
  (an asleep agent perceives nothing), and the happenings an agent hears of (or hosts) become known;
- ``importance_asks``: one ``memory.importance`` request per agent for its unscored memories (at
  most ``importance_batch``), sent with the tick's decisions;
- ``score``: the answer's importance (and emotions) written to the stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sandbox.agents.cognition import importance_request
from sandbox.agents.emotions import lexicon_emotions
from sandbox.agents.view import mind_of
from sandbox.errors import ModelAnswerError
from sandbox.seeds import derive_seed

if TYPE_CHECKING:
    from sandbox.agents.agent import PersonaAgent
    from sandbox.agents.cognition_config import CognitionConfig
    from sandbox.agents.memory import Memory
    from sandbox.agents.view import Happening, TickView
    from sandbox.llm.request import LLMRequest

NO_EMOTIONS = (
    "the model gave no emotions; set cognition.emotions_fallback: lexicon to rate them with the "
    "word lexicon"
)


def asleep(agent: PersonaAgent, hour: int) -> bool:
    """True when the agent's plan has it sleeping at ``hour`` and it is where it sleeps."""
    if agent.mind is None:
        return False
    block = agent.mind.block_at(hour)
    return bool(block and "sleep" in block["activity"].lower() and agent.place == block["place"])


def learn(happenings: Sequence[Happening], agent: PersonaAgent, texts: list[str]) -> list[str]:
    """Happenings the agent hears of in ``texts`` (or hosts); returns the newly known."""
    mind = mind_of(agent)
    new = []
    for h in happenings:
        if h.what in mind.known_happenings:
            continue
        if h.host == agent.name or any(h.keyword.lower() in t.lower() for t in texts):
            mind.known_happenings.append(h.what)
            new.append(h.what)
    return new


async def remember(view: TickView) -> dict[str, list[str]]:
    """Pending perceptions -> memories (one embedding batch); returns newly known happenings."""
    jobs = []
    for agent in view.agents:
        mind = agent.mind
        if mind is None:
            continue
        if asleep(agent, view.hour):
            mind.pending.clear()
        for kind, text, t, tags in mind.pending:
            jobs.append((agent, kind, text, t, tags))
        mind.pending.clear()
    learned: dict[str, list[str]] = {}
    if jobs:
        vectors = await view.embedder.embed([j[2] for j in jobs])
        for (agent, kind, text, t, _tags), v in zip(jobs, vectors, strict=True):
            mind_of(agent).stream.add(kind, text, t, v)
    for agent in view.agents:
        if agent.mind is not None:
            texts = [m.text for m in agent.mind.stream.unscored()]
            learned[agent.name] = learn(view.happenings, agent, texts)
    return learned


def importance_asks(
    view: TickView, cog: CognitionConfig
) -> tuple[list[LLMRequest], list[str], dict[str, list[Memory]]]:
    """The tick's ``memory.importance`` requests, their keys (``importance|<agent>``) and the
    memories each one scores."""
    keywords = view.keywords
    requests, keys = [], []
    batches: dict[str, list[Memory]] = {}
    for agent in view.agents:
        if agent.mind is None:
            continue
        unscored = agent.mind.stream.unscored()[: cog.importance_batch]
        if unscored:
            batches[agent.name] = unscored
            requests.append(
                importance_request(
                    agent,
                    unscored,
                    view.prompts,
                    view.tick,
                    derive_seed(view.seed, view.tick, agent.name, "importance"),
                    keywords,
                )
            )
            keys.append(f"importance|{agent.name}")
    return requests, keys, batches


def score(
    agent: PersonaAgent,
    batch: list[Memory],
    outcome: Any,
    cog: CognitionConfig,
    source: str = "model",
) -> None:
    """Importance and emotions of ``batch`` from the answer. A failed answer (after its repair
    turns) leaves importance None with the error, and the batch leaves the queue: it is not
    sent again, so a model that keeps failing does not make the prompt grow. Emotions come
    from ``source`` (the world's ``retrieval.emotion_source``); a model that gives none gets
    the lexicon only where ``cognition.emotions_fallback`` asks for it, recorded per row."""
    mind = mind_of(agent)
    ids = [m.id for m in batch]
    mind.scored_this_tick.extend(ids)
    if isinstance(outcome, ModelAnswerError):
        mind.stream.fail_scores(ids, f"{type(outcome).__name__}: {outcome}")
        return
    scores = [float(s) for s in outcome.value.scores]
    if source == "model" and outcome.value.emotions is not None:
        mind.stream.set_scores(ids, scores, outcome.value.emotions, source="model")
    elif source == "lexicon" or cog.emotions_fallback == "lexicon":
        emotions = [lexicon_emotions(m.text) for m in batch]
        mind.stream.set_scores(ids, scores, emotions, source="lexicon")
    else:
        mind.stream.set_scores(ids, scores, None, emotions_error=NO_EMOTIONS)
    mind.since_reflection += sum(scores)
