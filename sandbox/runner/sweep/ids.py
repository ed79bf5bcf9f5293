"""Run ids derived from what determines a run: its resolved config, model and seed."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any


def canonical_hash(value: Any) -> str:
    """SHA-256 of ``value`` as canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def run_id(condition: str, model: str, seed: int, digest: str) -> str:
    """A readable, stable id: condition, model and seed, then 12 hex digits of the run's hash
    (the same resolved config, model and seed always give the same id)."""
    return f"{slug(condition)}--{slug(model)}--s{seed}--{digest[:12]}"
