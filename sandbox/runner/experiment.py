"""Experiments: an experiment file -> a folder of runs (one per model and condition)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.errors import ConfigError
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.validation import read_structured_file
from sandbox.world.config import WorldConfig

EXPERIMENTS = (
    "trust",
    "debate",
    "games",
    "personality_illusion",
)  # the kinds the runner knows by itself; a study module registers any other (see ``kinds``)


def kinds() -> list[str]:
    """Every experiment kind: the runner's own and those registered by study modules
    (``EXPERIMENTS = (Experiment(...),)`` in a module of ``sandbox.scenarios``)."""
    from sandbox.scenarios.registry import registered_experiments

    return [*EXPERIMENTS, *registered_experiments()]


def is_experiment_file(path: str | Path) -> bool:
    """An experiment file is YAML with an ``experiment:`` key (a world file has none)."""
    return is_experiment_data(read_structured_file(Path(path), what="world file"))


def is_experiment_data(data: Any) -> bool:
    """The parsed content of an experiment file (not a world file)."""
    return isinstance(data, dict) and "experiment" in data


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "run"


@dataclass(frozen=True)
class ExperimentPlan:
    """What an experiment file asks for: its kind, its study settings, a title and its models."""

    kind: str
    study: Any
    title: str
    models: list[str]


def load_experiment(path: str | Path) -> ExperimentPlan:
    data = read_structured_file(Path(path), what="experiment file")
    from sandbox.scenarios.registry import find_experiment

    kind = data.get("experiment") if isinstance(data, dict) else None
    registered = find_experiment(kind) if isinstance(kind, str) else None
    if not isinstance(kind, str) or (kind not in EXPERIMENTS and registered is None):
        raise ConfigError(f"{path}: unknown experiment {kind!r}; known: {', '.join(kinds())}")
    if registered is not None:
        study: Any = registered.load(Path(path))
        title: str = study.name or kind
    elif kind == "trust":
        from sandbox.scenarios.trust_study import load_study

        study = load_study(path)
        title = study.name or "trust-" + study.study
    else:
        from sandbox.scenarios.social_studies import load_social_study

        study = load_social_study(path)
        title = study.name or kind
    return ExperimentPlan(kind=kind, study=study, title=title, models=list(study.models))


def plan_worlds(plan: ExperimentPlan, seed: int | None = None) -> list[tuple[str, WorldConfig]]:
    """(condition label, world) for each run of one model; ``seed`` replaces the file's seed, so
    the persona sample (and everything else drawn from the seed) is drawn anew."""
    study = plan.study if seed is None else plan.study.model_copy(update={"seed": seed})
    from sandbox.scenarios.registry import find_experiment

    registered = find_experiment(plan.kind)
    if registered is not None:
        return registered.worlds(study)
    if plan.kind == "trust":
        from sandbox.scenarios.trust_study import study_worlds

        return study_worlds(study)
    from sandbox.scenarios.social_studies import social_worlds

    return social_worlds(study)


async def finish_run(run: Run, kind: str, study: Any, settings: RunSettings | None = None) -> None:
    """What an experiment does after a run's ticks: the personality illusion's questionnaire, or
    the evaluation its study registered (``settings`` give the judge role)."""
    if kind == "personality_illusion":
        await _self_reports(run, study)
        return
    from sandbox.runner.evaluations import evaluate_run

    await evaluate_run(run, kind, study, settings or RunSettings())


async def arun_experiment(
    path: str | Path,
    settings: RunSettings | None = None,
    *,
    folder: str | Path | None = None,
    on_run: Callable[[Path], None] | None = None,
    on_start: Callable[[Run], None] | None = None,
) -> Path:
    """Run every world of the experiment; returns the folder holding the runs.

    ``settings.model`` replaces the file's ``models`` list when it is not the default.
    ``on_start(run)`` is called when each run is created (the CLI names the run an interruption
    stopped), ``on_run(directory)`` when it has finished.
    """
    settings = settings or RunSettings()
    plan = load_experiment(path)
    worlds = plan_worlds(plan)
    judge = getattr(plan.study, "judge", None)
    if settings.judge_model is None and judge is not None:
        settings = settings.model_copy(
            update={"judge_model": judge.model, "judge_api_base": judge.api_base}
        )
    models = [settings.model] if settings.model != "heuristic" else plan.models
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(folder) if folder else settings.out / f"{_slug(plan.title)}-{stamp}"
    for model in models:
        for label, world in worlds:
            run_settings = settings.model_copy(update={"model": model, "seed": None, "ticks": None})
            run = Run.create(
                world, run_settings, world_file=path, directory=out / f"{_slug(model)}-{label}"
            )
            if on_start is not None:
                on_start(run)
            try:
                await run.arun()
                await finish_run(run, plan.kind, plan.study, run_settings)
            finally:
                run.close()
            if on_run is not None:
                on_run(run.directory)
    return out


async def _self_reports(run: Run, study: Any) -> None:
    await self_reports(
        run, mode=study.survey_mode, batch_size=study.survey_batch_size, seed=study.seed
    )


async def self_reports(
    run: Run, *, mode: str, batch_size: int, seed: int, after_run: bool = False
) -> None:
    """Give every agent of the run the IPIP-NEO-120, stored in the run's surveys tables (with the
    run's last tick, or, ``after_run``, with tick NULL: part of no tick, so a replay of the ticks
    compares without it)."""
    tick = None if after_run else run.world.tick
    import asyncio

    from sandbox.agents.survey import administer
    from sandbox.llm.calls import collect_calls
    from sandbox.personas.questionnaire import load_instrument

    instrument = load_instrument("ipip-neo-120")
    client = run.world.client
    with collect_calls() as calls:
        results = await asyncio.gather(
            *(
                administer(
                    a.persona,
                    instrument,
                    client,
                    mode=mode,  # type: ignore[arg-type]
                    batch_size=batch_size,
                    seed=seed,
                    tick=tick,
                    prompts=run.world.prompts,
                )
                for a in run.world.agents
            )
        )
    for result in results:
        run.writer.record_survey(result.to_record(), tick=tick)
    run.writer.record_calls(calls.take())
