"""Interviews: ask an agent of a recorded run a question at the run's last committed tick.

The world is rebuilt read-only from the run (config, last checkpoint, memories); the answer is
logged in the run's ``interviews`` table (with its model call in ``llm_calls``) and nothing else
changes: no tick is run and no memory's last access is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sandbox.runner.run import client_for, memories_by_agent
from sandbox.runner.settings import RunSettings
from sandbox.scenarios import make_rules
from sandbox.store.reader import RunReader, resolve_run_path
from sandbox.store.writer import TrajectoryWriter
from sandbox.world.config import WorldConfig
from sandbox.world.world import World


class InterviewResult(BaseModel):
    agent: str
    tick: int
    question: str
    answer: str
    memories: list[str]


async def ainterview(
    run: str | Path, agent: str, question: str, overrides: dict[str, Any] | None = None
) -> InterviewResult:
    path = resolve_run_path(run)
    with RunReader(path) as reader:
        meta = reader.run()
        last = reader.last_tick()
        state = reader.state_at(last) if last else None
        memories = memories_by_agent(reader)
    config = WorldConfig.model_validate(meta["config"])
    recorded = {**meta["settings"], "seed": None, "ticks": None}
    recorded.update({k: v for k, v in (overrides or {}).items() if v is not None})
    client = client_for(RunSettings.model_validate(recorded))
    world = World(config, client, state=state, rules=make_rules(config.scenario), memories=memories)
    try:
        answer, used = await world.interview(agent, question)
    finally:
        calls = client.drain_calls()
        world.close()
    writer = TrajectoryWriter(path)
    try:
        writer.record_interview(
            {
                "tick": last,
                "agent": agent,
                "question": question,
                "answer": answer,
                "memories": used,
            },
            calls,
        )
    finally:
        writer.close()
    return InterviewResult(agent=agent, tick=last, question=question, answer=answer, memories=used)
