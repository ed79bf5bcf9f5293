"""Sampling personas: Big Five to a target distribution, and stratified designs.

Scores live on [0, 1] as population percentiles: a score is Phi(z) for a standard-normal z. Targets
are given on the same scale (``means``: the median score per domain; ``sds``: spread in z units).
With ``correlated=True`` the five z's are drawn jointly with ``BIG_FIVE_CORRELATIONS`` (or any
matrix you pass).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from sandbox.errors import ConfigError
from sandbox.personas.attributes import attribute_getter, trait_band
from sandbox.personas.persona import BIG_FIVE_DOMAINS, BigFive, Persona

__all__ = ["attribute_getter", "sample", "sample_big_five", "stratified", "trait_band"]

# Meta-analytic Big Five intercorrelations, order O, C, E, A, N (BIG_FIVE_DOMAINS), after van der
# Linden, te Nijenhuis & Bakker (2010, J. Res. Pers. 44:315-327, K = 212, N = 144,117), Emotional
# Stability reversed into Neuroticism. The figures were transcribed from memory of that table and
# have NOT been checked against the paper here: docs/personas.md says so; pass your own matrix for
# published work.
BIG_FIVE_CORRELATIONS: tuple[tuple[float, ...], ...] = (
    # O      C      E      A      N
    (1.00, 0.20, 0.43, 0.21, -0.08),  # O
    (0.20, 1.00, 0.29, 0.43, -0.26),  # C
    (0.43, 0.29, 1.00, 0.20, -0.19),  # E
    (0.21, 0.43, 0.20, 1.00, -0.25),  # A
    (-0.08, -0.26, -0.19, -0.25, 1.00),  # N
)

_STD = NormalDist()


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def sample_big_five(
    n: int,
    seed: int,
    *,
    means: dict[str, float] | None = None,
    sds: dict[str, float] | None = None,
    correlated: bool = False,
    correlation: Sequence[Sequence[float]] | None = None,
) -> list[BigFive]:
    """``n`` Big Five profiles, reproducible from ``seed``."""
    for label, target in (("means", means or {}), ("sds", sds or {})):
        unknown = set(target) - set(BIG_FIVE_DOMAINS)
        if unknown:
            raise ConfigError(f"{label}: unknown domain(s) {sorted(unknown)}")
    mu = np.array(
        [
            _STD.inv_cdf(min(max((means or {}).get(d, 0.5), 1e-6), 1 - 1e-6))
            for d in BIG_FIVE_DOMAINS
        ]
    )
    sd = np.array([(sds or {}).get(d, 1.0) for d in BIG_FIVE_DOMAINS])
    corr = np.array(correlation if correlation is not None else BIG_FIVE_CORRELATIONS)
    if not correlated and correlation is None:
        corr = np.eye(5)
    if (
        corr.shape != (5, 5)
        or not np.allclose(corr, corr.T)
        or np.any(np.linalg.eigvalsh(corr) <= 0)
    ):
        raise ConfigError(
            "correlation must be a symmetric positive-definite 5x5 matrix (O, C, E, A, N)"
        )
    cov = corr * np.outer(sd, sd)
    z = np.random.default_rng(seed).multivariate_normal(mu, cov, size=n)
    return [
        BigFive(**{d: round(_phi(float(v)), 4) for d, v in zip(BIG_FIVE_DOMAINS, row, strict=True)})
        for row in z
    ]


def stratified(bank: Sequence[Persona], attribute: str, per_level: int, seed: int) -> list[Persona]:
    """``per_level`` personas for every level of ``attribute``, drawn without replacement."""
    get = attribute_getter(attribute)
    levels: dict[Any, list[Persona]] = {}
    for persona in bank:
        value = get(persona)
        if value is not None:
            levels.setdefault(value, []).append(persona)
    if not levels:
        raise ConfigError(f"no persona in the bank has attribute {attribute!r}")
    short = {str(k): len(v) for k, v in levels.items() if len(v) < per_level}
    if short:
        raise ConfigError(
            f"cannot draw {per_level} per level of {attribute!r}: too few personas at {short}"
        )
    rng = random.Random(seed)
    out: list[Persona] = []
    for value in sorted(levels, key=str):
        out.extend(rng.sample(levels[value], per_level))
    return out


def sample(bank: Sequence[Persona], n: int, seed: int) -> list[Persona]:
    if n > len(bank):
        raise ConfigError(f"cannot sample {n} personas from a bank of {len(bank)}")
    return random.Random(seed).sample(list(bank), n)
