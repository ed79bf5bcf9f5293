"""The Persona schema: identity plus Big Five domain scores in [0, 1]."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.errors import PersonaError

BIG_FIVE_DOMAINS: tuple[str, ...] = (
    "openness",
    "conscientiousness",
    "extraversion",
    "agreeableness",
    "neuroticism",
)

Score = Annotated[float, Field(ge=0.0, le=1.0)]


class BigFive(BaseModel):
    """Big Five domain scores, each in [0, 1] (0 = lowest, 0.5 = average, 1 = highest)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    openness: Score = 0.5
    conscientiousness: Score = 0.5
    extraversion: Score = 0.5
    agreeableness: Score = 0.5
    neuroticism: Score = 0.5

    def as_dict(self) -> dict[str, float]:
        return {d: getattr(self, d) for d in BIG_FIVE_DOMAINS}


class Persona(BaseModel):
    """Who an agent is. A name, a short bio and Big Five scores are enough to run a world."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=80)]
    age: Annotated[int, Field(ge=0, le=130)] | None = None
    occupation: str | None = None
    bio: str = ""
    big_five: BigFive = BigFive()


def load_persona_file(path: str | Path) -> Persona:
    """Load one persona from a YAML or JSON file, with errors that name the file and the field."""
    from sandbox.validation import describe_validation_error, read_structured_file

    p = Path(path)
    data = read_structured_file(p, what="persona file")
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise PersonaError(describe_validation_error(p, exc)) from None


def persona_json(persona: Persona) -> str:
    return json.dumps(persona.model_dump(mode="json"), sort_keys=True)
