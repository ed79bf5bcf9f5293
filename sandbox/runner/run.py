"""Run: create or resume a run directory, step its world, keep its trajectory file true."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sandbox.errors import ConfigError, SandboxError
from sandbox.llm.client import ModelClient
from sandbox.llm.factory import make_client, make_judge_client
from sandbox.runner.error_policy import CallTally
from sandbox.runner.settings import DEFAULT_MAX_ERROR_RATE, RunSettings
from sandbox.scenarios import make_rules
from sandbox.store.reader import TRAJECTORY_FILE, RunReader, resolve_run_path
from sandbox.store.records import LLMCallRecord, TickRecord
from sandbox.store.writer import TrajectoryWriter
from sandbox.world.config import WorldConfig
from sandbox.world.world import World

OnTick = Callable[[TickRecord], None]
T = TypeVar("T")
_SEGMENT_FIELDS = ("model", "api_base", "judge_model", "judge_api_base", "seed")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "world"


def new_run_dir(out: Path, name: str, seed: int) -> Path:
    """A new folder for a run under ``out`` (a folder, made if missing)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; give a folder to hold the run's folder")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = out / f"{_slug(name)}-{stamp}-s{seed}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


class _Recorder:
    """Commits ticks to the writer together with the hashes of the prompts used so far."""

    def __init__(self, writer: TrajectoryWriter | None = None) -> None:
        self.writer = writer
        self.world: World | None = None

    def commit_tick(self, record: TickRecord) -> None:
        assert self.writer is not None, "a tick was committed before the run was created"
        hashes = self.world.prompts.hashes() if self.world is not None else None
        try:
            self.writer.commit_tick(record, prompt_hashes=hashes)
        except BaseException as exc:
            # The tick was rolled back whole; its model calls were still made (and maybe paid
            # for), so they are logged as a failed tick's calls are.
            try:
                self.writer.record_calls(record.llm_calls)
            except Exception as second:
                exc.add_note(f"its {len(record.llm_calls)} model calls were not logged: {second}")
            raise

    def record_calls(self, calls: list[LLMCallRecord]) -> None:
        assert self.writer is not None, "calls were recorded before the run was created"
        self.writer.record_calls(calls)


def _remove_created(trajectory: Path, created: list[Path]) -> None:
    """Undo a run's creation that failed before its run record was written: its trajectory file
    (and SQLite's side files) and the folders this run created, if they are empty. Nothing else."""
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        trajectory.with_name(trajectory.name + suffix).unlink(missing_ok=True)
    for folder in created:  # innermost first
        try:
            folder.rmdir()
        except OSError:
            break  # not empty: something else lives there now


def _limits(settings: RunSettings) -> dict[str, Any]:
    return {
        "concurrency": settings.concurrency,
        "rpm": settings.rpm,
        "timeout": settings.timeout,
        "max_retries": settings.max_retries,
        "max_repairs": settings.max_repairs,
        "structured_output": settings.structured_output,
        "http_client": settings.http_client,
    }


def client_for(settings: RunSettings, **extra: Any) -> ModelClient:
    client = make_client(
        settings.model,
        api_base=settings.api_base,
        cache_path=settings.cache_path(),
        **_limits(settings),
        **extra,
    )
    if settings.decide_workers:
        from sandbox.llm.shards import start_shards

        try:
            start_shards(client, settings.decide_workers, settings.decide_pool)
        except BaseException:
            if client.cache is not None:
                client.cache.close()
            raise
    return client


def judge_for(settings: RunSettings, client: ModelClient) -> ModelClient:
    """The judge role: ``settings.judge_model`` (at ``judge_api_base``), recorded with ``client``'s
    calls under its own model id; without one, ``client`` itself (the agents' model)."""
    return make_judge_client(
        client, settings.judge_model, api_base=settings.judge_api_base, **_limits(settings)
    )


def memories_by_agent(reader: RunReader) -> dict[str, list[dict[str, Any]]]:
    """The committed memories of a run, by agent (to rebuild memory streams on resume)."""
    if "memories" not in reader.tables():
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for row in reader.rows("memories"):
        out.setdefault(row["agent"], []).append(row)
    return out


