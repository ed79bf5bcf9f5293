"""The protocol every backend implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from sandbox.llm.request import Completion, Embedding, LLMRequest, Message


@runtime_checkable
class Backend(Protocol):
    """Something that answers a request with text.

    ``model_id`` names the model in cache keys and logs. ``cacheable`` says whether answers are worth
    writing to the shared response cache (the heuristic backend is free and deterministic, so it is
    not cached; its answers are still recorded in each run's ``llm_calls`` table for replay).
    """

    name: str
    model_id: str
    cacheable: bool

    async def complete(self, request: LLMRequest, messages: tuple[Message, ...]) -> Completion:
        """Answer ``messages`` (the request's messages, possibly extended by a repair turn)."""
        ...


@runtime_checkable
class EmbeddingBackend(Protocol):
    """Something that turns texts into vectors (``ModelClient.embed`` wraps it in the same limits
    and usage records as completions)."""

    name: str
    model_id: str

    async def embed(self, texts: list[str], *, agent: str | None, seed: int) -> Embedding:
        """One vector per text, in order."""
        ...
