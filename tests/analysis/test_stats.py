import math

import pytest

from sandbox.analysis import eta_squared, eta_squared_from_summary, rankdata, spearman


def test_eta_squared_from_summary_matches_the_papers_example():
    value = eta_squared_from_summary([3.5, 6.5, 4.5, 5.5], [1.5, 2.5, 1.8, 2.2], 100)
    assert round(value, 5) == 0.23349


def test_eta_squared_from_summary_by_hand():
    # two groups of 10: means 2 and 4 (grand 3), SDs 1 and 1
    # SS_B = 10*1 + 10*1 = 20; SS_W = 9*1 + 9*1 = 18; eta^2 = 20/38
    assert eta_squared_from_summary([2, 4], [1, 1], 10) == pytest.approx(20 / 38)
    # unequal n: weighted grand mean (1*3 + 3*1)/4 = 1.5
    # SS_B = 1*(1.5)^2 + 3*(0.5)^2 = 3.0; SS_W = 0 + 2*1 = 2; eta^2 = 0.6
    assert eta_squared_from_summary([3, 1], [0, 1], [1, 3]) == pytest.approx(0.6)
    assert eta_squared_from_summary([5, 5], [0, 0], 10) == 0.0


def test_behavioural_eta_squared_by_hand():
    # groups a: 1, 3 (mean 2); b: 5, 7 (mean 6); grand 4
    # SS_total = 9 + 1 + 1 + 9 = 20; SS_between = 2*4 + 2*4 = 16
    assert eta_squared([1, 3, 5, 7], ["a", "a", "b", "b"]) == pytest.approx(0.8)
    assert eta_squared([2, 2, 2], ["a", "b", "c"]) == 0.0


def test_spearman_and_ranks():
    assert list(rankdata([10, 20, 20, 30])) == [1, 2.5, 2.5, 4]
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # d = (0, 1, -1, 0): rho = 1 - 6*2 / (4*15) = 0.8
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ValueError, match="equal lengths"):
        spearman([1, 2], [1])


def test_chance_corrected_effect_sizes_by_hand():
    from sandbox.analysis.stats import chance_eta_squared, epsilon_squared, omega_squared

    # a: 1, 3; b: 5, 7 -> SS_B = 16, SS_W = 4, k = 2, N = 4, MS_W = 2
    values, groups = [1, 3, 5, 7], ["a", "a", "b", "b"]
    assert epsilon_squared(values, groups) == pytest.approx((16 - 2) / 20)
    assert omega_squared(values, groups) == pytest.approx((16 - 2) / (20 + 2))
    assert chance_eta_squared(4, 50) == pytest.approx(3 / 49)


def test_omega_squared_from_summary_on_the_papers_case():
    from sandbox.analysis.stats import omega_squared_from_summary

    means, sds = [3.5, 6.5, 4.5, 5.5], [1.5, 2.5, 1.8, 2.2]
    # SS_B = 500, SS_W = 99 * 15.73 = 1557.27, MS_W = SS_W / 396
    ss_w = 99 * (1.5**2 + 2.5**2 + 1.8**2 + 2.2**2)
    expected = (500 - 3 * ss_w / 396) / (500 + ss_w + ss_w / 396)
    assert omega_squared_from_summary(means, sds, 100) == pytest.approx(expected)


def test_null_effects_are_near_chance_and_not_significant():
    import numpy as np

    from sandbox.analysis.stats import one_way_effect

    rng = np.random.default_rng(7)
    values, groups = rng.normal(size=50), rng.integers(0, 4, 50)
    null = one_way_effect(values, groups, n_resamples=999)
    assert null.eta2 > 0 and abs(null.omega2) < 0.05 and null.p_perm > 0.05
    effect = one_way_effect(values + 1.5 * (groups == 2), groups, n_resamples=999)
    assert effect.omega2 > 0.2 and effect.p_perm < 0.01
    # permutation p-values are reproducible (seeded)
    again = one_way_effect(values, groups, n_resamples=999)
    assert again.p_perm == null.p_perm


def test_bootstrap_intervals_cover_the_estimate():
    import numpy as np

    from sandbox.analysis.stats import eta_gap_ci, mean_ci, rho_to_means_ci

    rng = np.random.default_rng(3)
    samples = [rng.normal(loc=m, size=20) for m in (0, 1, 2, 3)]
    low, high = rho_to_means_ci([1, 2, 3, 4], samples)
    assert 0.5 <= low <= high <= 1.0
    low, high = mean_ci(samples[0])
    assert low < samples[0].mean() < high
    values = np.concatenate(samples)
    groups = np.repeat([0, 1, 2, 3], 20)
    gap = abs(0.9 - eta_squared(values, groups))
    low, high = eta_gap_ci(0.9, samples)
    assert low <= gap <= high


def test_paired_test_and_ols_use_scipy_distributions():
    import numpy as np
    from scipy import stats

    from sandbox.analysis.stats import ols_fit, paired_test, t_two_sided_p

    before = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    after = before + np.array([0.5, 0.7, 0.2, 0.9, 0.4])
    t = paired_test(before, after)
    ref = stats.ttest_rel(after, before)
    assert t.t == pytest.approx(ref.statistic) and t.p == pytest.approx(ref.pvalue)
    assert t.ci_low < t.mean_change < t.ci_high
    assert t_two_sided_p(2.0, 10) == pytest.approx(0.0734, abs=1e-4)
    x = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array([0.1, 0.9, 2.2, 2.8, 4.1, 5.0])
    fit = ols_fit(y, x)
    reg = stats.linregress(x[:, 0], y)
    assert fit.coef[1] == pytest.approx(reg.slope) and fit.p[1] == pytest.approx(reg.pvalue)
    assert fit.r2 == pytest.approx(reg.rvalue**2) and fit.adj_r2 < fit.r2


def test_wilson_interval_of_a_proportion():
    from sandbox.analysis.stats import wilson_ci

    low, high = wilson_ci(0, 6)
    assert low == 0.0 and high == pytest.approx(0.390, abs=1e-3)
    low, high = wilson_ci(8, 10)
    assert low == pytest.approx(0.490, abs=1e-3) and high == pytest.approx(0.943, abs=1e-3)
    assert all(v != v for v in wilson_ci(0, 0))  # nan without trials
