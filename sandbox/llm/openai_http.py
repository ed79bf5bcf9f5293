"""The lean backend: OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, Ollama's /v1).

The calls on one event loop share one pool of kept-alive connections (``sandbox.llm.http11``, at
most ``max_connections``; a pool cannot outlive its loop). A call is one POST to
``<api_base>/chat/completions`` with the body the litellm path sends for the same model (model name
after the provider prefix, messages, temperature, seed, max_tokens, response_format). Validation,
repair, the cache and the usage record are the ``ModelClient``'s, as for any backend; transport
retries (429, 5xx, timeouts, connection errors, a body that is not a chat completion) are this
module's, with the same backoff and one-line errors as litellm's (``sandbox.llm.transport``).

There is no price table here: ``cost_usd`` is None (unknown), never a made-up 0. HTTP(S)_PROXY
variables are not read (litellm's path reads them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import weakref
from typing import Any, Literal
from urllib.parse import urlsplit

from sandbox import defaults
from sandbox.errors import ConfigError, ModelUnavailableError
from sandbox.llm.http11 import ConnectionPool, HTTPError, Response
from sandbox.llm.request import Completion, Embedding, LLMRequest, Message, Usage, json_schema_of
from sandbox.llm.transport import Failure, backoff_delay, parse_retry_after, unavailable_error

log = logging.getLogger(__name__)

StructuredMode = Literal["auto", "json_schema", "json_object", "prompt"]

# Model prefixes litellm sends to an OpenAI-compatible server unchanged (the name after the
# prefix is what the server sees): the lean path serves these when a server address is given.
LEAN_PREFIXES = ("openai", "hosted_vllm", "lm_studio", "openai_like")

_PATHS = {"chat": "/chat/completions", "embeddings": "/embeddings"}

_ERROR_NAMES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    408: "Timeout",
    422: "BadRequestError",
    429: "RateLimitError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
}


def lean_model_name(model: str) -> str | None:
    """The name the server sees for ``model`` (``openai/qwen2.5`` -> ``qwen2.5``), or None when
    the model's prefix is not one the lean path serves."""
    prefix, sep, name = model.partition("/")
    return name if sep and prefix in LEAN_PREFIXES and name else None


class _RequestFailed(Exception):
    """One HTTP request failed: its kind, a name like litellm's exception's, whether to retry."""

    def __init__(
        self, kind: Failure, name: str, detail: str, *, transient: bool, retry_after: float | None
    ) -> None:
        super().__init__(detail)
        self.kind, self.name, self.transient, self.retry_after = kind, name, transient, retry_after


