"""What every HTTP backend shares: backoff between retries and the one-line error of a failure.

The litellm backend and the lean OpenAI-compatible backend (``openai_http``) classify a failure
into one of the ``Failure`` kinds; the delay before a retry and the message with its fix come from
here, so both paths retry and report alike.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from sandbox.errors import ModelAuthError, ModelUnavailableError
from sandbox.llm.redact import redact

AUTH_HINT = "set OPENAI_API_KEY (or the provider's variable)"

Failure = Literal["auth", "rate_limit", "timeout", "connection", "server", "not_found", "other"]

_HINTS: dict[str, str] = {
    "rate_limit": "lower --concurrency, set --rpm, or wait and resume the run with --resume",
    "timeout": "the server is too slow or stuck; raise --timeout or check the server",
    "connection": (
        "is the server running? Check --api-base (or OPENAI_BASE_URL), or use --model "
        "heuristic to run offline"
    ),
    "server": "the server keeps failing (5xx); check its logs, then resume the run",
    "not_found": "the server does not serve this model; check the model name after the prefix",
    "other": "check the model id and the server",
}


def backoff_delay(
    agent: str | None,
    seed: int,
    attempt: int,
    retry_after: float | None,
    *,
    base: float,
    cap: float,
) -> float:
    """Seconds to wait before retry ``attempt + 1``: the server's Retry-After when it sent one,
    else exponential backoff with a deterministic jitter (from the request and attempt) that
    spreads concurrent retries apart."""
    if retry_after is not None:
        return min(cap, retry_after)
    digest = hashlib.blake2b(f"{agent}|{seed}|{attempt}".encode()).digest()
    jitter = 0.5 + digest[0] / 255.0
    return min(cap, base * (2**attempt) * jitter)


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds; None when absent or an HTTP date (then: backoff)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def unavailable_error(
    kind: Failure,
    *,
    model_id: str,
    api_base: str | None,
    error_name: str,
    raw: str,
    attempts: int,
    api_key: str | None,
) -> ModelUnavailableError:
    """The one-line error for a request that failed (``raw``: the server's or client's message)."""
    where = f" at {api_base}" if api_base else ""
    detail = redact(raw.splitlines()[0][:300] if raw else error_name, [api_key])
    if kind == "auth":
        return ModelAuthError(
            f"model {model_id}{where} refused the credentials ({error_name}: {detail}). "
            f"Fix: {AUTH_HINT}; nothing was retried.",
            attempts=attempts,
        )
    return ModelUnavailableError(
        f"model {model_id}{where} failed after {attempts} attempt(s): "
        f"{error_name}: {detail}. Fix: {_HINTS[kind]}.",
        attempts=attempts,
    )
