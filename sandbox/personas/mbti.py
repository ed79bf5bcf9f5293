"""MBTI type -> Big Five, from published correlations between MBTI scales and NEO domains.

Source: McCrae & Costa (1989), NEO-PI against MBTI continuous scores (scored positive towards I, N,
F, P), men / women: E with EI -.74 / -.69; O with SN .72 / .69; A with TF .44 / .46; C with JP
-.49 / -.46; N only weakly related to any scale. We use the mean of men and women.

A type fixes which side of each MBTI scale a person is on. If a trait's z and the scale are
bivariate normal with correlation r, knowing the side moves the trait's expected z to
sign * |r| * 0.798 (0.798 is the mean of a half-normal). A persona given only a type gets these
expectations for E, O, A and C, and Neuroticism, which the type does not predict, drawn from the
population prior z ~ N(0, 1) with the persona's seed. The score is Phi(z), a percentile in [0, 1]:
E and O come out at about .72 or .28, A at .64 or .36, C at .65 or .35.

``big_five_from_mbti(..., vary=True)`` also draws individual variation around the expectation,
with the remaining variance 1 - (0.798 r)^2, for studies that want types to overlap as people do.
"""

from __future__ import annotations

import hashlib
import math
import random

from sandbox.personas.persona import BigFive

HALF_NORMAL_MEAN = math.sqrt(2 / math.pi)  # 0.798

# domain -> (MBTI letter position, letter that goes with the HIGH pole, |r| averaged over sexes)
MBTI_CORRELATIONS: dict[str, tuple[int, str, float]] = {
    "extraversion": (0, "E", (0.74 + 0.69) / 2),
    "openness": (1, "N", (0.72 + 0.69) / 2),
    "agreeableness": (2, "F", (0.44 + 0.46) / 2),
    "conscientiousness": (3, "J", (0.49 + 0.46) / 2),
}


def phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _shift(mbti: str, domain: str) -> tuple[float, float]:
    position, high_letter, r = MBTI_CORRELATIONS[domain]
    sign = 1.0 if mbti[position] == high_letter else -1.0
    mean = sign * r * HALF_NORMAL_MEAN
    return mean, math.sqrt(1.0 - (r * HALF_NORMAL_MEAN) ** 2)


def expected_big_five(mbti: str) -> BigFive:
    """The Big Five a type implies on average (Neuroticism at the population median)."""
    scores = {d: round(phi(_shift(mbti, d)[0]), 4) for d in MBTI_CORRELATIONS}
    return BigFive(**scores, neuroticism=0.5)


def big_five_from_mbti(mbti: str, seed_material: str, *, vary: bool = False) -> BigFive:
    """A persona of that type: E, O, A, C at the type's expectation (plus seeded variation when
    ``vary``), Neuroticism drawn from the prior."""
    digest = hashlib.blake2b(f"mbti|{mbti}|{seed_material}".encode(), digest_size=8).digest()
    rng = random.Random(int.from_bytes(digest, "big"))
    scores = {}
    for domain in MBTI_CORRELATIONS:
        mean, sd = _shift(mbti, domain)
        z = mean + sd * rng.gauss(0.0, 1.0) if vary else mean
        scores[domain] = round(phi(z), 4)
    scores["neuroticism"] = round(phi(rng.gauss(0.0, 1.0)), 4)
    return BigFive(**scores)
