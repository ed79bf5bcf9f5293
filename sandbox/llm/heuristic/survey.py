"""The ``survey.item`` and ``survey.batch`` policies: questionnaire answers from assigned traits.

For an item of facet f (domain score when the persona has no facet scores) with score s in [0, 1] on
a scale lo..hi: the expected answer is lo + (hi - lo) * s for plus-keyed items and hi - (hi - lo) * s
for minus-keyed ones. Two kinds of noise make the measured personality close to, but not exactly,
the assigned one: a per-respondent, per-domain self-view error (SD 0.35 scale points, the same for
every item of the domain) and per-item noise (SD 0.75), then rounding and clipping to the scale.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

from sandbox.personas.persona import CODE_DOMAINS

SELF_VIEW_SD = 0.35
ITEM_NOISE_SD = 0.75


def _self_view_error(respondent: str, domain: str) -> float:
    digest = hashlib.blake2b(f"self-view|{respondent}|{domain}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big")).gauss(0.0, SELF_VIEW_SD)


def _answer(facts: Mapping[str, Any], item: Mapping[str, Any], rng: random.Random) -> int:
    lo, hi = facts["scale_min"], facts["scale_max"]
    code = f"{item['domain']}{item['facet']}"
    s = facts.get("facets", {}).get(code, facts["traits"][CODE_DOMAINS[item["domain"]]])
    expected = lo + (hi - lo) * s if item["keyed"] == "plus" else hi - (hi - lo) * s
    bias = _self_view_error(facts["respondent"], item["domain"])
    value = expected + (bias if item["keyed"] == "plus" else -bias) + rng.gauss(0.0, ITEM_NOISE_SD)
    return max(lo, min(hi, round(value)))


def survey_item(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    return {"answer": _answer(facts, facts["items"][0], rng)}


def survey_batch(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    return {f"item_{item['number']}": _answer(facts, item, rng) for item in facts["items"]}
