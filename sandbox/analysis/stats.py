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


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-30, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-12:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    import math

    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log(1 - x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """Two-sided p-value of Student's t with ``df`` degrees of freedom."""
    return betainc(df / 2, 0.5, df / (df + t * t))


def ols(y: Sequence[float], x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least squares with an intercept: (coefficients, standard errors, two-sided p-values),
    intercept first."""
    yv = np.asarray(y, dtype=float)
    design = np.column_stack([np.ones(len(yv)), np.asarray(x, dtype=float)])
    n, k = design.shape
    if n <= k:
        raise ValueError(f"ols needs more observations ({n}) than coefficients ({k})")
    beta, *_ = np.linalg.lstsq(design, yv, rcond=None)
    resid = yv - design @ beta
    sigma2 = float(resid @ resid) / (n - k)
    cov = sigma2 * np.linalg.pinv(design.T @ design)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, beta / se, np.inf)
    p = np.array([t_two_sided_p(float(v), n - k) if np.isfinite(v) else 0.0 for v in t])
    return beta, se, p
