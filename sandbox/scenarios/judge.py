"""The ``judge:`` entry of an experiment file: which model judges (stance, topicality, later
evaluations). ``judge: gpt-4o-mini`` or ``judge: {model: openai/qwen, api_base: http://...}``.
Without it, the agents' own model judges (and reports say so)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class JudgeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, description="a litellm model id, or 'heuristic'")
    api_base: str | None = Field(None, description="its server (default: the provider's own)")

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"model": data} if isinstance(data, str) else data
