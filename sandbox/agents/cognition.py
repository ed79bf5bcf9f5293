"""Requests for the cognitive functions: importance, plans, reflection, interviews.

Each builder states an ``Ask`` (``sandbox.llm.ask``) and returns its ``LLMRequest``, whose ``facts``
carry what the heuristic backend needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.agents.cognition_answers import (
    FocalQuestions,
    Insights,
    InterviewAnswer,
    importance_model,
    plan_model,
)
from sandbox.llm.ask import Ask
from sandbox.llm.request import LLMRequest
from sandbox.llm.templates import PromptLibrary
from sandbox.personas.wording import render
from sandbox.quoting import PromptText, quote, quoted_list

if TYPE_CHECKING:
    from sandbox.agents.agent import PersonaAgent
    from sandbox.agents.memory import Memory, Retrieved


def _request(
    agent: PersonaAgent,
    prompts: PromptLibrary,
    template: str,
    purpose: str,
    model: Any,
    fields: dict[str, Any],
    facts: dict[str, Any],
    tick: int | None,
    seed: int,
    temperature: float = 0.7,
) -> LLMRequest:
    base = {"name": agent.name, "persona": render(agent.persona, agent.persona_style)}
    return Ask(
        template=template,
        answer=model,
        purpose=purpose,
        fields={**base, **fields},
        facts={"agent": agent.name, "traits": agent.persona.big_five.as_dict(), **facts},
        agent=agent.name,
        tick=tick,
        seed=seed,
        temperature=temperature,
    ).request(prompts)


def importance_request(
    agent: PersonaAgent,
    memories: list[Memory],
    prompts: PromptLibrary,
    tick: int,
    seed: int,
    keywords: list[str],
) -> LLMRequest:
    listing = PromptText("\n".join(f"{i + 1}. {quote(m.text)}" for i, m in enumerate(memories)))
    return _request(
        agent,
        prompts,
        "memory_importance",
        "memory.importance",
        importance_model(len(memories)),
        {"memories": listing},
        {"memories": [{"text": m.text, "kind": m.kind} for m in memories], "keywords": keywords},
        tick,
        seed,
        temperature=0.0,
    )


def _plan_facts(
    agent: PersonaAgent, places: tuple[str, ...], from_hour: int, known: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the heuristic planner needs, the same for a day plan and a replan."""
    return {
        "home": agent.home,
        "work": agent.work,
        "work_activity": agent.work_activity,
        "places": list(places),
        "from_hour": from_hour,
        "happenings": known,
    }


def plan_request(
    agent: PersonaAgent,
    prompts: PromptLibrary,
    *,
    tick: int,
    seed: int,
    date: str,
    from_hour: int,
    places: tuple[str, ...],
    known: list[dict[str, Any]],
    memories: list[Retrieved],
) -> LLMRequest:
    known_text = PromptText(
        "".join(
            f"You know of {quote(h['what'])} at the {h['place']} today, "
            f"{h['start_hour']}:00-{h['end_hour']}:00.\n"
            for h in known
            if h.get("today")
        )
    )
    return _request(
        agent,
        prompts,
        "agent_plan",
        "agent.plan",
        plan_model(places),
        {
            "date": date,
            "home": agent.home,
            "places": ", ".join(places),
            "known": known_text,
            "memories": quoted_list((r.memory.text for r in memories), empty="- nothing special"),
            "from_hour": from_hour,
        },
        _plan_facts(agent, places, from_hour, known),
        tick,
        seed,
    )


def replan_request(
    agent: PersonaAgent,
    prompts: PromptLibrary,
    *,
    tick: int,
    seed: int,
    time: str,
    from_hour: int,
    places: tuple[str, ...],
    reason: str,
    known: list[dict[str, Any]],
) -> LLMRequest:
    assert agent.mind is not None
    return _request(
        agent,
        prompts,
        "agent_replan",
        "agent.replan",
        plan_model(places),
        {
            "time": time,
            "plan": quoted_list(
                (
                    f"{b['start_hour']}:00-{b['end_hour']}:00 {b['activity']} at the {b['place']}"
                    for b in agent.mind.plan
                ),
                empty="- no plan yet",
            ),
            "reason": quote(reason),
            "places": ", ".join(places),
            "from_hour": from_hour,
        },
        {**_plan_facts(agent, places, from_hour, known), "reason": reason},
        tick,
        seed,
    )


def _people(text: str, names: list[str]) -> list[str]:
    return [n for n in names if n in text]


def questions_request(
    agent: PersonaAgent,
    memories: list[Memory],
    prompts: PromptLibrary,
    tick: int,
    seed: int,
    names: list[str],
) -> LLMRequest:
    others = [n for n in names if n != agent.name]
    return _request(
        agent,
        prompts,
        "agent_reflect_questions",
        "agent.reflect.questions",
        FocalQuestions,
        {"memories": quoted_list((m.text for m in memories), empty="- none")},
        {
            "memories": [
                {"id": m.id, "text": m.text, "people": _people(m.text, others)} for m in memories
            ]
        },
        tick,
        seed,
    )


def insights_request(
    agent: PersonaAgent,
    questions: list[str],
    memories: list[Memory],
    prompts: PromptLibrary,
    tick: int,
    seed: int,
    names: list[str],
    keywords: list[str],
) -> LLMRequest:
    others = [n for n in names if n != agent.name]
    return _request(
        agent,
        prompts,
        "agent_reflect_insights",
        "agent.reflect.insights",
        Insights,
        {
            "questions": PromptText("; ".join(quote(q) for q in questions)),
            "memories": PromptText("\n".join(f"[{m.id}] {quote(m.text)}" for m in memories)),
        },
        {
            "memories": [
                {"id": m.id, "text": m.text, "people": _people(m.text, others)} for m in memories
            ],
            "keywords": keywords,
        },
        tick,
        seed,
    )


def interview_request(
    agent: PersonaAgent,
    question: str,
    memories: list[Retrieved],
    prompts: PromptLibrary,
    *,
    time: str,
    tick: int,
    seed: int,
) -> LLMRequest:
    texts = [r.memory.text for r in memories]
    return _request(
        agent,
        prompts,
        "agent_interview",
        "agent.interview",
        InterviewAnswer,
        {
            "question": quote(question),
            "time": time,
            "place": agent.place,
            "memories": quoted_list(texts, empty="- nothing"),
        },
        {"question": question, "memories": texts},
        tick,
        seed,
    )
