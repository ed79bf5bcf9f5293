"""A reactive world of many agents, for benchmarks and large-world tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.world.config import WorldConfig


def crowd_world(
    n: int, name: str | None = None, places: int | None = None, **extra: Any
) -> WorldConfig:
    """``n`` agents spread over ``places`` plain rooms (default n/8, at least 2), with varied
    extraversion and openness, seed 1. No cognition: one model call per agent and tick.
    ``extra``: further world-file keys (``attention``, ...)."""
    from sandbox.world.config import WorldConfig

    count = places if places is not None else max(2, n // 8)
    places_ = [{"name": f"room{i}", "description": "A room."} for i in range(count)]
    agents = [
        {
            "start": places_[i % len(places_)]["name"],
            "persona": {
                "name": f"Agent{i:03d}",
                "big_five": {"extraversion": (i % 10) / 10, "openness": ((i * 7) % 10) / 10},
            },
        }
        for i in range(n)
    ]
    return WorldConfig.model_validate(
        {"name": name or f"crowd-{n}", "seed": 1, "places": places_, "agents": agents, **extra}
    )
