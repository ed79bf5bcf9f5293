import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox.errors import ConfigError, StoreError
from sandbox.runner.replay import areplay
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.runner.summary import summarize
from sandbox.store.integrity import check_file
from sandbox.store.reader import RunReader
from tests.conftest import CAFE, ROOT


def fingerprint(run_dir) -> str:
    with RunReader(run_dir) as reader:
        return reader.fingerprint()


def committed_ticks(out: Path) -> int:
    """The last committed tick of the one run under ``out`` (0 while it does not exist yet)."""
    files = list(out.glob("*/trajectory.sqlite"))
    if not files:
        return 0
    try:
        with RunReader(files[0]) as reader:
            return reader.last_tick()
    except StoreError:  # created but its schema not yet committed
        return 0


def complete(config, settings, directory) -> Path:
    run = Run.create(config, settings, directory=directory)
    run.run()
    run.close()
    return run.directory


def test_resumed_run_equals_uninterrupted_run(cafe, tmp_path):
    settings = RunSettings(ticks=10, out=tmp_path)
    whole = complete(cafe, settings, tmp_path / "whole")

    part = Run.create(cafe, settings, directory=tmp_path / "part")
    part.ticks_target = 4  # stop early, as if interrupted after tick 4
    part.run()
    part.close()
    with RunReader(part.directory) as reader:
        assert reader.last_tick() == 4 and reader.run()["status"] == "completed"

    resumed = Run.resume(part.directory)
    assert resumed.world.tick == 4 and resumed.ticks_target == 10
    resumed.run()
    resumed.close()
    assert fingerprint(part.directory) == fingerprint(whole)
    assert summarize(part.directory).ticks == 10


def test_replay_of_a_heuristic_run_is_identical(cafe, tmp_path):
    run_dir = complete(cafe, RunSettings(ticks=6, out=tmp_path), tmp_path / "run")
    report = asyncio.run(areplay(run_dir))
    assert report.identical and report.ticks == 6
    assert report.backend_calls == 0 and report.answered_from_record == 6 * len(cafe.agents)


def test_replay_detects_a_changed_answer(cafe, tmp_path):
    run_dir = complete(cafe, RunSettings(ticks=5, out=tmp_path), tmp_path / "run")
    conn = sqlite3.connect(run_dir / "trajectory.sqlite")
    with conn:
        conn.execute(
            "UPDATE llm_calls SET response = ? WHERE id = (SELECT max(id) FROM llm_calls "
            "WHERE tick = 3)",
            ('{"thought": "changed", "action": "wait", "target": null, "text": ""}',),
        )
    conn.close()
    report = asyncio.run(areplay(run_dir))
    assert not report.identical and report.first_divergent_tick == 3


@pytest.mark.network
def test_rerun_with_the_same_cache_makes_no_model_calls(cafe, fake_server, tmp_path):
    settings = RunSettings(
        model="openai/fake", api_base=fake_server.base_url, ticks=3, out=tmp_path
    )
    first = complete(cafe, settings, tmp_path / "first")
    calls_first = fake_server.request_count
    assert calls_first >= 3 * len(cafe.agents)
    second = complete(cafe, settings, tmp_path / "second")
    assert fake_server.request_count == calls_first
    s = summarize(second)
    assert s.cache_hits == s.calls == 3 * len(cafe.agents)
    assert fingerprint(first) == fingerprint(second)
    report = asyncio.run(areplay(first))
    assert report.identical and report.backend_calls == 0


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.timeout(240)  # above the 90 s the child gets, so its own failure message is seen
def test_kill_9_mid_run_then_resume_equals_uninterrupted(cafe, fake_server, tmp_path):
    fake_server.latency = 0.08
    ticks = 12
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "sandbox",
        "run",
        str(CAFE),
        "--model",
        "openai/fake",
        "--api-base",
        fake_server.base_url,
        "--ticks",
        str(ticks),
        "--out",
        str(out),
        "--no-feed",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = time.monotonic()
    committed = 0
    try:
        while committed < 4 and proc.poll() is None and time.monotonic() < started + 90:
            time.sleep(0.05)
            committed = committed_ticks(out)
    finally:
        running = proc.poll() is None
        if running:
            proc.kill()  # SIGKILL: the kill under test, or the cleanup of a run that never got going
        stderr = proc.communicate()[1].decode(errors="replace")
    assert committed >= 4, (
        f"the run committed {committed} ticks in {time.monotonic() - started:.0f} s and "
        + ("was still running" if running else f"exited with status {proc.returncode}")
        + f"; its stderr: {stderr[-2000:]}"
    )
    assert running and proc.returncode == -signal.SIGKILL, (
        f"the run ended by itself (status {proc.returncode}) before the kill; its stderr: "
        f"{stderr[-2000:]}"
    )
    [run_file] = out.glob("*/trajectory.sqlite")
    report = check_file(run_file.parent)
    assert report.ok, [p.describe() for p in report.partial]
    with RunReader(run_file) as reader:
        killed_at = reader.last_tick()
        assert reader.run()["status"] == "running"  # it never got to say otherwise
    assert 4 <= killed_at < ticks

    resumed = Run.resume(run_file.parent)
    resumed.run()
    resumed.close()

    fake_server.latency = 0.0
    reference = complete(
        cafe,
        RunSettings(
            model="openai/fake",
            api_base=fake_server.base_url,
            ticks=ticks,
            out=tmp_path,
            cache=tmp_path / "other-cache.sqlite",
        ),
        tmp_path / "reference",
    )
    assert fingerprint(run_file.parent) == fingerprint(reference)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_replay_out_creates_a_new_folder_and_touches_nothing_else(cafe, tmp_path):
    runs = tmp_path / "runs"
    original = complete(cafe, RunSettings(ticks=3, out=runs), runs / "orig")
    complete(cafe, RunSettings(ticks=2, out=runs), runs / "other")
    (runs / "notes.txt").write_text("my notes")
    before = _snapshot(runs)

    report = asyncio.run(areplay(original, out=runs))
    assert report.identical and report.replay == runs / "orig-replay" / "trajectory.sqlite"
    after = _snapshot(runs)
    assert {k: after.get(k) for k in before} == before  # every file as it was
    new = {k for k in after if k not in before and not k.startswith("orig-replay/")}
    # Only SQLite's side files of read-only readers (shared memory, an empty log) may appear.
    assert all(k.endswith(("-shm", "-wal")) for k in new), new

    with pytest.raises(ConfigError, match="already exists"):
        asyncio.run(areplay(original, out=runs))
    with pytest.raises(ConfigError, match="inside the run being replayed"):
        asyncio.run(areplay(original, out=original))
    assert {k: v for k, v in _snapshot(runs).items() if not k.endswith("-shm")} == {
        k: v for k, v in after.items() if not k.endswith("-shm")
    }


