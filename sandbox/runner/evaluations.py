"""The evaluation step of the role-play studies, after a run's ticks: the theory-of-mind questions
(answered by the agents' model) and the trait judgements (by the judge role). Their rows go to the
study's tables and their calls to ``llm_calls`` in one transaction; the world does not change.
Judging calls go through the run's judge client (``--judge-model``), recorded under its model id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.runner.run import Run

# scenario -> the table its evaluation fills (empty: not evaluated yet)
EVALUATED = {"tom_inner_speech": "tom_items", "trait_expression": "trait_judgements"}


def pending_evaluation(run: Run) -> bool:
    """A role-play run at its planned end whose evaluation has not been written yet."""
    table = EVALUATED.get(getattr(run.world.rules, "name", ""))
    if table is None or not run.at_planned_end:
        return False
    return run.writer.count(table) == 0


async def evaluate_run(run: Run) -> None:
    """Evaluate a finished run of a role-play study once: a no-op for other scenarios, for a run
    not at its planned end and for one already evaluated (so a resumed run gets its evaluation
    when it reaches its end, and only once)."""
    if not pending_evaluation(run):
        return
    from sandbox.llm.calls import collect_calls

    world = run.world
    name = getattr(world.rules, "name", None)
    with collect_calls() as calls:  # the agents' answers and the judge's, in one numbering
        if name == "tom_inner_speech":
            from sandbox.scenarios.tom_items import evaluate

            rows = await evaluate(world)
        elif name == "trait_expression":
            from sandbox.scenarios.trait_expression import evaluate as judge_traits

            rows = await judge_traits(world, getattr(world.rules, "judge", None) or world.client)
        else:
            return
    run.writer.record_evaluation(rows, calls.take())
