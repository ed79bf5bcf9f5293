import subprocess
import sys

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.store.reader import RunReader
from tests.conftest import CAFE, ROOT

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_run_prints_a_summary_and_writes_a_trajectory(tmp_path):
    result = invoke("run", CAFE, "--ticks", "3", "--out", tmp_path, "--no-feed")
    assert result.exit_code == 0, result.output
    for word in ("status", "completed", "model calls", "agent.decide", "trajectory", "wall time"):
        assert word in result.output
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert (run_dir / "trajectory.sqlite").exists()

    inspected = invoke("inspect", run_dir)
    assert inspected.exit_code == 0 and "Corner Cafe" in inspected.output
    replayed = invoke("replay", run_dir)
    assert replayed.exit_code == 0 and "identical" in replayed.output

    resumed = invoke("run", "--resume", run_dir, "--ticks", "5", "--no-feed")
    assert resumed.exit_code == 0 and "5 of 5" in resumed.output
    again = invoke("run", "--resume", run_dir, "--no-feed")
    assert again.exit_code == 0 and "nothing to run" in " ".join(again.output.split())
    # --ticks is the total: fewer than the run has done is refused, and the run is unchanged
    shorter = invoke("run", "--resume", run_dir, "--ticks", "2", "--no-feed")
    assert shorter.exit_code != 0
    assert "has already run 5 ticks" in shorter.output and "--ticks 5 or more" in shorter.output
    with RunReader(run_dir / "trajectory.sqlite") as reader:
        assert reader.run()["ticks_planned"] == 5 and reader.run()["status"] == "completed"


def test_feed_shows_agents_talking_and_moving(tmp_path):
    result = invoke("run", CAFE, "--ticks", "8", "--out", tmp_path)
    assert result.exit_code == 0
    assert "(to " in result.output and "arrives at the" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing.yaml"], "world file not found: missing.yaml"),
        (["run"], "give a WORLD file"),
        (["inspect", "no/such/run"], "no run at no/such/run"),
        (["run", CAFE, "--model", "not-a-provider-model"], "unknown model id"),
        (
            ["run", CAFE, "--concurrency", "0"],
            "--concurrency: Input should be greater than or equal to 1",
        ),
        (["run", CAFE, "--ticks", "0"], "--ticks: Input should be greater than or equal to 1"),
    ],
)
def test_bad_input_gets_one_clear_line_and_a_nonzero_exit(tmp_path, args, message):
    result = invoke(*args, "--out", tmp_path) if args[0] == "run" else invoke(*args)
    assert result.exit_code == 1
    assert "error:" in result.output and message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_broken_world_file_names_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CAFE.read_text().replace("minutes_per_tick: 10", "minutes_per_tick: -5"))
    result = invoke("run", bad, "--out", tmp_path)
    assert result.exit_code == 1
    assert "minutes_per_tick: Input should be greater than or equal to 1" in result.output


@pytest.mark.network
def test_unreachable_server_is_one_line(tmp_path):
    result = invoke(
        "run",
        CAFE,
        "--model",
        "openai/x",
        "--api-base",
        "http://127.0.0.1:9/v1",
        "--out",
        tmp_path,
        "--ticks",
        "1",
        "--no-feed",
        "--max-retries",
        "1",
    )
    assert result.exit_code == 1
    assert "is the server running" in " ".join(result.output.split())


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys; from sandbox.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('mesa', 'litellm', 'pandas', 'matplotlib', 'numpy') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_inspect_names_the_first_agents_and_counts_the_rest(tmp_path):
    from sandbox.cli import AGENTS_LISTED
    from sandbox.runner.run import Run
    from sandbox.runner.settings import RunSettings
    from sandbox.testing.crowd import crowd_world

    config = crowd_world(AGENTS_LISTED + 8, places=2).model_copy(update={"ticks": 1})
    runner_ = Run.create(config, RunSettings(out=tmp_path))
    runner_.run()
    runner_.close()
    inspected = runner.invoke(app, ["inspect", str(runner_.directory)], env={"COLUMNS": "400"})
    assert inspected.exit_code == 0, inspected.output
    [row, _count] = [line for line in inspected.output.splitlines() if "│ agents " in line]
    names = [a.persona.name for a in config.agents]
    listed = ", ".join(names[:AGENTS_LISTED])
    assert f"{listed}, ... ({AGENTS_LISTED + 8} agents;" in row
    assert names[AGENTS_LISTED] not in row
