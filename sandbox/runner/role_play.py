"""After a role-play study's ticks: judge the characters (character fidelity) or interview the
agents and judge their answers (personality from interviews), and store it all in the run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.runner.run import judge_for
from sandbox.runner.settings import RunSettings

if TYPE_CHECKING:
    from sandbox.runner.run import Run


async def finish_role_play(run: Run, kind: str, study: Any, settings: RunSettings) -> None:
    from sandbox.llm.calls import collect_calls

    world = run.world
    judge = getattr(world.rules, "judge", None) or judge_for(settings, world.client)
    # Calls of both roles in one collector (the judge's under its own model id), recorded after
    # the study's rows and its self-reports (which collect and record their own), as before.
    with collect_calls() as calls:
        try:
            if kind == "character_fidelity":
                await _judge_characters(run, judge)
            else:
                await _interview(run, study, judge)
        except BaseException:
            _record(run, calls.take())
            raise
    try:
        if kind != "character_fidelity" and study.self_report:
            from sandbox.runner.experiment import self_reports

            await self_reports(
                run,
                mode="batch",
                batch_size=study.survey_batch_size,
                seed=study.seed,
                after_run=True,
            )
    finally:
        _record(run, calls.take())


def _record(run: Run, calls: list[Any]) -> None:
    if calls:
        run.writer.record_calls(calls)


async def _judge_characters(run: Run, judge: Any) -> None:
    from sandbox.scenarios.character_fidelity import DIMENSIONS, judge_characters

    tick = run.world.tick
    verdicts = await judge_characters(run.world, judge)
    critiques, scores = [], []
    for v in verdicts:
        critiques.append(
            {
                "tick": tick,
                "agent": v.agent,
                "judge": judge.model_id,
                "critique": v.critique,
                "raw": v.critique_raw,
                "error": v.critique_error,
            }
        )
        error = v.critique_error or v.scores_error
        for dim in DIMENSIONS:
            scores.append(
                {
                    "tick": tick,
                    "agent": v.agent,
                    "judge": judge.model_id,
                    "dimension": dim,
                    "score": None if v.scores is None else v.scores[dim],
                    "error": f"not scored: {error}" if v.scores is None else None,
                }
            )
    run.writer.record_rows("fidelity_critiques", critiques)
    run.writer.record_rows("fidelity_scores", scores)


async def _interview(run: Run, study: Any, judge: Any) -> None:
    from sandbox.scenarios.personality_interview import interview_and_judge

    result = await interview_and_judge(run.world, judge, study)
    for table, rows in result.tables().items():
        run.writer.record_rows(table, rows)
