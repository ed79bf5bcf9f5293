"""Parquet export of a run and of a sweep, read back with pandas."""

import sqlite3

import pandas as pd
import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.errors import StoreError
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.runner.sweep import sweep
from sandbox.store.export import export_parquet
from tests.conftest import CAFE

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def cafe_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "cafe"
    result = sweep(CAFE, out, seeds=3, ticks=2, workers=2)
    assert result.completed == 3
    return out


def test_a_sweep_exports_hive_partitioned_parquet_with_the_seed(cafe_sweep, tmp_path):
    out = tmp_path / "pq"
    result = invoke("export", cafe_sweep, "--out", out)
    assert result.exit_code == 0, result.output
    assert "Exported 3 run(s)" in result.output
    actions = pd.read_parquet(out / "actions")
    assert sorted(actions["seed"].astype(int).unique()) == [7, 8, 9]
    assert set(actions["condition"].astype(str)) == {"cafe"}
    assert set(actions["model"].astype(str)) == {"heuristic"}
    assert len(actions) == 3 * 2 * 6 and actions["run"].nunique() == 3
    assert (out / "actions" / "condition=cafe" / "model=heuristic" / "seed=8").is_dir()
    calls = pd.read_parquet(out / "llm_calls")
    assert "row_model" in calls.columns and calls["tick"].dtype == "int64"
    manifest = pd.read_parquet(out / "sweep_runs.parquet")
    assert sorted(manifest["seed"]) == [7, 8, 9] and set(manifest["status"]) == {"completed"}


def test_a_run_exports_one_file_per_table_with_its_keys(cafe, tmp_path):
    run = Run.create(cafe, RunSettings(ticks=2, out=tmp_path), directory=tmp_path / "run")
    run.run()
    run.close()
    report = export_parquet(tmp_path / "run")
    assert report.out == tmp_path / "run" / "parquet" and not report.partitioned
    events = pd.read_parquet(report.out / "events.parquet")
    conn = sqlite3.connect(tmp_path / "run" / "trajectory.sqlite")
    assert len(events) == conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.close()
    assert set(events[["condition", "model", "seed"]].itertuples(index=False)) == {
        ("Corner Cafe", "heuristic", 7)
    }
    with pytest.raises(StoreError, match="not empty"):
        export_parquet(tmp_path / "run")


def test_export_of_nothing_is_one_clear_line(tmp_path):
    result = invoke("export", tmp_path / "nothing")
    assert result.exit_code == 1 and "no run, sweep or folder of runs" in result.output
    bad = invoke("export", tmp_path, "--format", "csv")
    assert bad.exit_code == 1 and "only 'parquet'" in bad.output


@pytest.mark.slow
@pytest.mark.network
def test_a_model_name_with_a_slash_survives_the_partition_path(fake_server, tmp_path):
    result = sweep(
        CAFE, tmp_path / "s", seeds=1, ticks=1, workers=1, models=["openai/fake"],
        settings=RunSettings(api_base=fake_server.base_url),
    )  # fmt: skip
    assert result.completed == 1
    report = export_parquet(tmp_path / "s")
    calls = pd.read_parquet(report.out / "llm_calls")
    assert set(calls["model"].astype(str)) == {"openai/fake"}
    assert set(calls["row_model"]) == {"openai/fake"}


def test_the_read_hint_the_cli_prints_is_a_path_pandas_reads(cafe, cafe_sweep, tmp_path):
    import re

    run = Run.create(cafe, RunSettings(ticks=1, out=tmp_path), directory=tmp_path / "run")
    run.run()
    run.close()
    for source, out in ((tmp_path / "run", tmp_path / "one"), (cafe_sweep, tmp_path / "many")):
        result = invoke("export", source, "--out", out)
        assert result.exit_code == 0, result.output
        [hint] = re.findall(r"read_parquet\('([^']+)'\)", result.output.replace("\n", ""))
        assert len(pd.read_parquet(hint)) > 0
