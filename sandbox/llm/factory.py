"""Building a ModelClient from a model name and settings.

Which HTTP client a model gets (``http_client``): ``auto`` picks the lean path
(``sandbox.llm.openai_http``, one shared httpx client) for an OpenAI-compatible server, that is a
model id with an ``openai/``, ``hosted_vllm/``, ``lm_studio/`` or ``openai_like/`` prefix and a
server address (``api_base`` or ``OPENAI_BASE_URL``), and litellm for everything else (hosted
providers, ``ollama/``, models without a prefix). ``lean`` or ``litellm`` force one; ``lean`` for a
model it cannot serve is a ``ConfigError``. Each call records the backend that made it
(``llm_calls.backend``: ``openai_http`` or ``litellm``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sandbox import defaults
from sandbox.llm.backend import Backend
from sandbox.llm.cache import AnswerSource, ResponseCache
from sandbox.llm.client import CallLog, ModelClient
from sandbox.llm.permits import PermitSource
from sandbox.llm.ratelimit import RateLimiter

OFFLINE_MODEL = defaults.OFFLINE_MODEL

HTTP_CLIENTS = ("auto", "lean", "litellm")


def choose_http_client(model: str, api_base: str | None, http_client: str = "auto") -> str:
    """``lean`` or ``litellm``: the path a (non-heuristic) model's calls take (module docstring)."""
    if http_client not in HTTP_CLIENTS:
        from sandbox.errors import ConfigError

        raise ConfigError(
            f"unknown HTTP client {http_client!r}: use one of {', '.join(HTTP_CLIENTS)}"
        )
    if http_client != "auto":
        return http_client
    from sandbox.llm.openai_http import lean_model_name

    server = api_base or os.environ.get("OPENAI_BASE_URL")
    return "lean" if server and lean_model_name(model) is not None else "litellm"


def make_backend(
    model: str,
    *,
    api_base: str | None = None,
    timeout: float = defaults.TIMEOUT_S,
    max_retries: int = defaults.MAX_RETRIES,
    structured_output: str = defaults.STRUCTURED_OUTPUT,
    http_client: str = defaults.HTTP_CLIENT,
    max_connections: int = defaults.MAX_CONNECTIONS,
) -> Backend:
    """``heuristic`` gives the offline backend; anything else is a model id served by the lean
    OpenAI-compatible path or by litellm (``choose_http_client``)."""
    if model == OFFLINE_MODEL:
        from sandbox.llm.heuristic import HeuristicBackend

        return HeuristicBackend()
    if choose_http_client(model, api_base, http_client) == "lean":
        from sandbox.llm.openai_http import OpenAIHTTPBackend

        return OpenAIHTTPBackend(
            model,
            api_base=api_base,
            timeout=timeout,
            max_retries=max_retries,
            structured_output=structured_output,  # type: ignore[arg-type]
            max_connections=max_connections,
        )
    from sandbox.llm.litellm_backend import LiteLLMBackend

    return LiteLLMBackend(
        model,
        api_base=api_base,
        timeout=timeout,
        max_retries=max_retries,
        structured_output=structured_output,  # type: ignore[arg-type]
    )


def make_client(
    model: str = OFFLINE_MODEL,
    *,
    api_base: str | None = None,
    cache_path: str | Path | None = None,
    answer_sources: Sequence[AnswerSource] = (),
    concurrency: int = defaults.CONCURRENCY,
    rpm: float | None = defaults.RPM,
    timeout: float = defaults.TIMEOUT_S,
    max_retries: int = defaults.MAX_RETRIES,
    max_repairs: int = defaults.MAX_REPAIRS,
    structured_output: str = defaults.STRUCTURED_OUTPUT,
    http_client: str = defaults.HTTP_CLIENT,
    replay: bool = False,
    permits: PermitSource | None = None,
    call_log: CallLog | None = None,
) -> ModelClient:
    if replay:
        from sandbox.llm.replay import ReplayBackend

        backend: Backend = ReplayBackend(model, api_base)
    else:
        backend = make_backend(
            model,
            api_base=api_base,
            timeout=timeout,
            max_retries=max_retries,
            structured_output=structured_output,
            http_client=http_client,
            max_connections=concurrency,
        )
    cache = ResponseCache(cache_path) if cache_path is not None else None
    return ModelClient(
        backend,
        cache=cache,
        answer_sources=answer_sources,
        concurrency=concurrency,
        rate_limiter=RateLimiter(rpm),
        max_repairs=max_repairs,
        permits=permits,
        call_log=call_log,
    )


def make_judge_client(
    client: ModelClient, model: str | None, *, api_base: str | None = None, **limits: Any
) -> ModelClient:
    """The client that judging calls (a debate message's stance, later evaluations) go through.

    ``model`` None (or the agents' own model at the same server) gives ``client`` itself. Otherwise
    a client for ``model`` (``limits``: as ``make_client``'s) that shares ``client``'s response
    cache, answer sources and call log, so its calls are cached, replayed and recorded with the
    agents' calls, each under its own model id. When ``client`` replays a run, the judge replays.
    """
    same_server = api_base in (None, getattr(client.backend, "api_base", None))
    if model is None or (model == client.model_id and same_server):
        return client
    judge = make_client(
        model,
        api_base=api_base,
        answer_sources=client.answer_sources,
        replay=client.backend.name == "replay",
        call_log=client.call_log,
        **limits,
    )
    judge.cache = client.cache
    return judge
