"""Attributes of a persona used to group people: Big Five bands and demographic variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.personas.persona import BIG_FIVE_DOMAINS, Persona


def trait_band(score: float) -> str:
    """Thirds of the [0, 1] scale: low < 1/3 <= moderate < 2/3 <= high."""
    return "low" if score < 1 / 3 else ("moderate" if score < 2 / 3 else "high")


def attribute_getter(attribute: str) -> Callable[[Persona], Any]:
    """Read an attribute: a Big Five domain (its band), a persona field (age, occupation, mbti), or
    a demographic key (``political_views`` or ``demographics.political_views``)."""
    key = attribute.removeprefix("demographics.")
    if attribute in BIG_FIVE_DOMAINS:
        return lambda p: trait_band(getattr(p.big_five, attribute))
    if attribute in ("age", "occupation", "mbti"):
        return lambda p: getattr(p, attribute)
    return lambda p: p.demographics.get(key)


def attribute_level(persona: Persona, attribute: str) -> Any:
    return attribute_getter(attribute)(persona)


def describe_level(attribute: str, level: Any) -> str:
    """How a level reads in a prompt: 'people with high openness', 'people whose religion is ...'."""
    if attribute in BIG_FIVE_DOMAINS:
        return f"people with {level} {attribute}"
    if attribute == "age_band":
        return f"people aged {level}"
    return f"people whose {attribute.replace('_', ' ')} is '{level}'"


def attribute_label(attribute: str) -> str:
    """How an attribute is named in a prompt: 'age' for the analysis band, otherwise its words."""
    key = attribute.removeprefix("demographics.")
    return "age" if key == "age_band" else key.replace("_", " ")


def sentence_case(text: str) -> str:
    """``text`` with its first letter upper-cased and the rest left as it is (unlike
    ``str.capitalize``, which lower-cases the rest: "People with high openness" stays so, and a
    group label such as "'Liberal'" keeps its case)."""
    return text[:1].upper() + text[1:]
