"""The grid of a sweep: conditions x models x seeds, one ``RunSpec`` per run.

A world file is one condition (named after the file). An experiment file gives its own
conditions; for each seed the study is rebuilt with that seed, so the persona sample (and every
other draw the experiment makes) comes from the seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from sandbox.errors import ConfigError
from sandbox.runner.sweep.ids import canonical_hash, run_id
from sandbox.seeds import seed_problem
from sandbox.world.config import WorldConfig

OFFLINE_MODEL = "heuristic"


class RunSpec(BaseModel):
    """Everything a worker needs to make one run of the sweep (JSON-serialisable)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    condition: str
    model: str
    seed: int
    config: dict[str, Any]  # the resolved world config (seed and ticks applied)
    config_hash: str
    source: str  # the experiment or world file the sweep was planned from
    experiment: str | None = None  # the experiment kind, for its after-run step
    study: dict[str, Any] | None = None  # the study, when the experiment has an after-run step


def parse_seeds(text: str | int | None, base: int) -> list[int]:
    """``4`` -> four seeds from ``base`` (base, base+1, ...); ``1,5,9`` -> those seeds; ``7,`` -> 7."""
    if text is None:
        return [base]
    raw = str(text).strip()
    if "," not in raw:
        try:
            count = int(raw)
        except ValueError:
            raise ConfigError(
                f"--seeds {raw!r}: give a count (--seeds 4) or a list (--seeds 1,5,9)"
            ) from None
        if count < 1:
            raise ConfigError(f"--seeds {count}: give at least one seed")
        if (problem := seed_problem(base + count - 1)) is not None:
            raise ConfigError(f"--seeds {count}: {problem}")
        return list(range(base, base + count))
    try:
        seeds = [int(s) for s in raw.split(",") if s.strip()]
    except ValueError:
        raise ConfigError(
            f"--seeds {raw!r}: a list of seeds must be integers, e.g. 1,5,9"
        ) from None
    if not seeds:
        raise ConfigError("--seeds: the list is empty")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds {raw!r}: a seed is listed twice")
    for seed in seeds:
        if (problem := seed_problem(seed)) is not None:
            raise ConfigError(f"--seeds {raw!r}: {problem}")
    return seeds


def _spec(
    condition: str,
    model: str,
    seed: int,
    config: WorldConfig,
    source: Path,
    experiment: str | None = None,
    study: dict[str, Any] | None = None,
) -> RunSpec:
    resolved = config.model_dump(mode="json")
    config_hash = canonical_hash(resolved)
    digest = canonical_hash(
        {"config": config_hash, "model": model, "experiment": experiment, "study": study}
    )
    return RunSpec(
        run_id=run_id(condition, model, seed, digest),
        condition=condition,
        model=model,
        seed=seed,
        config=resolved,
        config_hash=config_hash,
        source=str(source),
        experiment=experiment,
        study=study,
    )


def plan_grid(
    path: str | Path,
    *,
    seeds: str | int | None = None,
    models: list[str] | None = None,
    ticks: int | None = None,
) -> list[RunSpec]:
    """One ``RunSpec`` per condition, model and seed of ``path`` (an experiment or world file).

    ``models`` replaces the experiment's own list (a world file defaults to the offline model);
    ``ticks`` applies to world files only (an experiment sets its own).
    """
    from sandbox.runner.experiment import is_experiment_data, load_experiment, plan_worlds
    from sandbox.validation import read_structured_file

    source = Path(path).resolve()
    data = read_structured_file(source, what="world file")  # parsed once
    if not is_experiment_data(data):
        from sandbox.world.config import MAX_TICKS, load_world

        world = load_world(source, data)
        if ticks is not None and ticks > MAX_TICKS:
            raise ConfigError(f"--ticks {ticks}: at most {MAX_TICKS:,} ticks per run")
        if ticks is not None:
            world = world.model_copy(update={"ticks": ticks})
        condition = source.stem
        return [
            _spec(condition, model, seed, world.model_copy(update={"seed": seed}), source)
            for model in (models or [OFFLINE_MODEL])
            for seed in parse_seeds(seeds, world.seed)
        ]
    if ticks is not None:
        raise ConfigError(
            "--ticks applies to world files only; an experiment file sets its own ticks"
        )
    plan = load_experiment(source)
    # The kinds whose after-run step reads the study settings
    keep_study = plan.kind in ("personality_illusion", "personality_interview")
    specs = []
    for seed in parse_seeds(seeds, plan.study.seed):
        study = plan.study.model_copy(update={"seed": seed})
        study_json = study.model_dump(mode="json") if keep_study else None
        worlds = plan_worlds(plan, seed)
        for model in models or plan.models:
            for label, world in worlds:
                specs.append(_spec(label, model, seed, world, source, plan.kind, study_json))
    return specs
