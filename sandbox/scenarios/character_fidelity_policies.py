"""Character fidelity offline: characters who show their traits in fixed cue phrases, and a judge
that counts those cues (a baseline, not a model).

``character_fidelity.act``: the character's two most pronounced Big Five domains (furthest from
0.5) each give a cue phrase to its line ("Listen, everyone!" for high extraversion, "(quietly)"
for low, "I'm worried" for high neuroticism, ...) and its action (the first domain's). With
probability 0.6 it states one fact it knows or has heard; with probability 0.3 (1 - C) it states a
rumour instead (a knowledge slip). Its notes: a belief about a fact, its goal as desire, and an
intention naming its next action, which it follows with probability 0.5 + 0.5 C. It names another
character with probability 0.3 + 0.5 A.

``character_fidelity.critique`` / ``.score``: from the same cues, per dimension:
knowledge = share of stated facts the character knew or had heard (rumours are errors);
personality = share of its pronounced domains whose expected cue (not the opposite one) shows;
emotion = 1 when its neuroticism cue shows, 0.5 when no such cue shows, 0 when the opposite one does; behaviour = share of actions that are its
domains' actions; immersion = no line steps out of character ("as an AI", "language model");
adaptability = share of rounds after the first that name another character or a heard fact;
coherence = share of rounds after the first whose action is the one the last intention named.
A share s maps to the score 1 + round(4 s). The critique states each share in words. Lines
without any of these cue phrases (a language model's) are refused, not scored.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from sandbox.llm.heuristic import Policy

DOMAINS = ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism")
# domain -> (high cue, low cue) phrases in lines, and (high, low) actions
CUES: dict[str, tuple[str, str]] = {
    "openness": ("What if there is more to this than it seems?", "It's simple, really."),
    "conscientiousness": ("Let's go through this step by step.", "Whatever, it'll turn up."),
    "extraversion": ("Listen, everyone!", "(quietly)"),
    "agreeableness": ("We should help each other.", "I don't trust any of you."),
    "neuroticism": ("I'm worried about all this.", "No need to panic."),
}
ACTIONS: dict[str, tuple[str, str]] = {
    "openness": ("studies the old charts on the wall", "shrugs and sits down"),
    "conscientiousness": ("searches the desk drawer by drawer", "leans back and yawns"),
    "extraversion": ("steps into the middle of the room", "stays in a corner by the fire"),
    "agreeableness": ("pours tea for everyone", "keeps a hand on their own bag"),
    "neuroticism": ("paces by the window", "stretches calmly by the fire"),
}
OUT_OF_CHARACTER = ("as an ai", "language model", "i am role-playing", "as a character")


def pronounced(traits: Mapping[str, float], n: int = 2) -> list[str]:
    """The ``n`` domains furthest from 0.5 (ties in DOMAINS order)."""
    return sorted(DOMAINS, key=lambda d: -abs(traits[d] - 0.5))[:n]


def _pole(traits: Mapping[str, float], domain: str) -> int:
    return 0 if traits[domain] >= 0.5 else 1


def act(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    traits = facts["traits"]
    top = pronounced(traits)
    own_action = ACTIONS[top[0]][_pole(traits, top[0])]
    follow = facts.get("last_intention") and rng.random() < 0.5 + 0.5 * traits["conscientiousness"]
    if follow:
        action = next(
            (a for pair in ACTIONS.values() for a in pair if a in facts["last_intention"]),
            own_action,
        )
    else:
        action = rng.choice([ACTIONS[d][_pole(traits, d)] for d in top])
    parts = [CUES[d][_pole(traits, d)] for d in top]
    known = list(facts["knows"]) + [f for f in facts["heard"] if f not in facts["knows"]]
    if facts["rumours"] and rng.random() < 0.3 * (1 - traits["conscientiousness"]):
        parts.append(f"I'm sure {rng.choice(facts['rumours'])}.")
    elif known and rng.random() < 0.6:
        parts.append(f"I know that {rng.choice(known)}.")
    if facts["others"] and rng.random() < 0.3 + 0.5 * traits["agreeableness"]:
        parts.append(f"{rng.choice(facts['others'])}, what do you make of it?")
    fact = rng.choice(known) if known else "nobody here is telling everything"
    me = facts["agent"]
    next_action = ACTIONS[top[0]][_pole(traits, top[0])]
    return {
        "belief": f"I, {me}, believe after round {facts['round']} that it matters that {fact}",
        "desire": f"I, {me}, want above all to {facts['goal']}",
        "intention": f"I, {me}, intend next round to do this: {next_action}",
        "action": action,
        "line": " ".join(parts),
    }


def shares(facts: Mapping[str, Any]) -> dict[str, float]:
    """Per dimension, the share of cues that fit the character (see the module docstring)."""
    traits = facts["traits"]
    rounds = facts["rounds"]
    lines = [r["line"] for r in rounds]
    text = " ".join(lines).lower()
    allowed = {f.lower() for f in list(facts["knows"]) + list(facts["heard"])}
    stated = [
        line[line.index("I know that ") + 12 :].split(".")[0].lower()
        for line in lines
        if "I know that " in line
    ]
    slips = sum(line.count("I'm sure ") for line in lines)
    good = sum(s in allowed for s in stated)
    knowledge = good / (len(stated) + slips) if stated or slips else 1.0
    top = [d for d in pronounced(traits) if abs(traits[d] - 0.5) >= 0.15] or pronounced(traits, 1)
    shown = [
        CUES[d][_pole(traits, d)].lower() in text
        and CUES[d][1 - _pole(traits, d)].lower() not in text
        for d in top
    ]
    n_pole = _pole(traits, "neuroticism")
    fits = CUES["neuroticism"][n_pole].lower() in text
    contradicts = CUES["neuroticism"][1 - n_pole].lower() in text
    emotion = 0.0 if contradicts else 1.0 if fits else 0.5
    mine = {ACTIONS[d][_pole(traits, d)] for d in top}
    behaviour = sum(r["action"] in mine for r in rounds) / len(rounds) if rounds else 0.0
    immersion = float(not any(m in text for m in OUT_OF_CHARACTER)) if rounds else 0.0
    later = rounds[1:]
    names = [o.lower() for o in facts["others"]]
    reacts = [
        any(n in r["line"].lower() for n in names)
        or any(f.lower() in r["line"].lower() for f in facts["heard"])
        for r in later
    ]
    adapt = sum(reacts) / len(later) if later else 0.0
    coherent = [
        r["action"] in ((prev["notes"] or {}).get("intention") or "")
        for prev, r in zip(rounds, later, strict=False)
    ]
    coherence = sum(coherent) / len(later) if later else 0.0
    return {
        "knowledge_accuracy": knowledge,
        "emotional_expression": emotion,
        "personality_traits": sum(shown) / len(shown) if shown else 0.0,
        "behavioral_accuracy": behaviour,
        "immersion": immersion,
        "adaptability": adapt,
        "behavioral_coherence": coherence,
    }


def _score(share: float) -> int:
    return 1 + round(4 * max(0.0, min(1.0, share)))


def _own_wording(facts: Mapping[str, Any]) -> None:
    """The cue-counting judge reads only this module's wording; a language model's lines would
    score low for lacking cues it never meant to use, so they are refused instead."""
    lines = [r["line"] for r in facts["rounds"]]
    cues = [c for pair in CUES.values() for c in pair]
    if lines and not any(c in line for line in lines for c in cues):
        from sandbox.errors import ModelUnavailableError

        raise ModelUnavailableError(
            "the heuristic fidelity judge counts only the heuristic backend's own cue phrases; "
            "judge characters played by a language model with a language model (--judge-model)"
        )


def critique(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    _own_wording(facts)
    s = shares(facts)
    text = " ".join(
        f"{dim.replace('_', ' ').capitalize()}: {round(100 * v)}% of the cues fit."
        for dim, v in s.items()
    )
    return {"critique": f"(Offline cue count, not a reading.) {text}"}


def score(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    _own_wording(facts)
    return {dim: _score(v) for dim, v in shares(facts).items()}


POLICIES: dict[str, Policy] = {
    "character_fidelity.act": act,
    "character_fidelity.critique": critique,
    "character_fidelity.score": score,
}
"""Registered through the scenario's ``SCENARIO`` entry when a world file names it."""
