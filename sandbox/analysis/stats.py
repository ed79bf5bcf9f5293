"""Statistics used across analyses: effect sizes with their chance level, permutation p-values and
bootstrap intervals. Distributions, tests and resampling come from ``scipy.stats`` (imported where
used, so importing the analysis package stays light).

Why chance matters here: with N observations in k groups, eta^2 = SS_between / SS_total is about
(k - 1) / (N - 1) when the groups do not differ at all. With 50 trustors in 4 groups that is .06, as
large as many effects a study reports. Every effect size therefore comes with a chance-corrected
value (epsilon^2 or omega^2, which are 0 in expectation under no effect and may be negative) and a
permutation p-value or a bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

#: Resamples for permutation tests and bootstrap intervals (seeded: results are reproducible).
N_RESAMPLES = 2000
DEFAULT_SEED = 0


def rankdata(values: Sequence[float]) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank."""
    from scipy.stats import rankdata as scipy_rankdata

    return scipy_rankdata(np.asarray(values, dtype=float))


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho. NaN when either side is constant or has fewer than two values."""
    if len(x) != len(y):
        raise ValueError(f"spearman needs equal lengths, got {len(x)} and {len(y)}")
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan")
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def pearson(x: ArrayLike, y: ArrayLike) -> float:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


# --- one-way effect sizes -----------------------------------------------------------------------


def _groups(values: Sequence[float], groups: Sequence[object]) -> list[np.ndarray]:
    v = np.asarray(values, dtype=float)
    g = np.asarray([str(x) for x in groups])
    return [v[g == level] for level in np.unique(g)]


def _sums_of_squares(samples: Sequence[np.ndarray]) -> tuple[float, float, int, int]:
    """(SS_between, SS_within, k, N) of a one-way layout."""
    allv = np.concatenate(samples)
    grand = allv.mean()
    ss_b = float(sum(len(s) * (s.mean() - grand) ** 2 for s in samples))
    ss_w = float(sum(((s - s.mean()) ** 2).sum() for s in samples))
    return ss_b, ss_w, len(samples), len(allv)


def eta_squared(values: Sequence[float], groups: Sequence[object]) -> float:
    """Behavioural effect size of a one-way design: SS_between / SS_total."""
    ss_b, ss_w, _, _ = _sums_of_squares(_groups(values, groups))
    return ss_b / (ss_b + ss_w) if ss_b + ss_w > 0 else 0.0


def epsilon_squared(values: Sequence[float], groups: Sequence[object]) -> float:
    """Chance-corrected eta^2: (SS_B - (k - 1) MS_W) / SS_T. About 0 when groups do not differ."""
    ss_b, ss_w, k, n = _sums_of_squares(_groups(values, groups))
    if ss_b + ss_w == 0 or n <= k:
        return float("nan") if n <= k else 0.0
    return (ss_b - (k - 1) * ss_w / (n - k)) / (ss_b + ss_w)


def omega_squared(values: Sequence[float], groups: Sequence[object]) -> float:
    """Chance-corrected eta^2: (SS_B - (k - 1) MS_W) / (SS_T + MS_W)."""
    ss_b, ss_w, k, n = _sums_of_squares(_groups(values, groups))
    return _omega(ss_b, ss_w, k, n)


def _omega(ss_b: float, ss_w: float, k: int, n: int) -> float:
    if n <= k:
        return float("nan")
    ms_w = ss_w / (n - k)
    total = ss_b + ss_w + ms_w
    return (ss_b - (k - 1) * ms_w) / total if total > 0 else 0.0


def chance_eta_squared(k: int, n: int) -> float:
    """The expected eta^2 of k groups of n observations in all when the groups do not differ."""
    return (k - 1) / (n - 1) if n > 1 else float("nan")


def _summary_ss(
    means: Sequence[float], sds: Sequence[float], n: int | Sequence[int]
) -> tuple[float, float, np.ndarray]:
    mu = np.asarray(means, dtype=float)
    sd = np.asarray(sds, dtype=float)
    counts = np.full(len(mu), n, dtype=float) if np.isscalar(n) else np.asarray(n, dtype=float)
    if not len(mu) == len(sd) == len(counts):
        raise ValueError("means, sds and n must have one entry per level")
    grand = float((counts * mu).sum() / counts.sum())
    ss_b = float((counts * (mu - grand) ** 2).sum())
    ss_w = float(((counts - 1) * sd**2).sum())
    return ss_b, ss_w, counts


def eta_squared_from_summary(
    means: Sequence[float], sds: Sequence[float], n: int | Sequence[int]
) -> float:
    """Effect size implied by per-level means and SDs with n per level (the belief side):
    SS_B / (SS_B + SS_W), SS_B = sum n_k (mu_k - mu)^2, SS_W = sum (n_k - 1) sigma_k^2, where mu is
    the n-weighted grand mean."""
    ss_b, ss_w, _ = _summary_ss(means, sds, n)
    return ss_b / (ss_b + ss_w) if ss_b + ss_w > 0 else 0.0


def omega_squared_from_summary(
    means: Sequence[float], sds: Sequence[float], n: int | Sequence[int]
) -> float:
    """omega^2 implied by per-level means, SDs and sizes (the chance-corrected belief effect)."""
    ss_b, ss_w, counts = _summary_ss(means, sds, n)
    return _omega(ss_b, ss_w, len(counts), int(counts.sum()))


def _eta_along(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
    """eta^2 of samples along ``axis`` (vectorised for permutation tests and bootstraps)."""
    allv = np.concatenate(samples, axis=axis)
    grand = allv.mean(axis=axis, keepdims=True)
    ss_t = ((allv - grand) ** 2).sum(axis=axis)
    ss_b = sum(
        s.shape[axis] * (s.mean(axis=axis, keepdims=True) - grand) ** 2 for s in samples
    ).squeeze(axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ss_t > 0, ss_b / np.where(ss_t > 0, ss_t, 1), 0.0)


def permutation_p_eta_squared(
    values: Sequence[float],
    groups: Sequence[object],
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> float:
    """P(eta^2 >= observed) when group labels are shuffled (one-sided permutation test)."""
    samples = _groups(values, groups)
    if len(samples) < 2 or sum(len(s) for s in samples) <= len(samples):
        return float("nan")
    from scipy.stats import permutation_test

    result = permutation_test(
        samples,
        _eta_along,
        permutation_type="independent",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="greater",
        rng=np.random.default_rng(seed),
    )
    return float(result.pvalue)


@dataclass(frozen=True)
class OneWayEffect:
    """A one-way effect: eta^2 with its chance level and chance-corrected versions."""

    k: int
    n: int
    eta2: float
    eta2_chance: float
    epsilon2: float
    omega2: float
    p_perm: float


def one_way_effect(
    values: Sequence[float],
    groups: Sequence[object],
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> OneWayEffect:
    samples = _groups(values, groups)
    k, n = len(samples), sum(len(s) for s in samples)
    return OneWayEffect(
        k=k,
        n=n,
        eta2=eta_squared(values, groups),
        eta2_chance=chance_eta_squared(k, n),
        epsilon2=epsilon_squared(values, groups),
        omega2=omega_squared(values, groups),
        p_perm=permutation_p_eta_squared(values, groups, n_resamples=n_resamples, seed=seed),
    )


# --- resampling intervals ------------------------------------------------------------------------


def bootstrap_ci(
    samples: Sequence[ArrayLike],
    statistic: Callable[..., Any],
    *,
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(*samples, axis=-1)``, resampling each sample
    independently (stratified: every group keeps its size). ``statistic`` is vectorised."""
    arrays = [np.asarray(s, dtype=float) for s in samples]
    if any(len(a) < 2 for a in arrays):
        return float("nan"), float("nan")
    from scipy.stats import bootstrap

    with np.errstate(invalid="ignore", divide="ignore"):
        result = bootstrap(
            arrays,
            statistic,
            vectorized=True,
            n_resamples=n_resamples,
            confidence_level=confidence,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    low, high = result.confidence_interval
    return float(low), float(high)


def mean_ci(values: Sequence[float], **kwargs: Any) -> tuple[float, float]:
    """Bootstrap interval of a mean."""
    return bootstrap_ci([values], lambda x, axis=-1: np.mean(x, axis=axis), **kwargs)


def _ranks_along(x: np.ndarray, axis: int = -1) -> np.ndarray:
    from scipy.stats import rankdata as scipy_rankdata

    return scipy_rankdata(x, axis=axis)


def rho_to_means_ci(
    belief: Sequence[float], samples: Sequence[Sequence[float]], **kwargs: Any
) -> tuple[float, float]:
    """Interval of Spearman(belief score per group, mean of each group's sample), resampling the
    observations within each group."""
    b = _ranks_along(np.asarray(belief, dtype=float))
    b = (b - b.mean()) / (b.std() or 1.0)

    def stat(*xs: np.ndarray, axis: int = -1) -> np.ndarray:
        means = np.stack([x.mean(axis=axis) for x in xs], axis=-1)
        r = _ranks_along(means, axis=-1)
        r = r - r.mean(axis=-1, keepdims=True)
        sd = r.std(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(sd > 0, (r * b).mean(axis=-1) / np.where(sd > 0, sd, 1), np.nan)

    return bootstrap_ci(samples, stat, **kwargs)


def eta_gap_ci(
    belief_eta2: float, samples: Sequence[Sequence[float]], **kwargs: Any
) -> tuple[float, float]:
    """Interval of |belief eta^2 - behavioural eta^2|, resampling observations within groups."""
    return bootstrap_ci(
        samples, lambda *xs, axis=-1: np.abs(belief_eta2 - _eta_along(*xs, axis=axis)), **kwargs
    )


# --- paired and correlational tests --------------------------------------------------------------


@dataclass(frozen=True)
class PairedTest:
    n: int
    mean_before: float
    mean_after: float
    mean_change: float
    d_z: float
    t: float
    p: float
    ci_low: float
    ci_high: float
    p_wilcoxon: float


def paired_test(before: Sequence[float], after: Sequence[float]) -> PairedTest:
    """Paired t-test (scipy) of after - before, with Cohen's d_z, the t interval of the mean change
    and the Wilcoxon signed-rank p (NaN when every change is zero)."""
    a, b = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    diff = b - a
    n = len(diff)
    nan = float("nan")
    if n < 2:
        return PairedTest(n, *([nan] * 9))
    from scipy.stats import ttest_rel, wilcoxon

    sd = float(diff.std(ddof=1))
    if sd == 0:
        t, p, low, high = nan, nan, float(diff.mean()), float(diff.mean())
    else:
        res = ttest_rel(b, a)
        ci = res.confidence_interval()
        t, p, low, high = float(res.statistic), float(res.pvalue), float(ci.low), float(ci.high)
    p_w = float(wilcoxon(diff).pvalue) if np.any(diff != 0) else nan
    return PairedTest(
        n=n,
        mean_before=float(a.mean()),
        mean_after=float(b.mean()),
        mean_change=float(diff.mean()),
        d_z=float(diff.mean()) / sd if sd > 0 else nan,
        t=t,
        p=p,
        ci_low=low,
        ci_high=high,
        p_wilcoxon=p_w,
    )


@dataclass(frozen=True)
class PermutationCorrelation:
    """A correlation next to what shuffling gives: ``null_mean`` is the chance level (not always
    0: corr(change, initial) is negative even when changes are pure noise), ``corrected`` is
    ``r - null_mean`` and ``p`` is two-sided, P(|r_perm - null_mean| >= |r - null_mean|)."""

    r: float
    null_mean: float
    corrected: float
    p: float


def permutation_correlation(
    statistic: Callable[[np.random.Generator | None], float],
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> PermutationCorrelation:
    """``statistic(None)`` is the observed value; ``statistic(rng)`` one value with the pairing
    the null hypothesis says is arbitrary shuffled by ``rng``."""
    r = statistic(None)
    rng = np.random.default_rng(seed)
    null = np.array([statistic(rng) for _ in range(n_resamples)])
    null = null[np.isfinite(null)]
    if not np.isfinite(r) or len(null) == 0:
        return PermutationCorrelation(r, float("nan"), float("nan"), float("nan"))
    centre = float(null.mean())
    extreme = np.sum(np.abs(null - centre) >= abs(r - centre) - 1e-12)
    return PermutationCorrelation(r, centre, r - centre, float((extreme + 1) / (len(null) + 1)))


def binomial_p(successes: int, trials: int, chance: float) -> float:
    """Two-sided exact binomial p of ``successes`` in ``trials`` against rate ``chance``."""
    if trials == 0:
        return float("nan")
    from scipy.stats import binomtest

    return float(binomtest(successes, trials, chance).pvalue)


# --- regression ---------------------------------------------------------------------------------


def t_two_sided_p(t: float, df: float) -> float:
    """Two-sided p-value of Student's t with ``df`` degrees of freedom."""
    from scipy.stats import t as student_t

    return float(2 * student_t.sf(abs(t), df))


@dataclass(frozen=True)
class OLSFit:
    coef: np.ndarray
    se: np.ndarray
    p: np.ndarray
    r2: float
    adj_r2: float
    f_p: float


def ols_fit(y: Sequence[float], x: np.ndarray) -> OLSFit:
    """Least squares with an intercept (intercept first): coefficients, standard errors,
    two-sided p-values (Student's t), R^2, adjusted R^2 (chance-corrected) and the F-test's p."""
    from scipy.stats import f as f_dist
    from scipy.stats import t as student_t

    yv = np.asarray(y, dtype=float)
    design = np.column_stack([np.ones(len(yv)), np.asarray(x, dtype=float)])
    n, k = design.shape
    if n <= k:
        raise ValueError(f"ols needs more observations ({n}) than coefficients ({k})")
    beta, *_ = np.linalg.lstsq(design, yv, rcond=None)
    resid = yv - design @ beta
    ss_res = float(resid @ resid)
    sigma2 = ss_res / (n - k)
    cov = sigma2 * np.linalg.pinv(design.T @ design)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, beta / se, np.inf)
    p = np.where(np.isfinite(t), 2 * student_t.sf(np.abs(t), n - k), 0.0)
    ss_tot = float(((yv - yv.mean()) ** 2).sum())
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    adj = 1 - (1 - r2) * (n - 1) / (n - k) if ss_tot > 0 else float("nan")
    if ss_tot > 0 and ss_res > 0 and k > 1:
        f_stat = ((ss_tot - ss_res) / (k - 1)) / (ss_res / (n - k))
        f_p = float(f_dist.sf(f_stat, k - 1, n - k))
    else:
        f_p = float("nan")
    return OLSFit(beta, se, p, r2, adj, f_p)


def ols(y: Sequence[float], x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(coefficients, standard errors, two-sided p-values), intercept first; see ``ols_fit``."""
    fit = ols_fit(y, x)
    return fit.coef, fit.se, fit.p


def interval(low: float, high: float, digits: int = 2) -> str:
    """An interval as report text: '[.12, .34]'."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "[n/a]"
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


def wilson_ci(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (sensible at 0 or all successes, unlike a bootstrap
    of 0/1 values); (nan, nan) for no trials."""
    if trials == 0:
        return float("nan"), float("nan")
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))
