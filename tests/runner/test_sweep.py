"""Sweeps on the local pool: the grid, the manifest, doing nothing twice, resuming after a kill,
and one model-call limit across worker processes (counted at the fake server)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.errors import ConfigError
from sandbox.runner.sweep.grid import parse_seeds, plan_grid
from sandbox.store.reader import RunReader
from sandbox.store.sweep_manifest import Manifest
from tests.conftest import CAFE, ROOT

runner = CliRunner()
TRUST = ROOT / "experiments" / "trust_population.yaml"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def manifest_rows(directory):
    with Manifest(directory) as m:
        return {r["run_id"]: r for r in m.rows()}


def test_seeds_are_a_count_from_the_files_seed_or_a_list():
    assert parse_seeds(None, 7) == [7]
    assert parse_seeds("4", 7) == [7, 8, 9, 10]
    assert parse_seeds("1,5,9", 7) == [1, 5, 9]
    assert parse_seeds("5,", 7) == [5]
    for bad in ("0", "x", "1,1", "1,a"):
        with pytest.raises(ConfigError, match="--seeds"):
            parse_seeds(bad, 7)


def test_run_ids_follow_the_resolved_config_model_and_seed():
    a = plan_grid(CAFE, seeds="2", models=["heuristic", "openai/x"], ticks=3)
    b = plan_grid(CAFE, seeds="2", models=["heuristic", "openai/x"], ticks=3)
    assert [s.run_id for s in a] == [s.run_id for s in b]
    assert len({s.run_id for s in a}) == 4
    assert {(s.model, s.seed) for s in a} == {
        (m, s) for m in ("heuristic", "openai/x") for s in (7, 8)
    }
    assert all(s.config["seed"] == s.seed and s.config["ticks"] == 3 for s in a)
    longer = plan_grid(CAFE, seeds="2", ticks=4)
    assert not {s.run_id for s in longer} & {s.run_id for s in a}


def test_an_experiments_persona_sample_is_drawn_from_the_seed():
    specs = plan_grid(TRUST, seeds="1,2")
    assert [s.condition for s in specs] == ["population", "population"]
    names = [[a["persona"]["name"] for a in s.config["agents"]] for s in specs]
    assert names[0] != names[1]
    assert plan_grid(TRUST, seeds="1,2")[1].run_id == specs[1].run_id
    with pytest.raises(ConfigError, match="world files only"):
        plan_grid(TRUST, ticks=3)


def test_a_sweep_writes_its_runs_and_manifest_and_a_second_time_starts_none(tmp_path, caplog):
    out = tmp_path / "sweep"
    first = invoke("sweep", CAFE, "--seeds", 4, "--workers", 2, "--ticks", 3, "--out", out)
    assert first.exit_code == 0, first.output
    assert "4 of 4 runs completed" in first.output
    rows = manifest_rows(out)
    assert len(rows) == 4 and {r["status"] for r in rows.values()} == {"completed"}
    assert sorted(r["seed"] for r in rows.values()) == [7, 8, 9, 10]
    for r in rows.values():
        with RunReader(out / r["directory"]) as reader:
            assert reader.last_tick() == 3 and reader.run()["status"] == "completed"
        assert r["attempts"] == 1, caplog.text  # a retry logs why the first attempt failed
        assert r["calls"] == 18 and r["version"] and r["wall_s"] > 0
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/trajectory.sqlite")}

    again = invoke("sweep", CAFE, "--seeds", 4, "--workers", 2, "--ticks", 3, "--out", out)
    assert again.exit_code == 0, again.output
    assert "Nothing to run" in again.output and "(0 started now)" in again.output
    assert {p: p.stat().st_mtime_ns for p in out.glob("runs/*/trajectory.sqlite")} == stamps
    assert all(r["attempts"] == 1 for r in manifest_rows(out).values())

    more = invoke("sweep", CAFE, "--seeds", 5, "--workers", 2, "--ticks", 3, "--out", out)
    assert more.exit_code == 0 and "(1 started now)" in more.output


def test_a_failed_run_keeps_its_error_and_is_retried(tmp_path):
    # No server listens on this port: every model call fails, every run fails after 2 tries.
    out = tmp_path / "sweep"
    result = invoke(
        "sweep", CAFE, "--seeds", 1, "--workers", 1, "--ticks", 1, "--out", out,
        "--model", "openai/fake", "--api-base", "http://127.0.0.1:9/v1",
        "--max-retries", 0, "--attempts", 2,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "1 run(s) failed" in " ".join(result.output.split())
    [row] = manifest_rows(out).values()
    assert row["status"] == "failed" and row["attempts"] == 2
    assert "failed after 1 attempt" in row["error"]


def test_resume_refuses_a_folder_that_is_no_sweep(tmp_path):
    result = invoke("sweep", "--resume", tmp_path)
    assert result.exit_code == 1 and "no sweep at" in result.output


@pytest.mark.slow
def test_a_killed_sweep_resumes_only_the_missing_runs(tmp_path):
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "sandbox", "sweep", str(CAFE), "--seeds", "6", "--workers", "2",
           "--ticks", "500", "--out", str(out), "--no-report"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 240  # a bound only: it stops at the first finished run
        done = set()
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "sweep.sqlite").exists():
                try:
                    rows = manifest_rows(out)
                except sqlite3.OperationalError:
                    rows = {}
                done = {k for k, r in rows.items() if r["status"] == "completed"}
                if done:
                    break
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert done, "no run completed before the deadline"
    rows = manifest_rows(out)
    missing = {k for k, r in rows.items() if r["status"] != "completed"}
    assert missing, "the sweep finished before it could be killed"
    kept = {k: (out / rows[k]["directory"] / "trajectory.sqlite").stat().st_mtime_ns for k in done}

    resumed = invoke("sweep", "--resume", out, "--no-report")
    assert resumed.exit_code == 0, resumed.output
    assert f"({len(missing)} started now)" in resumed.output
    after = manifest_rows(out)
    assert {r["status"] for r in after.values()} == {"completed"}
    for k in done:
        assert after[k]["attempts"] == 1
        assert (out / rows[k]["directory"] / "trajectory.sqlite").stat().st_mtime_ns == kept[k]
    for k in missing:
        with RunReader(out / after[k]["directory"]) as reader:
            assert reader.last_tick() == 500


@pytest.mark.slow
@pytest.mark.network
def test_max_in_flight_holds_across_worker_processes(fake_server, tmp_path):
    fake_server.latency = 0.05
    args = ["--seeds", 2, "--workers", 2, "--ticks", 2, "--model", "openai/fake",
            "--api-base", fake_server.base_url, "--no-report", "--no-cache"]  # fmt: skip
    limited = invoke("sweep", CAFE, *args, "--max-in-flight", 3, "--out", tmp_path / "a")
    assert limited.exit_code == 0, limited.output
    assert fake_server.request_count >= 2 * 2 * 6
    assert fake_server.peak_in_flight == 3  # never more, and the limit was reached

    fake_server.peak_in_flight = 0
    one = ["--seeds", 1, "--workers", 1, *args[4:]]
    free = invoke("sweep", CAFE, *one, "--out", tmp_path / "b")
    assert free.exit_code == 0, free.output
    assert fake_server.peak_in_flight > 3  # the same sweep without the limit goes above it


def test_the_ray_executor_without_ray_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the ray extra were not installed
    result = invoke("sweep", CAFE, "--executor", "ray", "--ticks", 1, "--out", tmp_path / "s")
    assert result.exit_code == 1
    assert "install the ray extra: pip install -e '.[ray]'" in " ".join(result.output.split())
    assert "Traceback" not in result.output
