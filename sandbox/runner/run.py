"""Run: create or resume a run directory, step its world, keep its trajectory file true."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

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


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "world"


def new_run_dir(out: Path, name: str, seed: int) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = out / f"{_slug(name)}-{stamp}-s{seed}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


class _Recorder:
    """Commits ticks to the writer together with the hashes of the prompts used so far."""

    def __init__(self, writer: TrajectoryWriter) -> None:
        self.writer = writer
        self.world: World | None = None

    def commit_tick(self, record: TickRecord) -> None:
        hashes = self.world.prompts.hashes() if self.world is not None else None
        self.writer.commit_tick(record, prompt_hashes=hashes)

    def record_calls(self, calls: list[LLMCallRecord]) -> None:
        self.writer.record_calls(calls)


def _limits(settings: RunSettings) -> dict[str, Any]:
    return {
        "concurrency": settings.concurrency,
        "rpm": settings.rpm,
        "timeout": settings.timeout,
        "max_retries": settings.max_retries,
        "max_repairs": settings.max_repairs,
        "structured_output": settings.structured_output,
    }


def client_for(settings: RunSettings, **extra: Any) -> ModelClient:
    return make_client(
        settings.model,
        api_base=settings.api_base,
        cache_path=settings.cache_path(),
        **_limits(settings),
        **extra,
    )


def judge_for(settings: RunSettings, client: ModelClient) -> ModelClient:
    """The judge role: ``settings.judge_model`` (at ``judge_api_base``), recorded with ``client``'s
    calls under its own model id; without one, ``client`` itself (the agents' model)."""
    return make_judge_client(
        client, settings.judge_model, api_base=settings.judge_api_base, **_limits(settings)
    )


def memories_by_agent(reader: RunReader) -> dict[str, list[dict[str, Any]]]:
    """The committed memories of a run, by agent (to rebuild memory streams on resume)."""
    present = {r[0] for r in reader.conn.execute("SELECT name FROM sqlite_master")}
    if "memories" not in present:
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


def reopen_world(
    path: Path,
    overrides: dict[str, Any] | None = None,
    *,
    client: ModelClient | None = None,
    recorder: _Recorder | None = None,
) -> tuple[World, RunSettings, dict[str, Any]]:
    """The world of a recorded run at its last committed tick: its config, checkpoint, memories
    and scenario rules, with a client from the recorded settings (``overrides`` win)."""
    with RunReader(path) as reader:
        meta = reader.run()
        last = reader.last_tick()
        state = reader.state_at(last) if last else None
        memories = memories_by_agent(reader)
    config = world_config_of(meta, path)
    recorded = dict(meta["settings"])
    recorded.update({k: v for k, v in (overrides or {}).items() if v is not None})
    recorded["seed"] = None  # the config already carries the seed that was used
    settings = RunSettings.model_validate(recorded)
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
        client = client or client_for(settings)
        run_dir = (
            Path(directory) if directory else new_run_dir(settings.out, config.name, config.seed)
        )
        if (run_dir / TRAJECTORY_FILE).exists():
            raise ConfigError(f"{run_dir} already holds a run; resume it with --resume {run_dir}")
        rules = make_rules(config.scenario, judge=judge_for(settings, client))
        writer = TrajectoryWriter(run_dir / TRAJECTORY_FILE)
        recorder = _Recorder(writer)
        world = World(config, client, recorder=recorder, rules=rules)
        recorder.world = world
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
        return cls(run_dir, world, writer, ticks, settings.max_error_rate)

    @classmethod
    def resume(
        cls,
        run: str | Path,
        overrides: dict[str, Any] | None = None,
        *,
        client: ModelClient | None = None,
    ) -> Run:
        """Reopen a run at its last committed tick. ``overrides`` may change model, api_base,
        ticks and limits; the world and its seed are those recorded."""
        path = resolve_run_path(run)
        writer = TrajectoryWriter(path)
        recorder = _Recorder(writer)
        world, settings, meta = reopen_world(path, overrides, client=client, recorder=recorder)
        recorder.world = world
        ticks = settings.ticks or meta["ticks_planned"]
        if settings.ticks and settings.ticks != meta["ticks_planned"]:
            with writer.db.conn:
                writer.db.execute("UPDATE runs SET ticks_planned = ?", [settings.ticks])
        return cls(path.parent, world, writer, ticks, settings.max_error_rate)

    async def arun(self, on_tick: OnTick | None = None) -> None:
        """Step until ``ticks_target``; every tick is committed before the next one starts."""
        self.writer.set_status("running")
        tally = CallTally.from_store(self.writer.db.conn, self.max_error_rate)
        try:
            while self.world.tick < self.ticks_target:
                record = await self.world.astep()
                if on_tick is not None:
                    on_tick(record)
                tally.add(record.llm_calls)
                tally.check()  # too many failed calls: stop as failed (--max-error-rate)
            tally.check(final=True)
        except SandboxError as exc:
            self.writer.set_status("failed", str(exc))
            raise
        except (KeyboardInterrupt, asyncio.CancelledError):
            self.writer.set_status("interrupted", "stopped by the user; resume with --resume")
            raise
        except BaseException as exc:
            self.writer.set_status("failed", f"{type(exc).__name__}: {exc}")
            raise
        self.writer.set_status("completed")

    def run(self, on_tick: OnTick | None = None) -> None:
        """Blocking form of ``arun`` for scripts (not for use inside a running event loop)."""
        asyncio.run(self.arun(on_tick))

    def close(self) -> None:
        self.world.close()
        self.writer.close()
        cache = self.world.client.cache
        if cache is not None:
            cache.close()