def test_replay_defaults_to_a_sibling_folder(cafe, tmp_path):
    run_dir = complete(cafe, RunSettings(ticks=2, out=tmp_path), tmp_path / "run")
    report = asyncio.run(areplay(run_dir))
    assert report.replay.parent == tmp_path / "run-replay"
    assert [p.name for p in run_dir.iterdir() if p.is_dir()] == []  # nothing written inside


def test_sigterm_ends_a_run_as_interrupted(tmp_path):
    out = tmp_path / "runs"
    cmd = [sys.executable, "-m", "sandbox", "run", str(CAFE), "--ticks", "100000"]
    cmd += ["--out", str(out), "--no-feed"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        committed = 0
        while committed < 1 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            for f in out.glob("*/trajectory.sqlite"):
                try:
                    with RunReader(f) as reader:
                        committed = reader.last_tick()
                except Exception:
                    committed = 0  # not written yet
        assert committed >= 1, "the run never committed a tick"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read().decode()
    assert code == 143, stderr
    [run_file] = out.glob("*/trajectory.sqlite")
    with RunReader(run_file) as reader:
        meta = reader.run()
        assert meta["status"] == "interrupted" and meta["last_tick"] == reader.last_tick() >= 1


@pytest.mark.parametrize("seed", [-1, 2**64])
def test_a_run_that_cannot_start_leaves_no_folder(cafe, tmp_path, seed):
    out = tmp_path / "runs"
    bad = cafe.model_copy(update={"seed": seed})  # as if validation had let it through
    with pytest.raises((ValueError, OverflowError)):
        Run.create(bad, RunSettings(out=out, use_cache=False), directory=out / "deep" / "run")
    assert not out.exists()


def test_a_failed_start_keeps_what_it_did_not_create(cafe, tmp_path):
    out = tmp_path / "runs"
    (out / "run").mkdir(parents=True)
    (out / "run" / "notes.txt").write_text("mine")
    bad = cafe.model_copy(update={"seed": 2**64})
    with pytest.raises(OverflowError):
        Run.create(bad, RunSettings(out=out, use_cache=False), directory=out / "run")
    assert sorted(p.name for p in (out / "run").iterdir()) == ["notes.txt"]


def test_a_resumed_crowded_run_stores_the_audiences_of_a_straight_one(tmp_path):
    """Two crowded places with people moving (audiences of 32 names or more, stored once): a run
    stopped after tick 2 and resumed to tick 4 has the straight run's tables, ``audiences`` rows
    and the events' ``audience_ref`` included (the reopened writer goes on referring to the
    audiences of the last committed tick instead of storing them again)."""
    from sandbox.testing.crowd import crowd_world
    from tests.store.trajectory_tables import differences, table_rows

    config = crowd_world(120, places=2).model_copy(update={"ticks": 4})
    runs = {}
    for name, ticks in (("straight", 4), ("stopped", 2)):
        runs[name] = Run.create(config, RunSettings(out=tmp_path / name, ticks=ticks))
        runs[name].run()
        runs[name].close()
    straight = runs["straight"]
    resumed = Run.resume(runs["stopped"].directory, {"ticks": 4})
    resumed.run()
    resumed.close()
    with RunReader(straight.path) as reader:
        assert reader.count("audiences") > 0  # the case this is about
    ignore = {"runs": {"ticks_planned", "settings"}}
    assert (
        differences(
            table_rows(resumed.directory, ignore=ignore),
            table_rows(straight.directory, ignore=ignore),
        )
        == []
    )
