import itertools

import numpy as np
import pytest

from sandbox.analysis.stats import ols, pearson, t_two_sided_p
from sandbox.scenarios.game_theory import (
    PDPayoffs,
    dictator_payoffs,
    likert_code,
    pd_payoffs,
    public_goods_payoffs,
    round_robin,
    ultimatum_payoffs,
)


def test_prisoners_dilemma_payoffs():
    p = PDPayoffs()
    assert pd_payoffs(True, True, p) == (3, 3)
    assert pd_payoffs(True, False, p) == (0, 5)
    assert pd_payoffs(False, True, p) == (5, 0)
    assert pd_payoffs(False, False, p) == (1, 1)
    with pytest.raises(ValueError, match="T > R > P > S"):
        PDPayoffs(T=3, R=5, P=1, S=0)


def test_public_goods_payoffs():
    # 4 players, endowment 20, multiplier 1.6: pot 40 * 1.6 = 64, 16 each
    assert public_goods_payoffs([20, 10, 10, 0], 20, 1.6) == [16, 26, 26, 36]
    assert sum(public_goods_payoffs([5, 5], 10, 2.0)) == pytest.approx(30)
    with pytest.raises(ValueError):
        public_goods_payoffs([21, 0], 20, 1.6)


def test_ultimatum_and_dictator_payoffs():
    assert ultimatum_payoffs(10, 4, True) == (6, 4)
    assert ultimatum_payoffs(10, 4, False) == (0, 0)
    assert dictator_payoffs(10, 3) == (7, 3)
    with pytest.raises(ValueError):
        ultimatum_payoffs(10, 11, True)
    with pytest.raises(ValueError):
        dictator_payoffs(10, -1)


@pytest.mark.parametrize(("n", "rounds"), [(4, 3), (6, 5), (5, 5), (2, 1)])
def test_round_robin_meets_each_pair_at_most_once(n, rounds):
    people = [f"p{i}" for i in range(n)]
    schedule = round_robin(people, rounds)
    seen = [frozenset(p) for r in schedule for p in r]
    assert len(seen) == len(set(seen))
    for r in schedule:  # nobody twice in a round
        members = [m for p in r for m in p]
        assert len(members) == len(set(members))
    if n % 2 == 0 and rounds == n - 1:
        assert set(seen) == {frozenset(c) for c in itertools.combinations(people, 2)}
    with pytest.raises(ValueError, match="at most"):
        round_robin(people, n + 1)


def test_likert_codes():
    assert [likert_code(v) for v in (-3, -1.2, 0.1, 0.9, 2.0, 9)] == [
        -2.5,
        -1.5,
        0.5,
        0.5,
        1.5,
        2.5,
    ]


def test_pearson_and_ols_by_hand():
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    x = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0], [5.0, 0.0]])
    y = 1 + 2 * x[:, 0] - 3 * x[:, 1]
    beta, se, _p = ols(y, x)
    assert beta == pytest.approx([1, 2, -3], abs=1e-9)
    assert np.all(se < 1e-6)


def test_student_t_p_values():
    assert t_two_sided_p(2.228, 10) == pytest.approx(0.05, abs=5e-4)  # the textbook 5% value
    assert t_two_sided_p(0.0, 10) == pytest.approx(1.0)
    assert t_two_sided_p(1.96, 1e6) == pytest.approx(0.05, abs=5e-4)  # tends to the normal
