"""One writer per run: an exclusive advisory lock held while a trajectory file is open for writing.

The lock is ``flock`` on ``<trajectory>.lock`` beside the file. The kernel drops it when its
process ends, however it ends, so a killed run never leaves a stale lock; a second process that
tries to write the same run (a ``--resume`` started while the run is still going) is refused at
once instead of interleaving its ticks with the first one's.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO

from sandbox.errors import StoreError


class RunBusyError(StoreError):
    """Another process is writing this run."""


def lock_path(trajectory: Path) -> Path:
    return trajectory.with_name(trajectory.name + ".lock")


class WriterLock:
    """Held from construction until ``release``; raises ``RunBusyError`` if another process
    (or another open writer) holds it."""

    def __init__(self, trajectory: Path) -> None:
        self.path = lock_path(trajectory)
        self._fh: IO[str] | None = open(self.path, "a+")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.seek(0)
            holder = self._fh.read().strip() or "unknown"
            self._fh.close()
            self._fh = None
            raise RunBusyError(
                f"{trajectory.parent} is being written by another process (pid {holder}); wait "
                "for it to finish or stop it, then resume"
            ) from None
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(str(os.getpid()))
        self._fh.flush()

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):  # closing drops the lock whatever happens here
                fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def being_written(trajectory: Path) -> bool:
    """Whether a live process holds the run's writer lock right now."""
    path = lock_path(trajectory)
    if not path.exists():
        return False
    try:
        with open(path) as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False
    except OSError:
        return False  # unreadable lock file: nobody can be shown to hold it
