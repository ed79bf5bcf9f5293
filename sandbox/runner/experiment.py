"""Experiments: an experiment file -> a folder of runs (one per model and condition)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sandbox.errors import ConfigError
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.validation import read_structured_file

EXPERIMENTS = ("trust", "debate", "games", "personality_illusion")


def is_experiment_file(path: str | Path) -> bool:
    """An experiment file is YAML with an ``experiment:`` key (a world file has none)."""
    data = read_structured_file(Path(path), what="world file")
    return isinstance(data, dict) and "experiment" in data


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "run"


async def arun_experiment(
    path: str | Path,
    settings: RunSettings | None = None,
    *,
    folder: str | Path | None = None,
    on_run: Callable[[Path], None] | None = None,
) -> Path:
    """Run every world of the experiment; returns the folder holding the runs.

    ``settings.model`` replaces the file's ``models`` list when it is not the default.
    """
    settings = settings or RunSettings()
    data = read_structured_file(Path(path), what="experiment file")
    kind = data.get("experiment") if isinstance(data, dict) else None
    if kind not in EXPERIMENTS:
        raise ConfigError(f"{path}: unknown experiment {kind!r}; known: {', '.join(EXPERIMENTS)}")
    if kind == "trust":
        from sandbox.scenarios.trust_study import load_study, study_worlds

        study = load_study(path)
        worlds = study_worlds(study)
        title = study.name or "trust-" + study.study
    else:
        from sandbox.scenarios.social_studies import load_social_study, social_worlds

        study = load_social_study(path)
        worlds = social_worlds(study)
        title = study.name or kind
    if settings.judge_model is None and study.judge is not None:
        settings = settings.model_copy(
            update={"judge_model": study.judge.model, "judge_api_base": study.judge.api_base}
        )
    models = [settings.model] if settings.model != "heuristic" else study.models
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(folder) if folder else settings.out / f"{_slug(title)}-{stamp}"
    for model in models:
        for label, world in worlds:
            run_settings = settings.model_copy(update={"model": model, "seed": None, "ticks": None})
            run = Run.create(
                world, run_settings, world_file=path, directory=out / f"{_slug(model)}-{label}"
            )
            try:
                await run.arun()
                if kind == "personality_illusion":
                    await _self_reports(run, study)
            finally:
                run.close()
            if on_run is not None:
                on_run(run.directory)
    return out


async def _self_reports(run: Run, study) -> None:  # type: ignore[no-untyped-def]
    """Give every agent of the run the IPIP-NEO-120, stored in the run's surveys tables."""
    import asyncio

    from sandbox.agents.survey import administer
    from sandbox.personas.questionnaire import load_instrument

    instrument = load_instrument("ipip-neo-120")
    client = run.world.client
    results = await asyncio.gather(
        *(
            administer(
                a.persona,
                instrument,
                client,
                mode=study.survey_mode,
                batch_size=study.survey_batch_size,
                seed=study.seed,
                tick=run.world.tick,
                prompts=run.world.prompts,
            )
            for a in run.world.persona_agents
        )
    )
    for result in results:
        run.writer.record_survey(result.to_record(), tick=run.world.tick)
    run.writer.record_calls(client.drain_calls())
