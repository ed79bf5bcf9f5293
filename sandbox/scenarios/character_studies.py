"""Role-play evaluation experiment files -> the worlds they run: character fidelity (one scene
per file) and personality from interviews (one world per memory retrieval strategy)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.errors import ConfigError
from sandbox.personas.banks import load_bank
from sandbox.personas.names import with_neutral_names
from sandbox.personas.persona import Persona
from sandbox.personas.sampling import sample
from sandbox.scenarios import character_fidelity, personality_interview
from sandbox.scenarios.character_fidelity import CharacterFidelityScenario, Scene
from sandbox.scenarios.judge import JudgeSpec
from sandbox.scenarios.registry import Experiment
from sandbox.validation import describe_validation_error, read_structured_file
from sandbox.world.config import WorldConfig

if TYPE_CHECKING:
    pass

STRATEGIES = (
    "generative_agents",
    "emotional_ca",
    "emotional_cm",
    "emotional_sc",
    "emotional_ss",
    "semantic_only",
)


class _Study(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    seed: int = 0
    bank: str
    personas: int = Field(4, ge=2)
    names: Literal["neutral", "bank"] = Field(
        "bank", description="neutral: agents shown under seeded neutral first names"
    )
    models: list[str] = Field(default_factory=lambda: ["heuristic"])
    judge: JudgeSpec | None = Field(None, description="the judge role (default: the agents' model)")


class CharacterFidelityStudy(_Study):
    experiment: Literal["character_fidelity"] = "character_fidelity"
    rounds: int = Field(4, ge=1, description="rounds of the scene (one tick each)")
    scene: Scene


class PersonalityInterviewStudy(_Study):
    experiment: Literal["personality_interview"] = "personality_interview"
    ticks: int = Field(6, ge=1, description="ticks of the world before the interviews")
    strategies: list[str] = Field(default_factory=lambda: list(STRATEGIES))
    k: int = Field(4, ge=1, description="memories retrieved for each interview question")
    items_per_domain: int = Field(2, ge=1, le=24, description="IPIP-NEO-120 items per domain")
    probes: bool = Field(True, description="one persona-specific probe per domain")
    self_report: bool = Field(True, description="also give the IPIP-NEO-120 as a questionnaire")
    survey_batch_size: int = Field(24, ge=1)


RolePlayStudy = CharacterFidelityStudy | PersonalityInterviewStudy


def load_role_play_study(path: str | Path) -> RolePlayStudy:
    p = Path(path)
    data = read_structured_file(p, what="experiment file")
    model: type[CharacterFidelityStudy] | type[PersonalityInterviewStudy] = (
        CharacterFidelityStudy
        if data.get("experiment") == "character_fidelity"
        else PersonalityInterviewStudy
    )
    try:
        study = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(p, exc)) from None
    if isinstance(study, PersonalityInterviewStudy):
        unknown = [s for s in study.strategies if s not in STRATEGIES]
        if unknown or not study.strategies:
            raise ConfigError(
                f"{p}: unknown retrieval strategies {unknown}; known: {', '.join(STRATEGIES)}"
            )
    bank = Path(study.bank)
    return study.model_copy(
        update={"bank": str(bank if bank.is_absolute() else (p.parent / bank).resolve())}
    )


def _people(study: _Study) -> list[Persona]:
    bank = load_bank(study.bank)
    if study.personas > len(bank):
        raise ConfigError(f"the study asks for {study.personas} personas; the bank has {len(bank)}")
    people = sample(bank, study.personas, study.seed)
    return with_neutral_names(people, study.seed) if study.names == "neutral" else people


def role_play_worlds(study: RolePlayStudy) -> list[tuple[str, WorldConfig]]:
    people = _people(study)
    if isinstance(study, CharacterFidelityStudy):
        parts = study.scene.parts
        scenario = CharacterFidelityScenario(
            scene=study.scene,
            cast={p.name: parts[i % len(parts)] for i, p in enumerate(people)},
            rounds=study.rounds,
            label="character_fidelity",
        )
        world = WorldConfig(
            name=f"{study.name or study.experiment}",
            seed=study.seed,
            ticks=study.rounds,
            places=[{"name": "scene", "description": study.scene.location}],
            agents=[{"start": "scene", "persona": p.model_dump()} for p in people],
            scenario=scenario.model_dump(),
        )
        return [("character_fidelity", world)]
    return [(s, interview_world(study, people, s)) for s in study.strategies]


def interview_world(
    study: PersonalityInterviewStudy, people: list[Persona], strategy: str
) -> WorldConfig:
    """The same small world of generative agents for every strategy; only retrieval differs."""
    retrieval: dict[str, Any] = {"strategy": strategy, "k": study.k}
    return WorldConfig(
        name=f"{study.name or study.experiment} ({strategy})",
        seed=study.seed,
        ticks=study.ticks,
        minutes_per_tick=30,
        start_time="2026-03-02T08:00:00",
        cognition={
            "embedder": "hashing",
            "retrieval": retrieval,
            "planning": False,
            "reflection": False,
            "narrator": False,
            "conversation_turns": 2,
        },
        places=[
            {
                "name": "common_room",
                "description": "The common room of a shared house.",
                "activities": ["reads the news", "makes coffee", "tidies the shelves"],
            },
            {
                "name": "garden",
                "description": "A small garden with a bench.",
                "activities": ["waters the plants", "sits on the bench"],
            },
        ],
        agents=[
            {"start": "common_room" if i % 2 == 0 else "garden", "persona": p.model_dump()}
            for i, p in enumerate(people)
        ],
    )


EXPERIMENTS = (
    Experiment(
        kind="character_fidelity",
        study=CharacterFidelityStudy,
        load=load_role_play_study,
        worlds=role_play_worlds,
        evaluate=character_fidelity.evaluate,
        tables=("fidelity_critiques", "fidelity_scores"),
    ),
    Experiment(
        kind="personality_interview",
        study=PersonalityInterviewStudy,
        load=load_role_play_study,
        worlds=role_play_worlds,
        evaluate=personality_interview.evaluate,
        tables=("persona_interview_items", "persona_interview_answers", "persona_interview_scores"),
    ),
)
