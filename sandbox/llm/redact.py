"""Removing secrets from text before it is stored, printed or logged.

A server may echo the API key it was sent in an error message ("Incorrect API key provided:
sk-..."). Every error message the model layer keeps (``llm_calls.error``, the exceptions that end
in ``runs.error`` and on the console, log lines) passes through ``redact`` first. It removes:

- the exact values of environment variables whose names end in ``_API_KEY``, ``_TOKEN`` or
  ``_SECRET`` (and ``API_KEY`` itself), and any key the caller names;
- anything shaped like a key: ``sk-``/``pk-``/``rk-`` prefixed tokens, ``Bearer <token>``, and
  ``api_key=...`` / ``"api_key": "..."`` pairs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import overload

REDACTED = "[redacted]"

_ENV_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET", "_ACCESS_KEY")
_MIN_SECRET = 6  # shorter values (a placeholder such as "x") would redact ordinary words

_SHAPES = (
    # Bearer tokens in echoed headers.
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"),
    # key=value and "key": "value" pairs whose name says they hold a secret.
    re.compile(
        r"(?i)((?:api[_-]?key|access[_-]?token|auth[_-]?token|secret|password)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]{4,}"
    ),
    # Provider key shapes: sk-..., sk-proj-..., pk-..., rk-..., gsk_..., hf_..., xai-..., AIza...
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{6,}"),
    re.compile(r"\b(?:gsk|hf|xai|ghp|gho|github_pat)[-_][A-Za-z0-9_]{10,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{20,}"),
)


def env_secrets() -> list[str]:
    """Values of environment variables that hold secrets, longest first."""
    values = {
        v
        for k, v in os.environ.items()
        if (k.upper().endswith(_ENV_SUFFIXES) or k.upper() == "API_KEY") and len(v) >= _MIN_SECRET
    }
    return sorted(values, key=len, reverse=True)


@overload
def redact(text: str, extra: Iterable[str | None] = ()) -> str: ...


@overload
def redact(text: None, extra: Iterable[str | None] = ()) -> None: ...


def redact(text: str | None, extra: Iterable[str | None] = ()) -> str | None:
    """``text`` with every secret replaced by ``[redacted]`` (None stays None)."""
    if not text:
        return text
    for secret in (*[s for s in extra if s and len(s) >= _MIN_SECRET], *env_secrets()):
        text = text.replace(secret, REDACTED)
    for shape in _SHAPES:
        text = shape.sub(
            lambda m: (m.group(1) if m.groups() else "") + REDACTED,
            text,
        )
    return text
