"""The Berg trust game, pure: payoffs, bounds, scripted trustees, and rankings for priors."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

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


def spearman_of_ranks(a: Sequence[str], b: Sequence[str]) -> float:
    """Spearman's rho between two rankings of the same items (no ties)."""
    n = len(a)
    if n < 2:
        return float("nan")
    pos = {x: i for i, x in enumerate(b)}
    d2 = sum((i - pos[x]) ** 2 for i, x in enumerate(a))
    return 1 - 6 * d2 / (n * (n * n - 1))


def perturb_ranking(ranking: Sequence[str], target: float, seed: int) -> list[str]:
    """A permutation of ``ranking`` whose Spearman rho with it is as close to ``target`` as any.

    Ties are broken by a seeded choice. For more than 8 levels, a seeded random search.
    """
    items = list(ranking)
    rng = random.Random(seed)
    if len(items) <= 8:
        candidates = list(itertools.permutations(items))
    else:
        candidates = [tuple(rng.sample(items, len(items))) for _ in range(20_000)]
    best = min(abs(spearman_of_ranks(c, items) - target) for c in candidates)
    closest = [c for c in candidates if abs(spearman_of_ranks(c, items) - target) == best]
    return list(rng.choice(closest))
