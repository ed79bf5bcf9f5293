"""A reactive world of many agents, for benchmarks and large-world tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.world.config import WorldConfig


def crowd_world(n: int, name: str | None = None) -> WorldConfig:
    """``n`` agents spread over n/8 plain rooms (at least 2), with varied extraversion and
    openness, seed 1. No cognition: one model call per agent and tick."""
    from sandbox.world.config import WorldConfig

    places = [{"name": f"room{i}", "description": "A room."} for i in range(max(2, n // 8))]
    agents = [
        {
            "start": places[i % len(places)]["name"],
            "persona": {
                "name": f"Agent{i:03d}",
                "big_five": {"extraversion": (i % 10) / 10, "openness": ((i * 7) % 10) / 10},
            },
        }
        for i in range(n)
    ]
    return WorldConfig.model_validate(
        {"name": name or f"crowd-{n}", "seed": 1, "places": places, "agents": agents}
    )
