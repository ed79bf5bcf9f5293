"""The ``cognition`` block of a world file: what generative-agent cognition does and how often.

It lives with the agents (their intake, plans and reflection read it); ``sandbox.world.config``
re-exports it as part of the world file's schema (docs/worlds.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.agents.memory import RetrievalConfig


class CognitionConfig(BaseModel):
    """Generative-agent cognition. Without this block agents are reactive (one call a tick)."""

    model_config = ConfigDict(extra="forbid")

    embedder: str = "hashing"
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    planning: bool = True
    reflection: bool = True
    reflection_threshold: Annotated[float, Field(gt=0)] = 150.0
    reflection_window: Annotated[int, Field(ge=1)] = Field(
        100, description="recent memories the focal questions come from (the paper: 100)"
    )
    narrator: bool = True
    conversation_turns: Annotated[int, Field(ge=1)] = 8
    importance_batch: Annotated[int, Field(ge=1)] = Field(
        20, description="at most this many memories per importance call; the rest wait a tick"
    )
    max_replans_per_hour: Annotated[int, Field(ge=0)] = Field(
        2,
        description="replans an agent may make per simulated hour; further plan_change is refused",
    )
    emotions_fallback: Literal["none", "lexicon"] = Field(
        "none",
        description="when the model gives no emotions for memories (or for reflections, which it "
        "is not asked to rate): 'none' stores none, with the reason; 'lexicon' rates them with the "
        "word lexicon. Each memory row records its emotions_source",
    )
