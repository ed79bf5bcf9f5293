"""Neutral display names for agents: common English first names used for any sex, drawn with a seed.

An agent of an experiment is shown to the model (and to its partners) under one of these names, not
under its bank's name: a bank's name can be an identifier ("binary E+A+C+N+O+", a record id) or carry
information the design did not intend to vary. The list was written for this project; the names are
chosen to be used for women and men alike, so a name does not contradict a persona's stated sex.
The persona's bank name is kept, hidden from prompts, as ``demographics['bank_id']``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from sandbox.personas.persona import Persona

NEUTRAL_NAMES: tuple[str, ...] = (
    "Addison", "Alex", "Ali", "Amari", "Angel", "Ari", "Ashley", "Aubrey", "Avery", "Bailey",
    "Blair", "Blake", "Bobbie", "Brett", "Brook", "Cameron", "Carey", "Carson", "Casey", "Charlie",
    "Chris", "Corey", "Dakota", "Dale", "Dana", "Devon", "Drew", "Eden", "Ellis", "Emerson",
    "Emery", "Finley", "Frankie", "Gale", "Gray", "Harley", "Harper", "Hayden", "Hunter", "Jackie",
    "Jaime", "Jamie", "Jean", "Jesse", "Jody", "Jordan", "Jules", "Kelly", "Kendall", "Kennedy",
    "Kerry", "Kim", "Kirby", "Lane", "Lee", "Leslie", "Logan", "London", "Lou", "Mackenzie",
    "Marion", "Marley", "Max", "Mickey", "Morgan", "Nicky", "Noel", "Oakley", "Pat", "Payton",
    "Perry", "Phoenix", "Quinn", "Reagan", "Reese", "Remy", "Riley", "River", "Robin", "Rory",
    "Rowan", "Ryan", "Sage", "Sam", "Sandy", "Sasha", "Shannon", "Shawn", "Shay", "Shelby",
    "Sidney", "Skyler", "Spencer", "Stevie", "Sydney", "Tatum", "Taylor", "Terry", "Toby", "Tracy",
    "Val", "Wren",
)  # fmt: skip
_INITIALS = "ABCDEFGHJKLMNPRSTVW"


def neutral_names(n: int, seed: int) -> list[str]:
    """``n`` distinct names in a seeded order; beyond the list, names get a last initial ("Alex B.")."""
    rng = random.Random(f"neutral-names|{seed}")
    first = list(NEUTRAL_NAMES)
    rng.shuffle(first)
    if n <= len(first):
        return first[:n]
    initials = list(_INITIALS)
    rng.shuffle(initials)
    pool = [f"{name} {i}." for i in initials for name in first]
    if n > len(pool):
        raise ValueError(f"at most {len(pool)} neutral names are available, not {n}")
    return pool[:n]


def with_display_name(persona: Persona, name: str) -> Persona:
    """The persona under ``name``: its bio's mentions of the old name (full, then first word)
    rewritten, and the old name kept as ``demographics['bank_id']`` (never shown in prompts)."""
    old = persona.name
    bio = persona.bio
    for token in dict.fromkeys([old, old.split()[0]]):
        bio = re.sub(rf"\b{re.escape(token)}\b", name, bio)
    demographics = {**persona.demographics, "bank_id": old}
    return persona.model_copy(update={"name": name, "bio": bio, "demographics": demographics})


def with_neutral_names(personas: Sequence[Persona], seed: int) -> list[Persona]:
    """Every persona under a distinct neutral name drawn with ``seed``."""
    names = neutral_names(len(personas), seed)
    return [with_display_name(p, n) for p, n in zip(personas, names, strict=True)]
