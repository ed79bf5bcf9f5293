import asyncio
import json

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from sandbox.analysis import load_runs
from sandbox.analysis.trust import (
    conditioning_metrics,
    conditioning_table,
    forecast_errors,
    forecast_mae,
    population_metrics,
    sends,
    trust_report,
)
from sandbox.cli import app
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.runner.experiment import arun_experiment
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.scenarios.trust_answers import rank_answer_model, send_answer_model
from sandbox.scenarios.trust_policies import send as heuristic_send
from sandbox.scenarios.trust_study import load_study, study_worlds
from sandbox.store.reader import RunReader
from tests.conftest import ROOT

EXPERIMENTS = ROOT / "experiments"


def small(tmp_path, study, **overrides):
    config = yaml.safe_load((EXPERIMENTS / f"trust_{study}.yaml").read_text())
    config.update(
        {
            "bank": str(ROOT / "personas/gss_bank.jsonl"),
            "personas": 30,
            "attributes": ["age_band", "openness", "conscientiousness", "political_views"],
            **overrides,
        }
    )
    path = tmp_path / f"{study}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_answer_schemas_reject_what_the_game_forbids():
    send = send_answer_model(10)
    assert send.model_validate({"thought": "x", "amount": 10}).amount == 10
    for bad in (11, -1, "maybe", 2.5):
        with pytest.raises(ValidationError):
            send.model_validate({"thought": "x", "amount": bad})
    rank = rank_answer_model(("a", "b", "c"))
    assert (
        rank.model_validate({"ranking": ["c", "a", "b"], "effect_size": "small"}).ranking[0] == "c"
    )
    with pytest.raises(ValidationError, match="exactly once"):
        rank.model_validate({"ranking": ["a", "a", "b"], "effect_size": "small"})
    with pytest.raises(ValidationError):
        rank.model_validate({"ranking": ["a", "b", "z"], "effect_size": "small"})


def test_heuristic_trustors_send_more_with_agreeableness():
    def sent(a):
        facts = {
            "agent": "x",
            "traits": {"agreeableness": a, "openness": 0.5},
            "age": 45,
            "endowment": 10,
        }
        return heuristic_send(facts, None)["amount"]

    assert sent(0.05) < sent(0.5) < sent(0.95)


def test_out_of_range_sends_are_logged_errors_not_crashes(tmp_path):
    study = load_study(
        small(tmp_path, "population", personas=6, attributes=["age_band"], min_per_level=1)
    )
    [(_, world)] = study_worlds(study)

    def bad_sender(facts, rng):  # too much, negative, or words: never a valid send
        return {"thought": "x", "amount": [11, -3, "all of it"][len(facts["agent"]) % 3]}

    client = ModelClient(HeuristicBackend(policies={"trust.send": bad_sender}), max_repairs=1)
    settings = RunSettings(out=tmp_path, max_error_rate=1.0)  # record the errors, do not stop
    run = Run.create(world, settings, client=client)
    run.run()
    run.close()
    with RunReader(run.directory) as reader:
        acts = reader.rows("actions")
        assert len(acts) == 6 and {a["kind"] for a in acts} == {"error"}
        assert all("gave no valid answer" in a["detail"] for a in acts)
        failed = reader.rows("llm_calls", "purpose = 'trust.send'")
        assert all(c["error_type"] == "ModelAnswerError" and c["response"] for c in failed)
        assert reader.run()["status"] == "completed"
    assert sends(load_runs(run.directory)).empty  # excluded from analysis


def test_population_study_offline(tmp_path):
    folder = asyncio.run(arun_experiment(small(tmp_path, "population"), RunSettings(out=tmp_path)))
    rs = load_runs(folder)
    beliefs = rs.beliefs
    assert len(beliefs) == 3 * 4 and set(beliefs["level"]) == {"population"}
    assert beliefs["agent"].isna().all()  # asked of the model, not of a persona
    row = beliefs[beliefs["strategy"] == "ctx_dollars"].iloc[0]
    assert "Assume each group has 100 people" in row["question"] and json.loads(row["answer"])
    assert row["raw"]
    plays = rs.actions[rs.actions["kind"] == "send"]
    assert len(plays) == 30 and plays["value"].between(0, 10).all()
    metrics = population_metrics(rs)
    assert len(metrics) == 12 and metrics["rho"].between(-1, 1).all()
    assert (metrics["gap"] >= 0).all()
    openness = metrics[(metrics["attribute"] == "openness") & (metrics["strategy"] == "noctx_rank")]
    assert openness["eta2_belief"].iloc[0] == pytest.approx(0.06)  # 'medium' label -> Cohen anchor
    report = trust_report(folder)
    assert folder / "population_beliefs.png" in report.figures
    assert (folder / "population_beliefs.png").stat().st_size > 10_000


