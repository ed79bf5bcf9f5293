"""Whole ticks: a fault inside a tick's commit rolls the whole tick back; a partial tick left by an
older sandbox is refused on reopen with one line, reported by ``inspect --check`` and dropped by
``inspect --repair`` without touching whole ticks."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.errors import PartialTickError, StoreError
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.integrity import check_file, repair_file
from sandbox.store.reader import RunReader
from sandbox.store.writer import COMMIT_STEPS, TrajectoryWriter
from sandbox.world.config import load_world
from tests.conftest import ROOT
from tests.store.trajectory_tables import differences, table_rows

TOWN = ROOT / "worlds" / "town.yaml"
TICKS = 6
# The same settings for every run here, so that runs.settings compares equal.
SETTINGS = RunSettings(ticks=TICKS, out=Path("unused"), use_cache=False)


class InjectedFault(Exception):
    """Raised by the test's commit hook between two inserts of a tick."""


def complete(directory: Path) -> Path:
    run = Run.create(load_world(TOWN), SETTINGS, directory=directory)
    run.run()
    run.close()
    return directory


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The uninterrupted town run (memories, memory scores and several call purposes per tick)."""
    return complete(tmp_path_factory.mktemp("reference") / "run")


def fails_at(tick: int, step: str):
    def hook(t: int, s: str) -> None:
        if (t, s) == (tick, step):
            raise InjectedFault(f"injected at tick {t} after {s}")

    return hook


def calls_without_ids(rows: dict[str, list[tuple]]) -> Counter:
    return Counter(rows.pop("llm_calls"))


@pytest.mark.parametrize("step", ["begin", "actions", "memories", "llm_calls", "ticks"])
def test_a_fault_inside_a_tick_commit_rolls_the_whole_tick_back(reference, tmp_path, step):
    run = Run.create(load_world(TOWN), SETTINGS, directory=tmp_path / "run")
    run.writer.commit_hook = fails_at(4, step)
    with pytest.raises(InjectedFault):
        run.run()
    run.close()

    report = check_file(run.directory)
    assert report.ok and report.ticks == 3, report
    with RunReader(run.directory) as reader:
        assert reader.last_tick() == 3 and reader.run()["last_tick"] == 3
        assert reader.run()["status"] == "failed"
        for table in ("events", "actions", "thoughts"):
            assert reader.rows(table, "tick > 3") == [], table
        # The rolled-back tick's model calls were made, so they are still logged.
        failed_calls = reader.rows("llm_calls", "tick = 4")
    assert failed_calls

    resumed = Run.resume(run.directory)
    assert resumed.world.tick == 3
    resumed.run()
    resumed.close()
    ignore = {"llm_calls": {"id"}}
    got, want = table_rows(run.directory, ignore=ignore), table_rows(reference, ignore=ignore)
    got_calls, want_calls = calls_without_ids(got), calls_without_ids(want)
    assert differences(got, want) == []
    tick4 = Counter(c for c in want_calls.elements() if c[0] == 4)
    assert got_calls == want_calls + tick4  # the failed attempt's calls, once more


def test_every_commit_step_is_reported_to_the_hook(tmp_path):
    seen = []
    run = Run.create(load_world(TOWN), SETTINGS.model_copy(update={"ticks": 1}), directory=tmp_path)
    run.writer.commit_hook = lambda t, s: seen.append((t, s))
    run.run()
    run.close()
    assert seen == [(1, s) for s in COMMIT_STEPS]


def _memory_count_at(conn: sqlite3.Connection, tick: int) -> dict[str, int]:
    sql = (
        "SELECT key, json_extract(value, '$.mind.count') FROM json_each("
        "(SELECT state FROM ticks WHERE tick = ?), '$.agents')"
    )
    return dict(conn.execute(sql, (tick,)))


def break_last_tick(path: Path, kind: str) -> None:
    """Make the last tick (6) partial, as a run killed inside its commit left it.

    ``legacy``: the writer before schema 5 (one autocommit per insert, the ticks row first and
    runs.last_tick last), killed while inserting the actions: some actions, no thoughts, memories
    or calls. ``no-ticks-row``: the order since schema 5 (the ticks row last), had it not been one
    transaction: everything but the ticks row."""
    conn = sqlite3.connect(path / "trajectory.sqlite")
    with conn:
        if kind == "legacy":
            conn.execute(
                "DELETE FROM actions WHERE tick = 6 AND id > (SELECT min(id) + 3 FROM actions "
                "WHERE tick = 6)"
            )
            for table in ("thoughts", "llm_calls", "beliefs"):
                conn.execute(f"DELETE FROM {table} WHERE tick = 6")
            for agent, count in _memory_count_at(conn, 5).items():
                conn.execute("DELETE FROM memories WHERE agent = ? AND mem_id >= ?", (agent, count))
            conn.execute("UPDATE runs SET last_tick = 5")
        else:
            conn.execute("DELETE FROM ticks WHERE tick = 6")
    conn.close()


def inspect(*args) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["inspect", *map(str, args)])
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", ["legacy", "no-ticks-row"])
def test_a_partial_tick_is_refused_then_checked_and_repaired(reference, tmp_path, kind):
    run_dir = tmp_path / "run"
    shutil.copytree(reference, run_dir)
    with sqlite3.connect(run_dir / "trajectory.sqlite") as conn:
        conn.execute("UPDATE runs SET status = 'running', finished_at = NULL")
    conn.close()
    break_last_tick(run_dir, kind)
    whole_before = table_rows(run_dir, through_tick=5)

    for reopen in (RunReader, Run.resume):
        with pytest.raises(PartialTickError) as caught:
            reopen(run_dir)
        message = str(caught.value)
        assert "\n" not in message and "tick 6" in message
        assert f"sandbox inspect --check {run_dir}" in message
        assert f"sandbox inspect --repair {run_dir}" in message

    code, output = inspect(run_dir, "--check")
    assert code == 1 and "partial tick 6" in output, output
    assert f"sandbox inspect --repair {run_dir}" in output

    code, output = inspect(run_dir, "--repair")
    assert code == 0 and "dropped tick(s) 6" in output and "ends at tick 5" in output, output
    assert check_file(run_dir).ok
    code, output = inspect(run_dir, "--check")
    assert code == 0 and "every tick is whole" in output
    assert differences(table_rows(run_dir, through_tick=5), whole_before) == []

    resumed = Run.resume(run_dir)
    assert resumed.world.tick == 5
    resumed.run()
    resumed.close()
    assert differences(table_rows(run_dir), table_rows(reference)) == []


def test_a_partial_tick_followed_by_whole_ones_is_reported_not_repaired(reference, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(reference, run_dir)
    with sqlite3.connect(run_dir / "trajectory.sqlite") as conn:
        conn.execute("DELETE FROM thoughts WHERE tick = 3")
    conn.close()
    before = table_rows(run_dir)
    code, output = inspect(run_dir, "--check")
    assert code == 1 and "partial tick 3" in output and "thoughts" in output, output
    assert "cannot mend this file" in output and "--repair" not in output.split("cannot")[1]
    with pytest.raises(StoreError, match="whole ticks follow it") as caught:
        repair_file(run_dir)
    assert "\n" not in str(caught.value)
    assert table_rows(run_dir) == before


def test_a_whole_file_needs_no_repair(reference, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(reference, run_dir)
    code, output = inspect(run_dir, "--repair")
    assert code == 0 and "every tick is whole" in output
    assert table_rows(run_dir) == table_rows(reference)


def test_a_run_killed_before_it_started_says_so_everywhere(tmp_path):
    """A kill between the file's creation and the run record's commit (the first ~30 ms): the
    check, the reader and resume all say nothing was recorded and to run again."""
    empty = tmp_path / "empty"  # killed while the schema was being created: no tables
    empty.mkdir()
    sqlite3.connect(empty / "trajectory.sqlite").close()
    with pytest.raises(StoreError, match="holds nothing: the run was stopped before"):
        RunReader(empty)
    with pytest.raises(StoreError, match="holds nothing"):
        Run.resume(empty)

    lock_only = tmp_path / "lock-only"  # killed before the file was made: only its lock
    lock_only.mkdir()
    (lock_only / "trajectory.sqlite.lock").write_text("1")
    code, output = inspect(lock_only, "--check")
    assert code == 1 and "holds no trajectory: the run was stopped before it started" in output
    with pytest.raises(StoreError, match="holds no trajectory"):
        Run.resume(lock_only)

    schema_only = tmp_path / "schema-only"  # killed after the schema, before the run record
    TrajectoryWriter(schema_only / "trajectory.sqlite").close()
    code, output = inspect(schema_only, "--check")
    assert code == 1 and "0 committed ticks" in output and "no run record" in output, output
    assert "delete its folder and run again" in output
    with pytest.raises(StoreError, match="no run record: the run was stopped"):
        Run.resume(schema_only)


def test_a_version_4_file_is_checked_then_upgraded_on_resume(reference, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(reference, run_dir)
    with sqlite3.connect(run_dir / "trajectory.sqlite") as conn:
        conn.execute("ALTER TABLE ticks DROP COLUMN n_thoughts")
        conn.execute("ALTER TABLE ticks DROP COLUMN n_beliefs")
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.close()
    assert check_file(run_dir).ok
    resumed = Run.resume(run_dir, {"ticks": TICKS + 1})
    resumed.run()
    resumed.close()
    with RunReader(run_dir) as reader:
        assert reader.last_tick() == TICKS + 1
        ticks = reader.rows("ticks")
    assert [t["n_thoughts"] is None for t in ticks] == [True] * TICKS + [False]
    assert check_file(run_dir).ok
