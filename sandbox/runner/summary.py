"""What a run did, in numbers: read from its trajectory file."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from sandbox.store.queries import CallUsage
from sandbox.store.reader import RunReader


class PurposeUsage(CallUsage):
    per_agent_tick: float | None = None  # None for runs without ticks (questionnaires)


class RunSummary(BaseModel):
    run_id: str
    name: str
    model: str
    status: str
    error: str | None
    path: Path
    ticks: int
    ticks_planned: int
    agents: int
    events: int
    actions_by_kind: dict[str, int]
    action_errors: int
    invalid_actions: int
    calls_by_purpose: dict[str, PurposeUsage]
    calls: int
    call_errors: int
    cache_hits: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    wall_s: float


def summarize(run: str | Path) -> RunSummary:
    with RunReader(run) as reader:
        meta = reader.run()
        ticks = reader.last_tick()
        agents = reader.count("agents")
        kinds = reader.count_by("actions", "kind")
        errors = reader.count("actions", "status = 'error'")
        invalid = reader.count("actions", "status = 'invalid'")
        agent_ticks = max(1, agents * ticks)
        by_purpose = {
            purpose: PurposeUsage(
                **usage.model_dump(), per_agent_tick=usage.calls / agent_ticks if ticks else None
            )
            for purpose, usage in reader.call_usage().items()
        }
        costs = [u.cost_usd for u in by_purpose.values() if u.cost_usd is not None]
        wall = reader.total("ticks", "wall_s")
        return RunSummary(
            run_id=meta["id"],
            name=meta["name"],
            model=models_of(reader.segments()),
            status=_status(meta["status"], reader.path),
            error=meta["error"],
            path=reader.path,
            ticks=ticks,
            ticks_planned=meta["ticks_planned"],
            agents=agents,
            events=reader.count("events"),
            actions_by_kind=kinds,
            action_errors=errors,
            invalid_actions=invalid,
            calls_by_purpose=by_purpose,
            calls=sum(u.calls for u in by_purpose.values()),
            call_errors=sum(u.errors for u in by_purpose.values()),
            cache_hits=sum(u.cache_hits for u in by_purpose.values()),
            prompt_tokens=sum(u.prompt_tokens for u in by_purpose.values()),
            completion_tokens=sum(u.completion_tokens for u in by_purpose.values()),
            cost_usd=sum(costs) if costs else None,
            wall_s=wall,
        )


def failed_calls(path: str | Path) -> tuple[int, int]:
    """(failed, all) model calls of a run or of every run under a folder."""
    from sandbox.analysis.runs import find_runs

    failed = total = 0
    for f in find_runs(path):
        with RunReader(f) as reader:
            counts = reader.call_counts()
        total, failed = total + counts.calls, failed + counts.failed
    return failed, total


def models_of(segments: list[dict]) -> str:
    """The model of a run or, when a resume changed it, of each stretch of ticks."""
    stretches: list[tuple[str, int]] = []
    for seg in segments:
        label = seg["model"] + (f" at {seg['api_base']}" if seg["api_base"] else "")
        if not stretches or stretches[-1][0] != label:
            stretches.append((label, seg["from_tick"]))
    if len(stretches) == 1:
        return segments[0]["model"]
    return ", then ".join(f"{label} from tick {tick}" for label, tick in stretches)


def _status(recorded: str, trajectory: Path) -> str:
    """The recorded status, and for a run recorded as ``running`` that no process is writing,
    what that means (a run killed with SIGKILL or by a power loss could not record its end)."""
    from sandbox.store.run_lock import being_written

    if recorded == "running" and not being_written(trajectory):
        return "running as recorded, but no process is writing it (killed?); resume with --resume"
    return recorded
