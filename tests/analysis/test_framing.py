"""Evaluation awareness: the same personas under a study-like and an everyday frame, the shift in
behaviour paired by agent."""

import asyncio
import json

import yaml

from sandbox.analysis import load_runs
from sandbox.analysis.framing import framing_shift
from sandbox.analysis.report import experiment_report
from sandbox.analysis.trust import send_values, trust_report
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.runner.experiment import arun_experiment
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.scenarios.trust_study import load_study, study_worlds
from sandbox.store.reader import RunReader
from tests.conftest import ROOT


def _config(tmp_path, name, **overrides):
    config = yaml.safe_load((ROOT / f"experiments/{name}.yaml").read_text())
    config.update({"bank": str(ROOT / "personas/gss_bank.jsonl"), **overrides})
    for key in ("topics_file", "directions_file"):
        if key in config:
            config[key] = str(ROOT / "experiments" / config[key])
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_study_frame_that_raises_sends_is_reported_as_a_shift(tmp_path):
    path = _config(
        tmp_path, "trust_forecast", personas=12, archetypes=[3], rounds=1,
        attributes=["openness"], min_per_level=1, framings=["everyday", "study"],
    )  # fmt: skip

    def send(facts, rng):  # a trustor that sends $2 more when told it is observed
        base = 2 + len(facts["agent"]) % 4
        return {"thought": "x", "amount": base + (2 if facts["framing"] == "study" else 0)}

    folder = tmp_path / "runs"
    for label, world in study_worlds(load_study(path)):
        client = ModelClient(HeuristicBackend(policies={"trust.send": send}))
        run = Run.create(world, RunSettings(out=tmp_path), client=client, directory=folder / label)
        run.run()
        run.close()
    rs = load_runs(folder)
    assert set(rs.runs["framing"]) == {"everyday", "study"}
    [row] = framing_shift(send_values(rs)).to_dict("records")
    assert (row["framing"], row["vs"], row["n"]) == ("study", "everyday", 12)
    assert abs(row["shift"] - 0.2) < 1e-9  # $2 of $10, for every trustor
    table = [k for k in trust_report(folder).tables if k.startswith("Evaluation awareness")]
    assert table


def test_games_run_once_per_framing_and_report_the_shift(tmp_path):
    path = _config(tmp_path, "games", personas=4, framings=["everyday", "study"])  # 2+ per band
    folder = asyncio.run(arun_experiment(path, RunSettings(out=tmp_path)))
    runs = sorted(p for p in folder.iterdir() if p.is_dir())
    assert [p.name for p in runs] == ["heuristic-games-everyday", "heuristic-games-study"]
    for run, said in zip(runs, ("nobody records", "research study"), strict=True):
        with RunReader(run) as reader:
            [call] = reader.rows("llm_calls", "purpose = 'games.dictator'")[:1]
        assert said in json.loads(call["messages"])[0]["content"]
    report = experiment_report(folder)
    [key] = [k for k in report.tables if k.startswith("Evaluation awareness")]
    shift = report.tables[key]
    assert set(shift["framing"]) == {"study"} and (shift["n"] == 4).all()
    [key] = [k for k in report.tables if k.startswith("Games: effect of each assigned Big Five")]
    effects = report.tables[key]
    assert (effects["chance"] == 0.333).all()  # (k-1)/(N-1) with 2 bands of 2 agents each
    assert effects["p_perm"].between(0, 1).all()
