"""The litellm backend: any provider litellm supports, OpenAI-compatible local servers included.

litellm takes about two seconds to import, so it is imported on first use, never at module import.
Its first call imports more (its proxy and logging modules, about a second); ``warm_up`` pays that
once per process when a backend is created (before a world's first tick), not inside a tick.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from sandbox import defaults
from sandbox.errors import ModelAuthError, ModelUnavailableError
from sandbox.llm.request import Completion, Embedding, LLMRequest, Message, Usage
from sandbox.llm.transport import (
    AUTH_HINT,
    Failure,
    backoff_delay,
    parse_retry_after,
    unavailable_error,
)

log = logging.getLogger(__name__)

StructuredMode = Literal["auto", "json_schema", "json_object", "prompt"]

# Providers that speak the OpenAI API and accept a JSON-schema response_format when pointed at a
# compatible server (vLLM, llama.cpp server, LM Studio, ...).
_OPENAI_COMPATIBLE = {"openai", "hosted_vllm", "lm_studio", "openai_like", "text-completion-openai"}


def import_litellm() -> Any:
    """Import litellm configured for offline use: its price table from the package, not the web.

    Its SDK-level retries are turned off too: ``max_retries=0`` per call is not enough, because its
    OpenAI embedding path reads 0 as "use DEFAULT_MAX_RETRIES" (2). Retries are ours, so every HTTP
    request is counted in ``llm_calls.attempts``.
    """
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("DEFAULT_MAX_RETRIES", "0")
    import litellm

    litellm.suppress_debug_info = True
    litellm.DEFAULT_MAX_RETRIES = 0  # type: ignore[misc]  # declared Final; turned off on purpose
    return litellm


_warmed_at: float | None = None  # time.monotonic() when warm_up finished, once per process


def warm_up(litellm: Any) -> float:
    """Make one mock call (no network) so litellm's first real call does not import its proxy and
    logging modules in the middle of a tick. Once per process; returns when it was done."""
    global _warmed_at
    if _warmed_at is None:
        try:
            litellm.completion(
                model="openai/warm-up",
                messages=[{"role": "user", "content": "warm-up"}],
                mock_response="{}",
                api_base="http://127.0.0.1:9/v1",
                api_key="sk-warm-up",
            )
            # imported by the first asynchronous call only
            for module in ("litellm._service_logger", "litellm.integrations.prometheus_services"):
                importlib.import_module(module)
        except Exception as exc:  # a litellm version without these: its first call pays instead
            log.info("litellm warm-up incomplete (%s: %s)", type(exc).__name__, exc)
        _warmed_at = time.monotonic()
    return _warmed_at


def warmed_at() -> float | None:
    """When this process's litellm warm-up finished (``time.monotonic()``), or None if not yet."""
    return _warmed_at


