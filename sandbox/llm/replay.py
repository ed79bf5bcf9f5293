"""The replay backend: answers come only from recorded calls and the response cache."""

from __future__ import annotations

from sandbox.errors import CacheMissError
from sandbox.llm.request import Completion, LLMRequest, Message


class ReplayBackend:
    """Stands in for the original model; anything not recorded is a miss, never a new call.

    The client consults its answer sources (the recorded run, the cache) before the backend, so
    reaching ``complete`` means the request was never answered when the run was recorded.
    """

    name = "replay"
    cacheable = False

    def __init__(self, model_id: str, api_base: str | None = None) -> None:
        self.model_id = model_id
        self.api_base = api_base  # the recorded server, part of every cache key

    async def complete(self, request: LLMRequest, messages: tuple[Message, ...]) -> Completion:
        raise CacheMissError(
            f"replay has no recorded answer for {request.purpose} (agent {request.agent}, tick "
            f"{request.tick}, key {request.cache_key(self.model_id, self.api_base)[:12]}). The run or its prompts "
            "changed since it was recorded; run it again with a model to record the new calls."
        )
