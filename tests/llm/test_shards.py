"""Decide workers (``sandbox.llm.shards``): a tick's calls spread over worker processes give the
same trajectory as one process, errors come back typed, and a dead worker fails its tick only."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time

import pytest

from sandbox.errors import ConfigError, ModelAnswerError, ModelUnavailableError, ShardError
from sandbox.llm.factory import make_client
from sandbox.llm.request import LLMRequest, Message
from sandbox.llm.shards import start_shards
from sandbox.store.reader import RunReader
from sandbox.store.records import MetricRecord
from sandbox.store.writer import TrajectoryWriter
from sandbox.testing.crowd import crowd_world
from sandbox.world.emotion_scoring import EmotionScores
from sandbox.world.world import World

AGENTS, PLACES, TICKS = 240, 12, 3
# Every column but row timing: wall_s, committed_at (ticks) and latency_s (llm_calls).
TABLES = {
    "ticks": "tick, sim_time, n_events, n_actions, n_calls, n_thoughts, n_beliefs, state, "
    "state_delta",
    "events": "*",
    "actions": "*",
    "thoughts": "*",
    "audiences": "*",
    "metrics": "*",
    "llm_calls": "id, tick, seq, agent, purpose, model, backend, template, cache_key, cache_hit, "
    "prompt_tokens, completion_tokens, cost_usd, attempts, error_type, error, messages, response",
}


def run_world(path, workers=0, pool="process", ticks=TICKS, agents=AGENTS):
    client = make_client("heuristic")
    if workers:
        start_shards(client, workers, pool)
    writer = TrajectoryWriter(path)
    world = World(crowd_world(agents, places=PLACES), client=client, recorder=writer)
    try:
        for _ in range(ticks):
            world.step()
    finally:
        world.close()
        writer.close()
        client.close_shards()
    return path


def tables(path, upto=None):
    conn = sqlite3.connect(path)
    try:
        where = f" WHERE tick <= {upto}" if upto is not None else ""
        return {
            t: conn.execute(f"SELECT {cols} FROM {t}{where} ORDER BY rowid").fetchall()
            for t, cols in TABLES.items()
        }
    finally:
        conn.close()


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory):
    return run_world(tmp_path_factory.mktemp("one") / "t.sqlite")


def test_two_workers_write_the_same_trajectory_as_one_process(unsharded, tmp_path):
    sharded = tables(run_world(tmp_path / "t.sqlite", workers=2))
    one = tables(unsharded)
    assert len(one["llm_calls"]) == AGENTS * TICKS
    for table, rows in one.items():
        assert sharded[table] == rows, table


def requests():
    """Answers, answer errors, unavailability and a policy's own failure, interleaved."""
    out = []
    for i in range(40):
        kind = i % 4
        purpose = "nobody.knows" if kind == 2 else "memory.emotions"
        model = MetricRecord if kind == 1 else EmotionScores
        facts = {} if kind == 3 else {"lexicon": [i % 10 + 1] * 8}
        out.append(
            LLMRequest(
                purpose=purpose,
                messages=(Message(role="user", content=f"feel {i}"),),
                response_model=model,
                agent=f"a{i}",
                tick=1,
                seed=i,
                facts=facts,
            )
        )
    return out


def outcome(result):
    if isinstance(result, BaseException):
        return (type(result), str(result), getattr(result, "raw", None))
    return (result.value, result.raw)


def test_errors_come_back_typed_with_the_same_records():
    plain = make_client("heuristic")
    want = asyncio.run(plain.complete_all(requests()))
    want_calls = plain.drain_calls()
    sharded = make_client("heuristic")
    start_shards(sharded, 2)
    try:
        got = asyncio.run(sharded.complete_all(requests()))
        got_calls = sharded.drain_calls()
    finally:
        sharded.close_shards()
    assert {type(r) for r in got if isinstance(r, BaseException)} == {
        ModelAnswerError,
        ModelUnavailableError,
        KeyError,
    }
    assert [outcome(r) for r in got] == [outcome(r) for r in want]
    drop = {"latency_s"}
    assert [c.model_dump(exclude=drop) for c in got_calls] == [
        c.model_dump(exclude=drop) for c in want_calls
    ]
    assert [c.seq for c in got_calls] == list(range(40))


def test_a_killed_worker_fails_its_tick_in_one_line_and_keeps_the_committed_ones(
    unsharded, tmp_path
):
    path = tmp_path / "t.sqlite"
    client = make_client("heuristic")
    pool = start_shards(client, 2)
    writer = TrajectoryWriter(path)
    world = World(crowd_world(AGENTS, places=PLACES), client=client, recorder=writer)
    try:
        world.step()
        victim = pool.pids[1]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pool._procs[1].is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(ShardError) as failed:
            world.step()
        message = str(failed.value)
        assert "\n" not in message
        assert f"decide worker 1 (pid {victim}) died (exit code -9)" in message
        assert "tick 2" in message and "resume" in message
        assert world.tick == 1
        with pytest.raises(ShardError, match="closed"):
            world.step()  # the pool is gone: no silent fallback
    finally:
        world.close()
        writer.close()
        client.close_shards()
    with RunReader(path) as reader:
        assert reader.last_tick() == 1
    assert tables(path) == tables(unsharded, upto=1)


def test_only_the_offline_backends_are_sharded():
    client = make_client("openai/some-model", api_base="http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="raise --concurrency"):
        start_shards(client, 2)
    with pytest.raises(ConfigError, match="--rpm"):
        start_shards(make_client("heuristic", rpm=60), 2)
    assert client.shards is None


@pytest.mark.ray
def test_ray_actors_write_the_same_trajectory(unsharded, tmp_path):
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
        except Exception as exc:  # any failure to start is a reason to skip
            pytest.skip(f"Ray could not start here: {exc}")
    try:
        sharded = tables(run_world(tmp_path / "t.sqlite", workers=2, pool="ray"))
    finally:
        if started:
            ray.shutdown()
    for table, rows in tables(unsharded).items():
        assert sharded[table] == rows, table


def test_the_command_line_runs_with_decide_workers_and_records_them(tmp_path):
    from typer.testing import CliRunner

    from sandbox.cli import app

    runner = CliRunner()
    args = ["run", "worlds/cafe.yaml", "--ticks", "2", "--out", str(tmp_path), "--no-feed"]
    done = runner.invoke(app, [*args, "--decide-workers", "2"])
    assert done.exit_code == 0, done.output
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    with RunReader(run_dir) as reader:
        settings = reader.run()["settings"]
        assert reader.last_tick() == 2
    assert (settings["decide_workers"], settings["decide_pool"]) == (2, "process")
    server = ["--model", "openai/m", "--api-base", "http://127.0.0.1:9/v1"]
    refused = runner.invoke(app, [*args, *server, "--decide-workers", "2"])
    assert refused.exit_code != 0
    assert "raise --concurrency" in refused.output and "Traceback" not in refused.output
    assert "--decide-workers" in runner.invoke(app, ["run", "--help"]).output
