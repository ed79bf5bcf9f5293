"""End-of-run interviews, as Generative Agents measured its town (Park et al. 2023, Sec. 7):
every agent is interviewed at the run's last tick, and the answers (not the memory stream) say
what spread and who knows whom.

- Information diffusion: every agent but the host is asked "Did you know there is <happening>?".
- Relationship formation: every agent is asked "Do you know of <name>?" about every other agent;
  the network is the pairs whose answer shows acquaintance (directed; density over ordered pairs).

The paper's authors read the answers; here the judge role does (``interview.judge``: does the
answer show the person knows it?), recorded under the judge's model id. Each interview is an
``interviews`` row (question, answer, memories used) with ``judged`` = JSON {kind, subject, knows,
reason, judge}; nothing in the world changes. ``sandbox.analysis.town`` keeps its keyword count
over memories only as a proxy, labelled as such.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.llm.calls import collect_calls
from sandbox.runner.run import judge_for, reopen_world
from sandbox.seeds import derive_seed
from sandbox.store.reader import resolve_run_path
from sandbox.store.writer import TrajectoryWriter

HAPPENING_QUESTION = "Did you know there is {what}?"
ACQUAINTANCE_QUESTION = "Do you know of {name}?"


class JudgedKnowledge(BaseModel):
    knows: bool = Field(description="the answer shows the person knows it")
    reason: str = Field(description="one short sentence")


class EndInterview(BaseModel):
    agent: str
    kind: Literal["happening", "acquaintance"]
    subject: str
    question: str
    answer: str
    knows: bool | None = Field(description="None when the judge gave no valid answer")
    reason: str = ""


async def ainterview_everyone(
    run: str | Path, overrides: dict[str, Any] | None = None, *, acquaintances: bool = True
) -> list[EndInterview]:
    """Interview every agent of a finished run (see the module's docstring); returns the judged
    interviews, also stored in the run's ``interviews`` table."""
    path = resolve_run_path(run)
    world, settings, _ = reopen_world(path, {**(overrides or {}), "ticks": None})
    judge = judge_for(settings, world.client)
    tick = max(world.tick, 1)
    names = [a.name for a in world.persona_agents]
    asks: list[tuple[str, str, str, str]] = []
    for h in world.config.happenings:
        question = HAPPENING_QUESTION.format(what=h.what)
        asks += [(n, "happening", h.what, question) for n in names if n != h.host]
    if acquaintances:
        for a in names:
            for b in names:
                if a != b:
                    asks.append((a, "acquaintance", b, ACQUAINTANCE_QUESTION.format(name=b)))
    try:
        with collect_calls() as log:  # the interviews' calls and the judge's, in one numbering
            replies = await asyncio.gather(*(world.interview(a, q) for a, _, _, q in asks))
            answers = [(r.answer, r.memories) for r in replies]
            requests = [
                Ask(
                    template="interview_judge",
                    answer=JudgedKnowledge,
                    purpose="interview.judge",
                    fields={"name": a, "question": q, "answer": answer, "subject": subject},
                    facts={"kind": kind, "subject": subject, "answer": answer},
                    agent=a,
                    tick=tick,
                    seed=derive_seed(world.config.seed, "end-interview", a, kind, subject),
                    temperature=0.0,
                ).request(world.prompts)
                for (a, kind, subject, q), (answer, _) in zip(asks, answers, strict=True)
            ]
            verdicts = await asyncio.gather(
                *(judge.complete(r) for r in requests), return_exceptions=True
            )
        calls = log.take()
    finally:
        world.close()
    out, rows = [], []
    for (a, kind, subject, q), (answer, used), verdict in zip(asks, answers, verdicts, strict=True):
        if isinstance(verdict, BaseException) and not isinstance(verdict, ModelAnswerError):
            raise verdict
        knows: bool | None
        if isinstance(verdict, ModelAnswerError):
            knows, reason = None, str(verdict)
        else:
            knows, reason = verdict.value.knows, verdict.value.reason
        out.append(EndInterview(agent=a, kind=kind, subject=subject, question=q, answer=answer,
                                knows=knows, reason=reason))  # fmt: skip
        judged = {"kind": kind, "subject": subject, "knows": knows, "reason": reason,
                  "judge": judge.model_id}  # fmt: skip
        rows.append({"tick": world.tick, "agent": a, "question": q, "answer": answer,
                     "memories": used, "judged": json.dumps(judged)})  # fmt: skip
    writer = TrajectoryWriter(path)
    try:
        for i, row in enumerate(rows):
            writer.record_interview(row, calls if i == 0 else [])
    finally:
        writer.close()
    return out
