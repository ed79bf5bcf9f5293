"""One writer per run: a second writer of the same run is refused, in this process or another,
and a run that no process writes any more says so."""

import os
import signal
import subprocess
import sys
import time

import pytest

from sandbox.errors import StoreError
from sandbox.runner.summary import summarize
from sandbox.store.reader import RunReader
from sandbox.store.run_lock import RunBusyError, being_written
from sandbox.store.writer import TrajectoryWriter
from tests.conftest import CAFE, ROOT


def test_a_second_writer_is_refused_until_the_first_closes(tmp_path):
    path = tmp_path / "run" / "trajectory.sqlite"
    first = TrajectoryWriter(path)
    assert being_written(path)
    with pytest.raises(RunBusyError, match="being written by another process"):
        TrajectoryWriter(path)
    first.close()
    assert not being_written(path)
    TrajectoryWriter(path).close()


def test_resuming_a_run_that_is_still_going_is_one_line_and_harmless(tmp_path):
    cmd = [sys.executable, "-m", "sandbox", "run", str(CAFE), "--ticks", "100000", "--out",
           str(tmp_path), "--no-feed", "--seed", "3"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120  # a bound only: it stops at the first committed tick
        run_dir = None
        while time.monotonic() < deadline and proc.poll() is None:
            found = list(tmp_path.glob("*/trajectory.sqlite"))
            if found:
                try:
                    with RunReader(found[0]) as reader:
                        if reader.last_tick() >= 1:
                            run_dir = found[0].parent
                            break
                except StoreError:  # the file is being created: look again
                    pass
            time.sleep(0.1)
        assert run_dir is not None, f"the run never committed a tick: {proc.poll()}"
        second = subprocess.run(
            [sys.executable, "-m", "sandbox", "run", "--resume", str(run_dir), "--no-feed"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert second.returncode == 1, second.stderr
        assert "Traceback" not in second.stderr
        assert "being written by another process" in second.stderr
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # killed: the record still says running, and the summary says no process writes it
    status = summarize(run_dir).status
    assert status.startswith("running") and "no process is writing it" in status
