from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.testing.fake_openai_server import FakeOpenAIServer
from sandbox.world.config import WorldConfig, load_world

ROOT = Path(__file__).resolve().parents[1]
CAFE = ROOT / "worlds" / "cafe.yaml"


@pytest.fixture
def cafe() -> WorldConfig:
    return load_world(CAFE)


@pytest.fixture
def fake_server() -> Iterator[FakeOpenAIServer]:
    """A fake OpenAI-compatible server on 127.0.0.1 that stops itself after 120 s at most."""
    with FakeOpenAIServer(max_lifetime=120, max_requests=20_000) as server:
        yield server


def small_world(**overrides) -> WorldConfig:
    data = {
        "name": "Two Rooms",
        "seed": 3,
        "ticks": 4,
        "places": [
            {"name": "kitchen", "description": "A small kitchen."},
            {"name": "garden", "description": "A garden."},
        ],
        "agents": [
            {"start": "kitchen", "persona": {"name": "Ann", "big_five": {"extraversion": 0.9}}},
            {"start": "kitchen", "persona": {"name": "Bo", "big_five": {"agreeableness": 0.9}}},
            {"start": "garden", "persona": {"name": "Cy", "big_five": {"openness": 0.9}}},
        ],
    }
    data.update(overrides)
    return WorldConfig.model_validate(data)
