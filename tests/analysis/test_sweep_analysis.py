"""A sweep in pandas: load_sweep, and table cells as means over seeds with 95% intervals."""

import math

import pytest

from sandbox.analysis import load_sweep, sweep_report
from sandbox.analysis.sweep import across_seeds, interval, t_quantile
from sandbox.runner.sweep import sweep
from tests.conftest import ROOT

TRUST = ROOT / "experiments" / "trust_population.yaml"


def test_t_quantiles_match_the_tables():
    assert t_quantile(0.975, 2) == pytest.approx(4.302653, abs=1e-5)
    assert t_quantile(0.975, 4) == pytest.approx(2.776445, abs=1e-5)
    assert t_quantile(0.975, 30) == pytest.approx(2.042272, abs=1e-5)


def test_interval_is_the_t_interval_over_seeds():
    mean, lo, hi, n = interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert (mean, n) == (3.0, 5)
    assert lo == pytest.approx(3 - half, abs=1e-5) and hi == pytest.approx(3 + half, abs=1e-5)
    assert math.isnan(interval([2.0])[1]) and interval([])[3] == 0


@pytest.fixture(scope="module")
def trust_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("trust") / "sweep"
    assert sweep(TRUST, out, seeds=3, workers=2).completed == 3
    return out


def test_load_sweep_gives_every_table_with_seed_and_condition(trust_sweep):
    ss = load_sweep(trust_sweep)
    assert sorted(ss.runs["seed"]) == [1, 2, 3]
    assert len(ss.manifest) == 3 and set(ss.manifest["status"]) == {"completed"}
    assert set(ss.actions["seed"]) == {1, 2, 3} and set(ss.beliefs["condition"]) == {"population"}
    assert ss.actions.groupby("seed")["agent"].nunique().tolist() == [50, 50, 50]


def test_the_report_over_seeds_is_the_mean_and_interval_of_per_seed_values(trust_sweep):
    report = sweep_report(trust_sweep)
    title = "Population beliefs vs behaviour: median rho"
    per_seed = report.per_seed[title]
    assert list(per_seed.columns) == [1, 2, 3]
    summary = report.summaries[title].set_index(["strategy", "model"])
    for key, values in per_seed.iterrows():
        mean, lo, hi, n = interval(values.tolist())
        assert summary.loc[key, "mean"] == pytest.approx(mean)
        assert summary.loc[key, "low"] == pytest.approx(lo) and n == 3
        assert summary.loc[key, "high"] == pytest.approx(hi)
    cell = report.tables[title].loc["ctx_rank", "heuristic"]
    assert cell.count("[") == 1 and cell.endswith("]")
    assert report.figures[0].exists() and report.seeds == [1, 2, 3]


def test_across_seeds_groups_by_keys():
    import pandas as pd

    df = pd.DataFrame({"k": ["a", "a", "b", "b"], "seed": [1, 2, 1, 2], "value": [1, 3, 5, 5]})
    out = across_seeds(df, ["k"]).set_index("k")
    assert out.loc["a", "mean"] == 2 and out.loc["b", "low"] == out.loc["b", "high"] == 5


def test_a_kind_of_act_missing_from_a_seed_counts_as_a_zero_share_there(tmp_path):
    out = tmp_path / "cafe"
    assert sweep(ROOT / "worlds" / "cafe.yaml", out, seeds=3, workers=2, ticks=3).completed == 3
    acts = load_sweep(out).actions
    shares = acts.groupby(["seed", "kind"]).size().unstack(fill_value=0)
    shares = shares.div(shares.sum(axis=1), axis=0)
    per_seed = sweep_report(out, tmp_path).per_seed["Acts by kind (share of all acts)"]
    for kind in shares.columns:  # every kind has a value for every seed, 0 where it never happened
        got = per_seed.xs(kind, level="kind").iloc[0]  # columns: the seeds
        assert got.tolist() == pytest.approx(shares.loc[got.index, kind].tolist())
