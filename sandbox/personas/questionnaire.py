"""Questionnaires as data files, and their scoring.

An instrument is a JSON file in the format of ``sandbox/personas/data/ipip_neo_120.json``: a
response ``scale`` (e.g. 1..5 with labels), ``instructions``, ``domains`` and ``facets`` names, and
``items`` with ``number``, ``text``, ``domain`` (N/E/O/A/C), ``facet`` (1..6) and ``keyed``
(plus/minus). A user can add another instrument (the BFI-2 from a file they own, say) by writing
the same format. Scoring: a plus-keyed item scores its answer, a minus-keyed one (min + max - answer);
a facet is the sum of its items, a domain the sum of its facets' items.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sandbox.errors import ConfigError
from sandbox.personas.persona import CODE_DOMAINS

BUILTIN_INSTRUMENTS = {"ipip-neo-120": "ipip_neo_120.json"}


class Item(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    text: str
    domain: Literal["N", "E", "O", "A", "C"]
    facet: int
    facet_name: str = ""
    keyed: Literal["plus", "minus"]

    @property
    def facet_code(self) -> str:
        return f"{self.domain}{self.facet}"


class Instrument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    instrument: str
    reference: str = ""
    instructions: str
    scale: dict[str, str]
    domains: dict[str, str]
    facets: dict[str, dict[str, str]] = Field(default_factory=dict)
    items: list[Item]

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        numbers = [i.number for i in self.items]
        if len(set(numbers)) != len(numbers):
            raise ValueError("item numbers must be unique")
        try:
            points = sorted(int(k) for k in self.scale)
        except ValueError:
            raise ValueError("scale keys must be whole numbers, e.g. '1'..'5'") from None
        if points != list(range(points[0], points[-1] + 1)):
            raise ValueError("scale points must be consecutive whole numbers")
        return self

    @property
    def scale_min(self) -> int:
        return min(int(k) for k in self.scale)

    @property
    def scale_max(self) -> int:
        return max(int(k) for k in self.scale)

    def item(self, number: int) -> Item:
        for item in self.items:
            if item.number == number:
                return item
        raise KeyError(f"{self.instrument} has no item {number}")

    def scale_text(self) -> str:
        return ", ".join(
            f"{k} = {v}" for k, v in sorted(self.scale.items(), key=lambda kv: int(kv[0]))
        )


def load_instrument(name_or_path: str | Path = "ipip-neo-120") -> Instrument:
    """A built-in instrument by name (``ipip-neo-120``) or an instrument file by path."""
    key = str(name_or_path)
    if key in BUILTIN_INSTRUMENTS:
        text = (
            resources.files("sandbox.personas.data").joinpath(BUILTIN_INSTRUMENTS[key]).read_text()
        )
        source = key
    else:
        path = Path(name_or_path)
        if not path.exists():
            raise ConfigError(
                f"no instrument {key!r}: not a built-in ({', '.join(BUILTIN_INSTRUMENTS)}) and no "
                "such file"
            )
        text, source = path.read_text(encoding="utf-8"), str(path)
    try:
        return Instrument.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ConfigError(f"{source}: not a valid instrument file: {exc}") from None


class Scores(BaseModel):
    """Scored answers. Facet and domain sums, and domain means rescaled to [0, 1]."""

    instrument: str
    answered: int
    facets: dict[str, int]
    domains: dict[str, int]
    domain_means: dict[str, float] = Field(description="mean item score per domain (scale units)")
    normalized: dict[str, float] = Field(description="domain mean rescaled to [0, 1]")


def keyed_score(item: Item, answer: int, instrument: Instrument) -> int:
    if not instrument.scale_min <= answer <= instrument.scale_max:
        raise ValueError(
            f"answer {answer} to item {item.number} is outside the scale "
            f"{instrument.scale_min}..{instrument.scale_max}"
        )
    if item.keyed == "plus":
        return answer
    return instrument.scale_min + instrument.scale_max - answer


def score(instrument: Instrument, answers: dict[int, int]) -> Scores:
    """Score a complete or partial answer sheet. A facet or domain with any item missing is left
    out (not guessed)."""
    facet_items: dict[str, list[Item]] = {}
    for item in instrument.items:
        facet_items.setdefault(item.facet_code, []).append(item)
    facets: dict[str, int] = {}
    for code, items in sorted(facet_items.items()):
        if all(i.number in answers for i in items):
            facets[code] = sum(keyed_score(i, answers[i.number], instrument) for i in items)
    domains: dict[str, int] = {}
    means: dict[str, float] = {}
    normalized: dict[str, float] = {}
    span = instrument.scale_max - instrument.scale_min
    for code in instrument.domains:
        items = [i for i in instrument.items if i.domain == code]
        if items and all(i.number in answers for i in items):
            total = sum(keyed_score(i, answers[i.number], instrument) for i in items)
            domains[code] = total
            means[code] = total / len(items)
            normalized[CODE_DOMAINS[code]] = (means[code] - instrument.scale_min) / span
    return Scores(
        instrument=instrument.instrument,
        answered=sum(1 for i in instrument.items if i.number in answers),
        facets=facets,
        domains=domains,
        domain_means=means,
        normalized=normalized,
    )
