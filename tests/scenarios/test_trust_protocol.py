"""The trust study as the paper runs it: wording, per-round forecasts, perturbations that reach
their target, framing as a factor."""

import asyncio
import json

import pytest
import yaml

from sandbox.analysis import load_runs
from sandbox.analysis.trust import forecast_errors, perturbation_table, population_metrics
from sandbox.errors import ConfigError
from sandbox.runner.experiment import arun_experiment
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.scenarios.trust_game import (
    PerturbationRefused,
    perturb_to,
    spearman_of_ranks,
)
from sandbox.scenarios.trust_study import load_study, study_worlds
from sandbox.store.reader import RunReader
from tests.conftest import ROOT


def _study(tmp_path, study, **overrides):
    config = yaml.safe_load((ROOT / f"experiments/trust_{study}.yaml").read_text())
    config.update({"bank": str(ROOT / "personas/gss_bank.jsonl"), "personas": 20, **overrides})
    path = tmp_path / f"{study}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _prompts(run_dir, purpose):
    with RunReader(run_dir) as reader:
        calls = reader.rows("llm_calls", f"purpose = '{purpose}'")
    return ["\n".join(m["content"] for m in json.loads(c["messages"])) for c in calls]


def test_perturbations_reach_their_target_and_refuse_what_they_cannot():
    four = ["a", "b", "c", "d"]
    for target in (0.8, 0.2):
        ranking, rho = perturb_to(four, target, seed=4)
        assert ranking != four and rho == pytest.approx(target)
        assert spearman_of_ranks(ranking, four) == pytest.approx(rho)
    for levels in (["x", "y"], ["x", "y", "z"]):
        with pytest.raises(PerturbationRefused, match=r"cannot be ranked at Spearman rho 0\.8"):
            perturb_to(levels, 0.8, seed=1)


def test_conditioning_stores_the_achieved_rho_and_states_no_unperturbed_prior(tmp_path):
    path = _study(
        tmp_path, "conditioning", conditions=["weak", "strong"],
        attributes=["age_band", "openness", "political_views"],
    )  # fmt: skip
    folder = asyncio.run(arun_experiment(path, RunSettings(out=tmp_path)))
    rs = load_runs(folder)
    table = perturbation_table(rs)
    stated = table[table["stated"]]
    assert set(stated["attribute"]) == {"age_band", "political_views"}
    assert (abs(stated["achieved_rho"] - stated["target_rho"]) <= 0.1).all()
    assert not table[table["attribute"] == "openness"]["stated"].any()  # 3 groups: refused
    elicited = rs.beliefs[rs.beliefs["strategy"] == "noctx_rank"]
    for b in rs.beliefs[rs.beliefs["strategy"].str.startswith("prior:")].itertuples():
        answer = json.loads(b.answer)
        if answer["shown"]:
            original = elicited[(elicited["run"] == b.run) & (elicited["about"] == b.about)]
            assert answer["ranking"] != json.loads(original["answer"].iloc[0])["ranking"]
    shown = rs.events[rs.events["kind"] == "announcement"]["text"]
    assert shown.size and not shown.str.contains("researchers").any()  # neutral by default
    assert not shown.str.contains("openness").any()


def test_a_condition_no_attribute_can_reach_is_refused(tmp_path):
    path = _study(tmp_path, "conditioning", attributes=["openness", "conscientiousness"])
    with pytest.raises(ConfigError, match="condition 'weak' needs a prior ranked at Spearman"):
        study_worlds(load_study(path))


def test_ctx_rank_asks_for_trust_and_labels_keep_their_case(tmp_path):
    path = _study(
        tmp_path, "population", strategies=["ctx_rank"], attributes=["political_views"],
        min_per_level=1,
    )  # fmt: skip
    folder = asyncio.run(arun_experiment(path, RunSettings(out=tmp_path)))
    [run] = [p for p in folder.iterdir() if p.is_dir()]
    [prompt] = _prompts(run, "trust.belief.rank")
    assert "Rank the groups by interpersonal trust" in prompt and "dollars sent" not in prompt
    assert "THE TRUST GAME" in prompt
    [row] = population_metrics(load_runs(folder)).to_dict("records")
    k = len(json.loads(load_runs(folder).beliefs["answer"].iloc[0])["ranking"])
    assert row["eta2_chance"] == pytest.approx((k - 1) / (20 - 1))  # the eta^2 of no effect
    assert 0 < row["p_perm"] <= 1 and row["rho_ci"].startswith("[")


def test_the_authority_frame_and_a_label_keep_their_wording(tmp_path):
    path = _study(
        tmp_path, "conditioning", conditions=["self"], framings=["authority"],
        attributes=["political_views", "age_band"], min_per_level=1,
    )  # fmt: skip
    folder = asyncio.run(arun_experiment(path, RunSettings(out=tmp_path)))
    rs = load_runs(folder)
    assert set(rs.runs["framing"]) == {"authority"} and set(rs.runs["condition"]) == {"self"}
    [text] = rs.events[rs.events["kind"] == "announcement"]["text"]
    assert text.startswith("What researchers have found:")
    first = text.splitlines()[1]
    assert first.startswith("People whose political views is '") or first.startswith("People aged")
    quoted = [line.split("'")[1] for line in text.splitlines()[1:] if "'" in line]
    assert quoted and all(q[0].isupper() for q in quoted)  # str.capitalize lower-cased these


def test_forecasts_are_one_call_per_round_with_the_history_so_far(tmp_path):
    path = _study(
        tmp_path, "forecast", personas=4, archetypes=[3], rounds=3, attributes=["openness"],
        min_per_level=1,
    )  # fmt: skip
    [(_, world)] = study_worlds(load_study(path))
    run = Run.create(world, RunSettings(out=tmp_path))
    run.run()
    run.close()
    prompts = _prompts(run.directory, "trust.forecast")
    assert len(prompts) == 4 * 3
    third = [p for p in prompts if "You are currently in round 3" in p]
    assert len(third) == 4 and all("Round 2: you sent $" in p for p in third)
    errors = forecast_errors(load_runs(run.directory))
    assert sorted(errors["round"].unique()) == [1, 2, 3] and len(errors) == 12


def test_study_framing_is_said_only_when_asked_for(tmp_path):
    path = _study(tmp_path, "forecast", personas=4, archetypes=[3], rounds=1,
                  attributes=["openness"], min_per_level=1, framings=["neutral", "study"])  # fmt: skip
    worlds = study_worlds(load_study(path))
    assert [label for label, _ in worlds] == ["M3", "M3-study"]
    texts = {}
    for label, world in worlds:
        run = Run.create(world, RunSettings(out=tmp_path))
        run.run()
        run.close()
        texts[label] = _prompts(run.directory, "trust.send")[0]
    assert "research study" not in texts["M3"] and "research study" in texts["M3-study"]
