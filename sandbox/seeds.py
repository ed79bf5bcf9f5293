"""Seeds derived from the world seed and stable keys.

Every random choice in a tick draws from a generator derived from (world seed, tick, key), never from
a generator whose state runs on from tick to tick. That is what makes a resumed run identical to an
uninterrupted one: tick 7 needs nothing but the state committed at tick 6.

A seed is a non-negative integer that fits a signed 64-bit SQLite column: 0 to ``MAX_SEED``.
"""

from __future__ import annotations

import hashlib
import random
from typing import Annotated

from pydantic import Field

MAX_SEED = 2**63 - 1
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


def seed_problem(seed: int) -> str | None:
    """Why ``seed`` cannot be used, or None when it can."""
    if seed < 0:
        return f"seed {seed} is negative; give an integer from 0 to {MAX_SEED}"
    if seed > MAX_SEED:
        return f"seed {seed} is too large; give an integer from 0 to {MAX_SEED} (2**63 - 1)"
    return None


def derive_seed(seed: int, *keys: object) -> int:
    """A 31-bit seed (safe for every provider's ``seed`` parameter) from a seed and keys."""
    material = "|".join([str(seed), *map(str, keys)]).encode()
    return int.from_bytes(hashlib.blake2b(material, digest_size=8).digest(), "big") & 0x7FFFFFFF


def derive_rng(seed: int, *keys: object) -> random.Random:
    return random.Random(derive_seed(seed, *keys))
