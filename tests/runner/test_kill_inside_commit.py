"""SIGKILL at random moments, most of them inside a tick's commit: the file keeps only whole ticks,
and resuming to the end gives the uninterrupted run, table by table.

The run is continued in forked children (cheap: the parent has imported everything already). Each
child reports every step of its commits through the writer's commit hook on a pipe; the parent waits
for a randomly chosen (tick, step), sleeps a random few milliseconds and kills the child with SIGKILL.
What the child wrote before it died tells whether its last transaction had begun and not committed.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.integrity import check_file
from sandbox.store.reader import RunReader
from sandbox.store.writer import COMMIT_STEPS
from sandbox.testing.crowd import crowd_world
from sandbox.world.config import WorldConfig, load_world
from tests.conftest import ROOT
from tests.store.trajectory_tables import differences, table_rows

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork"),
    pytest.mark.timeout(300),
]

CHILD_DEADLINE_S = 90.0


def crowd(n: int) -> WorldConfig:
    return crowd_world(n)


def _continue_in_child(run_dir: Path, out_fd: int) -> None:
    def hook(tick: int, step: str) -> None:
        os.write(out_fd, f"{tick} {step}\n".encode())

    os.write(out_fd, b"start\n")
    run = Run.resume(run_dir)
    run.writer.commit_hook = hook
    run.run()
    run.close()
    os.write(out_fd, b"done\n")


class Child:
    """A forked process that resumes the run and reports each commit step on a pipe."""

    def __init__(self, run_dir: Path) -> None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 0
            try:
                os.close(read_fd)
                _continue_in_child(run_dir, write_fd)
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
                code = 1
            finally:
                os._exit(code)
        os.close(write_fd)
        self.pid, self.fd = pid, read_fd
        self.buffer = b""
        self.lines: list[str] = []
        self.status: int | None = None

    def _read(self, timeout: float) -> str:
        """'data', 'eof' or 'timeout'."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return "timeout"
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return "eof"
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n")
        self.lines += [c.decode() for c in complete]
        return "data"

    def wait_for(self, line: str, deadline: float) -> bool:
        """Read until ``line`` arrives (True) or the child closes its end (False)."""
        while line not in self.lines:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the child did not reach '{line}' within {CHILD_DEADLINE_S:.0f} s; its last "
                    f"lines: {self.lines[-3:]}"
                )
            if self._read(deadline - time.monotonic()) == "eof":
                return line in self.lines
        return True

    def kill(self) -> None:
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            self.reap()

    def reap(self) -> int:
        """Wait for the child, then read what it wrote before it died (up to end of file)."""
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self._read(1.0) != "eof":
                pass
            os.close(self.fd)
        return self.status

    def last_begun(self) -> int:
        """The last tick whose transaction the child had begun (0 if none)."""
        begun = [int(x.split()[0]) for x in self.lines if x.endswith(" begin")]
        return max(begun, default=0)


@dataclass
class Kill:
    target: str
    delay_ms: float
    inside_commit: bool
    last_tick: int


SETTINGS = RunSettings(out=Path("unused"), use_cache=False)


@pytest.mark.parametrize(
    ("world", "ticks", "kills", "max_delay_s"),
    [("crowd-300", 6, 7, 0.03), ("town", 8, 7, 0.004)],
)
def test_sigkill_inside_commits_leaves_whole_ticks_and_resume_equals_uninterrupted(
    tmp_path, world, ticks, kills, max_delay_s
):
    config = crowd(300) if world == "crowd-300" else load_world(ROOT / "worlds" / "town.yaml")
    settings = SETTINGS.model_copy(update={"ticks": ticks})
    reference = Run.create(config, settings, directory=tmp_path / "reference")
    started = time.monotonic()
    reference.run()
    # A kill "at any moment of a tick" waits up to one tick of this machine: a fixed delay lets
    # a faster engine finish several ticks before it, and the run ends before enough kills.
    tick_s = (time.monotonic() - started) / ticks
    reference.close()
    # The run to kill is created (not stepped) here; every child continues it.
    Run.create(config, settings, directory=tmp_path / "killed").close()
    run_dir = tmp_path / "killed"
    rng = random.Random(20260213)
    # The ticks to kill in, spread over the run (each child first commits the ticks before it).
    plan = sorted(rng.randint(1, ticks) for _ in range(kills))
    # Most kills inside a commit (after a random step), two at any moment of a tick.
    modes = ["commit"] * (kills - 2) + ["anytime"] * 2
    rng.shuffle(modes)
    done: list[Kill] = []
    for target_tick, mode in zip(plan, modes, strict=True):
        with RunReader(run_dir) as reader:
            last = reader.last_tick()
        target_tick = max(target_tick, last + 1)
        if target_tick > ticks:
            break
        if mode == "anytime":  # computing the tick, or committing it
            target = f"{target_tick - 1} ticks" if target_tick - 1 > last else "start"
            delay = rng.uniform(0, tick_s)
        else:  # inside the commit, after a random step
            target = f"{target_tick} {rng.choice(COMMIT_STEPS)}"
            delay = rng.uniform(0, max_delay_s)
        child = Child(run_dir)
        try:
            reached = child.wait_for(target, time.monotonic() + CHILD_DEADLINE_S)
            if not reached:
                status = child.reap()
                raise AssertionError(
                    f"the child ended (wait status {status}) before '{target}'; its last lines: "
                    f"{child.lines[-3:]} (its traceback, if any, is in the captured stderr)"
                )
            time.sleep(delay)
        finally:
            child.kill()
        if not os.WIFSIGNALED(child.status):  # it finished before the kill: not a kill
            assert child.status == 0, f"the child failed (wait status {child.status})"
            continue
        report = check_file(run_dir)
        assert report.ok, [p.describe() for p in report.partial]
        with RunReader(run_dir) as reader:  # reopening checks the last tick as well
            now = reader.last_tick()
        done.append(Kill(target, round(delay * 1000, 1), child.last_begun() > now, now))
        assert (
            differences(
                table_rows(run_dir, through_tick=now),
                table_rows(reference.directory, through_tick=now),
            )
            == []
        ), (
            f"after kill {len(done)} ({done[-1]}) the committed ticks differ from the uninterrupted run"
        )
    print(f"\n{world}: {len(done)} kills, {sum(k.inside_commit for k in done)} inside a commit")
    for k in done:
        print(f"  {k}")
    assert len(done) >= 6, f"only {len(done)} kills: the run finished first"

    resumed = Run.resume(run_dir)
    resumed.run()
    resumed.close()
    assert differences(table_rows(run_dir), table_rows(reference.directory)) == []
