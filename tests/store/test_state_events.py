"""A checkpoint names its pending events and observations as rows of ``events`` (schema 14): it
does not repeat them, and every state reads back exactly, also in a file started from another
run's state, whose earlier events it does not hold."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from sandbox.errors import StoreError
from sandbox.store.reader import RunReader
from sandbox.store.state_events import FROM_EVENTS
from sandbox.store.writer import TrajectoryWriter
from sandbox.testing.crowd import crowd_world
from sandbox.world.config import WorldConfig
from sandbox.world.world import World


def _run(config: WorldConfig, path: Path, ticks: int, state=None) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Run ``ticks`` ticks recorded to ``path``; each committed state as sorted JSON."""
    writer = TrajectoryWriter(path)
    world = World(config, recorder=writer, state=state)
    states = {}
    for _ in range(ticks):
        world.step()
        states[world.tick] = json.dumps(world.state_dict(), sort_keys=True)
    world.close()
    writer.close()
    return states


def _stored(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT tick, coalesce(state, state_delta) FROM ticks ORDER BY tick"
        ).fetchall()


def test_the_checkpoint_names_the_events_and_every_state_reads_back(tmp_path: Path):
    # two crowded places, people moving: large audiences (numbered, change-encoded) and small
    config = crowd_world(120, places=2)
    states = _run(config, tmp_path / "t.sqlite", 5)
    with RunReader(tmp_path / "t.sqlite") as reader:
        for tick, state in states.items():
            assert json.dumps(reader.state_at(tick), sort_keys=True) == state
        assert {t: json.dumps(s, sort_keys=True) for t, s in reader.states()} == states
        said = {
            t: [r["text"] for r in reader.rows("events", f"tick = {t} AND kind = 'say'")]
            for t in states
        }
    for tick, text in _stored(tmp_path / "t.sqlite"):
        assert FROM_EVENTS in text and said[tick]
        assert not any(json.dumps(s)[1:-1] in text for s in said[tick])  # not repeated
    full = json.loads(_stored(tmp_path / "t.sqlite")[0][1])
    assert "pending" not in full and "observed" not in full
    assert full[FROM_EVENTS]["observed"] == {}


def test_a_file_started_from_another_runs_state_keeps_what_it_lacks(tmp_path: Path):
    config = crowd_world(60, places=2)
    first = _run(config, tmp_path / "a.sqlite", 2)
    with RunReader(tmp_path / "a.sqlite") as reader:
        state_2 = reader.state_at(2)
    assert json.dumps(state_2, sort_keys=True) == first[2]
    # ticks 3-4 in a new file: the observations of ticks 1-2 are not among its events
    later = _run(config, tmp_path / "b.sqlite", 2, state=state_2)
    stored = json.loads(_stored(tmp_path / "b.sqlite")[0][1])
    kept = stored[FROM_EVENTS]["observed"]
    assert kept and all(int(k.split(".")[0]) <= 2 for k in kept)
    with RunReader(tmp_path / "b.sqlite") as reader:
        for tick, state in later.items():
            assert json.dumps(reader.state_at(tick), sort_keys=True) == state
    # and a run resumed in that file goes on from it
    resumed = _run(
        config, tmp_path / "b.sqlite", 1, state=RunReader(tmp_path / "b.sqlite").state_at(4)
    )
    assert list(resumed) == [5]


def test_a_checkpoint_whose_events_are_gone_says_so(tmp_path: Path):
    _run(crowd_world(40, places=1), tmp_path / "t.sqlite", 3)
    with sqlite3.connect(tmp_path / "t.sqlite") as conn:
        conn.execute("DELETE FROM events WHERE tick = 2 AND seq > 2")  # not the last tick
    with RunReader(tmp_path / "t.sqlite") as reader:
        with pytest.raises(
            StoreError, match=r"state at tick 2: .*pending events of tick 2; the file has 3"
        ):
            reader.state_at(2)
        with pytest.raises(StoreError, match="events of tick 2 that the file lacks"):
            reader.state_at(3)
