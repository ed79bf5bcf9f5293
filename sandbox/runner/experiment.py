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

EXPERIMENTS = ("trust",)


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
    if kind != "trust":
        raise ConfigError(f"{path}: unknown experiment {kind!r}; known: {', '.join(EXPERIMENTS)}")
    from sandbox.scenarios.trust_study import load_study, study_worlds

    study = load_study(path)
    models = [settings.model] if settings.model != "heuristic" else study.models
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = (
        Path(folder)
        if folder
        else settings.out / f"{_slug(study.name or 'trust-' + study.study)}-{stamp}"
    )
    worlds = study_worlds(study)
    for model in models:
        for label, world in worlds:
            run_settings = settings.model_copy(update={"model": model, "seed": None, "ticks": None})
            run = Run.create(
                world, run_settings, world_file=path, directory=out / f"{_slug(model)}-{label}"
            )
            try:
                await run.arun()
            finally:
                run.close()
            if on_run is not None:
                on_run(run.directory)
    return out
