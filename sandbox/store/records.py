"""Typed records of a trajectory: what one tick writes to the store.

These are plain pydantic models with no I/O so that every layer can produce them (the model layer
produces ``LLMCallRecord``; the world produces the rest) and the store can write them. Field names are
the column names of the SQLite tables documented in ``docs/trajectory-schema.md``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

Visibility = Literal["public", "place", "agents", "private"]
ActionStatus = Literal["ok", "invalid", "error"]


class EventRecord(BaseModel):
    """Something that happened and who could perceive it."""

    model_config = ConfigDict(frozen=True)

    tick: int
    seq: int
    kind: str
    source: str
    place: str | None
    visibility: Visibility
    audience: tuple[str, ...]
    text: str
    data: dict[str, Any] = Field(default_factory=dict)


class ActionRecord(BaseModel):
    """A public act an agent chose, in the order it was resolved, and whether it succeeded."""

    model_config = ConfigDict(frozen=True)

    tick: int
    agent: str
    resolution_order: int
    kind: str
    target: str | None = None
    text: str = ""
    status: ActionStatus = "ok"
    detail: str = ""
    value: float | None = Field(None, description="a numeric move (an amount sent, an offer)")
    data: dict[str, Any] = Field(default_factory=dict)


class BeliefRecord(BaseModel):
    """An elicited belief: a prediction or self-report, about an agent or a population."""

    model_config = ConfigDict(frozen=True)

    tick: int
    agent: str | None = Field(description="who was asked; None for the model without a persona")
    about: str = Field(description="whom or what the belief is about (an attribute, an agent)")
    level: Literal["individual", "population"]
    strategy: str
    question: str
    answer: Any = None
    raw: str | None = None
    error: str | None = None


class ThoughtRecord(BaseModel):
    """A private thought: never shown to other agents."""

    model_config = ConfigDict(frozen=True)

    tick: int
    agent: str
    purpose: str
    text: str


class LLMCallRecord(BaseModel):
    """One request to the model layer, answered by a backend or the cache, or failed."""

    tick: int | None
    seq: int
    agent: str | None
    purpose: str
    model: str
    backend: str
    template: str | None
    cache_key: str
    cache_hit: bool
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    attempts: int = 1
    error_type: str | None = None
    error: str | None = None
    messages: list[dict[str, str]] = Field(default_factory=list)
    response: str | None = None
    # ``messages`` as stored (JSON, keys sorted, compact), when the model layer already has it
    _messages_text: str | None = PrivateAttr(default=None)

    def messages_text(self) -> str:
        """``messages`` as the trajectory stores them: JSON with sorted keys, compact, non-ASCII
        kept as is."""
        if self._messages_text is None:
            self._messages_text = json.dumps(
                self.messages, ensure_ascii=False, sort_keys=True, separators=(",", ":")
            )
        return self._messages_text

    def __eq__(self, other: object) -> bool:
        """Equal when the fields are (whether the stored text was made yet does not count)."""
        if not isinstance(other, LLMCallRecord):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, as before

    def with_messages_text(self, text: str) -> LLMCallRecord:
        """Use ``text`` (exactly what ``messages_text`` would give) as the stored messages: the
        JSON the request's cache key was made from, so a large prompt is serialised once."""
        self._messages_text = text
        return self


class MetricRecord(BaseModel):
    """One per-tick metric (``world/metrics.py``): of the model when ``agent`` is None."""

    tick: int
    agent: str | None = None
    name: str
    value: float


class TickRecord(BaseModel):
    """Everything one tick produced; committed to the store in one transaction."""

    tick: int
    sim_time: str
    wall_s: float
    events: list[EventRecord]
    actions: list[ActionRecord]
    thoughts: list[ThoughtRecord]
    beliefs: list[BeliefRecord] = Field(default_factory=list)
    memories: list[dict[str, Any]] = Field(default_factory=list, description="new memory rows")
    memory_scores: list[dict[str, Any]] = Field(
        default_factory=list, description="importance set this tick for memories stored earlier"
    )
    llm_calls: list[LLMCallRecord]
    state: dict[str, Any]
    metrics: list[MetricRecord] = Field(
        default_factory=list, description="the tick's metrics (what world.datacollector collects)"
    )


class SurveyRecord(BaseModel):
    """A questionnaire administered to one respondent: item rows and scores by domain code."""

    respondent: str
    instrument: str
    mode: str
    responses: list[dict[str, Any]]
    facets: dict[str, int]
    domains: dict[str, int]
    domain_means: dict[str, float]
    normalized: dict[str, float] = Field(description="keyed by domain code (N, E, O, A, C)")
