"""The local executor: a pool of worker processes on this machine, and the permit bank in a
manager process that every worker reaches through a proxy."""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import logging
import multiprocessing
import signal
import sys
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.managers import BaseManager
from typing import Any

from sandbox.runner.sweep.limiter import Limits, LocalLink, PermitBank
from sandbox.runner.sweep.worker import RunOutcome, RunTask, execute

log = logging.getLogger(__name__)


class _BankManager(BaseManager):
    pass


_BankManager.register("PermitBank", PermitBank)


def _init_worker() -> None:
    """In each worker: die with the driver (Linux), so no orphan keeps writing a run."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    logging.basicConfig(level=logging.WARNING)


class LocalExecutor:
    """Runs tasks on ``workers`` processes (spawned, so nothing of the driver's state leaks in)."""

    name = "local"

    def __init__(self, workers: int, limits: Limits | None = None) -> None:
        self.workers = workers
        self.limits = limits
        self._manager: _BankManager | None = None
        self._bank: Any = None
        self._link: LocalLink | None = None
        self._pool: cf.ProcessPoolExecutor | None = None
        self._futures: dict[cf.Future[RunOutcome], str] = {}

    def __enter__(self) -> LocalExecutor:
        if self.limits is not None and self.limits.active:
            self._manager = _BankManager(ctx=multiprocessing.get_context("spawn"))
            self._manager.start()
            self._bank = self._manager.PermitBank(  # type: ignore[attr-defined]
                self.limits.max_in_flight, self.limits.rpm
            )
            self._link = LocalLink(self._bank, self.limits)
        self._pool = self._new_pool()
        return self

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
        )

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._manager is not None:
            self._manager.shutdown()

    def submit(self, task: RunTask) -> None:
        assert self._pool is not None
        future = self._pool.submit(execute, task, self._link)
        self._futures[future] = task.spec.run_id

    def running(self) -> int:
        return len(self._futures)

    def wait(self, timeout: float) -> list[tuple[str, RunOutcome | BaseException]]:
        if not self._futures:
            return []
        done, _ = cf.wait(self._futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        out: list[tuple[str, RunOutcome | BaseException]] = []
        broken = False
        for future in done:
            run_id = self._futures.pop(future)
            try:
                out.append((run_id, future.result()))
            except BrokenProcessPool as exc:
                broken = True
                out.append((run_id, exc))
            except BaseException as exc:
                out.append((run_id, exc))
            self.forget(run_id)
        if broken:  # a worker died (killed, out of memory): its pool is gone, start another
            log.warning("a worker process died; starting a new pool")
            assert self._pool is not None
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
        return out

    def forget(self, run_id: str) -> None:
        """Return whatever permits the run still holds (its process may have died)."""
        if self._bank is not None:
            self._bank.release_all(run_id)

    def stats(self) -> dict[str, Any] | None:
        return self._bank.stats() if self._bank is not None else None
