"""Role-play evaluation experiment files (theory of mind from inner speech, trait expression)
-> the worlds they run. The questions and judgements come after each run's ticks
(``sandbox.runner.evaluations``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.errors import ConfigError
from sandbox.personas.banks import load_bank
from sandbox.personas.names import neutral_names, with_neutral_names
from sandbox.personas.persona import BIG_FIVE_DOMAINS, Persona
from sandbox.personas.sampling import sample
from sandbox.scenarios import tom_items, trait_expression
from sandbox.scenarios.judge import JudgeSpec
from sandbox.scenarios.registry import Experiment
from sandbox.scenarios.tom_inner_speech import Situation, TomScenario
from sandbox.scenarios.trait_expression import Direction, Intensity, Trait, Wording
from sandbox.validation import describe_validation_error, read_structured_file
from sandbox.world.config import WorldConfig

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient
    from sandbox.world.world import World


class _Study(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    seed: int = 0
    models: list[str] = Field(default_factory=lambda: ["heuristic"])
    judge: JudgeSpec | None = Field(None, description="the judge role (default: the agents' model)")


class TomStudy(_Study):
    experiment: Literal["tom_inner_speech"] = "tom_inner_speech"
    bank: str = "../personas/binary32.yaml"
    dyads: int = Field(6, ge=1)
    turns: int = Field(10, ge=2, description="turns per dyad; the partners alternate")
    max_words: int = Field(40, ge=5)
    situations_file: str = "tom_situations.yaml"
    situations: list[str] | None = Field(None, description="situation ids, one per dyad (cycled)")


def _resolve(p: Path, value: str) -> str:
    path = Path(value)
    return str(path if path.is_absolute() else (p.parent / path).resolve())


def _validate(p: Path, model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(p, exc)) from None


def load_role_play_study(path: str | Path) -> TomStudy | TraitStudy:
    p = Path(path)
    data = read_structured_file(p, what="experiment file")
    if data.get("experiment") == "tom_inner_speech":
        study = _validate(p, TomStudy, data)
        return study.model_copy(
            update={
                "bank": _resolve(p, study.bank),
                "situations_file": _resolve(p, study.situations_file),
            }
        )
    return _validate(p, TraitStudy, data)


def _world(
    study: _Study, people: list[Persona], scenario: dict[str, Any], ticks: int, label: str
) -> WorldConfig:
    return WorldConfig(
        name=f"{study.name or study.experiment} ({label})",  # type: ignore[attr-defined]
        seed=study.seed,
        ticks=ticks,
        places=[{"name": "room", "description": "Where the conversations happen."}],
        agents=[{"start": "room", "persona": p.model_dump()} for p in people],
        scenario={**scenario, "label": label},
    )


def load_situations(path: str | Path) -> dict[str, Situation]:
    raw = read_structured_file(Path(path), what="situations file")
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: a situations file is a list of situations (id, subject, ...)")
    out = {}
    for entry in raw:
        situation = _validate(Path(path), Situation, entry)
        out[situation.id] = situation
    return out


def tom_worlds(study: TomStudy) -> list[tuple[str, WorldConfig]]:
    bank = load_bank(study.bank)
    n = 2 * study.dyads
    if n > len(bank):
        raise ConfigError(f"{study.dyads} dyads need {n} personas; the bank has {len(bank)}")
    people = with_neutral_names(sample(bank, n, study.seed), study.seed)
    situations = load_situations(study.situations_file)
    ids = study.situations or list(situations)
    unknown = [i for i in ids if i not in situations]
    if unknown:
        raise ConfigError(f"unknown situation id(s) {unknown}; known: {', '.join(situations)}")
    scenario = TomScenario(
        dyads=[(people[2 * d].name, people[2 * d + 1].name) for d in range(study.dyads)],
        situations=[situations[ids[d % len(ids)]] for d in range(study.dyads)],
        turns=study.turns,
        max_words=study.max_words,
    )
    label = "tom"
    return [(label, _world(study, people, scenario.model_dump(), scenario.ticks(), label))]


def role_play_worlds(study: TomStudy | TraitStudy) -> list[tuple[str, WorldConfig]]:
    if isinstance(study, TomStudy):
        return tom_worlds(study)
    return trait_worlds(study)


# --- trait expression (after PsyPlay) -------------------------------------------------------------


class TraitStudy(_Study):
    experiment: Literal["trait_expression"] = "trait_expression"
    traits: list[Trait] = Field(default_factory=lambda: cast("list[Trait]", list(BIG_FIVE_DOMAINS)))
    directions: list[Direction] = Field(default_factory=lambda: list[Direction](["high", "low"]))
    intensities: list[Intensity] = Field(
        default_factory=lambda: list[Intensity](["a bit", "very", "extremely"])
    )
    wordings: list[Wording] = Field(
        default_factory=lambda: list[Wording](["adjectives"]),
        description="adjectives: the domain's adjective pair; facets: its six facet adjectives",
    )
    repeats: int = Field(1, ge=1, description="role cards per trait x pole x intensity x wording")
    turns: int = Field(2, ge=1, description="messages each partner writes")
    max_words: int = Field(30, ge=5)
    topics: list[str] = Field(
        min_length=1, description="conversation topics, one per pair (cycled)"
    )


def trait_worlds(study: TraitStudy) -> list[tuple[str, WorldConfig]]:
    import random

    from sandbox.personas.persona import BigFive
    from sandbox.scenarios.trait_expression import RoleCard, TraitScenario, level_of

    cards = [
        RoleCard(trait=t, direction=d, intensity=i, wording=w)
        for t in study.traits
        for d in study.directions
        for i in study.intensities
        for w in study.wordings
        for _ in range(study.repeats)
    ]
    if len(cards) % 2:
        raise ConfigError(
            f"{len(cards)} role cards cannot be paired: make traits x directions x intensities x "
            "wordings x repeats even (e.g. repeats: 2)"
        )
    random.Random(f"trait-cards|{study.seed}").shuffle(cards)
    names = neutral_names(len(cards), study.seed)
    people = []
    for name, card in zip(names, cards, strict=True):
        score = (level_of(card.direction, card.intensity) - 0.5) / 9
        people.append(Persona(name=name, big_five=BigFive(**{card.trait: round(score, 3)})))
    pairs = [(names[2 * k], names[2 * k + 1]) for k in range(len(cards) // 2)]
    scenario = TraitScenario(
        pairs=pairs,
        topics=[study.topics[k % len(study.topics)] for k in range(len(pairs))],
        cards=dict(zip(names, cards, strict=True)),
        turns=study.turns,
        max_words=study.max_words,
    )
    label = "traits"
    return [(label, _world(study, people, scenario.model_dump(), scenario.ticks(), label))]


async def _answer_tom_items(world: World, judge: ModelClient, study: Any) -> dict[str, list[dict]]:
    return await tom_items.evaluate(world)  # the agents answer: no judge


async def _judge_traits(world: World, judge: ModelClient, study: Any) -> dict[str, list[dict]]:
    return await trait_expression.evaluate(world, judge)


EXPERIMENTS = (
    Experiment(
        kind="tom_inner_speech",
        study=TomStudy,
        load=load_role_play_study,
        worlds=role_play_worlds,
        evaluate=_answer_tom_items,
        tables=("tom_items", "tom_answers"),
        resumable=True,
    ),
    Experiment(
        kind="trait_expression",
        study=TraitStudy,
        load=load_role_play_study,
        worlds=role_play_worlds,
        evaluate=_judge_traits,
        tables=("trait_judgements",),
        resumable=True,
    ),
)

__all__ = ["EXPERIMENTS", "TomStudy", "TraitStudy", "load_role_play_study", "role_play_worlds"]
