"""Classic-game policies. Prosociality p = clip(0.10 + 0.60 A - 0.10 (N - 0.5) + e), e ~ N(0, 0.1)
fixed per agent: agreeable people give, offer, contribute and cooperate more, as meta-analyses of
personality and economic games report (Thielmann et al. 2020).

- dictator: give round(pie * clip(0.05 + 0.75 p))
- ultimatum: offer round(pie * clip(0.15 + 0.45 p)); accept if offer >= pie * (0.40 - 0.30 A)
- public goods: round 1 contribute round(E * p); later rounds move halfway to the others' last mean
- prisoner's dilemma: round 1 cooperate with probability 0.2 + 0.7 p; then tit for tat, forgiving
  a defection with probability 0.4 A
- expectations (before play): its own round-1 moves, and 50% of the pie or endowment from others
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

from sandbox.llm.heuristic import Policy


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))


def prosociality(facts: Mapping[str, Any]) -> float:
    t = facts["traits"]
    seed = int.from_bytes(
        hashlib.blake2b(f"games|{facts['agent']}".encode(), digest_size=8).digest(), "big"
    )
    e = random.Random(seed).gauss(0.0, 0.1)
    return _clip(0.10 + 0.60 * t["agreeableness"] - 0.10 * (t["neuroticism"] - 0.5) + e)


def dictator(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    pie = facts["pie"]
    give = round(pie * _clip(0.05 + 0.75 * prosociality(facts)))
    return {"thought": f"I'll give {give} of {pie}.", "amount": give}


def offer(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    pie = facts["pie"]
    amount = round(pie * _clip(0.15 + 0.45 * prosociality(facts)))
    return {"thought": f"An offer of {amount} should be accepted.", "offer": amount}


def respond(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    pie, got = facts["pie"], facts["offer"]
    accept = got >= pie * (0.40 - 0.30 * facts["traits"]["agreeableness"])
    return {
        "thought": f"{got} of {pie} is {'fair enough' if accept else 'insulting'}.",
        "accept": accept,
    }


def contribute(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    endowment = facts["endowment"]
    amount = endowment * prosociality(facts)
    for others_mean in facts.get("others_history", []):
        amount += 0.5 * (others_mean - amount)
    amount = max(0, min(endowment, round(amount)))
    return {"thought": f"I'll put {amount} into the pot.", "amount": amount}


def choose(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    history = facts.get("partner_history", [])
    if not history:
        cooperate = rng.random() < 0.2 + 0.7 * prosociality(facts)
    elif history[-1] == "cooperate":
        cooperate = True
    else:
        cooperate = rng.random() < 0.4 * facts["traits"]["agreeableness"]
    return {
        "thought": "Let's see what they do." if not history else "They did " + history[-1] + ".",
        "choice": "cooperate" if cooperate else "defect",
    }


def expect(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    p = prosociality(facts)
    s = facts["settings"]
    return {
        "my_dictator_give": round(s["dictator_pie"] * _clip(0.05 + 0.75 * p)),
        "my_ultimatum_offer": round(s["ultimatum_pie"] * _clip(0.15 + 0.45 * p)),
        "my_public_goods_contribution": round(s["public_goods_endowment"] * p),
        "my_cooperation_chance": round(0.2 + 0.7 * p, 2),
        "others_dictator_give": round(s["dictator_pie"] * 0.5),
        "others_public_goods_contribution": round(s["public_goods_endowment"] * 0.5),
        "others_cooperation_chance": 0.5,
    }


POLICIES: dict[str, Policy] = {
    "games.expectation": expect,
    "games.dictator": dictator,
    "games.ultimatum.offer": offer,
    "games.ultimatum.respond": respond,
    "games.public_goods": contribute,
    "games.pd": choose,
}
"""Registered through the scenario's ``SCENARIO`` entry when a world file names it."""
