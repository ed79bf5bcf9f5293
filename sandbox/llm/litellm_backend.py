"""The litellm backend: any provider litellm supports, OpenAI-compatible local servers included.

litellm takes about two seconds to import, so it is imported on first use, never at module import.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from typing import Any, Literal

from sandbox.errors import ModelUnavailableError
from sandbox.llm.request import Completion, LLMRequest, Message, Usage

log = logging.getLogger(__name__)

StructuredMode = Literal["auto", "json_schema", "json_object", "prompt"]

# Providers that speak the OpenAI API and accept a JSON-schema response_format when pointed at a
# compatible server (vLLM, llama.cpp server, LM Studio, ...).
_OPENAI_COMPATIBLE = {"openai", "hosted_vllm", "lm_studio", "openai_like", "text-completion-openai"}


def import_litellm() -> Any:
    """Import litellm configured for offline use: its price table from the package, not the web."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


class LiteLLMBackend:
    name = "litellm"
    cacheable = True

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        structured_output: StructuredMode = "auto",
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
                    "schema": request.schema,
                    "strict": False,
                },
            }
        if self.structured_output == "json_object":
            return {"type": "json_object"}
        return None

    def _delay(self, request: LLMRequest, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.backoff_cap, retry_after)
        # Deterministic jitter (from the request and attempt) spreads concurrent retries apart.
        digest = hashlib.blake2b(f"{request.agent}|{request.seed}|{attempt}".encode()).digest()
        jitter = 0.5 + digest[0] / 255.0
        return min(self.backoff_cap, self.backoff_base * (2**attempt) * jitter)

    async def complete(self, request: LLMRequest, messages: tuple[Message, ...]) -> Completion:
        litellm = self.litellm
        kwargs: dict[str, Any] = {
            "model": self.model_id,
            "messages": [m.model_dump() for m in messages],
            "temperature": request.temperature,
            "seed": request.seed,
            "timeout": self.timeout,
            "num_retries": 0,
            "max_retries": 0,  # retries are ours (with backoff and logging), not the SDK's
            "drop_params": True,
        }
        if request.max_tokens is not None:
            kwargs["max_tokens"] = request.max_tokens
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        response_format = self._response_format(request)
        if response_format is not None:
            kwargs["response_format"] = response_format

        transient = (
            litellm.RateLimitError,
            litellm.Timeout,
            litellm.APIConnectionError,
            litellm.ServiceUnavailableError,
            litellm.InternalServerError,
            litellm.BadGatewayError,
        )
        for attempt in range(self.max_retries + 1):
            try:
                response = await litellm.acompletion(**kwargs)
                break
            except transient as exc:
                if attempt == self.max_retries:
                    raise self._unavailable(exc, attempts=attempt + 1) from None
                delay = self._delay(request, attempt, _retry_after(exc))
                log.warning(
                    "%s for %s (agent %s); retry %d/%d in %.2fs",
                    type(exc).__name__,
                    request.purpose,
                    request.agent,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                await asyncio.sleep(delay)
            except (
                litellm.AuthenticationError,
                litellm.NotFoundError,
                litellm.BadRequestError,
                litellm.PermissionDeniedError,
            ) as exc:
                raise self._unavailable(exc, attempts=attempt + 1) from None
        text = response.choices[0].message.content or ""
        usage = getattr(response, "usage", None)
        return Completion(
            text=text,
            usage=Usage(
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                cost_usd=self._cost(response),
            ),
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
        litellm = self.litellm
        where = f" at {self.api_base}" if self.api_base else ""
        detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        if isinstance(exc, litellm.RateLimitError):
            hint = "lower --concurrency, set --rpm, or wait and resume the run with --resume"
        elif isinstance(exc, litellm.Timeout):
            hint = "the server is too slow or stuck; raise --timeout or check the server"
        elif isinstance(exc, litellm.APIConnectionError) or "connection error" in detail.lower():
            hint = (
                "is the server running? Check --api-base (or OPENAI_BASE_URL), or use --model "
                "heuristic to run offline"
            )
        elif isinstance(exc, litellm.AuthenticationError | litellm.PermissionDeniedError):
            hint = "set the provider's API key (for example OPENAI_API_KEY) in the environment"
        elif isinstance(exc, litellm.InternalServerError | litellm.ServiceUnavailableError):
            hint = "the server keeps failing (5xx); check its logs, then resume the run"
        elif isinstance(exc, litellm.NotFoundError):
            hint = "the server does not serve this model; check the model name after the prefix"
        else:
            hint = "check the model id and the server"
        return ModelUnavailableError(
            f"model {self.model_id}{where} failed after {attempts} attempt(s): "
            f"{type(exc).__name__}: {detail}. Fix: {hint}."
        )


def _retry_after(exc: Exception) -> float | None:
    """The server's Retry-After, in seconds, when it sent one (litellm keeps the headers)."""
    for headers in (
        getattr(exc, "litellm_response_headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
    ):
        value = headers.get("retry-after") if headers else None
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                return None  # an HTTP date: fall back to exponential backoff
    return None
