"""Replay: re-run a recorded run from its recorded answers and check the trajectory is identical."""

from __future__ import annotations

import shutil
from pathlib import Path

from pydantic import BaseModel

from sandbox.errors import CacheMissError
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


async def areplay(run: str | Path, out: str | Path | None = None) -> ReplayReport:
    path = resolve_run_path(run)
    with RunReader(path) as reader:
        meta = reader.run()
        ticks = reader.last_tick()
        original = reader.tick_fingerprints()
    config = world_config_of(meta, path)
    recorded = RunSettings.model_validate({**meta["settings"], "seed": None})
    sources: list = [RecordedCalls(path)]
    cache_path = recorded.cache_path()
    if cache_path is not None and Path(cache_path).exists():
        sources.append(ResponseCache(cache_path))
    client = make_client(meta["model"], replay=True, answer_sources=sources)
    replay_dir = Path(out) if out else path.parent / "replay"
    if replay_dir.exists():
        shutil.rmtree(replay_dir)
    settings = RunSettings(
        model=meta["model"],
        judge_model=recorded.judge_model,
        ticks=ticks,
        use_cache=False,
        out=replay_dir.parent,
    )
    replay_run = Run.create(config, settings, directory=replay_dir, client=client)
    problem = None
    try:
        if ticks:
            await replay_run.arun()
    except CacheMissError as exc:
        problem = str(exc)
    finally:
        replay_run.close()
    with RunReader(replay_run.path) as reader:
        replayed = reader.tick_fingerprints()
        hits = reader.conn.execute("SELECT count(*) FROM llm_calls WHERE cache_hit = 1").fetchone()[
            0
        ]
        misses = reader.conn.execute(
            "SELECT count(*) FROM llm_calls WHERE cache_hit = 0"
        ).fetchone()[0]
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
