"""Moving committed ticks from a trajectory's WAL file into its database file, off the tick's path.

SQLite in WAL mode appends each commit to the ``-wal`` file and, by default, the committing
connection then copies the frames into the database file itself (a checkpoint, with an fsync)
whenever the WAL holds over 1,000 pages: for a large world that is every tick, a few tenths of a
second spent inside the commit. The writer's connection turns that off and hands each checkpoint
to one background thread of this process with its own connection, where it runs while the next
tick is computed (a ``PASSIVE`` checkpoint never blocks the writer, nor waits for it).

Nothing about durability changes: a tick is durable once its ``COMMIT`` returns, checkpointed or
not (SQLite replays the WAL after a crash). A checkpoint that fails is not swallowed: the writer's
next transaction raises it (``check``), before it writes anything.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import Future
from pathlib import Path

from sandbox.background import thread_pool
from sandbox.errors import StoreError


class WalCheckpointer:
    """The background checkpoints of one trajectory file (its writer's)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None  # opened by the background thread
        self._running: Future[None] | None = None

    def start(self) -> None:
        """Move what is committed so far into the database file, in the background. Nothing to
        do while the previous checkpoint still runs (the next one picks this commit up), nor
        after one failed (``check`` raises that first)."""
        running = self._running
        if running is not None and (not running.done() or running.exception() is not None):
            return
        self._running = thread_pool("wal-checkpoint", 1).submit(self._checkpoint)

    def check(self) -> None:
        """Raise the error of the last background checkpoint if it failed (once)."""
        running = self._running
        if running is None or not running.done():
            return
        error = running.exception()
        if error is not None:
            self._running = None
            raise StoreError(
                f"moving committed ticks from {self.path.name}-wal into {self.path} failed: "
                f"{error}. The ticks are safe in the WAL file (keep it next to the trajectory); "
                "free disk space or fix the file's permissions, then resume the run"
            ) from error

    def wait(self) -> None:
        """Wait for a running checkpoint (before one of the writer's own, or closing); raise
        its error if it failed."""
        if self._running is not None:
            self._running.exception()  # only waits: the error is raised by ``check``
        self.check()

    def close(self) -> None:
        """Wait for a running checkpoint and close the background connection; a failed
        checkpoint is raised after the connection is closed."""
        try:
            self.wait()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _checkpoint(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
