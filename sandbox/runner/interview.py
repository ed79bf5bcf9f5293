"""Interviews: ask an agent of a recorded run a question at the run's last committed tick.

The world is rebuilt read-only from the run (config, last checkpoint, memories); the answer is
logged in the run's ``interviews`` table (with its model call in ``llm_calls``) and nothing else
changes: no tick is run and no memory's last access is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sandbox.runner.run import reopen_world
from sandbox.store.reader import resolve_run_path
from sandbox.store.writer import TrajectoryWriter


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
    world, _, _ = reopen_world(path, {**(overrides or {}), "ticks": None})
    last = world.tick
    try:
        reply = await world.interview(agent, question)
    finally:
        world.close()
    answer, used = reply.answer, reply.memories
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
            reply.calls,
        )
    finally:
        writer.close()
    return InterviewResult(agent=agent, tick=last, question=question, answer=answer, memories=used)
