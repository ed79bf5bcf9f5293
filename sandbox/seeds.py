"""Seeds derived from the world seed and stable keys.

Every random choice in a tick draws from a generator derived from (world seed, tick, key), never from
a generator whose state runs on from tick to tick. That is what makes a resumed run identical to an
uninterrupted one: tick 7 needs nothing but the state committed at tick 6.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, *keys: object) -> int:
    """A 31-bit seed (safe for every provider's ``seed`` parameter) from a seed and keys."""
    material = "|".join([str(seed), *map(str, keys)]).encode()
    return int.from_bytes(hashlib.blake2b(material, digest_size=8).digest(), "big") & 0x7FFFFFFF


def derive_rng(seed: int, *keys: object) -> random.Random:
    return random.Random(derive_seed(seed, *keys))
