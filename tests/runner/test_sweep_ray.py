"""Sweeps on Ray (``--executor ray``): the local executor's tests, on one local 2-CPU Ray cluster
started once for the whole test run (it takes about 20 s and 1.5 GiB) and shut down at its end."""

import shutil

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.store.reader import RunReader
from sandbox.store.schema import FINGERPRINT_COLUMNS
from sandbox.store.sweep_manifest import Manifest
from tests.conftest import CAFE

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")

pytestmark = pytest.mark.ray
runner = CliRunner()


@pytest.fixture(scope="session")
def ray_cluster():
    """One local cluster for the session; the executor joins it instead of starting its own."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        yield
    finally:
        ray.shutdown()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def manifest_rows(directory):
    with Manifest(directory) as m:
        return {r["run_id"]: r for r in m.rows()}


def tables(run_dir):
    """Each trajectory table's rows, without ids, times or usage (what a replay compares)."""
    with RunReader(run_dir) as reader:
        present = reader.tables()
        out = {}
        for table, columns in FINGERPRINT_COLUMNS.items():
            if table in present:
                rows = reader.rows(table, select=", ".join(columns), order_by="tick, rowid")
                out[table] = [tuple(r.values()) for r in rows]
        return out


ARGS = ["--seeds", 4, "--workers", 2, "--ticks", 3, "--no-report"]


@pytest.fixture(scope="module")
def ray_sweep(ray_cluster, tmp_path_factory):
    """Four cafe runs swept on Ray, once for this module's tests (which copy it to change it)."""
    out = tmp_path_factory.mktemp("ray") / "sweep"
    first = invoke("sweep", CAFE, *ARGS, "--executor", "ray", "--out", out)
    assert first.exit_code == 0, first.output
    assert "4 of 4 runs completed" in first.output
    return out


def test_a_ray_sweep_writes_its_runs_and_manifest_and_a_second_time_starts_none(ray_sweep):
    rows = manifest_rows(ray_sweep)
    assert len(rows) == 4 and {r["status"] for r in rows.values()} == {"completed"}
    assert sorted(r["seed"] for r in rows.values()) == [7, 8, 9, 10]
    assert all(r["attempts"] == 1 and r["calls"] == 18 for r in rows.values())
    for r in rows.values():
        with RunReader(ray_sweep / r["directory"]) as reader:
            assert reader.last_tick() == 3 and reader.run()["status"] == "completed"
    stamps = {p: p.stat().st_mtime_ns for p in ray_sweep.glob("runs/*/trajectory.sqlite")}
    assert len(stamps) == 4

    again = invoke("sweep", CAFE, *ARGS, "--executor", "ray", "--out", ray_sweep)
    assert again.exit_code == 0, again.output
    assert "Nothing to run" in again.output and "(0 started now)" in again.output
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_ray_and_the_local_pool_write_the_same_trajectories(ray_sweep, tmp_path):
    local = invoke("sweep", CAFE, *ARGS, "--out", tmp_path / "local")
    assert local.exit_code == 0, local.output
    rows = manifest_rows(ray_sweep)
    assert manifest_rows(tmp_path / "local").keys() == rows.keys()
    for run_id, row in rows.items():
        on_ray = tables(ray_sweep / row["directory"])
        on_pool = tables(tmp_path / "local" / row["directory"])
        assert on_ray.keys() == on_pool.keys() and on_ray["actions"]
        for table in on_ray:
            assert on_ray[table] == on_pool[table], f"{run_id}: {table} differs"


def test_resume_on_ray_starts_only_the_run_a_kill_left_unfinished(ray_sweep, tmp_path):
    out = tmp_path / "sweep"
    shutil.copytree(ray_sweep, out)
    rows = manifest_rows(out)
    lost = sorted(rows)[0]  # as if the sweep was killed while this run was being written
    with Manifest(out) as m:
        m.mark_running(lost)
    (out / rows[lost]["directory"] / "trajectory.sqlite").unlink()
    kept = {k: (out / r["directory"] / "trajectory.sqlite").stat().st_mtime_ns
            for k, r in rows.items() if k != lost}  # fmt: skip

    resumed = invoke("sweep", "--resume", out, "--no-report")  # the recorded options: on Ray
    assert resumed.exit_code == 0 and "(1 started now)" in resumed.output, resumed.output
    after = manifest_rows(out)
    assert {r["status"] for r in after.values()} == {"completed"}
    assert {k: (out / after[k]["directory"] / "trajectory.sqlite").stat().st_mtime_ns
            for k in kept} == kept  # fmt: skip
    with RunReader(out / after[lost]["directory"]) as reader:
        assert reader.last_tick() == 3
    with Manifest(out) as m:
        assert m.meta()["options"]["executor"] == "ray"


@pytest.mark.network
def test_max_in_flight_holds_across_ray_workers(ray_cluster, fake_server, tmp_path):
    fake_server.latency = 0.05
    args = ["--seeds", 2, "--workers", 2, "--ticks", 2, "--model", "openai/fake",
            "--api-base", fake_server.base_url, "--no-report", "--no-cache",
            "--executor", "ray"]  # fmt: skip
    limited = invoke("sweep", CAFE, *args, "--max-in-flight", 3, "--out", tmp_path / "a")
    assert limited.exit_code == 0, limited.output
    assert fake_server.request_count >= 2 * 2 * 6
    assert fake_server.peak_in_flight == 3  # never more, and the limit was reached
    assert "at most 3 of 3 permits out at once" in " ".join(limited.output.split())
