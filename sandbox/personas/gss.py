"""Personas from the GenAgents GSS bank (3,505 fictional people described by General Social Survey
variables; MIT, Copyright (c) 2024 Joon Sung Park). The bank has no personality: Big Five scores are
added by seeded, independent draws (as the belief-behaviour trust study does, so that demographic
and trait effects can be told apart)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.personas.persona import BigFive, Persona
from sandbox.personas.sampling import sample_big_five

_NOT_DEMOGRAPHIC = {"id", "first_name", "last_name", "street_address", "age"}


def age_band(age: int) -> str:
    """The trust study's age bands: 18-29, 30-44, 45-64, 65+."""
    if age < 30:
        return "18-29"
    if age < 45:
        return "30-44"
    if age < 65:
        return "45-64"
    return "65+"


def persona_from_gss(record: dict[str, Any], big_five: BigFive, *, name: str, seed: int) -> Persona:
    demographics = {k: v for k, v in record.items() if k not in _NOT_DEMOGRAPHIC}
    demographics["gss_id"] = record["id"]
    demographics["age_band"] = age_band(int(record["age"]))
    bio = (
        f"{record['first_name']} {record['last_name']} is {record['age']} and lives in "
        f"{record['city']}, {record['state']}."
    )
    return Persona(
        name=name,
        age=int(record["age"]),
        bio=bio,
        big_five=big_five,
        demographics=demographics,
        seed=seed,
    )


def personas_from_gss(source: str | Path, seed: int) -> list[Persona]:
    """Every record of the GSS bank as a persona, with Big Five drawn from ``seed``.

    Names are "First Last"; where the bank repeats a name, a number is added ("Ann Lee 2").
    """
    records = [json.loads(line) for line in Path(source).read_text().splitlines() if line.strip()]
    traits = sample_big_five(len(records), seed)
    seen: dict[str, int] = {}
    out = []
    for i, (record, big_five) in enumerate(zip(records, traits, strict=True)):
        base = f"{record['first_name']} {record['last_name']}"
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base} {seen[base]}"
        out.append(persona_from_gss(record, big_five, name=name, seed=seed * 100_000 + i))
    assert len({p.name for p in out}) == len(out)
    return out