def world_config_of(meta: dict[str, Any], path: Path) -> WorldConfig:
    """The world config a run recorded, or a clear error for runs that have no world."""
    config = meta["config"]
    if "places" not in config:
        kind = config.get("kind", "a run without a world")
        raise ConfigError(
            f"{path} is {kind}, not a world run: it cannot be resumed, replayed or interviewed "
            "(inspect it with 'sandbox inspect')"
        )
    return WorldConfig.model_validate(config)


def _base(url: str | None) -> str | None:
    return url.rstrip("/") if url else None


def segment_changes(
    segment: dict[str, Any], model: str | None, api_base: str | None, seed: int | None
) -> list[str]:
    """What resuming with ``model``, ``api_base`` and ``seed`` (None: as recorded) would change
    against the run's current ``segment``, each as 'what recorded -> new'."""
    changes = []
    if model is not None and model != segment["model"]:
        changes.append(f"--model {segment['model']} -> {model}")
    if api_base is not None and _base(api_base) != _base(segment["api_base"]):
        changes.append(f"--api-base {segment['api_base'] or '(provider default)'} -> {api_base}")
    if seed is not None and seed != segment["seed"]:
        changes.append(f"--seed {segment['seed']} -> {seed}")
    return changes


def refuse_changes(path: Path, changes: list[str]) -> None:
    if changes:
        raise ConfigError(
            f"{path.parent} was recorded with other settings ({'; '.join(changes)}); resuming "
            "would mix them in one run. Resume with the recorded settings, or add --allow-change "
            "to continue with the new ones as a new segment (shown by 'sandbox inspect')"
        )


def reopen_world(
    path: Path,
    overrides: dict[str, Any] | None = None,
    *,
    client: ModelClient | None = None,
    recorder: _Recorder | None = None,
) -> tuple[World, RunSettings, dict[str, Any]]:
    """The world of a recorded run at its last committed tick: its config, checkpoint, memories
    and scenario rules, with a client from the settings of its last segment (``overrides`` win,
    ``seed`` included)."""
    with RunReader(path) as reader:
        meta = reader.run()
        segment = reader.segments()[-1]
        last = reader.last_tick()
        state = reader.state_at(last) if last else None
        memories = memories_by_agent(reader)
    config = world_config_of(meta, path)
    recorded = dict(meta["settings"])
    recorded.update(model=segment["model"], api_base=segment["api_base"], seed=None)
    recorded.update({k: v for k, v in (overrides or {}).items() if v is not None})
    settings = RunSettings.model_validate(recorded)  # validates an overriding seed too
    seed = segment["seed"] if settings.seed is None else settings.seed
    settings = settings.model_copy(update={"seed": None})
    if seed != config.seed:  # the config carries the seed the world draws from
        config = config.model_copy(update={"seed": seed})
    client = client or client_for(settings)
    world = World(
        config,
        client,
        recorder=recorder,
        state=state,
        rules=make_rules(config.scenario, judge=judge_for(settings, client)),
        memories=memories,
    )
    return world, settings, meta