class LiteLLMBackend:
    name = "litellm"
    cacheable = True

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float = defaults.TIMEOUT_S,
        max_retries: int = defaults.MAX_RETRIES,
        backoff_base: float = defaults.BACKOFF_BASE_S,
        backoff_cap: float = defaults.BACKOFF_CAP_S,
        structured_output: StructuredMode = defaults.STRUCTURED_OUTPUT,
    ) -> None:
        self.litellm = import_litellm()
        self.model_id = model
        self.api_base = api_base or os.environ.get("OPENAI_BASE_URL") or None
        try:
            _, provider, _, _ = self.litellm.get_llm_provider(model, api_base=self.api_base)
        except Exception as exc:  # litellm raises BadRequestError for an unknown provider
            raise ModelUnavailableError(
                f"unknown model id {model!r}: litellm cannot tell which provider serves it "
                f"({type(exc).__name__}). Use a provider prefix such as 'openai/<name>' (with "
                "--api-base for an OpenAI-compatible server), 'ollama/llama3.1', or 'gpt-4o-mini'; "
                "or use --model heuristic to run offline."
            ) from None
        self.provider = provider
        if api_key is None and provider in _OPENAI_COMPATIBLE and self.api_base:
            # Local OpenAI-compatible servers ignore the key, but the OpenAI client requires one.
            api_key = os.environ.get("OPENAI_API_KEY") or "sk-no-key-needed"
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.structured_output = self._resolve_mode(structured_output)
        self._key_checked = False
        warm_up(self.litellm)

    def _resolve_mode(self, mode: StructuredMode) -> StructuredMode:
        if mode != "auto":
            return mode
        if self.provider in _OPENAI_COMPATIBLE and self.api_base:
            return "json_schema"
        try:
            if self.litellm.supports_response_schema(model=self.model_id):
                return "json_schema"
        except Exception as exc:  # unknown to litellm's model table
            log.debug("supports_response_schema(%s) failed: %s", self.model_id, exc)
        return "json_object"

    def _response_format(self, request: LLMRequest) -> dict[str, Any] | None:
        if self.structured_output == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {
                    "name": request.response_model.__name__,
                    "schema": request.answer_schema,
                    "strict": False,
                },
            }
        if self.structured_output == "json_object":
            return {"type": "json_object"}
        return None

    def _delay(
        self, agent: str | None, seed: int, attempt: int, retry_after: float | None
    ) -> float:
        return backoff_delay(
            agent, seed, attempt, retry_after, base=self.backoff_base, cap=self.backoff_cap
        )

    def _missing_key(self) -> str | None:
        """The environment variable the provider needs for its key, when it is not set."""
        if self.api_key or self.api_base:
            return None  # a key was given, or a local server (which gets a placeholder key)
        try:
            missing = self.litellm.validate_environment(self.model_id).get("missing_keys") or []
        except Exception as exc:  # unknown to litellm's table: let the call say what is wrong
            log.debug("validate_environment(%s) failed: %s", self.model_id, exc)
            return None
        keys = [k for k in missing if k.endswith(("_KEY", "_TOKEN"))]
        return keys[0] if keys else None

    def _check_key(self) -> None:
        if self._key_checked:
            return
        missing = self._missing_key()
        if missing is not None:
            raise ModelAuthError(
                f"model {self.model_id} needs an API key and none is set: {AUTH_HINT} "
                f"(this provider reads {missing}), or use --model heuristic to run offline.",
                attempts=0,
            )
        self._key_checked = True

    def _kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model_id,
            "timeout": self.timeout,
            "num_retries": 0,
            "max_retries": 0,  # retries are ours (with backoff and logging), not the SDK's
        }
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        return kwargs

    async def _send(
        self, call: Callable[[], Awaitable[Any]], what: str, agent: str | None, seed: int
    ) -> tuple[Any, int]:
        """Run ``call`` (one HTTP request) with retries on transient failures.

        Returns the response and the number of HTTP requests it took. Authentication and other
        permanent errors fail at once; transient ones (429, 5xx, timeouts, connection errors) are
        retried up to ``max_retries`` times with backoff, honouring ``Retry-After``. Every failure
        raises ``ModelUnavailableError`` whose ``attempts`` counts the requests made.
        """
        litellm = self.litellm
        self._check_key()
        transient = (
            litellm.RateLimitError,
            litellm.Timeout,
            litellm.APIConnectionError,
            litellm.ServiceUnavailableError,
            litellm.InternalServerError,
            litellm.BadGatewayError,
        )
        permanent = (
            litellm.AuthenticationError,
            litellm.NotFoundError,
            litellm.BadRequestError,
            litellm.PermissionDeniedError,
        )
        for attempt in range(self.max_retries + 1):
            try:
                return await call(), attempt + 1
            except permanent as exc:
                raise self._unavailable(exc, attempts=attempt + 1) from None
            except transient as exc:
                if _is_auth_failure(exc):  # a missing key surfaces as a 500 from the SDK
                    raise self._unavailable(exc, attempts=attempt + 1) from None
                if attempt == self.max_retries:
                    raise self._unavailable(exc, attempts=attempt + 1) from None
                delay = self._delay(agent, seed, attempt, _retry_after(exc))
                log.warning(
                    "%s for %s (agent %s); retry %d/%d in %.2fs",
                    type(exc).__name__,
                    what,
                    agent,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def complete(self, request: LLMRequest, messages: tuple[Message, ...]) -> Completion:
        kwargs = {
            **self._kwargs(),
            "messages": [m.model_dump() for m in messages],
            "temperature": request.temperature,
            "seed": request.seed,
            "drop_params": True,
        }
        if request.max_tokens is not None:
            kwargs["max_tokens"] = request.max_tokens
        response_format = self._response_format(request)
        if response_format is not None:
            kwargs["response_format"] = response_format
        response, requests = await self._send(
            lambda: self.litellm.acompletion(**kwargs), request.purpose, request.agent, request.seed
        )
        text = response.choices[0].message.content or ""
        usage = getattr(response, "usage", None)
        return Completion(
            text=text,
            usage=Usage(
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                cost_usd=self._cost(response),
            ),
            http_requests=requests,
        )

    async def embed(self, texts: list[str], *, agent: str | None, seed: int) -> Embedding:
        """Embedding vectors for ``texts``, with the same retries and errors as completions."""
        kwargs = {**self._kwargs(), "input": texts}
        response, requests = await self._send(
            lambda: self.litellm.aembedding(**kwargs), "memory.embed", agent, seed
        )
        usage = getattr(response, "usage", None)
        return Embedding(
            vectors=[list(d["embedding"]) for d in response.data],
            usage=Usage(
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                cost_usd=self._cost(response),
            ),
            http_requests=requests,
        )

    def _cost(self, response: Any) -> float | None:
        """The cost litellm computed while logging the call; None when the price is unknown."""
        hidden = getattr(response, "_hidden_params", None) or {}
        if "response_cost" in hidden:  # litellm already tried; None means the price is unknown
            cost = hidden["response_cost"]
            return float(cost) if cost is not None else None
        try:
            return float(self.litellm.completion_cost(completion_response=response))
        except Exception as exc:  # model not in litellm's price table: cost is unknown, not zero
            log.debug("no price known for %s: %s", self.model_id, exc)
            return None

    def _unavailable(self, exc: Exception, *, attempts: int) -> ModelUnavailableError:
        return unavailable_error(
            self._failure_kind(exc),
            model_id=self.model_id,
            api_base=self.api_base,
            error_name=type(exc).__name__,
            raw=str(exc),
            attempts=attempts,
            api_key=self.api_key,
        )

    def _failure_kind(self, exc: Exception) -> Failure:
        litellm = self.litellm
        if isinstance(
            exc, litellm.AuthenticationError | litellm.PermissionDeniedError
        ) or _is_auth_failure(exc):
            return "auth"
        if isinstance(exc, litellm.RateLimitError):
            return "rate_limit"
        if isinstance(exc, litellm.Timeout):
            return "timeout"
        if isinstance(exc, litellm.APIConnectionError) or "connection error" in str(exc).lower():
            return "connection"
        if isinstance(exc, litellm.InternalServerError | litellm.ServiceUnavailableError):
            return "server"
        if isinstance(exc, litellm.NotFoundError):
            return "not_found"
        return "other"


def _is_auth_failure(exc: Exception) -> bool:
    """A 401/403, or the SDK's complaint that no key was given (which litellm maps to a 500)."""
    if getattr(exc, "status_code", None) in (401, 403):
        return True
    text = str(exc).lower()
    return "missing credentials" in text or "api_key client option must be set" in text


def _retry_after(exc: Exception) -> float | None:
    """The server's Retry-After, in seconds, when it sent one (litellm keeps the headers)."""
    for headers in (
        getattr(exc, "litellm_response_headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
    ):
        value = headers.get("retry-after") if headers else None
        if value is not None:
            return parse_retry_after(value)
    return None
