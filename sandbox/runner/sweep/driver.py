"""The sweep's driver: plan the grid, keep the manifest, feed an executor with bounded
submission, retry failed runs, and report progress."""

from __future__ import annotations

import collections
import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.errors import ConfigError
from sandbox.runner.settings import RunSettings
from sandbox.runner.sweep.grid import RunSpec, plan_grid
from sandbox.runner.sweep.limiter import Limits
from sandbox.runner.sweep.worker import RunOutcome, RunTask
from sandbox.store.sweep_manifest import RUNS_DIR, Manifest

log = logging.getLogger(__name__)


class SweepOptions(BaseModel):
    """How a sweep runs (not what it runs)."""

    model_config = ConfigDict(extra="forbid")

    executor: Literal["local", "ray"] = "local"
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    address: str | None = Field(None, description="Ray cluster address ('auto' for ray start)")
    max_in_flight: int | None = Field(None, ge=1, description="model calls in flight, all runs")
    rpm: float | None = Field(None, ge=2, description="model calls per minute, all runs")
    attempts: int = Field(3, ge=1, description="tries per run in one invocation")


class SweepProgress(BaseModel):
    total: int
    completed: int = 0
    failed: int = 0
    running: int = 0
    skipped: int = 0  # completed before this invocation
    calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    bank: dict[str, Any] | None = None
    last: str | None = None  # the run that just finished, and how


class SweepResult(BaseModel):
    directory: Path
    total: int
    started: int  # runs this invocation started (retries not counted twice)
    completed: int
    failed: int
    interrupted: bool = False
    bank: dict[str, Any] | None = None


OnProgress = Callable[[SweepProgress], None]


def sweep(
    path: str | Path,
    out: str | Path,
    *,
    seeds: str | int | None = None,
    models: list[str] | None = None,
    ticks: int | None = None,
    settings: RunSettings | None = None,
    on_progress: OnProgress | None = None,
    **options: Any,
) -> SweepResult:
    """Plan the grid of ``path`` and run it into ``out`` (see ``run_sweep``)."""
    specs = plan_grid(path, seeds=seeds, models=models, ticks=ticks)
    return run_sweep(out, specs, settings, SweepOptions(**options), on_progress)


@contextlib.contextmanager
def _sweep_lock(directory: Path) -> Iterator[None]:
    with open(directory / "sweep.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"another 'sandbox sweep' is working on {directory}; wait for it or stop it first"
            ) from None
        yield


def _template(settings: RunSettings | None, directory: Path) -> dict[str, Any]:
    """The run settings every run shares (the model comes from its spec)."""
    base = settings or RunSettings()
    data = base.model_copy(update={"out": directory, "seed": None, "ticks": None}).model_dump(
        mode="json"
    )
    data.pop("model")
    return data


def run_sweep(
    directory: str | Path,
    specs: list[RunSpec] | None,
    settings: RunSettings | None = None,
    options: SweepOptions | None = None,
    on_progress: OnProgress | None = None,
) -> SweepResult:
    """Run every spec not yet completed in ``directory`` (``specs=None``: every run its manifest
    lists, as ``--resume`` does). Completed runs are never started again; failed and interrupted
    ones are, up to ``options.attempts`` tries each in this invocation."""
    options = options or SweepOptions()
    directory = Path(directory).resolve()
    if specs is None and not (directory / "sweep.sqlite").exists():
        raise ConfigError(f"no sweep to resume at {directory} (it holds no sweep.sqlite)")
    directory.mkdir(parents=True, exist_ok=True)
    with _sweep_lock(directory), Manifest(directory, create=True) as manifest:
        meta = manifest.meta()
        template = _template(settings, directory) if settings or not meta else meta["settings"]
        if specs is not None:
            manifest.add(
                {
                    **s.model_dump(include={"run_id", "condition", "model", "seed", "config_hash"}),
                    "directory": str(Path(RUNS_DIR) / s.run_id),
                    "spec": s.model_dump(mode="json"),
                }
                for s in specs
            )
            wanted = {s.run_id for s in specs}
        else:
            wanted = {r["run_id"] for r in manifest.rows()}
        manifest.set_meta(settings=template, options=options.model_dump(mode="json"))
        manifest.mark_interrupted()  # 'running' rows left by a driver that was killed
        rows = [r for r in manifest.rows() if r["run_id"] in wanted]
        todo = [r for r in rows if r["status"] != "completed"]
        progress = SweepProgress(total=len(rows), skipped=len(rows) - len(todo))
        progress.completed = progress.skipped
        for r in rows:
            if r["status"] == "completed":
                _add_usage(progress, r["calls"], r["tokens"], r["cost_usd"])
        if on_progress:
            on_progress(progress)
        if not todo:
            return SweepResult(
                directory=directory,
                total=len(rows),
                started=0,
                completed=len(rows),
                failed=0,
            )
        return _drive(directory, manifest, todo, template, options, progress, on_progress)


