"""Debate, games and personality-illusion experiment files -> the worlds they run."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sandbox.errors import ConfigError
from sandbox.personas.banks import load_bank
from sandbox.personas.names import with_neutral_names
from sandbox.personas.persona import Persona
from sandbox.personas.sampling import sample
from sandbox.scenarios.debate import DebateScenario, Topic
from sandbox.scenarios.game_theory import (
    NO_GROUP_SETTING,
    GameSettings,
    round_robin,
    split_groups,
)
from sandbox.scenarios.games import GamesScenario
from sandbox.scenarios.judge import JudgeSpec
from sandbox.validation import describe_validation_error, read_structured_file
from sandbox.world.config import WorldConfig


class _Study(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    seed: int = 0
    bank: str = "../personas/gss_bank.jsonl"
    personas: int = Field(16, ge=2)
    names: Literal["neutral", "bank"] = Field(
        "neutral", description="neutral: agents shown under seeded neutral first names"
    )
    models: list[str] = Field(default_factory=lambda: ["heuristic"])
    judge: JudgeSpec | None = Field(None, description="the judge role (default: the agents' model)")


class DebateStudy(_Study):
    experiment: Literal["debate"] = "debate"
    group_size: int = Field(4, ge=2)
    rounds: int = Field(3, ge=1)
    chat_turns: int = Field(2, ge=1)
    post_chars: int = Field(280, ge=20)
    topics_file: str = "debate_topics.yaml"
    topics: list[str] | None = Field(None, description="topic ids, one per group (cycled)")


GamesFraming = Literal["neutral", "everyday", "study"]


def _neutral_framing() -> list[GamesFraming]:
    return ["neutral"]


class GamesStudy(_Study):
    experiment: Literal["games", "personality_illusion"] = "games"
    framings: list[GamesFraming] = Field(
        default_factory=_neutral_framing,
        description="one run per framing (evaluation awareness: study vs everyday)",
    )
    group_size: int = Field(4, ge=2, description="public goods group size")
    settings: GameSettings = GameSettings()
    elicit_beliefs: bool = True
    survey_mode: Literal["item", "batch"] = "batch"
    survey_batch_size: int = Field(24, ge=1)
    directions_file: str = "personality_directions.yaml"

    @model_validator(mode="before")
    @classmethod
    def _group_size_is_the_studys(cls, data: Any) -> Any:
        settings = data.get("settings") if isinstance(data, dict) else None
        if isinstance(settings, dict) and "public_goods_group" in settings:
            raise ValueError(NO_GROUP_SETTING)
        return data


def _resolve(p: Path, value: str) -> str:
    path = Path(value)
    return str(path if path.is_absolute() else (p.parent / path).resolve())


def load_social_study(path: str | Path) -> DebateStudy | GamesStudy:
    p = Path(path)
    data = read_structured_file(p, what="experiment file")
    model = DebateStudy if data.get("experiment") == "debate" else GamesStudy
    try:
        study = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(p, exc)) from None
    update = {"bank": _resolve(p, study.bank)}
    if isinstance(study, DebateStudy):
        update["topics_file"] = _resolve(p, study.topics_file)
    else:
        update["directions_file"] = _resolve(p, study.directions_file)
    return study.model_copy(update=update)


def _people(study: _Study) -> list[Persona]:
    bank = load_bank(study.bank)
    if study.personas > len(bank):
        raise ConfigError(f"the study asks for {study.personas} personas; the bank has {len(bank)}")
    people = sample(bank, study.personas, study.seed)
    return with_neutral_names(people, study.seed) if study.names == "neutral" else people


def _world(
    study: DebateStudy | GamesStudy,
    people: list[Persona],
    scenario: dict[str, Any],
    label: str,
    ticks: int,
) -> WorldConfig:
    return WorldConfig(
        name=f"{study.name or study.experiment} ({label})",
        seed=study.seed,
        ticks=ticks,
        places=[{"name": "lab", "description": "An online study."}],
        agents=[{"start": "lab", "persona": p.model_dump()} for p in people],
        scenario={**scenario, "label": label},
    )


def social_worlds(study: DebateStudy | GamesStudy) -> list[tuple[str, WorldConfig]]:
    people = _people(study)
    names = [p.name for p in people]
    if isinstance(study, DebateStudy):
        raw = read_structured_file(Path(study.topics_file), what="topics file")
        try:
            topics = {t["id"]: Topic.model_validate(t) for t in raw}
        except (TypeError, KeyError, ValidationError) as exc:
            raise ConfigError(f"{study.topics_file}: not a valid topics file: {exc}") from None
        groups = split_groups(names, study.group_size, study.seed)
        if len(groups[-1]) < 2:
            groups[-2].extend(groups.pop())
        ids = study.topics or list(topics)
        unknown = [i for i in ids if i not in topics]
        if unknown:
            raise ConfigError(f"unknown topic id(s) {unknown}; known: {', '.join(topics)}")
        try:
            pairings = [
                [[list(pair) for pair in r] for r in round_robin(g, study.rounds)] for g in groups
            ]
        except ValueError as exc:
            raise ConfigError(f"{exc}: lower 'rounds' or raise 'group_size'") from None
        scenario = DebateScenario(
            groups=groups,
            topics=[topics[ids[i % len(ids)]] for i in range(len(groups))],
            pairings=pairings,
            rounds=study.rounds,
            chat_turns=study.chat_turns,
            post_chars=study.post_chars,
        )
        return [
            ("debate", _world(study, people, scenario.model_dump(), "debate", scenario.ticks()))
        ]
    pairs = [list(p) for p in round_robin(names, 1)[0]]
    groups = split_groups(names, study.group_size, study.seed)
    if len(groups) > 1 and len(groups[-1]) < 2:
        groups[-2].extend(groups.pop())
    out = []
    for framing in study.framings:
        games = GamesScenario(
            settings=study.settings,
            elicit_beliefs=study.elicit_beliefs,
            pairs=pairs,
            groups=groups,
            framing=framing,
        )
        label = "games" if framing == "neutral" else f"games-{framing}"
        out.append((label, _world(study, people, games.model_dump(), label, games.ticks())))
    return out