class OpenAIHTTPBackend:
    name = "openai_http"
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
        max_connections: int = defaults.MAX_CONNECTIONS,
    ) -> None:
        served = lean_model_name(model)
        if served is None:
            raise ConfigError(
                f"the lean HTTP client serves OpenAI-compatible models only ({'/, '.join(LEAN_PREFIXES)}/ "
                f"prefixes), not {model!r}: use --http-client litellm (or auto) for it"
            )
        self.api_base = api_base or os.environ.get("OPENAI_BASE_URL") or None
        if not self.api_base:
            raise ConfigError(
                f"the lean HTTP client needs the server's address for {model!r}: give --api-base "
                "(e.g. http://127.0.0.1:8000/v1) or set OPENAI_BASE_URL, or use --http-client litellm"
            )
        self.model_id = model
        self.served_model = served
        # Local servers ignore the key; send one anyway, as the OpenAI SDK does.
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "sk-no-key-needed"
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_connections = max(1, max_connections)
        self.structured_output = "json_schema" if structured_output == "auto" else structured_output
        self._headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "sandbox-openai-http",
        }
        self._prefix = json.dumps({"model": self.served_model})[:-1]  # '{"model": "..."'
        self._formats: dict[type, str] = {}  # response_format JSON per answer type, made once
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ConnectionPool]
        self._pools = weakref.WeakKeyDictionary()
        if urlsplit(self.api_base).scheme not in ("http", "https"):
            raise ConfigError(
                f"--api-base {self.api_base!r} is not an http(s) URL: give one such as "
                "http://127.0.0.1:8000/v1"
            )

    # -- the connection pool of the running loop ---------------------------------------------

    def _pool(self) -> ConnectionPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = ConnectionPool(
                self.api_base or "", self._headers, self.max_connections, self.timeout
            )
        return pool

    def close(self) -> None:
        """Close the kept-alive connections of every loop's pool. (A pool whose loop is gone is
        dropped with it; its sockets close when they are collected.)"""
        for pool in list(self._pools.values()):
            pool.close()
        self._pools.clear()

    # -- requests -------------------------------------------------------------------------

    def _response_format(self, request: LLMRequest) -> str | None:
        if self.structured_output == "json_schema":
            fmt = self._formats.get(request.response_model)
            if fmt is None:
                fmt = self._formats[request.response_model] = json.dumps(
                    {
                        "type": "json_schema",
                        "json_schema": {
                            "name": request.response_model.__name__,
                            "schema": json_schema_of(request.response_model),
                            "strict": False,
                        },
                    }
                )
            return fmt
        if self.structured_output == "json_object":
            return '{"type": "json_object"}'
        return None

    def _chat_body(self, request: LLMRequest, messages: tuple[Message, ...]) -> bytes:
        """The request body, built as text so the schema is serialised once per answer type."""
        parts = [
            self._prefix,
            ', "messages": ',
            json.dumps([{"role": m.role, "content": m.content} for m in messages]),
            ', "temperature": ',
            json.dumps(request.temperature),
        ]
        if request.max_tokens is not None:
            parts += [', "max_tokens": ', str(int(request.max_tokens))]
        fmt = self._response_format(request)
        if fmt is not None:
            parts += [', "response_format": ', fmt]
        parts += [', "seed": ', str(int(request.seed)), "}"]
        return "".join(parts).encode()

    async def complete(self, request: LLMRequest, messages: tuple[Message, ...]) -> Completion:
        data, requests = await self._send(
            self._chat_body(request, messages), request.agent, request.seed, "chat"
        )
        usage = data.get("usage") or {}
        return Completion(
            text=data["choices"][0]["message"].get("content") or "",
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                cost_usd=None,  # no price table on this path: unknown, not free
            ),
            http_requests=requests,
        )

    async def embed(self, texts: list[str], *, agent: str | None, seed: int) -> Embedding:
        """Embedding vectors from ``<api_base>/embeddings``, with the same retries and errors."""
        body = json.dumps({"model": self.served_model, "input": texts}).encode()
        data, requests = await self._send(body, agent, seed, "embeddings")
        usage = data.get("usage") or {}
        rows = sorted(data["data"], key=lambda d: d.get("index", 0))
        return Embedding(
            vectors=[list(d["embedding"]) for d in rows],
            usage=Usage(prompt_tokens=int(usage.get("prompt_tokens") or 0), cost_usd=None),
            http_requests=requests,
        )

    async def _send(
        self, body: bytes, agent: str | None, seed: int, what: str
    ) -> tuple[dict[str, Any], int]:
        """POST ``body`` with retries on transient failures; the parsed answer and the number of
        requests it took. Permanent failures (auth, 4xx) raise at once, transient ones after
        ``max_retries`` retries; either raises ``ModelUnavailableError`` counting the requests."""
        pool = self._pool()
        for attempt in range(self.max_retries + 1):
            try:
                return await self._post(pool, body, what), attempt + 1
            except _RequestFailed as failure:
                if not failure.transient or attempt == self.max_retries:
                    raise self._unavailable(failure, attempts=attempt + 1) from None
                delay = backoff_delay(
                    agent,
                    seed,
                    attempt,
                    failure.retry_after,
                    base=self.backoff_base,
                    cap=self.backoff_cap,
                )
                log.warning(
                    "%s for %s (agent %s); retry %d/%d in %.2fs",
                    failure.name,
                    what,
                    agent,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _post(self, pool: ConnectionPool, body: bytes, what: str) -> dict[str, Any]:
        try:
            response = await pool.post(_PATHS[what], body)
        except TimeoutError:
            raise _RequestFailed(
                "timeout",
                "Timeout",
                f"no answer within {self.timeout:g}s",
                transient=True,
                retry_after=None,
            ) from None
        except (HTTPError, OSError, EOFError) as exc:  # refused, reset, cut short
            raise _RequestFailed(
                "connection",
                "APIConnectionError",
                f"Connection error: {exc or type(exc).__name__}",
                transient=True,
                retry_after=None,
            ) from None
        if response.status >= 400:
            raise _status_failure(response)
        try:
            data = json.loads(response.body)
        except ValueError:
            data = None
        if not _shape_ok(data, what):
            raise _RequestFailed(
                "server",
                "APIError",
                f"the server answered {response.status} with a body that is not a {what} "
                f"response: {response.text[:120]!r}",
                transient=True,
                retry_after=None,
            )
        return data

    def _unavailable(self, failure: _RequestFailed, *, attempts: int) -> ModelUnavailableError:
        return unavailable_error(
            failure.kind,
            model_id=self.model_id,
            api_base=self.api_base,
            error_name=failure.name,
            raw=str(failure),
            attempts=attempts,
            api_key=self.api_key,
        )


def _shape_ok(data: Any, what: str) -> bool:
    """Whether ``data`` has the fields this module reads from a chat or embeddings answer."""
    if not isinstance(data, dict):
        return False
    if what != "chat":
        return isinstance(data.get("data"), list)
    choices = data.get("choices")
    return (
        bool(choices)
        and isinstance(choices, list)
        and isinstance(choices[0], dict)
        and (isinstance(choices[0].get("message"), dict))
    )


def _status_failure(response: Response) -> _RequestFailed:
    """The failure an HTTP error status stands for (the server's own message as detail)."""
    status = response.status
    try:
        error = json.loads(response.body).get("error")
        message = error.get("message") if isinstance(error, dict) else str(error or "")
    except (ValueError, AttributeError):
        message = response.text[:200]
    detail = f"Error code: {status} - {message or response.reason}"
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    name = _ERROR_NAMES.get(status, "InternalServerError" if status >= 500 else "APIError")
    if status in (401, 403):
        return _RequestFailed("auth", name, detail, transient=False, retry_after=None)
    if status == 429:
        return _RequestFailed("rate_limit", name, detail, transient=True, retry_after=retry_after)
    if status == 408:
        return _RequestFailed("timeout", name, detail, transient=True, retry_after=retry_after)
    if status >= 500:
        return _RequestFailed("server", name, detail, transient=True, retry_after=retry_after)
    if status == 404:
        return _RequestFailed("not_found", name, detail, transient=False, retry_after=None)
    return _RequestFailed("other", name, detail, transient=False, retry_after=None)
