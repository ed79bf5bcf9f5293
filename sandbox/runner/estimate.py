"""What a long run will cost before it starts: model calls and trajectory size, roughly.

The figures are rough orders of magnitude measured on the bundled worlds (heuristic backend;
prompts of a real model are of similar length): a reactive agent makes one call a tick, a
generative agent (a ``cognition:`` block) about three (decide, importance, plans and reflection
spread over the day). Each call is stored with its prompt (about 3 KB), plus the tick's events,
actions and checkpoint: the cafe world's six agents cost about 35 KB a tick.
"""

from __future__ import annotations

from pydantic import BaseModel

from sandbox.world.config import WorldConfig

CALLS_PER_AGENT_TICK = {"reactive": 1.0, "generative": 3.0}
BYTES_PER_CALL = 4_000  # prompt and answer as stored in llm_calls, with SQLite's overhead
BYTES_PER_AGENT_TICK = 1_800  # events, actions, thoughts and the checkpoint's share


class RunEstimate(BaseModel):
    ticks: int
    agents: int
    calls: int
    bytes: int

    def describe(self) -> str:
        return (
            f"{self.ticks:,} ticks x {self.agents} agents: about {self.calls:,} model calls and a "
            f"{_size(self.bytes)} trajectory"
        )


def estimate(config: WorldConfig, ticks: int) -> RunEstimate:
    kind = "reactive" if config.cognition is None else "generative"
    agent_ticks = ticks * len(config.agents)
    calls = round(agent_ticks * CALLS_PER_AGENT_TICK[kind])
    size = calls * BYTES_PER_CALL + agent_ticks * BYTES_PER_AGENT_TICK
    return RunEstimate(ticks=ticks, agents=len(config.agents), calls=calls, bytes=size)


def long_run_warning(config: WorldConfig, ticks: int) -> str | None:
    """A warning with an estimate when ``ticks`` (still to run) passes the world's ``warn_ticks``."""
    if ticks <= config.warn_ticks:
        return None
    return (
        f"a long run: {estimate(config, ticks).describe()} (warn_ticks is "
        f"{config.warn_ticks:,}; set it in the world file to change when this warning shows)"
    )


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"
