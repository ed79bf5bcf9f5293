"""An experiment folder whose run stopped before its after-run evaluation (killed, stopped or
failed after its ticks): the report says which run has no judgements yet and how to finish it,
instead of failing, and the rest of the report still prints; SIGTERM during an experiment names the
run it stopped and how to resume it."""

import asyncio
import sqlite3

from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.runner.experiment import arun_experiment
from sandbox.runner.settings import RunSettings
from tests.conftest import ROOT

SMALL = (ROOT / "experiments" / "trait_expression.yaml").read_text()
for full, small in (
    ("traits: [openness, conscientiousness, extraversion, agreeableness, neuroticism]",
     "traits: [openness]"),
    ("intensities: [a bit, very, extremely]", "intensities: [very]"),
):  # fmt: skip
    assert full in SMALL
    SMALL = SMALL.replace(full, small)


def _unevaluated_folder(tmp_path):
    spec = tmp_path / "traits.yaml"
    spec.write_text(SMALL)
    folder = asyncio.run(arun_experiment(spec, RunSettings(out=tmp_path / "runs")))
    (trajectory,) = folder.rglob("trajectory.sqlite")
    with sqlite3.connect(trajectory) as db:  # as if stopped before its evaluation step
        db.execute("DELETE FROM trait_judgements")
        db.execute("DELETE FROM llm_calls WHERE purpose LIKE '%judge%'")
    for png in folder.glob("*.png"):
        png.unlink()
    return folder, trajectory.parent


def test_report_of_a_run_without_judgements_says_how_to_finish_it(tmp_path):
    folder, run_dir = _unevaluated_folder(tmp_path)
    result = CliRunner().invoke(app, ["inspect", str(folder)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "Skipped" not in out and "report failed" not in out
    assert "Models" in out  # the rest of the report still prints
    assert "has no judgements yet (its evaluation did not run)" in out
    assert f"sandbox run --resume {run_dir}" in out

    resumed = CliRunner().invoke(app, ["run", "--resume", str(run_dir)])
    assert resumed.exit_code == 0, resumed.output
    again = " ".join(CliRunner().invoke(app, ["inspect", str(folder)]).output.split())
    assert "no judgements yet" not in again and "Trait expression: judge recovers" in again


def test_inspect_of_a_run_without_its_evaluation_says_it_is_pending(tmp_path):
    _, run_dir = _unevaluated_folder(tmp_path)
    out = " ".join(CliRunner().invoke(app, ["inspect", str(run_dir)]).output.split())
    assert f"evaluation pending: resume with sandbox run --resume {run_dir}" in out

    assert CliRunner().invoke(app, ["run", "--resume", str(run_dir)]).exit_code == 0
    done = CliRunner().invoke(app, ["inspect", str(run_dir)])
    assert done.exit_code == 0 and "evaluation pending" not in done.output


def test_sigterm_during_an_experiment_names_the_run_and_how_to_resume_it(tmp_path, monkeypatch):
    import os
    import signal

    import sandbox.runner.experiment as experiment

    async def terminated(run, *args):  # SIGTERM after the ticks, before the evaluation
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(30)

    monkeypatch.setattr(experiment, "finish_run", terminated)
    spec = tmp_path / "traits.yaml"
    spec.write_text(SMALL)
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(tmp_path / "runs")])
    (run_dir,) = (p.parent for p in (tmp_path / "runs").rglob("trajectory.sqlite"))
    out = " ".join(result.output.split())
    assert result.exit_code == 143, result.output
    assert f"Interrupted at tick 4 of {run_dir.name}" in out
    assert f"Resume it with: sandbox run --resume {run_dir}" in out
