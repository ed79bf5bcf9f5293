"""The one request type every call site uses, and what a backend answers."""

from __future__ import annotations

import functools
import hashlib
import json
import weakref
from json.encoder import encode_basestring_ascii
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox import defaults


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class LLMRequest(BaseModel):
    """A request to the model layer.

    ``facts`` are the structured values the prompt was rendered from; the heuristic backend answers
    from them (never from the prose), and they are logged with the call. ``response_model`` is the
    pydantic class the answer must validate against.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    purpose: str
    messages: tuple[Message, ...]
    response_model: type[BaseModel] = Field(exclude=True)
    agent: str | None = None
    tick: int | None = None
    temperature: float = defaults.TEMPERATURE
    seed: int = 0
    max_tokens: int | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    template: str | None = None

    @property
    def answer_schema(self) -> dict[str, Any]:
        return json_schema_of(self.response_model)

    def messages_text(self) -> str:
        """The messages as JSON (keys sorted, compact, ASCII-escaped): part of the cache key and,
        when it has no escapes, exactly what the trajectory stores (``ModelClient`` makes it
        once for both)."""
        # the text of _dumps([{"content": m.content, "role": m.role} for m in self.messages]),
        # made from each message's own (a system message's is made once: see _message_text)
        return "[" + ",".join([_message_text(m) for m in self.messages]) + "]"

    def cache_key(
        self, model: str, api_base: str | None = None, messages_text: str | None = None
    ) -> str:
        """Content address of the request: model, the server it is sent to (``api_base``, when
        not the provider's own), messages, schema, sampling parameters and seed.

        Without an ``api_base`` the key is the one earlier versions computed, so their cached
        answers for providers' own endpoints still hit; answers cached for a server before its
        address was part of the key miss (they may have come from another server).
        ``messages_text``: ``self.messages_text()``, when the caller has it already."""
        # The text of json.dumps(payload, sort_keys=True, separators=(",", ":")) for payload =
        # {model, messages, schema, temperature, max_tokens, seed[, api_base]}, built from parts
        # so that the schema is serialised once per answer type (keys in sorted order).
        parts = ["{"]
        if api_base:
            parts += ['"api_base":', _dumps(api_base.rstrip("/")), ","]
        parts += [
            '"max_tokens":',
            _scalar(self.max_tokens),
            ',"messages":',
            messages_text if messages_text is not None else self.messages_text(),
            ',"model":',
            _model_text(model),
            ',"schema":',
            _schema_text(self.response_model),
            ',"seed":',
            _scalar(self.seed),
            ',"temperature":',
            _dumps(self.temperature),
            "}",
        ]
        return hashlib.sha256("".join(parts).encode()).hexdigest()


def _message_text(message: Message) -> str:
    """``_dumps({"content": message.content, "role": message.role})``. A system message's is
    remembered while the message lives: it is the static part of a prompt, the same message
    object every tick (``PromptTemplate._static``)."""
    if message.role != "system":
        return _encode_message(message)
    found = _SYSTEM_TEXTS.get(message)
    if found is None:
        found = _SYSTEM_TEXTS[message] = _encode_message(message)
    return found


def _encode_message(message: Message) -> str:
    # json.dumps' own string encoder (ASCII-escaped), with the keys in sorted order
    return (
        '{"content":'
        + encode_basestring_ascii(message.content)
        + ',"role":'
        + encode_basestring_ascii(message.role)
        + "}"
    )


# system message -> its JSON text (``_message_text``), forgotten with the message
_SYSTEM_TEXTS: weakref.WeakKeyDictionary[Message, str] = weakref.WeakKeyDictionary()


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _scalar(value: Any) -> str:
    """``_dumps(value)`` without the encoder for the common cases (None, an int)."""
    if value is None:
        return "null"
    if type(value) is int:
        return str(value)
    return _dumps(value)


@functools.lru_cache(maxsize=64)
def _model_text(model: str) -> str:
    return _dumps(model)


@functools.cache
def _schema_text(model: type[BaseModel]) -> str:
    """An answer type's schema as it appears in cache keys, serialised once per class."""
    return _dumps(json_schema_of(model))


@functools.cache
def json_schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of an answer type, computed once per class."""
    return model.model_json_schema()


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


class Completion(BaseModel):
    """A backend's raw answer, before validation.

    ``http_requests`` counts the requests the server saw for this answer, transport retries (429,
    5xx, timeouts) included; 0 for a backend that makes none.
    """

    text: str
    usage: Usage = Usage()
    http_requests: int = 1


class Embedding(BaseModel):
    """A backend's embedding vectors, one per input text, with usage and requests made."""

    vectors: list[list[float]]
    usage: Usage = Usage()
    http_requests: int = 1
