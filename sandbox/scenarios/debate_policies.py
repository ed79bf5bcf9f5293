"""Debate policies: opinions that move by a bounded-confidence rule, posts, chats, a stance judge.

An agent's latent opinion x in [-2.5, 2.5] starts at clip(4 * sum_d lean_d (trait_d - 0.5) + e),
e ~ N(0, 0.8) fixed per agent and topic. It then takes in, in order, every stance it has heard
(its group's posts, its partners' messages): a stance s within its confidence bound
eps = 1.0 + 2.0 O moves it by mu (s - x), mu = 0.4 (1 - stubbornness), with
stubbornness = 0.5 (1 - O) + 0.5 (1 - A). Private opinions report the latent opinion (coded to
the six-point scale). Public posts lean towards what the group has posted: x + 0.3 A (mean - x),
which makes a public-private gap. The judge reads the stance off the wording ("strongly agree" =
2.5, "somewhat" 1.5, "slightly" 0.5, disagree negative); every message in that wording is on topic.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping
from typing import Any

from sandbox.llm.heuristic import Policy
from sandbox.scenarios.game_theory import likert_code

_STRENGTH = {2.5: "strongly", 1.5: "somewhat", 0.5: "slightly"}
_PATTERN = re.compile(r"\b(strongly|somewhat|slightly)\s+(agree|disagree)", re.I)
_VALUE = {"strongly": 2.5, "somewhat": 1.5, "slightly": 0.5}


def _noise(agent: str, topic: str) -> float:
    seed = int.from_bytes(
        hashlib.blake2b(f"{agent}|{topic}".encode(), digest_size=8).digest(), "big"
    )
    return random.Random(seed).gauss(0.0, 0.8)


def latent(facts: Mapping[str, Any]) -> float:
    t = facts["traits"]
    x = 4 * sum(w * (t[d] - 0.5) for d, w in facts["lean"].items()) + _noise(
        facts["agent"], facts["topic_id"]
    )
    x = max(-2.5, min(2.5, x))
    stubborn = 0.5 * (1 - t["openness"]) + 0.5 * (1 - t["agreeableness"])
    mu, eps = 0.4 * (1 - stubborn), 1.0 + 2.0 * t["openness"]
    for s in facts.get("heard", []):
        if abs(s - x) < eps:
            x += mu * (s - x)
    return x


def _sentence(value: float, statement: str) -> str:
    code = likert_code(value)
    side = "agree" if code > 0 else "disagree"
    return f"I {_STRENGTH[abs(code)]} {side} that {statement[0].lower()}{statement[1:]}"


def opinion(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    x = latent(facts)
    return {"opinion": likert_code(x), "justification": _sentence(x, facts["statement"])}


def post(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    x = latent(facts)
    public = facts.get("public_heard") or []
    if public:
        mean = sum(public) / len(public)
        x += 0.3 * facts["traits"]["agreeableness"] * (mean - x)
    return {
        "thought": "What do I want the group to hear?",
        "post": _sentence(x, facts["statement"]),
    }


def chat(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    x = latent(facts)
    opener = rng.choice(("To be honest, ", "Between us, ", "Well, "))
    return {
        "thought": f"Talking with {facts['partner']}.",
        "message": opener + _sentence(x, facts["statement"]),
    }


def stance_from_text(text: str) -> float | None:
    """The stance a sentence states in this module's wording, or None if it states none."""
    m = _PATTERN.search(text)
    if m is None:
        return None
    value = _VALUE[m.group(1).lower()]
    return value if m.group(2).lower() == "agree" else -value


def judge(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    value = stance_from_text(facts["text"])
    if value is None:
        from sandbox.errors import ModelUnavailableError

        raise ModelUnavailableError(
            "the heuristic stance judge reads only the heuristic backend's own wording; judge "
            "messages written by a language model with a language model (--judge-model)"
        )
    return {"on_topic": True, "stance": value}


POLICIES: dict[str, Policy] = {
    "debate.opinion": opinion,
    "debate.post": post,
    "debate.chat": chat,
    "debate.stance": judge,
}
"""Registered through the scenario's ``SCENARIO`` entry when a world file names it."""
