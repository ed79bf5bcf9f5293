"""Offline policies of the theory-of-mind study: a baseline, not a model.

``tom_inner_speech.turn``: the thought is a template filled from the speaker's own role card (its goal, plan,
what it knows and believes) for the asked mental state and order; second-order thoughts guess the
partner's state from the partner's role title alone, and the informed speaker's second-order
belief is that the partner holds the partner's (false) belief. The line said out loud restates
the goal, plan or feeling (states one would say) but not a belief or a fact the speaker keeps to
itself: the informed speaker never says its key fact.

``tom_inner_speech.answer``: picks the option sharing the most content words with the line the question quotes
and the thinker's other lines (what the answerer heard), ties broken by the seeded draw. It reads
no thought but the options shown. Chance is one over the number of options (a quarter with four).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from sandbox.llm.heuristic import Policy

_WORD = re.compile(r"[a-z']+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "to",
        "of",
        "in",
        "on",
        "for",
        "is",
        "are",
        "be",
        "it",
        "i",
        "you",
        "that",
        "this",
        "my",
        "me",
        "we",
        "they",
        "he",
        "she",
        "them",
        "with",
        "at",
        "as",
        "so",
        "but",
        "not",
        "do",
        "does",
        "will",
        "want",
        "think",
        "feel",
        "know",
        "when",
        "what",
        "how",
        "about",
        "have",
        "has",
        "was",
        "its",
        "your",
        "their",
        "our",
        "than",
        "then",
        "just",
        "can",
        "would",
        "could",
    ]
)


def words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _feeling(traits: Mapping[str, float], rng: random.Random) -> str:
    if traits.get("neuroticism", 0.5) >= 0.5:
        return rng.choice(("nervous", "uneasy", "worried"))
    return rng.choice(("calm", "relaxed", "confident"))


def thought(facts: Mapping[str, Any], rng: random.Random) -> str:
    role, state, order = facts["role"], facts["mental_state"], facts["tom_order"]
    subject, head = facts["subject"], facts["prefix"]
    if order == 1:
        body = {
            "belief": _lower(role["believes"]),
            "intention": _lower(role["plan"]),
            "desire": "to " + _lower(role["goal"]),
            "emotion": f"{_feeling(facts['traits'], rng)} about {subject}",
            "knowledge": _lower(role["knows"]),
        }[state]
    else:
        partner_role = facts["partner_role"]
        body = {
            "belief": f"I am hiding something about {subject}"
            if not facts["informed"]
            else f"everything about {subject} is as it looks",
            "intention": f"push me the way {partner_role} usually does",
            "desire": f"the best deal for {partner_role}",
            "emotion": rng.choice(("impatient", "curious", "suspicious")) + f" about {subject}",
            "knowledge": f"less about {subject} than I do"
            if facts["informed"]
            else f"more about {subject} than I do",
        }[state]
    return f"{head} {body}."


def utterance(facts: Mapping[str, Any], thought_text: str, rng: random.Random) -> str:
    role, state, order = facts["role"], facts["mental_state"], facts["tom_order"]
    subject, p = facts["subject"], facts["partner"]
    if order == 1 and state == "desire":
        return f"Honestly, {p}, I would like to {_lower(role['goal'])}."
    if order == 1 and state == "intention":
        return f"Let me be clear, my plan is to {_lower(role['plan'])}."
    if order == 1 and state == "emotion":
        feeling = thought_text.removeprefix(facts["prefix"]).split(" about ")[0].strip()
        return f"To be honest, all this makes me {feeling}."
    opener = rng.choice(("So, ", "Well, ", "Right, "))
    return opener + f"what else should we settle about {subject}?"


def turn(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    text = thought(facts, rng)
    return {"thought": text, "utterance": utterance(facts, text, rng)}


def answer(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    cues = words(facts["line"]) | words(" ".join(facts.get("heard", [])))
    scores = [len(words(o) & cues) + rng.random() * 0.5 for o in facts["options"]]
    return {"choice": "ABCD"[scores.index(max(scores))]}


POLICIES: dict[str, Policy] = {"tom_inner_speech.turn": turn, "tom_inner_speech.answer": answer}
"""Registered through the scenario's ``SCENARIO`` entry when a world file names it."""