def _add_usage(progress: SweepProgress, calls: Any, tokens: Any, cost: Any) -> None:
    progress.calls += calls or 0
    progress.tokens += tokens or 0
    if cost is None:
        progress.cost_known = progress.cost_known and not calls
    else:
        progress.cost_usd += cost


def _executor(options: SweepOptions, limits: Limits) -> Any:
    if options.executor == "ray":
        from sandbox.runner.sweep.ray_executor import RayExecutor

        return RayExecutor(options.workers, limits, options.address)
    if options.address is not None:
        raise ConfigError("--address is for --executor ray")
    from sandbox.runner.sweep.local import LocalExecutor

    return LocalExecutor(options.workers, limits)


def _drive(
    directory: Path,
    manifest: Manifest,
    todo: list[dict[str, Any]],
    template: dict[str, Any],
    options: SweepOptions,
    progress: SweepProgress,
    on_progress: OnProgress | None,
) -> SweepResult:
    limits = Limits.for_workers(options.max_in_flight, options.rpm, options.workers)
    queue = collections.deque(todo)
    tries: dict[str, int] = collections.Counter()
    started: set[str] = set()
    executor = _executor(options, limits)
    ship = False
    interrupted = False
    with executor:
        ship = getattr(executor, "ship", False)
        try:
            while queue or executor.running():
                while queue and executor.running() < options.workers:
                    row = queue.popleft()
                    spec = RunSpec.model_validate_json(row["spec"])
                    task = RunTask(
                        spec=spec,
                        settings=template,
                        directory=str(directory / row["directory"]),
                        sweep_dir=str(directory),
                        ship=ship,
                    )
                    manifest.mark_running(spec.run_id)
                    tries[spec.run_id] += 1
                    started.add(spec.run_id)
                    progress.running += 1
                    executor.submit(task)
                for run_id, result in executor.wait(timeout=0.5):
                    progress.running -= 1
                    outcome = _outcome(run_id, result)
                    if outcome.trajectory is not None:
                        _store_shipped(directory, manifest.get(run_id), outcome)
                    _record(manifest, outcome)
                    if outcome.status == "completed":
                        progress.completed += 1
                        _add_usage(progress, outcome.calls, outcome.tokens, outcome.cost_usd)
                        progress.last = f"{run_id} completed"
                    elif tries[run_id] < options.attempts:
                        log.warning("sweep run %s failed, retrying: %s", run_id, outcome.error)
                        queue.append(manifest.get(run_id))
                        progress.last = f"{run_id} failed ({outcome.error}); will retry"
                    else:
                        progress.failed += 1
                        progress.last = f"{run_id} failed: {outcome.error}"
                progress.bank = executor.stats()
                if on_progress:
                    on_progress(progress)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            if interrupted or queue or executor.running():
                manifest.mark_interrupted()
    return SweepResult(
        directory=directory,
        total=progress.total,
        started=len(started),
        completed=progress.completed,
        failed=progress.failed,
        interrupted=interrupted,
        bank=progress.bank,
    )


def _outcome(run_id: str, result: RunOutcome | BaseException) -> RunOutcome:
    if isinstance(result, RunOutcome):
        return result
    if isinstance(result, KeyboardInterrupt):
        raise result
    # The worker itself failed (killed, out of memory, lost node): the run is retried.
    return RunOutcome(
        run_id=run_id, status="failed", error=f"worker failed: {type(result).__name__}: {result}"
    )


def _record(manifest: Manifest, outcome: RunOutcome) -> None:
    manifest.record(
        outcome.run_id,
        status=outcome.status,
        error=outcome.error,
        calls=outcome.calls,
        tokens=outcome.tokens,
        cost_usd=outcome.cost_usd,
        wall_s=round(outcome.wall_s, 3),
        version=outcome.version,
        host=outcome.host,
    )


def _store_shipped(directory: Path, row: dict[str, Any], outcome: RunOutcome) -> None:
    """Write a trajectory a remote worker sent back into the run's directory."""
    from sandbox.store.reader import TRAJECTORY_FILE

    run_dir = directory / row["directory"]
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / (TRAJECTORY_FILE + ".part")
    tmp.write_bytes(outcome.trajectory or b"")
    tmp.replace(run_dir / TRAJECTORY_FILE)
    outcome.trajectory = None
