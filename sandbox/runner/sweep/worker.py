"""Executing one run of a sweep, in whatever process the executor chose.

A run whose directory already holds committed ticks continues from its last committed tick (the
project's resume); one with nothing committed starts again. The personality-illusion experiment,
whose questionnaire after the ticks is not checkpointed, always starts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from sandbox.errors import SandboxError
from sandbox.runner.sweep.grid import RunSpec
from sandbox.runner.sweep.limiter import BankLink, LeasedPermits
from sandbox.store.reader import TRAJECTORY_FILE

log = logging.getLogger(__name__)

RESTART_ALWAYS = {"personality_illusion"}
LOCK_WAIT_S = 600.0


class RunTask(BaseModel):
    """A run to execute: its spec, the run settings (JSON, without model) and where it goes."""

    model_config = ConfigDict(extra="forbid")

    spec: RunSpec
    settings: dict[str, Any]
    directory: str  # the run directory (absolute)
    sweep_dir: str  # the sweep's folder (absolute); holds the shared cache and the locks
    ship: bool = False  # write locally and send the trajectory back (no shared filesystem)


class RunOutcome(BaseModel):
    run_id: str
    status: Literal["completed", "failed"]
    error: str | None = None
    calls: int = 0
    tokens: int = 0
    cost_usd: float | None = None
    wall_s: float = 0.0
    version: str | None = None
    host: str = ""
    trajectory: bytes | None = None  # the file itself, when shipped back


def execute(task: RunTask, link: BankLink | None = None) -> RunOutcome:
    """Run ``task`` to completion (or failure) and say how it went. A model or configuration
    failure is an outcome, not an exception; an interrupt propagates."""
    import sandbox

    started = time.perf_counter()
    permits = LeasedPermits(link, task.spec.run_id) if link is not None else None
    host = f"{socket.gethostname()}:{os.getpid()}"
    try:
        if task.ship:
            with tempfile.TemporaryDirectory(prefix="sandbox-run-") as tmp:
                run_dir = Path(tmp) / task.spec.run_id
                outcome = asyncio.run(_aexecute(task, run_dir, permits))
                if (run_dir / TRAJECTORY_FILE).exists():
                    outcome.trajectory = (run_dir / TRAJECTORY_FILE).read_bytes()
        else:
            run_dir = Path(task.directory)
            with run_lock(Path(task.sweep_dir), task.spec.run_id):
                outcome = asyncio.run(_aexecute(task, run_dir, permits))
    finally:
        if permits is not None:
            permits.close()
    outcome.wall_s = time.perf_counter() - started
    outcome.version = sandbox.__version__
    outcome.host = host
    return outcome


@contextlib.contextmanager
def run_lock(sweep_dir: Path, run_id: str) -> Iterator[None]:
    """An exclusive lock on one run, held while it is written. A process left over from a killed
    sweep may still be writing the run: wait for it (the lock dies with its process)."""
    locks = sweep_dir / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{run_id}.lock", "w") as fh:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SandboxError(
                        f"run {run_id} is still being written by another process after "
                        f"{LOCK_WAIT_S:.0f} s; stop that process (an old sweep's worker) and resume"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _recorded(path: Path) -> dict[str, Any] | None:
    """(status, last tick, ticks planned) of a trajectory file, or None if it holds no run."""
    from sandbox.store.reader import RunReader

    try:
        with RunReader(path) as reader:
            meta = reader.run()
            return {
                "status": meta["status"],
                "last_tick": reader.last_tick(),
                "ticks_planned": meta["ticks_planned"],
            }
    except SandboxError as exc:
        log.warning("%s cannot be continued (%s); the run starts again", path, exc)
        return None


def _open_run(spec: RunSpec, settings: Any, run_dir: Path, client: Any) -> Any:
    from sandbox.runner.run import Run
    from sandbox.world.config import WorldConfig

    path = run_dir / TRAJECTORY_FILE
    if path.exists():
        recorded = _recorded(path)
        if recorded and recorded["last_tick"] > 0 and spec.experiment not in RESTART_ALWAYS:
            return Run.resume(run_dir, client=client)
        log.info("%s has no committed tick to continue from; starting it again", run_dir)
    if run_dir.exists():
        shutil.rmtree(run_dir)  # this sweep's own run folder, with nothing worth keeping
    config = WorldConfig.model_validate(spec.config)
    return Run.create(config, settings, world_file=spec.source, directory=run_dir, client=client)


async def _aexecute(task: RunTask, run_dir: Path, permits: LeasedPermits | None) -> RunOutcome:
    from sandbox.runner.run import client_for
    from sandbox.runner.settings import RunSettings
    from sandbox.runner.summary import summarize

    spec = task.spec
    settings = RunSettings.model_validate({**task.settings, "model": spec.model})
    status: Literal["completed", "failed"] = "completed"
    error = None
    client = client_for(settings, permits=permits)
    try:
        run = _open_run(spec, settings, run_dir, client)
    except SandboxError as exc:
        if client.cache is not None:
            client.cache.close()
        return RunOutcome(run_id=spec.run_id, status="failed", error=str(exc))
    try:
        await run.arun()
        if spec.experiment is not None:
            await _finish(run, spec, settings)
    except SandboxError as exc:
        status, error = "failed", str(exc)
    except Exception as exc:  # a bug, but one run's bug must not stop the sweep: record it
        log.exception("run %s failed", spec.run_id)
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        run.close()
    summary = summarize(run_dir)
    return RunOutcome(
        run_id=spec.run_id,
        status=status,
        error=error,
        calls=summary.calls,
        tokens=summary.prompt_tokens + summary.completion_tokens,
        cost_usd=summary.cost_usd,
    )


async def _finish(run: Any, spec: RunSpec, settings: Any) -> None:
    from sandbox.runner.experiment import finish_run
    from sandbox.scenarios.registry import find_experiment

    study: Any = None
    registered = find_experiment(spec.experiment or "")
    if spec.study is not None and registered is not None:
        study = registered.study.model_validate(spec.study)
    elif spec.study is not None:
        from sandbox.scenarios.social_studies import GamesStudy

        study = GamesStudy.model_validate(spec.study)
    await finish_run(run, spec.experiment or "", study, settings)
