"""Offline (heuristic backend) policies for the agents' purposes: memory, plans, reflection, interviews.

- ``memory.importance``: 2 for routine observations; +3 when addressed by name, +2 for
  announcements, +4 when it mentions a happening the world seeded (a party), +1 for strongly
  neurotic agents; clipped to 1..10. Emotions from the Plutchik lexicon.
- ``agent.plan`` / ``agent.replan``: a routine from the persona: sleep at home until 7 and from 22;
  work (the agent's work place, or home) 9-12 and 13-17 with lunch at the cafe; evenings out for
  extraverts (the busiest social place), home for others. A happening the agent knows of and will
  attend replaces the blocks it overlaps (the host arrives an hour early). Whether an agent attends
  is fixed per agent and happening: with probability 0.35 + 0.45 E + 0.15 A.
- ``agent.reflect.questions`` / ``agent.reflect.insights``: who the agent has been with most, and
  what it keeps hearing about, with the memories that mention them as evidence.
- ``agent.interview``: answers from the retrieved memories most related to the question's words.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from sandbox.llm.heuristic import Policy

_WORD = re.compile(r"[a-z']+")
_STOP = {"the", "a", "an", "to", "of", "and", "is", "are", "you", "i", "at", "in", "on", "what",
         "do", "did", "was", "about", "have", "has", "your", "my", "me", "it", "for", "with"}  # fmt: skip


def _unit(material: str) -> float:
    return int.from_bytes(hashlib.blake2b(material.encode(), digest_size=8).digest(), "big") / 2**64


def will_attend(agent: str, traits: Mapping[str, float], happening: Mapping[str, Any]) -> bool:
    if happening.get("host") == agent:
        return True
    p = 0.35 + 0.45 * traits["extraversion"] + 0.15 * traits["agreeableness"]
    return _unit(f"attend|{agent}|{happening['what']}") < p


def importance(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    from sandbox.agents.emotions import lexicon_emotions

    name = facts["agent"].lower()
    keywords = [k.lower() for k in facts.get("keywords", [])]
    scores, emotions = [], []
    for m in facts["memories"]:
        text = m["text"].lower()
        s = 2
        if f"(to {name})" in text or f"{name}," in text:
            s += 3
        if m.get("kind") == "announcement":
            s += 2
        if any(k in text for k in keywords):
            s += 4
        if facts["traits"]["neuroticism"] > 0.7:
            s += 1
        scores.append(max(1, min(10, s)))
        emotions.append([round(v) for v in lexicon_emotions(m["text"])])
    return {"scores": scores, "emotions": emotions}


def _routine(facts: Mapping[str, Any], from_hour: int) -> list[dict[str, Any]]:
    t = facts["traits"]
    home, work = facts["home"], facts.get("work") or facts["home"]
    places = facts["places"]
    social = [p for p in ("cafe", "park", "bar", "pub") if p in places] or [home]
    evening = social[0] if t["extraversion"] >= 0.5 else home
    lunch = "cafe" if "cafe" in places else home
    blocks = [
        (0, 7, home, "sleeping"), (7, 9, home, "getting ready for the day"),
        (9, 12, work, facts.get("work_activity") or "working"), (12, 13, lunch, "having lunch"),
        (13, 17, work, facts.get("work_activity") or "working"),
        (17, 19, evening, "relaxing" if evening == home else "meeting people"),
        (19, 22, home, "having dinner and relaxing"), (22, 24, home, "sleeping"),
    ]  # fmt: skip
    plan = [
        {"start_hour": a, "end_hour": b, "place": p, "activity": act} for a, b, p, act in blocks
    ]
    for h in facts.get("happenings", []):
        if not h.get("today") or not will_attend(facts["agent"], t, h):
            continue
        start = h["start_hour"] - (1 if h.get("host") == facts["agent"] else 0)
        end = h["end_hour"]
        what = (
            f"hosting {h['what']}" if h.get("host") == facts["agent"] else f"attending {h['what']}"
        )
        kept = []
        for b in plan:
            if b["end_hour"] <= start or b["start_hour"] >= end:
                kept.append(b)
                continue
            if b["start_hour"] < start:
                kept.append({**b, "end_hour": start})
            if b["end_hour"] > end:
                kept.append({**b, "start_hour": end})
        kept.append({"start_hour": start, "end_hour": end, "place": h["place"], "activity": what})
        plan = sorted(kept, key=lambda b: b["start_hour"])
    out = []
    for b in plan:
        if b["end_hour"] <= from_hour:
            continue
        out.append({**b, "start_hour": max(b["start_hour"], from_hour)})
    return out


def plan(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    return {"blocks": _routine(facts, facts.get("from_hour", 0))}


def replan(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    return {"blocks": _routine(facts, facts["from_hour"])}


def reflect_questions(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    people = Counter(n for m in facts["memories"] for n in m.get("people", []))
    qs = [f"What do I think of {p}?" for p, _ in people.most_common(2)]
    qs.append("What have I been hearing about lately?")
    return {"questions": qs[:3]}


def reflect_insights(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    people = Counter(n for m in facts["memories"] for n in m.get("people", []))
    insights = []
    for person, count in people.most_common(2):
        evidence = [m["id"] for m in facts["memories"] if person in m.get("people", [])][:5]
        insights.append(
            {
                "text": f"I have been spending a lot of time with {person} ({count} "
                "moments recently).",
                "evidence": evidence,
                "importance": 5,
            }
        )
    for keyword in facts.get("keywords", []):
        evidence = [m["id"] for m in facts["memories"] if keyword in m["text"].lower()][:5]
        if evidence:
            insights.append(
                {
                    "text": f"People around me keep talking about the {keyword}.",
                    "evidence": evidence,
                    "importance": 7,
                }
            )
    if not insights:
        insights.append(
            {
                "text": "My days have been quiet and routine.",
                "evidence": [m["id"] for m in facts["memories"]][:3],
                "importance": 3,
            }
        )
    return {"insights": insights}


def interview(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    words = {w for w in _WORD.findall(facts["question"].lower()) if w not in _STOP}
    ranked = sorted(
        dict.fromkeys(facts["memories"]), key=lambda m: -len(words & set(_WORD.findall(m.lower())))
    )
    relevant = [m for m in ranked if words & set(_WORD.findall(m.lower()))][:2]
    if not relevant:
        return {"answer": "Honestly, I don't remember anything about that."}
    warm = facts["traits"]["agreeableness"] >= 0.5
    opener = "Oh, let me think. " if warm else "Fine. "
    return {"answer": opener + " Also, ".join(r.rstrip(".") + "." for r in relevant)}


POLICIES: dict[str, Policy] = {
    "memory.importance": importance,
    "agent.plan": plan,
    "agent.replan": replan,
    "agent.reflect.questions": reflect_questions,
    "agent.reflect.insights": reflect_insights,
    "agent.interview": interview,
}
"""The agents' purposes; registered by ``sandbox.world.policies.register_engine_policies``."""
