"""Personality interviews offline: an answer that states how far the question fits in one of five
fixed phrases, and a judge that reads those phrases back (a baseline, not a model).

``personality_interview.answer``: agreement a = trait (plus-keyed item or probe) or 1 - trait
(minus-keyed), plus Gaussian noise (SD 0.15) drawn from the request's seed, which includes the
texts of the recalled memories: so a retrieval strategy changes the offline answers only through
that noise. a maps to "Yes, very much so." (>= .8), "Mostly, yes." (>= .6), "Sometimes; it
depends." (>= .4), "Not really." (>= .2) or "No, not at all."; the first recalled memory follows
("I remember: ...").

``personality_interview.judge``: each answer's phrase gives 5..1 (reversed for minus-keyed
items); a domain's score is the mean over its answers. It reads nothing else: a domain without an
answer in this wording (a language model's answers) is refused, never given a made-up score.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from sandbox.llm.heuristic import Policy

PHRASES = (
    (0.8, "Yes, very much so.", 5),
    (0.6, "Mostly, yes.", 4),
    (0.4, "Sometimes; it depends.", 3),
    (0.2, "Not really.", 2),
    (float("-inf"), "No, not at all.", 1),
)
DOMAINS = ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism")


def answer(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    t = facts["traits"][facts["domain"]]
    a = (t if facts["keyed"] == "plus" else 1 - t) + rng.gauss(0.0, 0.15)
    phrase = next(p for floor, p, _ in PHRASES if a >= floor)
    memories = facts.get("memories") or []
    tail = f" I remember: {memories[0].rstrip('.')}." if memories else ""
    return {"answer": phrase + tail}


def level(text: str | None) -> int | None:
    """The 1-5 agreement an answer in this module's wording states, or None."""
    if not text:
        return None
    for _, phrase, value in PHRASES:
        if text.startswith(phrase):
            return value
    return None


def judge(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    by_domain: dict[str, list[int]] = {d: [] for d in DOMAINS}
    for a in facts["answers"]:
        value = level(a["answer"])
        if value is not None:
            by_domain[a["domain"]].append(value if a["keyed"] == "plus" else 6 - value)
    unread = [d for d, v in by_domain.items() if not v]
    if unread:
        from sandbox.errors import ModelUnavailableError

        raise ModelUnavailableError(
            f"the heuristic interview judge found no answer in its own wording for {unread[0]}; "
            "judge answers written by a language model with a language model (--judge-model)"
        )
    scores = {d: round(sum(v) / len(v), 2) for d, v in by_domain.items()}
    return {
        "rationale": "(Offline: the agreement phrases read back, not a reading.) "
        + "; ".join(f"{d}: {len(by_domain[d])} answers" for d in DOMAINS),
        **scores,
    }


POLICIES: dict[str, Policy] = {
    "personality_interview.answer": answer,
    "personality_interview.judge": judge,
}
"""Registered by ``personality_interview.interview_and_judge`` before it asks."""
