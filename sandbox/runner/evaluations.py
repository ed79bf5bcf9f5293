"""The evaluation step of the role-play studies, after a run's ticks: the theory-of-mind questions
(answered by the agents' model) and the trait judgements (by the judge role). Their rows go to the
study's tables and their calls to ``llm_calls`` in one transaction; the world does not change.
Judging calls go through the run's judge client (``--judge-model``), recorded under its model id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.runner.run import Run


async def evaluate_run(run: Run) -> None:
    """Evaluate a finished run of a role-play study (a no-op for other scenarios)."""
    world = run.world
    name = getattr(world.rules, "name", None)
    if name == "tom_inner_speech":
        from sandbox.scenarios.tom_items import evaluate

        rows = await evaluate(world)
    elif name == "trait_expression":
        from sandbox.scenarios.trait_expression import evaluate as judge_traits

        rows = await judge_traits(world, getattr(world.rules, "judge", None) or world.client)
    else:
        return
    run.writer.record_evaluation(rows, world.client.drain_calls())
