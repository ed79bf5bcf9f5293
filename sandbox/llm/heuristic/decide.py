"""The ``agent.decide`` policy: what a persona does this tick, from its traits and situation.

Model (each probability is clipped to [0, 1]):
- reply when addressed:  0.35 + 0.35*A + 0.30*E   (agreeable, extraverted people answer)
- start talking:         0.10 + 0.50*E            (only when someone else is present)
- move elsewhere:        0.03 + 0.15*O + 0.02*(ticks here) - 0.05*C, plus 0.15*E when alone;
                         extraverts head where people are, others pick a place at random
- an activity:           weight 0.2 + 0.6*C of the remaining probability, else wait
Language comes from templates whose tone follows agreeableness (warm or curt), neuroticism (worried
asides) and openness (ideas and art versus routine topics).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

_OPEN_TOPICS = (
    "the exhibition at the gallery",
    "a novel about time travel I just started",
    "whether cities should ban cars downtown",
    "a documentary on deep-sea creatures",
    "learning a new language this year",
)
_ROUTINE_TOPICS = (
    "the weather this week",
    "how busy work has been",
    "the price of coffee these days",
    "the football match last night",
    "plans for the weekend",
)
_WARM_REPLIES = (
    "That's a lovely way to put it, {to}.",
    "I agree with you, {to}, tell me more.",
    "Good point, {to}. I was thinking the same.",
)
_CURT_REPLIES = (
    "I'm not so sure about that, {to}.",
    "Hm. If you say so, {to}.",
    "I see it differently, {to}.",
)
_WORRIES = (" Though I worry it won't last.", " I hope that's not a bad sign.", "")
_ACTIVITIES = ("reads for a while", "takes some notes", "looks around", "checks the time")


def _clip(p: float) -> float:
    return max(0.0, min(1.0, p))


def _opener(traits: Mapping[str, float], rng: random.Random, to: str | None) -> str:
    topics = _OPEN_TOPICS if rng.random() < traits["openness"] else _ROUTINE_TOPICS
    topic = rng.choice(topics)
    question = f"have you heard anything about {topic}?"
    if to and traits["agreeableness"] >= 0.5:
        line = f"Hi {to}! {question[0].upper()}{question[1:]}"
    elif to:
        line = f"{to}, {question}"
    else:
        line = question[0].upper() + question[1:]
    if rng.random() < traits["neuroticism"] * 0.5:
        line += rng.choice(_WORRIES)
    return line


def decide(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    traits = facts["traits"]
    e, a, o, c = (
        traits["extraversion"],
        traits["agreeableness"],
        traits["openness"],
        traits["conscientiousness"],
    )
    others: list[str] = list(facts.get("others_here", []))
    here: str = facts["place"]
    elsewhere = [p for p in facts.get("places", []) if p != here]
    addressed = [u for u in facts.get("addressed_by", []) if u["speaker"] in others]

    if addressed and rng.random() < _clip(0.35 + 0.35 * a + 0.30 * e):
        speaker = addressed[-1]["speaker"]
        template = rng.choice(_WARM_REPLIES if rng.random() < a else _CURT_REPLIES)
        return {
            "thought": f"{speaker} spoke to me; I should answer.",
            "action": "say",
            "target": speaker,
            "text": template.format(to=speaker),
        }
    if others and rng.random() < _clip(0.10 + 0.50 * e):
        to = rng.choice(others)
        return {
            "thought": f"I feel like talking to {to}.",
            "action": "say",
            "target": to,
            "text": _opener(traits, rng, to),
        }
    p_move = 0.03 + 0.15 * o + 0.02 * facts.get("ticks_here", 0) - 0.05 * c
    if not others:
        p_move += 0.15 * e
    if elsewhere and rng.random() < _clip(p_move):
        crowd: Mapping[str, int] = facts.get("crowd", {})
        if e >= 0.5 and any(crowd.get(p, 0) for p in elsewhere):
            destination = max(elsewhere, key=lambda p: (crowd.get(p, 0), -elsewhere.index(p)))
            why = "there are people there"
        else:
            destination = rng.choice(elsewhere)
            why = "I could use a change of scene"
        return {
            "thought": f"I'll go to the {destination}; {why}.",
            "action": "move",
            "target": destination,
            "text": "",
        }
    if rng.random() < 0.2 + 0.6 * c:
        activities = list(facts.get("place_activities") or []) or list(_ACTIVITIES)
        activity = rng.choice(activities)
        return {
            "thought": f"Time to get something done: I {activity}.",
            "action": "do",
            "target": None,
            "text": activity,
        }
    return {"thought": "Nothing needs me right now.", "action": "wait", "target": None, "text": ""}
