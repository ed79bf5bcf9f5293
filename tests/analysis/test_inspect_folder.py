"""``sandbox inspect FOLDER`` on a folder of mixed runs: one report per experiment folder, and what
cannot be read is skipped and listed, never a crash."""

import asyncio
import shutil
import sqlite3

from typer.testing import CliRunner

from sandbox.analysis.folders import scan_folder
from sandbox.cli import app
from sandbox.runner.experiment import arun_experiment
from sandbox.runner.settings import RunSettings
from tests.conftest import ROOT


def test_inspect_reports_each_experiment_and_lists_what_it_skips(tmp_path):
    runs = tmp_path / "runs"
    first = asyncio.run(arun_experiment(ROOT / "experiments" / "games.yaml", RunSettings(out=runs)))
    second = runs / "games-again"  # the same run ids in another experiment folder
    shutil.copytree(first, second)
    (runs / "leftover").mkdir()  # an empty run folder
    (runs / "corrupt").mkdir()
    (runs / "corrupt" / "trajectory.sqlite").write_text("not sqlite")
    (runs / "norecord").mkdir()  # a run that failed before it wrote its record
    sqlite3.connect(runs / "norecord" / "trajectory.sqlite").close()
    for png in runs.rglob("*.png"):
        png.unlink()

    scan = scan_folder(runs)
    assert set(scan.groups) == {first, second} and scan.runs == 2
    assert {s.path.name for s in scan.skipped} == {"leftover", "corrupt", "norecord"}

    result = CliRunner().invoke(app, ["inspect", str(runs)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "2 runs under" in out and "Skipped 3" in out
    for name in ("leftover", "corrupt", "norecord"):
        assert name in out
    assert (first / "behaviours.png").exists() and (second / "behaviours.png").exists()
    assert not list(runs.glob("*.png"))  # nothing pooled across experiments


def test_a_replay_in_an_experiment_folder_is_not_a_second_run(tmp_path):
    from sandbox.analysis.runs import load_runs
    from sandbox.runner.replay import areplay

    runs = tmp_path / "runs"
    folder = asyncio.run(
        arun_experiment(ROOT / "experiments" / "games.yaml", RunSettings(out=runs))
    )
    (run_dir,) = (p.parent for p in folder.rglob("trajectory.sqlite"))
    replay = asyncio.run(areplay(run_dir)).replay.parent
    assert replay == folder / f"{run_dir.name}-replay"

    assert list(load_runs(folder).runs["run"]) == [run_dir.name]
    scan = scan_folder(runs)
    assert scan.runs == 1 and scan.replays == [replay]
    result = CliRunner().invoke(app, ["inspect", str(folder)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "1 runs under" in out and "Left out 1 replays" in out and str(replay) in out
    assert f"{run_dir.name}-replay" not in out.split("Left out")[0]

    moved = runs / "renamed"  # a run merely named like a replay is still a run
    shutil.copytree(run_dir, moved / f"{run_dir.name}-replay")
    assert scan_folder(runs).runs == 2
