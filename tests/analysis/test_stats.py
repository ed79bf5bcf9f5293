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
