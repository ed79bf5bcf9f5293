"""Replay: re-run a recorded run from its recorded answers and check the trajectory is identical."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from sandbox.errors import CacheMissError, ConfigError
from sandbox.llm.cache import RecordedCalls, ResponseCache
from sandbox.llm.factory import make_client
from sandbox.runner.run import Run, world_config_of
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import RunReader, resolve_run_path


class ReplayReport(BaseModel):
    original: Path
    replay: Path
    ticks: int
    identical: bool
    first_divergent_tick: int | None
    backend_calls: int
    answered_from_record: int
    problem: str | None = None


def replay_target(path: Path, out: str | Path | None) -> Path:
    """The new folder a replay of the run at ``path`` (its trajectory file) is written to:
    ``<run>-replay`` next to the run, or under ``out``. Never a path that exists, and never inside
    the run itself: a replay creates its folder and touches nothing else."""
    run_dir = path.parent.resolve()
    target = (Path(out) if out else run_dir.parent) / f"{run_dir.name}-replay"
    if target.resolve() == run_dir or run_dir in target.resolve().parents:
        raise ConfigError(
            f"--out {out} is inside the run being replayed ({run_dir}); choose a folder outside it"
        )
    if target.exists():
        raise ConfigError(
            f"replay target {target} already exists; remove it or choose another --out folder"
        )
    return target


async def areplay(run: str | Path, out: str | Path | None = None) -> ReplayReport:
    """Replay ``run`` into a new run folder, ``<run>-replay`` next to it (or under ``out``)."""
    path = resolve_run_path(run)
    replay_dir = replay_target(path, out)
    with RunReader(path) as reader:
        meta = reader.run()
        ticks = reader.last_tick()
        original = reader.tick_fingerprints()
        segments = reader.segments()
    config = world_config_of(meta, path)
    recorded = RunSettings.model_validate({**meta["settings"], "seed": None})
    sources: list = [RecordedCalls(path)]
    cache_path = recorded.cache_path()
    if cache_path is not None and Path(cache_path).exists():
        sources.append(ResponseCache(cache_path, readonly=True))
    replay_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        replay_dir.mkdir()
    except FileExistsError:
        raise ConfigError(
            f"replay target {replay_dir} already exists; choose another --out"
        ) from None
    problem = None
    replay_run: Run | None = None
    try:
        # Each segment replays with its own model, server and seed, resumed where it began, as
        # the original was.
        for i, segment in enumerate(segments):
            end = segments[i + 1]["from_tick"] - 1 if i + 1 < len(segments) else ticks
            if end < segment["from_tick"] and replay_run is not None:
                continue  # a segment that committed no tick
            client = make_client(
                segment["model"],
                api_base=segment["api_base"],
                replay=True,
                answer_sources=sources,
            )
            if replay_run is None:
                settings = RunSettings(
                    model=segment["model"],
                    api_base=segment["api_base"],
                    judge_model=segment["judge_model"],
                    judge_api_base=segment["judge_api_base"],
                    ticks=max(end, 1),
                    use_cache=False,
                    out=replay_dir.parent,
                )
                start = config.model_copy(update={"seed": segment["seed"]})
                replay_run = Run.create(start, settings, directory=replay_dir, client=client)
            else:
                replay_run.close()
                overrides = {"seed": segment["seed"], "ticks": end, "use_cache": False}
                replay_run = Run.resume(replay_dir, overrides, client=client, allow_change=True)
            replay_run.ticks_target = end
            if end:
                await replay_run.arun()
    except CacheMissError as exc:
        problem = str(exc)
    finally:
        if replay_run is not None:
            replay_run.close()
        elif not any(replay_dir.iterdir()):
            replay_dir.rmdir()  # the replay never started: remove the empty folder it made
        for source in sources:
            if isinstance(source, ResponseCache):
                source.close()
    assert replay_run is not None
    with RunReader(replay_run.path) as reader:
        replayed = reader.tick_fingerprints()
        hits = reader.count("llm_calls", "cache_hit = 1")
        misses = reader.count("llm_calls", "cache_hit = 0")
    divergent = next((t for t in sorted(original) if replayed.get(t) != original[t]), None)
    if divergent is None and problem is not None:
        divergent = len(replayed) + 1
    return ReplayReport(
        original=path,
        replay=replay_run.path,
        ticks=ticks,
        identical=divergent is None and len(replayed) == len(original),
        first_divergent_tick=divergent,
        backend_calls=misses,
        answered_from_record=hits,
        problem=problem,
    )
