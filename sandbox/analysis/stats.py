"""Small statistics used across analyses, in numpy (no SciPy dependency)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rankdata(values: Sequence[float]) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank (as scipy.stats.rankdata's default)."""
    a = np.asarray(values, dtype=float)
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a), dtype=float)
    sorted_a = a[order]
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and sorted_a[j + 1] == sorted_a[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho: the Pearson correlation of the ranks. NaN when either side is constant."""
    if len(x) != len(y):
        raise ValueError(f"spearman needs equal lengths, got {len(x)} and {len(y)}")
    if len(x) < 2:
        return float("nan")
    rx, ry = rankdata(x), rankdata(y)
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def eta_squared(values: Sequence[float], groups: Sequence[object]) -> float:
    """Behavioural effect size of a one-way design: SS_between / SS_total."""
    v = np.asarray(values, dtype=float)
    g = np.asarray([str(x) for x in groups])
    grand = v.mean()
    ss_total = float(((v - grand) ** 2).sum())
    if ss_total == 0:
        return 0.0
    ss_between = sum(
        float((g == level).sum()) * (float(v[g == level].mean()) - grand) ** 2
        for level in np.unique(g)
    )
    return ss_between / ss_total


def eta_squared_from_summary(
    means: Sequence[float], sds: Sequence[float], n: int | Sequence[int]
) -> float:
    """Effect size implied by per-level means and SDs with n per level (the belief side):
    SS_B / (SS_B + SS_W), SS_B = sum n_k (mu_k - mu)^2, SS_W = sum (n_k - 1) sigma_k^2, where mu is
    the n-weighted grand mean."""
    mu = np.asarray(means, dtype=float)
    sd = np.asarray(sds, dtype=float)
    counts = np.full(len(mu), n, dtype=float) if np.isscalar(n) else np.asarray(n, dtype=float)
    if not len(mu) == len(sd) == len(counts):
        raise ValueError("means, sds and n must have one entry per level")
    grand = float((counts * mu).sum() / counts.sum())
    ss_b = float((counts * (mu - grand) ** 2).sum())
    ss_w = float(((counts - 1) * sd**2).sum())
    return ss_b / (ss_b + ss_w) if ss_b + ss_w > 0 else 0.0