def test_conditioning_moves_behaviour_towards_the_stated_prior(tmp_path):
    folder = asyncio.run(
        arun_experiment(small(tmp_path, "conditioning", personas=50), RunSettings(out=tmp_path))
    )
    rs = load_runs(folder)
    assert set(rs.runs["condition"]) == {"unconditioned", "self", "weak", "strong"}
    table = conditioning_table(conditioning_metrics(rs))["heuristic"]
    assert table["self"] > table["unconditioned"]
    assert folder / "conditioning.png" in trust_report(folder).figures
    shown = rs.events[rs.events["kind"] == "announcement"]
    assert set(shown["condition"]) == {"self", "weak", "strong"}


def test_forecast_error_grows_with_the_horizon(tmp_path):
    folder = asyncio.run(
        arun_experiment(small(tmp_path, "forecast", personas=20), RunSettings(out=tmp_path))
    )
    mae = forecast_mae(forecast_errors(load_runs(folder)))
    m1 = mae[mae["archetype"] == "M1"].set_index("round")["mae"]
    assert list(m1.index) == [1, 2, 3, 4, 5, 6]
    assert m1[6] > m1[1]
    report = trust_report(folder)
    assert (folder / "forecast_mae.png").exists() and report.figures


def test_a_trust_run_resumes_identically(tmp_path):
    [(_, world)] = study_worlds(load_study(small(tmp_path, "forecast", archetypes=[3], personas=8)))
    whole = Run.create(world, RunSettings(out=tmp_path), directory=tmp_path / "whole")
    whole.run()
    whole.close()
    part = Run.create(world, RunSettings(out=tmp_path), directory=tmp_path / "part")
    part.ticks_target = 3
    part.run()
    part.close()
    resumed = Run.resume(part.directory)
    resumed.run()
    resumed.close()
    with RunReader(whole.path) as a, RunReader(part.path) as b:
        assert a.fingerprint() == b.fingerprint() and b.last_tick() == 12


def test_sandbox_run_accepts_an_experiment_file(tmp_path):
    result = CliRunner().invoke(
        app, ["run", str(small(tmp_path, "population")), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "median |delta eta^2|" in " ".join(result.output.split())
    bad = tmp_path / "bad.yaml"
    bad.write_text("experiment: trust\nstudy: population\npersonas: 1\n")
    result = CliRunner().invoke(app, ["run", str(bad), "--out", str(tmp_path)])
    assert (
        result.exit_code == 1
        and "personas: Input should be greater than or equal to 2" in result.output
    )


@pytest.mark.network
def test_population_study_through_litellm(tmp_path, fake_server):
    def answer(body):
        schema = body["response_format"]["json_schema"]["schema"]
        props = schema["properties"]
        if "ranking" in props:
            levels = props["ranking"]["items"]["enum"]
            return json.dumps({"ranking": list(reversed(levels)), "effect_size": "medium"})
        if "estimates" in props:
            ref = props["estimates"]["items"]["$ref"].split("/")[-1]
            levels = schema["$defs"][ref]["properties"]["group"]["enum"]
            return json.dumps(
                {"estimates": [{"group": g, "mean": 3 + i, "sd": 2} for i, g in enumerate(levels)]}
            )
        return json.dumps({"thought": "I trust a little.", "amount": 4})

    fake_server.responder = answer
    settings = RunSettings(
        model="openai/fake", api_base=fake_server.base_url, http_client="litellm", out=tmp_path
    )
    folder = asyncio.run(
        arun_experiment(
            small(tmp_path, "population", personas=10, attributes=["age_band", "openness"]),
            settings,
        )
    )
    assert fake_server.request_count == 3 * 2 + 10
    rs = load_runs(folder)
    assert set(rs.runs["model"]) == {"openai/fake"}
    assert rs.beliefs["error"].isna().all() and len(rs.beliefs) == 6
    assert (rs.actions["value"] == 4).all()
    assert set(rs.llm_calls["backend"]) == {"litellm"}
