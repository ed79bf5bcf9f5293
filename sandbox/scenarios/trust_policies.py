"""Trust-study policies: sending, forecasting, and beliefs about groups.

Sending (``trust.send``). The share of the endowment sent is

    0.10 + 0.60 A + 0.10 (O - 0.5) + 0.10 age_term + e_agent

with age_term = clip((age - 45) / 40, -0.7, 1) and e_agent ~ N(0, 0.08) fixed per agent (seeded by
its name). Trust rises with agreeableness, as the literature reports, a little with openness and
age, and not at all with the other attributes. With a prior (conditioning), the share moves by
0.30 (0.5 - p), p being the mean position of the agent's own groups in the stated rankings
(0 = most trusting). In repeated play, each round moves the previous amount halfway towards what
came back: s_r = s_{r-1} + 0.5 (returned_{r-1} - s_{r-1}).

Forecasting (``trust.forecast``, one call per round with the history so far): anchored on the
first-round intention, moved a tenth of the way towards the last amount returned, misjudged by
N(0, 0.5) dollars; it under-anticipates its own learning, so its error grows with the horizon.

Beliefs (``trust.belief.rank``, ``trust.belief.dollars``): stereotypes, not knowledge of the policy
above. Groups are scored 0..1 by a fixed stereotype (higher Big Five bands, older age bands and
higher degrees trust more; neuroticism the reverse); attributes it has no stereotype for get a fixed
arbitrary order. Rankings sort by that score plus N(0, 0.05); dollar estimates are
E (0.35 + 0.30 score) with SD 0.2 E. So its beliefs agree with its behaviour on age and openness
and much less elsewhere: the metrics have something to find.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

from sandbox.llm.heuristic import Policy

_DEGREES = ("Less than high school", "High school", "Associate/junior college", "Bachelor's",
            "Graduate")  # fmt: skip
_AGE_BANDS = ("18-29", "30-44", "45-64", "65+")
_BANDS = ("low", "moderate", "high")
_EFFECT = {"agreeableness": "large", "age_band": "medium", "openness": "medium"}
_ETA = {"small": 0.01, "medium": 0.06, "large": 0.14}


def _unit(material: str) -> float:
    digest = hashlib.blake2b(material.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _agent_rng(name: str, purpose: str) -> random.Random:
    return random.Random(int(_unit(f"{purpose}|{name}") * 2**53))


def stereotype(attribute: str, level: str) -> float:
    if attribute in ("openness", "conscientiousness", "extraversion", "agreeableness"):
        return _BANDS.index(level) / 2 if level in _BANDS else 0.5
    if attribute == "neuroticism":
        return 1 - _BANDS.index(level) / 2 if level in _BANDS else 0.5
    if attribute == "age_band" and level in _AGE_BANDS:
        return _AGE_BANDS.index(level) / 3
    if attribute == "highest_degree_received" and level in _DEGREES:
        return _DEGREES.index(level) / 4
    return _unit(f"{attribute}|{level}")


def baseline_share(facts: Mapping[str, Any]) -> float:
    t = facts["traits"]
    age = facts.get("age") or 45
    age_term = max(-0.7, min(1.0, (age - 45) / 40))
    noise = _agent_rng(facts["agent"], "trust-baseline").gauss(0.0, 0.08)
    share = 0.10 + 0.60 * t["agreeableness"] + 0.10 * (t["openness"] - 0.5) + 0.10 * age_term
    share += noise
    if facts.get("prior_position") is not None:
        share += 0.30 * (0.5 - facts["prior_position"])
    return max(0.0, min(1.0, share))


def _clip(x: float, hi: int) -> int:
    return max(0, min(hi, round(x)))


def send(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    endowment = facts["endowment"]
    history = facts.get("history") or []
    amount = _clip(baseline_share(facts) * endowment, endowment)
    for past in history:
        amount = _clip(past["sent"] + 0.5 * (past["returned"] - past["sent"]), endowment)
    why = (
        f"Last time I sent ${history[-1]['sent']} and got ${history[-1]['returned']} back."
        if history
        else "I think people mostly reciprocate, within reason."
    )
    return {"thought": f"{why} I'll send ${amount}.", "amount": amount}


def forecast(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    """This round's send, anchored on the first-round intention: it moves only a tenth of the way
    towards the last amount returned (the send policy moves half-way), misjudged by N(0, 0.5)."""
    endowment = facts["endowment"]
    anchor = baseline_share(facts) * endowment
    history = facts.get("history") or []
    amount = anchor + (0.1 * (history[-1]["returned"] - anchor) if history else 0.0)
    return {"amount": _clip(amount + rng.gauss(0.0, 0.5), endowment)}


def _scored(facts: Mapping[str, Any], rng: random.Random) -> list[tuple[float, str]]:
    attribute = facts["attribute"]
    return [(stereotype(attribute, lvl) + rng.gauss(0.0, 0.05), lvl) for lvl in facts["levels"]]


def belief_rank(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    ranking = [lvl for _, lvl in sorted(_scored(facts, rng), reverse=True)]
    label = _EFFECT.get(facts["attribute"], "small")
    return {"ranking": ranking, "effect_size": label, "eta_squared": _ETA[label]}


def belief_dollars(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    endowment = facts["endowment"]
    return {
        "estimates": [
            {
                "group": lvl,
                "mean": round(endowment * (0.35 + 0.30 * score), 2),
                "sd": round(endowment * 0.2 * (1 + rng.gauss(0.0, 0.05)), 2),
            }
            for score, lvl in _scored(facts, rng)
        ]
    }


POLICIES: dict[str, Policy] = {
    "trust.send": send,
    "trust.forecast": forecast,
    "trust.belief.rank": belief_rank,
    "trust.belief.dollars": belief_dollars,
}
"""Registered through the scenario's ``SCENARIO`` entry when a world file names it."""
