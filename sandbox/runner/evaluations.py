"""The evaluation step of an experiment, after a run's ticks: whatever its study registered
(``Experiment.evaluate`` in ``sandbox.scenarios.registry``; the theory-of-mind questions, the trait,
character and interview judgements). Its rows go to the study's tables and its calls to
``llm_calls``, collected with ``collect_calls`` (the agents' calls and the judge's, in one numbering;
judging calls go through the run's judge client, ``--judge-model``, recorded under its model id).
The world does not change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.scenarios.registry import Experiment, find_experiment

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient
    from sandbox.runner.run import Run
    from sandbox.runner.settings import RunSettings


def pending_evaluation(run: Run, entry: Experiment) -> bool:
    """A run at its planned end whose evaluation has not been written yet."""
    if entry.evaluate is None or not run.at_planned_end:
        return False
    return all(run.writer.count(table) == 0 for table in entry.tables)


def _judge(run: Run, settings: RunSettings | None) -> ModelClient:
    from sandbox.runner.run import judge_for

    client = run.world.client
    judge = getattr(run.world.rules, "judge", None)
    if judge is not None:
        return judge
    return judge_for(settings, client) if settings is not None else client


async def evaluate_run(
    run: Run, kind: str | None = None, study: Any = None, settings: RunSettings | None = None
) -> None:
    """Evaluate a finished run of an experiment ``kind`` (default: its scenario's name) once: a
    no-op for a kind with no evaluation, for a run not at its planned end and for one already
    evaluated (so a resumed run gets its evaluation when it reaches its end, and only once).
    Without ``study`` (``sandbox run --resume``) only a ``resumable`` evaluation runs."""
    from sandbox.llm.calls import collect_calls

    entry = find_experiment(kind or str(getattr(run.world.rules, "name", "")))
    if entry is None or entry.evaluate is None or (study is None and not entry.resumable):
        return
    if not pending_evaluation(run, entry):
        return
    with collect_calls() as calls:
        try:
            rows = await entry.evaluate(run.world, _judge(run, settings), study)
        except BaseException:
            if made := calls.take():  # those calls were made (maybe paid for): keep them
                run.writer.record_calls(made)
            raise
    if not getattr(study, "self_report", False):
        run.writer.record_evaluation(rows, calls.take())
        return
    # The study's rows, then its self-reports (which collect and record their own calls), then
    # the evaluation's calls.
    run.writer.record_evaluation(rows, [])
    from sandbox.runner.experiment import self_reports

    try:
        await self_reports(
            run, mode="batch", batch_size=study.survey_batch_size, seed=study.seed, after_run=True
        )
    finally:
        if made := calls.take():
            run.writer.record_calls(made)
