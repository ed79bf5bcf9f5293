"""Tick checkpoints store what changed (issue 11): a few KB a tick, and every state rebuilt exactly."""

from __future__ import annotations

import json
import sqlite3

import pytest

import sandbox.store.writer as writer_module
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.checkpoint import diff, patch
from sandbox.store.reader import RunReader
from sandbox.world.world import World
from tests.conftest import small_world


def roundtrip(old, new):  # type: ignore[no-untyped-def]
    delta = json.loads(json.dumps(diff(old, new)))  # as stored
    rebuilt = patch(old, delta)
    assert json.dumps(rebuilt, sort_keys=True) == json.dumps(new, sort_keys=True)
    return delta


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"a": 1, "b": [1, 2, 3]}, {"a": 1, "b": [2, 3, 4, 5]}),  # a sliding window
        ({"a": 1, "b": [1, 2, 3]}, {"a": 1.0, "b": [1, 2, 3]}),  # 1 and 1.0 differ in JSON
        ({"a": [1, True]}, {"a": [1, 1]}),
        ({"a": {"x": 1}, "gone": 2}, {"a": {"x": 1, "y": [3]}, "new": None}),
        ({"a": [5, 6, 7, 8, 9]}, {"a": [5, 6, 0, 8, 9, 10]}),  # one item changed, one appended
        ({"a": [1, 2, 3]}, {"a": []}),
        ({"a": []}, {"a": [{"k": "v"}]}),
        ({"a": [1, 2, 3]}, {"a": [4, 5, 6]}),
        ({"a": "text"}, {"a": ["now", "a", "list"]}),
        ([{"x": 1}], {"x": 1}),
    ],
)
def test_diff_then_patch_gives_the_new_state_exactly(old, new):
    before = json.dumps(old)
    roundtrip(old, new)
    assert json.dumps(old) == before  # patch does not modify the old state


def test_a_sliding_window_stores_only_the_new_items():
    old = {"observations": [{"text": f"event {i}" * 5} for i in range(40)]}
    new = {"observations": [*old["observations"][3:], {"text": "new"}]}
    delta = roundtrip(old, new)
    assert delta == {"d": {"observations": {"l": [3, [{"text": "new"}]]}}}


@pytest.mark.parametrize("cognition", [False, True])
def test_world_states_tick_after_tick_roundtrip(cognition):
    world = World(small_world(cognition={}) if cognition else small_world())
    previous = json.loads(json.dumps(world.state_dict()))
    for _ in range(8):
        world.step()
        current = json.loads(json.dumps(world.state_dict()))
        roundtrip(previous, current)
        previous = current
    world.close()


@pytest.mark.parametrize("cognition", [False, True])
def test_a_live_world_state_diffs_as_its_json_does(cognition):
    """The writer diffs the live state (not its JSON read back): a state with tuples, non-string
    keys or other non-JSON types would still be stored right, but each tick would rewrite them
    whole; the world's state is JSON-ready, so its delta is the one of its JSON."""
    world = World(small_world(cognition={}) if cognition else small_world())
    world.step()
    previous = json.loads(json.dumps(world.state_dict()))
    for _ in range(4):
        world.step()
        live = world.state_dict()
        assert diff(previous, live) == diff(previous, json.loads(json.dumps(live)))
        previous = json.loads(json.dumps(live))
    world.close()


def test_a_cafe_tick_checkpoint_costs_a_few_kb(cafe, tmp_path):
    run = Run.create(cafe, RunSettings(ticks=30, out=tmp_path, use_cache=False))
    run.run()
    run.close()
    with sqlite3.connect(run.path) as conn:
        rows = conn.execute("SELECT tick, state, state_delta FROM ticks ORDER BY tick").fetchall()
    assert rows[0][1] is not None and rows[0][2] is None  # the first tick is a full snapshot
    with RunReader(run.path) as reader:
        full = len(json.dumps(reader.state_at(30)))  # what tick 30 cost before
    deltas = [len(r[2]) for r in rows[1:]]
    assert all(r[1] is None for r in rows[1:])
    assert max(deltas) < 8_000 and sum(deltas) / len(deltas) < 6_000  # six agents, a few KB
    assert full > 3 * max(deltas)


def test_states_read_back_equal_the_states_committed(cafe, tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "FULL_EVERY", 4)  # a full snapshot every 4 ticks
    committed = {}
    run = Run.create(cafe, RunSettings(ticks=10, out=tmp_path, use_cache=False))
    run.run(on_tick=lambda r: committed.__setitem__(r.tick, json.loads(json.dumps(r.state))))
    run.close()
    with RunReader(run.path) as reader:
        full = [r["tick"] for r in reader.rows("ticks", "state IS NOT NULL")]
        assert full == [1, 5, 9]
        for tick in (1, 2, 4, 5, 8, 10):
            assert reader.state_at(tick) == committed[tick]
        assert dict(reader.states()) == committed


def test_a_resumed_run_starts_with_a_full_snapshot(cafe, tmp_path):
    run = Run.create(cafe, RunSettings(ticks=3, out=tmp_path, use_cache=False))
    run.run()
    run.close()
    resumed = Run.resume(run.directory, {"ticks": 6})
    resumed.run()
    resumed.close()
    with RunReader(run.path) as reader:
        assert [r["tick"] for r in reader.rows("ticks", "state IS NOT NULL")] == [1, 4]
        assert reader.state_at(6)["tick"] == 6


def test_a_file_of_schema_4_with_full_states_reads_and_resumes(cafe, tmp_path):
    run = Run.create(cafe, RunSettings(ticks=3, out=tmp_path, use_cache=False))
    run.run()
    run.close()
    with RunReader(run.path) as reader:
        states = dict(reader.states())
    with sqlite3.connect(run.path) as conn:  # rewrite it as the older sandbox wrote it
        for tick, state in states.items():
            conn.execute("UPDATE ticks SET state = ? WHERE tick = ?", (json.dumps(state), tick))
        conn.execute("ALTER TABLE ticks DROP COLUMN state_delta")
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    with RunReader(run.path) as reader:
        assert reader.state_at(2) == states[2]
    resumed = Run.resume(run.directory, {"ticks": 5})
    resumed.run()
    resumed.close()
    with RunReader(run.path) as reader:
        assert reader.state_at(2) == states[2] and reader.state_at(5)["tick"] == 5
