"""Reflection (after Generative Agents): agents whose summed importance passed the threshold ask
themselves focal questions about their recent memories (``agent.reflect.questions``), retrieve
evidence for each question, and store insights citing it (``agent.reflect.insights``) as
``reflection`` memories. Insights carry no emotions from the model: they are rated by ``feel`` (the
world's emotion source), else by the lexicon where ``cognition.emotions_fallback`` asks for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.agents.cognition import insights_request, questions_request
from sandbox.agents.emotions import lexicon_emotions
from sandbox.agents.view import mind_of
from sandbox.errors import ModelAnswerError
from sandbox.seeds import derive_seed

if TYPE_CHECKING:
    from sandbox.agents.cognition_config import CognitionConfig
    from sandbox.agents.view import TickView


async def reflect(view: TickView, cog: CognitionConfig) -> None:
    """Reflect for every agent that is due (two calls each, concurrently across agents)."""
    if not cog.reflection:
        return
    due = [
        a
        for a in view.agents
        if a.mind is not None and a.mind.since_reflection >= cog.reflection_threshold
    ]
    if not due:
        return
    tick = view.tick
    names = view.names
    keywords = view.keywords
    by_name = {a.name: a for a in view.agents}
    requests = [
        questions_request(
            a,
            mind_of(a).stream.recent(cog.reflection_window),
            view.prompts,
            tick,
            derive_seed(view.seed, tick, a.name, "questions"),
            names,
        )
        for a in due
    ]
    questions = await view.gather(requests, [a.name for a in due])
    insight_requests, keys = [], []
    source = cog.retrieval.scoring_source()
    for agent in due:
        asked = questions[agent.name]
        if isinstance(asked, ModelAnswerError):
            continue
        qs = asked.value.questions
        evidence: dict[int, Any] = {}
        feelings = await view.feel(source, [(agent.name, q) for q in qs])
        for vector, emotions in zip(await view.embedder.embed(qs), feelings, strict=True):
            for r in mind_of(agent).stream.retrieve(
                vector, tick, cog.retrieval, query_emotions=emotions
            ):
                evidence[r.memory.id] = r.memory
        insight_requests.append(
            insights_request(
                agent,
                qs,
                [evidence[i] for i in sorted(evidence)],
                view.prompts,
                tick,
                derive_seed(view.seed, tick, agent.name, "insights"),
                names,
                keywords,
            )
        )
        keys.append(agent.name)
    insights = await view.gather(insight_requests, keys)
    lexicon = cog.emotions_fallback == "lexicon"  # insights carry no emotions
    for name, outcome in insights.items():
        mind = mind_of(by_name[name])
        if isinstance(outcome, ModelAnswerError):
            continue
        texts = [i.text for i in outcome.value.insights]
        feelings = await view.feel(source, [(name, t) for t in texts])
        for insight, vector, felt in zip(
            outcome.value.insights, await view.embedder.embed(texts), feelings, strict=True
        ):
            valid = tuple(i for i in insight.evidence if 0 <= i < len(mind.stream))
            memory = mind.stream.add(
                "reflection",
                insight.text,
                tick,
                vector,
                importance=float(insight.importance),
                emotions=felt
                if felt is not None
                else (lexicon_emotions(insight.text) if lexicon else None),
                emotions_source=source if felt is not None else ("lexicon" if lexicon else None),
                evidence=valid,
            )
            mind.scored_this_tick.append(memory.id)
        mind.since_reflection = 0.0
