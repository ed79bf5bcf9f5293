"""The Berg trust game, pure: payoffs, bounds, scripted trustees, and rankings for priors."""

from __future__ import annotations

import itertools
import random
from collections.abc import Hashable, Sequence

MULTIPLIER = 3


def check_send(endowment: int, sent: int) -> None:
    if not 0 <= sent <= endowment:
        raise ValueError(f"the trustor can send 0 to {endowment}, not {sent}")


def check_return(sent: int, returned: int) -> None:
    if not 0 <= returned <= MULTIPLIER * sent:
        raise ValueError(f"the trustee can return 0 to {MULTIPLIER * sent}, not {returned}")


def archetype_return(k: int, sent: int) -> int:
    """Scripted trustee M_k: returns min(k, 3 s)."""
    return min(k, MULTIPLIER * sent)


def payoffs(endowment: int, sent: int, returned: int) -> tuple[int, int]:
    """(trustor, trustee) at the end of one game."""
    check_send(endowment, sent)
    check_return(sent, returned)
    return endowment - sent + returned, MULTIPLIER * sent - returned


def archetype_description(k: int, endowment: int) -> str:
    examples = "; ".join(
        f"if you send ${s}, it becomes ${MULTIPLIER * s} and they return ${archetype_return(k, s)}"
        for s in sorted({0, 1, min(2, endowment), endowment // 2, endowment})
    )
    return (
        f"This trustee always returns ${k}, or everything they received if that is less than ${k}. "
        f"For example: {examples}."
    )


def spearman_of_ranks(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Spearman's rho between two rankings of the same items (no ties)."""
    n = len(a)
    if n < 2:
        return float("nan")
    pos = {x: i for i, x in enumerate(b)}
    d2 = sum((i - pos[x]) ** 2 for i, x in enumerate(a))
    return 1 - 6 * d2 / (n * (n * n - 1))


class PerturbationRefused(ValueError):
    """No ranking of this many groups reaches the target Spearman rho (within the tolerance)."""


def reachable_rhos(n: int) -> list[float]:
    """Every Spearman rho a permutation of ``n`` items can have with the original (n <= 8)."""
    items = list(range(n))
    return sorted(
        {round(spearman_of_ranks(p, items), 4) for p in itertools.permutations(items)},
        reverse=True,
    )


def perturb_to(
    ranking: Sequence[str], target: float, seed: int, tolerance: float = 0.1
) -> tuple[list[str], float]:
    """A permutation of ``ranking``, never ``ranking`` itself, whose Spearman rho with it is as
    close to ``target`` as any, and that rho. Ties are broken by a seeded choice; more than 8 levels
    use a seeded random search.

    Raises ``PerturbationRefused`` when no such permutation is within ``tolerance`` of ``target``:
    with 2 groups rho is +1 or -1, with 3 it is 1, .5, -.5 or -1, so neither .8 nor .2 is reachable
    and a "perturbed" prior would be the original ranking (or its reverse).
    """
    items = list(ranking)
    rng = random.Random(seed)
    if len(items) <= 8:
        candidates = list(itertools.permutations(items))
    else:
        candidates = [tuple(rng.sample(items, len(items))) for _ in range(20_000)]
    candidates = [c for c in candidates if list(c) != items]
    scored = [(abs(spearman_of_ranks(c, items) - target), c) for c in candidates]
    best = min((d for d, _ in scored), default=float("inf"))
    if best > tolerance + 1e-9:
        reachable = (
            ", ".join(f"{r:g}" for r in reachable_rhos(len(items))) if len(items) <= 8 else ""
        )
        raise PerturbationRefused(
            f"{len(items)} groups cannot be ranked at Spearman rho {target:g} with the original "
            f"(within {tolerance:g}; reachable: {reachable or 'none close enough'}); "
            "this attribute's prior is not stated in this condition"
        )
    closest = [c for d, c in scored if d == best]
    chosen = list(rng.choice(closest))
    return chosen, round(spearman_of_ranks(chosen, items), 4)


def perturb_ranking(ranking: Sequence[str], target: float, seed: int) -> list[str]:
    """A permutation of ``ranking`` whose Spearman rho with it is as close to ``target`` as any
    (may be ``ranking`` itself when nothing else is closer; see ``perturb_to``)."""
    items = list(ranking)
    rng = random.Random(seed)
    if len(items) <= 8:
        candidates = list(itertools.permutations(items))
    else:
        candidates = [tuple(rng.sample(items, len(items))) for _ in range(20_000)]
    best = min(abs(spearman_of_ranks(c, items) - target) for c in candidates)
    closest = [c for c in candidates if abs(spearman_of_ranks(c, items) - target) == best]
    return list(rng.choice(closest))
