import pytest

from sandbox.scenarios.trust_game import (
    archetype_description,
    archetype_return,
    check_return,
    payoffs,
    perturb_ranking,
    spearman_of_ranks,
)


def test_payoffs():
    assert payoffs(10, 0, 0) == (10, 0)
    assert payoffs(10, 4, 6) == (12, 6)  # 10 - 4 + 6; 12 - 6
    assert payoffs(10, 10, 30) == (30, 0)
    assert payoffs(100, 50, 75) == (125, 75)


@pytest.mark.parametrize(
    ("endowment", "sent", "returned"), [(10, 11, 0), (10, -1, 0), (10, 5, 16), (10, 5, -1)]
)
def test_bounds_are_enforced(endowment, sent, returned):
    with pytest.raises(ValueError):
        payoffs(endowment, sent, returned)


def test_archetypes_return_min_k_3s():
    assert [archetype_return(1, s) for s in (0, 1, 5)] == [0, 1, 1]
    assert [archetype_return(5, s) for s in (0, 1, 2, 10)] == [0, 3, 5, 5]
    for k in (1, 3, 5):
        for s in range(11):
            check_return(s, archetype_return(k, s))
    assert "returns $3" in archetype_description(3, 10)


def test_perturbed_rankings_hit_the_target_correlation():
    original = ["a", "b", "c", "d", "e", "f", "g"]
    assert spearman_of_ranks(original, original) == 1.0
    weak = perturb_ranking(original, 0.8, seed=1)
    strong = perturb_ranking(original, 0.2, seed=1)
    assert sorted(weak) == sorted(original) == sorted(strong)
    assert abs(spearman_of_ranks(weak, original) - 0.8) < 0.03
    assert abs(spearman_of_ranks(strong, original) - 0.2) < 0.03
    assert perturb_ranking(original, 0.2, seed=1) == strong  # seeded
    # two items: rho is 1 or -1; 1 is the closer to .2
    assert perturb_ranking(["x", "y"], 0.2, seed=3) == ["x", "y"]
