"""Offline (heuristic backend) policies for the world's purposes: ``agent.decide`` and the narrator.

``agent.decide``: what a persona does this tick, from its traits and situation.

Model (each probability is clipped to [0, 1]), in this order:
- in a conversation, on one's turn: continue with probability 0.75 + 0.2*E - 0.08*turns, else end;
  one who knows of a happening mentions it (probability 0.5 + 0.4*E); changing one's plan to
  attend follows the ``will_attend`` rule of the agents' policies
- away from where the plan says to be: go there (probability 0.85)
- reply when addressed:  0.35 + 0.35*A + 0.30*E   (agreeable, extraverted people answer)
- start talking:         0.10 + 0.50*E            (only when someone else is present)
- move elsewhere:        0.03 + 0.15*O + 0.02*(ticks here) - 0.05*C, plus 0.15*E when alone;
                         extraverts head where people are, others pick a place at random
- an activity:           weight 0.2 + 0.6*C of the remaining probability, else wait
Language comes from templates whose tone follows agreeableness (warm or curt), neuroticism (worried
asides) and openness (ideas and art versus routine topics).

``narrator.resolve``: "<agent> <activity> at the <place>."; the place is "busy" with three or more
people, else "quiet".
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from sandbox.agents import policies as agent_policies
from sandbox.llm.heuristic import POLICIES as DEFAULT_REGISTRY
from sandbox.llm.heuristic import Policy, PolicyRegistry

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


def _gossip(facts: Mapping[str, Any], rng: random.Random, to: str) -> str | None:
    known = [h for h in facts.get("happenings") or [] if h.get("host") != to]
    if not known or rng.random() >= 0.5 + 0.4 * facts["traits"]["extraversion"]:
        return None
    h = rng.choice(known)
    who = "I am" if h.get("host") == facts["agent"] else f"{h['host']} is"
    return (
        f"{to}, have you heard? {who} throwing {h['what']} at the {h['place']} on "
        f"{h['when']}. You should come!"
    )


def _plan_change(facts: Mapping[str, Any]) -> str | None:
    for h in facts.get("new_happenings") or []:
        if h.get("today") and agent_policies.will_attend(facts["agent"], facts["traits"], h):
            return f"I'll go to {h['what']} at the {h['place']} at {h['start_hour']}:00."
    return None


def decide(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    change = _plan_change(facts)
    answer = _decide(facts, rng)
    if change:
        answer["plan_change"] = change
    return answer


def _decide(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    traits = facts["traits"]
    e, a, o, c = (
        traits["extraversion"],
        traits["agreeableness"],
        traits["openness"],
        traits["conscientiousness"],
    )
    others: list[str] = list(facts.get("others_here", []))
    here: str = facts["place"]
    places: list[str] = facts.get("places", [])
    addressed = [u for u in facts.get("addressed_by", []) if u["speaker"] in others]
    talk = facts.get("conversation")
    if talk and talk["partner"] in others:
        partner = talk["partner"]
        if rng.random() < _clip(0.75 + 0.2 * e - 0.08 * talk["turns"]):
            line = _gossip(facts, rng, partner)
            if line is None:
                template = rng.choice(_WARM_REPLIES if rng.random() < a else _CURT_REPLIES)
                line = template.format(to=partner)
            return {
                "thought": f"I'm talking with {partner}.",
                "action": "say",
                "target": partner,
                "text": line,
            }
        return {
            "thought": f"I should get going; {partner} will understand.",
            "action": "end",
            "target": partner,
            "text": "",
        }
    plan_place = facts.get("plan_place")
    wants_to_go = plan_place and plan_place != here and plan_place in places
    if wants_to_go and rng.random() < 0.85:
        return {
            "thought": f"My plan says I should be at the {plan_place} now.",
            "action": "move",
            "target": plan_place,
            "text": "",
        }

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
            "text": _gossip(facts, rng, to) or _opener(traits, rng, to),
        }
    p_move = 0.03 + 0.15 * o + 0.02 * facts.get("ticks_here", 0) - 0.05 * c
    if not others:
        p_move += 0.15 * e
    if any(p != here for p in places) and rng.random() < _clip(p_move):
        elsewhere = [p for p in places if p != here]  # only for those who move: O(places) each
        crowd: Mapping[str, int] = facts.get("crowd", {})
        if e >= 0.5 and any(crowd.get(p, 0) for p in elsewhere):
            # the most crowded, the first listed among equals (by position: no list.index per
            # place, which made this quadratic in the places)
            _, destination = max(enumerate(elsewhere), key=lambda ip: (crowd.get(ip[1], 0), -ip[0]))
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
        if facts.get("plan_activity") and rng.random() < 0.5:
            activities = [f"is {facts['plan_activity']}"]
        activity = rng.choice(activities)
        return {
            "thought": f"Time to get something done: I {activity}.",
            "action": "do",
            "target": None,
            "text": activity,
        }
    return {"thought": "Nothing needs me right now.", "action": "wait", "target": None, "text": ""}


def narrate(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    return {
        "outcomes": [
            {
                "agent": a["agent"],
                "outcome": f"{a['agent']} {a['activity']} at the {a['place']}.",
                "agent_state": a["activity"],
                "place_state": "busy" if a.get("occupants", 0) >= 3 else "quiet",
            }
            for a in facts["acts"]
        ]
    }


POLICIES: dict[str, Policy] = {"agent.decide": decide, "narrator.resolve": narrate}


def register_engine_policies(registry: PolicyRegistry | None = None) -> None:
    """Register the engine's offline policies (the world's and the agents') in ``registry``
    (default: the process-wide one). ``World`` calls this when it is built; idempotent."""
    target = registry if registry is not None else DEFAULT_REGISTRY
    target.register(POLICIES)
    target.register(agent_policies.POLICIES)
