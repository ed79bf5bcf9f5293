"""Committed ticks move from the WAL file into the database file in the background
(``sandbox.store.wal``): the WAL does not grow with the run, closing leaves no WAL behind, and a
checkpoint that fails stops the run at the next tick, before anything of it is written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sandbox.errors import StoreError
from sandbox.store.wal import WalCheckpointer
from sandbox.store.writer import TrajectoryWriter
from sandbox.testing.crowd import crowd_world
from sandbox.world.world import World


def test_ticks_are_checkpointed_in_the_background_and_the_wal_stays_small(tmp_path):
    path = tmp_path / "run.sqlite"
    writer = TrajectoryWriter(path)
    world = World(crowd_world(300, places=6), recorder=writer)
    sizes = []
    for _ in range(6):
        world.step()
        writer._wal.wait()  # the background checkpoint of this tick has run
        sizes.append(Path(f"{path}-wal").stat().st_size)
    # each tick's frames were moved out, so the next tick rewrites the WAL from its start
    assert max(sizes[2:]) < 2 * min(sizes[2:])
    assert sum(sizes) > 3 * max(sizes)
    world.close()
    writer.close()
    assert not Path(f"{path}-wal").exists()  # the last connection moved what was left
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM ticks").fetchone() == (6,)


def test_a_failed_checkpoint_is_raised_once_before_the_next_write(tmp_path):
    failing = WalCheckpointer(tmp_path)  # a directory: the background connection cannot open it
    failing.start()
    with pytest.raises(StoreError, match="failed: unable to open database file"):
        failing.wait()
    failing.check()  # raised once, not again
    failing.close()


def test_a_failed_checkpoint_stops_the_run_before_the_next_tick_is_written(tmp_path):
    path = tmp_path / "run.sqlite"
    writer = TrajectoryWriter(path)
    world = World(crowd_world(40, places=2), recorder=writer)
    world.step()
    writer._wal.wait()
    writer._wal = WalCheckpointer(tmp_path)  # the next checkpoint fails (see above)
    world.step()  # committed; its checkpoint fails in the background
    writer._wal._running.exception()  # type: ignore[union-attr]  # wait for it
    with pytest.raises(StoreError, match="moving committed ticks"):
        world.step()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT max(tick) FROM ticks").fetchone() == (2,)
    world.close()
    writer.close()