class Run:
    """A run directory with its trajectory file and the world that writes to it."""

    def __init__(
        self,
        directory: Path,
        world: World,
        writer: TrajectoryWriter,
        ticks_target: int,
        max_error_rate: float = DEFAULT_MAX_ERROR_RATE,
    ) -> None:
        self.directory = directory
        self.world = world
        self.writer = writer
        self.ticks_target = ticks_target
        self.max_error_rate = max_error_rate
        self._tally: CallTally | None = None
        self._status: str | None = None  # as this Run last wrote it (None: not yet)

    @property
    def path(self) -> Path:
        return self.directory / TRAJECTORY_FILE

    @classmethod
    def create(
        cls,
        config: WorldConfig,
        settings: RunSettings | None = None,
        *,
        world_file: str | Path | None = None,
        directory: str | Path | None = None,
        client: ModelClient | None = None,
    ) -> Run:
        settings = settings or RunSettings()
        if settings.seed is not None:
            config = config.model_copy(update={"seed": settings.seed})
        ticks = settings.ticks or config.ticks
        run_dir = (
            Path(directory) if directory else new_run_dir(settings.out, config.name, config.seed)
        )
        client = client or client_for(settings)
        if (run_dir / TRAJECTORY_FILE).exists():
            raise ConfigError(f"{run_dir} already holds a run; resume it with --resume {run_dir}")
        # Everything that can fail on the config (seed, rules, agents) fails before any file exists.
        recorder = _Recorder()
        rules = make_rules(config.scenario, judge=judge_for(settings, client))
        world = World(config, client, recorder=recorder, rules=rules)
        recorder.world = world
        created = [p for p in (run_dir, *run_dir.parents) if not p.exists()]
        writer: TrajectoryWriter | None = None
        try:
            writer = TrajectoryWriter(run_dir / TRAJECTORY_FILE)
            writer.start_run(
                run_id=run_dir.name,
                config=config.model_dump(mode="json"),
                world_file=str(world_file) if world_file else None,
                model=client.model_id,
                api_base=settings.api_base,
                ticks_planned=ticks,
                settings=settings.model_dump(mode="json"),
                personas=[(a.persona, a.place) for a in world.persona_agents],
            )
            writer.record_segment(
                from_tick=1,
                model=client.model_id,
                api_base=client.api_base,
                judge_model=settings.judge_model,
                judge_api_base=settings.judge_api_base,
                seed=config.seed,
            )
        except BaseException:
            if writer is not None:
                writer.close()
            _remove_created(run_dir / TRAJECTORY_FILE, created)
            world.close()
            raise
        recorder.writer = writer
        return cls(run_dir, world, writer, ticks, settings.max_error_rate)

    @classmethod
    def resume(
        cls,
        run: str | Path,
        overrides: dict[str, Any] | None = None,
        *,
        client: ModelClient | None = None,
        allow_change: bool = False,
    ) -> Run:
        """Reopen a run at its last committed tick. ``overrides`` may change ticks and limits.
        A different model, api_base or seed (in ``overrides``, or ``client``'s) is refused
        unless ``allow_change``; then the run records a new segment from the next tick on."""
        path = resolve_run_path(run)
        overrides = overrides or {}
        with RunReader(path) as reader:
            meta = reader.run()  # a readable trajectory, checked before writing to it
            segments = reader.segments()
        done, asked_ticks = meta.get("last_tick") or 0, overrides.get("ticks")
        if asked_ticks is not None and asked_ticks < done:
            raise ConfigError(
                f"{path.parent} has already run {done} ticks (of {meta['ticks_planned']} "
                f"planned); on --resume, --ticks is the run's total length, not ticks to add: "
                f"give --ticks {done} or more, or leave it out to finish the planned run"
            )
        current = segments[-1]
        wanted = [overrides.get("model"), overrides.get("api_base"), overrides.get("seed")]
        changes = segment_changes(current, *wanted)
        if not allow_change:
            refuse_changes(path, changes)  # before anything is opened for writing
        writer = TrajectoryWriter(path)
        recorder = _Recorder(writer)
        try:
            world, settings, meta = reopen_world(path, overrides, client=client, recorder=recorder)
        except BaseException:
            writer.close()
            raise
        # What the client actually talks to ($OPENAI_BASE_URL included; files from before
        # segments recorded only the --api-base given, so their server is not compared).
        recorded = current["segment"] is not None
        actual = segment_changes(
            current,
            world.client.model_id,
            world.client.api_base if recorded else None,
            world.config.seed,
        )
        if actual and not allow_change:
            world.close()
            writer.close()
            if client is None:
                world.client.close_shards()
                if world.client.cache is not None:
                    world.client.cache.close()
            refuse_changes(path, actual)
        recorder.world = world
        if changes or actual:
            if current["segment"] is None:  # a file from before segments: record the first
                writer.record_segment(
                    **{k: current[k] for k in _SEGMENT_FIELDS}, from_tick=current["from_tick"]
                )
            writer.record_segment(
                from_tick=world.tick + 1,
                model=world.client.model_id,
                api_base=world.client.api_base,
                judge_model=settings.judge_model,
                judge_api_base=settings.judge_api_base,
                seed=world.config.seed,
            )
        asked = (overrides or {}).get("ticks")  # else the planned end as recorded (or extended)
        recorded_ticks: int = meta["ticks_planned"]
        ticks = settings.ticks if asked and settings.ticks is not None else recorded_ticks
        if asked and ticks != recorded_ticks:
            writer.set_ticks_planned(ticks)
        return cls(path.parent, world, writer, ticks, settings.max_error_rate)

    def start(self) -> None:
        """Mark the run ``running`` (one at its planned end stays ``completed``)."""
        if not self.at_planned_end:
            self._set_status("running")

    async def arun(self, on_tick: OnTick | None = None) -> None:
        """Step until ``ticks_target``; every tick is committed before the next one starts."""
        self.start()
        await self._guarded(self._ticks(on_tick))

    async def _ticks(self, on_tick: OnTick | None) -> None:
        while not self.at_planned_end:
            await self._tick(on_tick)
        if self._status != "completed":  # resumed at its planned end: no tick ran
            await self._finish()

    def run(self, on_tick: OnTick | None = None) -> None:
        """Blocking form of ``arun``. In a script it runs on a fresh event loop; where a loop is
        already running (Jupyter) it runs on the world's own loop thread and waits, so it works in
        a notebook too (there ``await run.arun()`` works as well)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no running loop: a plain script
            asyncio.run(self.arun(on_tick))
            return
        self.world.run_blocking(self.arun(on_tick))

    @property
    def at_planned_end(self) -> bool:
        return self.world.tick >= self.ticks_target

    async def astep(self) -> TickRecord:
        """One tick, committed before it returns: the one tick driver of ``arun``, the TUI and
        notebooks. It keeps the run's status (``running``; ``failed`` or ``interrupted`` with
        the reason when the tick fails; ``completed`` at the planned end) and applies the error
        policy (``ErrorRateError`` after a committed tick when too many calls failed). Past the
        planned end it refuses to step; ``extend`` the run first."""
        if self.at_planned_end:
            raise ConfigError(
                f"the run reached its planned end (tick {self.ticks_target}); extend it to go on"
            )
        return await self._guarded(self._tick())

    async def _tick(self, on_tick: OnTick | None = None) -> TickRecord:
        self._set_status("running")
        tally = self._calls()  # read from the file before this tick's calls are in it
        record = await self.world.astep()
        if on_tick is not None:
            on_tick(record)
        tally.add(record.llm_calls)
        tally.check()  # too many failed calls: stop as failed (--max-error-rate)
        if self.at_planned_end:
            await self._finish()
        return record

    async def _finish(self) -> None:
        self._calls().check(final=True)
        self._set_status("completed")

    async def _guarded(self, work: Coroutine[Any, Any, T]) -> T:
        """``work``, with the run's status set to why it failed when it does."""
        try:
            return await work
        except SandboxError as exc:
            self._set_status("failed", str(exc))
            raise
        except (KeyboardInterrupt, asyncio.CancelledError):
            self._set_status("interrupted", "stopped by the user; resume with --resume")
            raise
        except BaseException as exc:
            self._set_status("failed", f"{type(exc).__name__}: {exc}")
            raise

    def _calls(self) -> CallTally:
        """The error policy's tally: from the file's calls (earlier sessions too) on first use."""
        if self._tally is None:
            self._tally = CallTally.resumed(self.writer.call_counts(), self.max_error_rate)
        return self._tally

    def _set_status(self, status: str, error: str | None = None) -> None:
        if status == "running" and self._status == "running":
            return  # already marked: no write per tick
        self.writer.set_status(status, error)
        self._status = status

    def pause(self, reason: str) -> None:
        """Mark the run ``interrupted`` with ``reason`` (a front end that stops stepping, e.g. the
        TUI on quit), unless it is at its planned end: that run stays ``completed``."""
        if not self.at_planned_end:
            self._set_status("interrupted", reason)

    def extend(self, ticks: int) -> int:
        """Plan ``ticks`` more ticks after the planned end (or the current tick, if later). The new
        end is recorded as the run's ``ticks_planned`` and the run is running again. Returns it."""
        if ticks < 1:
            raise ConfigError(f"a run is extended by at least 1 tick, not {ticks}")
        self.ticks_target = max(self.ticks_target, self.world.tick) + ticks
        self.writer.set_ticks_planned(self.ticks_target)
        self._set_status("running")
        return self.ticks_target

    def close(self) -> None:
        self.world.client.close_shards()
        self.world.close()
        self.writer.close()
        cache = self.world.client.cache
        if cache is not None:
            cache.close()
