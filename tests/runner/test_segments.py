"""Resume continues the same run: other settings are refused unless --allow-change, and then
recorded as a segment that inspect shows and replay honours."""

import asyncio

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.errors import ConfigError
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.runner.replay import areplay
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.runner.summary import summarize
from sandbox.store.reader import RunReader


class OtherModel(HeuristicBackend):
    """Another offline model: answers like the heuristic one, under its own id."""

    model_id = "offline/other"


def stopped_run(cafe, tmp_path, ticks=3):
    run = Run.create(cafe, RunSettings(ticks=6, out=tmp_path), directory=tmp_path / "run")
    run.ticks_target = ticks  # as if stopped after `ticks`
    run.run()
    run.close()
    return run.directory


def snapshot(run_dir):
    with RunReader(run_dir) as reader:
        return reader.fingerprint(), reader.count("llm_calls"), reader.segments()


@pytest.mark.parametrize(
    ("flag", "value", "what"),
    [
        ("--model", "openai/other", "--model heuristic -> openai/other"),
        ("--api-base", "http://127.0.0.1:9/v1", "--api-base"),
        ("--seed", "99", "--seed 7 -> 99"),
    ],
)
def test_resume_with_other_settings_is_refused_in_one_line(cafe, tmp_path, flag, value, what):
    run_dir = stopped_run(cafe, tmp_path)
    before = snapshot(run_dir)
    result = CliRunner().invoke(app, ["run", "--resume", str(run_dir), flag, value, "--no-feed"])
    out = " ".join(result.output.split())
    assert result.exit_code == 1 and "Traceback" not in out, out
    assert what in out and "--allow-change" in out
    assert snapshot(run_dir) == before


def test_allowed_seed_change_is_recorded_and_replayed(cafe, tmp_path):
    run_dir = stopped_run(cafe, tmp_path)
    args = ["run", "--resume", str(run_dir), "--seed", "99", "--allow-change", "--no-feed"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    with RunReader(run_dir) as reader:
        segs = reader.segments()
        assert reader.last_tick() == 6
    assert [(s["from_tick"], s["seed"]) for s in segs] == [(1, 7), (4, 99)]
    inspected = CliRunner().invoke(app, ["inspect", str(run_dir)])
    assert "Segments" in inspected.output and "99" in inspected.output
    report = asyncio.run(areplay(run_dir))  # ticks 4-6 drawn from seed 99, as recorded
    assert report.identical and report.backend_calls == 0, report.problem


def test_model_change_needs_allow_change_then_replays_each_segment_with_its_model(cafe, tmp_path):
    run_dir = stopped_run(cafe, tmp_path)
    before = snapshot(run_dir)
    with pytest.raises(ConfigError, match="--allow-change"):
        Run.resume(run_dir, client=ModelClient(OtherModel()))
    assert snapshot(run_dir) == before

    resumed = Run.resume(run_dir, client=ModelClient(OtherModel()), allow_change=True)
    resumed.run()
    resumed.close()
    with RunReader(run_dir) as reader:
        models = {r["model"] for r in reader.rows("llm_calls", "tick > 3")}
        segs = reader.segments()
    assert models == {"offline/other"}
    assert [(s["from_tick"], s["model"]) for s in segs] == [(1, "heuristic"), (4, "offline/other")]
    assert summarize(run_dir).model == "heuristic from tick 1, then offline/other from tick 4"

    # A plain resume continues with the last segment's model (and is not a change).
    again = Run.resume(run_dir, {"ticks": 7}, client=ModelClient(OtherModel()))
    again.run()
    again.close()
    report = asyncio.run(areplay(run_dir))
    assert report.identical and report.ticks == 7 and report.backend_calls == 0, report.problem
    with RunReader(report.replay) as reader:
        assert [s["model"] for s in reader.segments()] == ["heuristic", "offline/other"]
