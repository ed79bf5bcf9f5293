"""A trust experiment file -> the worlds it runs (one per model and condition).

An experiment file is YAML with ``experiment: trust`` (see experiments/trust_*.yaml and
docs/experiments.md). Paths in it are relative to the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.errors import ConfigError
from sandbox.personas.attributes import attribute_level
from sandbox.personas.banks import load_bank
from sandbox.personas.names import with_neutral_names
from sandbox.personas.sampling import sample
from sandbox.scenarios.framing import Framing
from sandbox.scenarios.judge import JudgeSpec
from sandbox.scenarios.trust import (
    CONDITIONS,
    PERTURBATION_TARGETS,
    STRATEGIES,
    Condition,
    Strategy,
    TrustScenario,
)
from sandbox.scenarios.trust_game import PerturbationRefused, perturb_to
from sandbox.world.config import WorldConfig

DEFAULT_ATTRIBUTES = [
    "age_band", "conscientiousness", "openness", "political_views", "religion",
    "highest_degree_received", "work_status", "family_structure_at_16",
]  # fmt: skip


def _neutral_framing() -> list[Framing]:
    return ["neutral"]


class TrustStudy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    experiment: Literal["trust"] = "trust"
    study: Literal["population", "conditioning", "forecast"]
    name: str = ""
    seed: int = 0
    bank: str = "../personas/gss_bank.jsonl"
    personas: int = Field(50, ge=2, description="trustors per run (per condition)")
    endowment: int = Field(10, ge=1)
    attributes: list[str] = Field(default_factory=lambda: list(DEFAULT_ATTRIBUTES))
    min_per_level: int = Field(2, ge=1, description="groups with fewer trustors are left out")
    strategies: list[Strategy] = Field(default_factory=lambda: list(STRATEGIES))
    conditions: list[Condition] = Field(default_factory=lambda: list(CONDITIONS))
    prior_strategy: Literal["noctx_rank", "ctx_rank"] = "noctx_rank"
    perturbation_tolerance: float = Field(
        0.1, ge=0, le=2, description="how far from .8 / .2 a perturbed prior's rho may be"
    )
    framings: list[Framing] = Field(
        default_factory=_neutral_framing,
        description="one run per framing (neutral | everyday | study | authority)",
    )
    archetypes: list[int] = Field(default_factory=lambda: [1, 3, 5])
    rounds: int = Field(6, ge=1)
    persona_style: Literal["nine_level", "binary", "biography"] = "biography"
    names: Literal["neutral", "bank"] = Field(
        "neutral", description="neutral: agents shown under seeded neutral first names"
    )
    models: list[str] = Field(default_factory=lambda: ["heuristic"])
    judge: JudgeSpec | None = Field(None, description="the judge role (default: the agents' model)")


def load_study(path: str | Path) -> TrustStudy:
    from pydantic import ValidationError

    from sandbox.validation import describe_validation_error, read_structured_file

    p = Path(path)
    data = read_structured_file(p, what="experiment file")
    try:
        study = TrustStudy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(p, exc)) from None
    bank = Path(study.bank)
    if not bank.is_absolute():
        study = study.model_copy(update={"bank": str((p.parent / bank).resolve())})
    return study


def study_worlds(study: TrustStudy) -> list[tuple[str, WorldConfig]]:
    """(condition label, world) for each run of the study, for one model."""
    bank = load_bank(study.bank)
    if study.personas > len(bank):
        raise ConfigError(f"the study asks for {study.personas} personas; the bank has {len(bank)}")
    people = sample(bank, study.personas, study.seed)
    if study.names == "neutral":
        people = with_neutral_names(people, study.seed)
    levels: dict[str, list[str]] = {}
    for attribute in study.attributes:
        counts: dict[str, int] = {}
        for p in people:
            value = attribute_level(p, attribute)
            if value is not None:
                counts[str(value)] = counts.get(str(value), 0) + 1
        kept = sorted(v for v, c in counts.items() if c >= study.min_per_level)
        if len(kept) < 2:
            raise ConfigError(
                f"attribute {attribute!r} has fewer than two groups with {study.min_per_level}+ "
                f"trustors in a sample of {study.personas}; drop it or raise 'personas'"
            )
        levels[attribute] = kept
    if study.study == "conditioning":
        _check_perturbations(study, levels)
    base = TrustScenario(
        study=study.study,
        endowment=study.endowment,
        levels=levels,
        strategies=study.strategies,
        prior_strategy=study.prior_strategy,
        rounds=study.rounds,
        persona_style=study.persona_style,
        perturbation_tolerance=study.perturbation_tolerance,
    )
    if study.study == "population":
        variants = [("population", base)]
    elif study.study == "conditioning":
        variants = [(c, base.model_copy(update={"condition": c})) for c in study.conditions]
    else:
        variants = [(f"M{k}", base.model_copy(update={"archetype": k})) for k in study.archetypes]
    if study.framings != ["neutral"]:
        variants = [
            (label if f == "neutral" else f"{label}-{f}", sc.model_copy(update={"framing": f}))
            for label, sc in variants
            for f in study.framings
        ]
    worlds = []
    for label, scenario in variants:
        worlds.append(
            (
                label,
                WorldConfig(
                    name=f"{study.name or 'trust ' + study.study} ({label})",
                    seed=study.seed,
                    ticks=scenario.ticks(),
                    places=[
                        {
                            "name": "lab",
                            "description": "A quiet room in a behavioural economics lab.",
                        }
                    ],
                    agents=[{"start": "lab", "persona": p.model_dump()} for p in people],
                    persona_style=study.persona_style,
                    scenario={**scenario.model_dump(), "label": label},
                ),
            )
        )
    return worlds


def _check_perturbations(study: TrustStudy, levels: dict[str, list[str]]) -> None:
    """Refuse a weak / strong condition that no attribute of the sample can reach (the condition
    would state the unperturbed prior); attributes that cannot are left unstated at run time."""
    for condition in study.conditions:
        target = PERTURBATION_TARGETS.get(condition)
        if target is None:
            continue
        reachable = []
        for attribute, kept in levels.items():
            try:
                perturb_to(kept, target, 0, study.perturbation_tolerance)
                reachable.append(attribute)
            except PerturbationRefused:
                pass
        if not reachable:
            raise ConfigError(
                f"condition {condition!r} needs a prior ranked at Spearman rho {target:g} with the "
                f"elicited one, and no attribute has enough groups for that (2 or 3 groups reach "
                f"only 1, .5, -.5, -1): add attributes with 4+ groups, raise "
                f"'perturbation_tolerance', or drop the condition"
            )
