"""The Persona schema: identity, Big Five (domains and optional facets), MBTI, values, demographics.

Big Five scores are in [0, 1] and read as population percentiles (0.5 = average). When a persona
gives an MBTI type and no Big Five, the Big Five are derived from the type (see ``mbti.py`` and
docs/personas.md), drawn with the persona's ``seed``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sandbox.errors import PersonaError

BIG_FIVE_DOMAINS: tuple[str, ...] = (
    "openness",
    "conscientiousness",
    "extraversion",
    "agreeableness",
    "neuroticism",
)
DOMAIN_CODES: dict[str, str] = {
    "openness": "O",
    "conscientiousness": "C",
    "extraversion": "E",
    "agreeableness": "A",
    "neuroticism": "N",
}
CODE_DOMAINS: dict[str, str] = {v: k for k, v in DOMAIN_CODES.items()}
# The 30 facets of the IPIP-NEO / NEO-PI-R, by code (N1..N6, E1..E6, O1..O6, A1..A6, C1..C6).
FACET_NAMES: dict[str, str] = {
    "N1": "anxiety", "N2": "anger", "N3": "depression", "N4": "self-consciousness",
    "N5": "immoderation", "N6": "vulnerability",
    "E1": "friendliness", "E2": "gregariousness", "E3": "assertiveness", "E4": "activity level",
    "E5": "excitement-seeking", "E6": "cheerfulness",
    "O1": "imagination", "O2": "artistic interests", "O3": "emotionality", "O4": "adventurousness",
    "O5": "intellect", "O6": "liberalism",
    "A1": "trust", "A2": "morality", "A3": "altruism", "A4": "cooperation", "A5": "modesty",
    "A6": "sympathy",
    "C1": "self-efficacy", "C2": "orderliness", "C3": "dutifulness", "C4": "achievement-striving",
    "C5": "self-discipline", "C6": "cautiousness",
}  # fmt: skip

Score = Annotated[float, Field(ge=0.0, le=1.0)]
_MBTI = re.compile(r"^[EI][SN][TF][JP]$")


class BigFive(BaseModel):
    """Big Five domain scores, each in [0, 1], and optional facet scores keyed N1..C6."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    openness: Score = 0.5
    conscientiousness: Score = 0.5
    extraversion: Score = 0.5
    agreeableness: Score = 0.5
    neuroticism: Score = 0.5
    facets: dict[str, Score] | None = None

    @field_validator("facets")
    @classmethod
    def _known_facets(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        unknown = sorted(set(value) - set(FACET_NAMES))
        if unknown:
            raise ValueError(
                f"unknown facet code(s) {unknown}; use N1..N6, E1..E6, O1..O6, A1..A6, C1..C6"
            )
        return value

    def as_dict(self) -> dict[str, float]:
        return {d: getattr(self, d) for d in BIG_FIVE_DOMAINS}

    def facet(self, code: str) -> float:
        """A facet's score, or its domain's score when facets were not given."""
        if self.facets and code in self.facets:
            return self.facets[code]
        return getattr(self, CODE_DOMAINS[code[0]])


class Persona(BaseModel):
    """Who an agent is. A name, a short bio and Big Five scores are enough to run a world."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=80)]
    age: Annotated[int, Field(ge=0, le=130)] | None = None
    occupation: str | None = None
    bio: str = ""
    big_five: BigFive = BigFive()
    mbti: str | None = None
    values: list[str] = Field(default_factory=list)
    traits: list[str] = Field(default_factory=list, description="free-text traits")
    demographics: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    seed: int | None = Field(None, description="seeds whatever is derived (Big Five from MBTI)")

    @field_validator("mbti")
    @classmethod
    def _mbti_type(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        if not _MBTI.match(value):
            raise ValueError(
                f"{value!r} is not an MBTI type: four letters E/I, S/N, T/F, J/P, e.g. 'INTJ'"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _derive_big_five(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("mbti") and data.get("big_five") is None:
            from sandbox.personas.mbti import big_five_from_mbti

            mbti = str(data["mbti"]).strip().upper()
            if _MBTI.match(mbti):
                seed = data.get("seed")
                material = f"{data.get('name', '')}|{seed if seed is not None else 0}"
                data = {**data, "big_five": big_five_from_mbti(mbti, material).model_dump()}
        return data


def load_persona_file(path: str | Path) -> Persona:
    """Load one persona from a YAML or JSON file, with errors that name the file and the field."""
    from sandbox.validation import describe_validation_error, read_structured_file

    p = Path(path)
    data = read_structured_file(p, what="persona file")
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise PersonaError(describe_validation_error(p, exc)) from None
