"""Embedders: text -> unit vectors. Pluggable; the default needs no model download.

- ``HashingEmbedder`` (default): signed feature hashing of word unigrams and bigrams into ``dim``
  dimensions, L2-normalised. Deterministic, instant, offline; similar wording gives similar vectors.
- ``LiteLLMEmbedder``: any litellm embedding model (``text-embedding-3-small``,
  ``ollama/nomic-embed-text``, ...). Its calls go through the run's model client: retried,
  rate-limited and recorded (``purpose = memory.embed``) like every other model call.
- ``SentenceTransformerEmbedder``: a local sentence-transformers model; needs the ``embeddings``
  extra (``pip install -e '.[embeddings]'``) and a model already on disk or downloadable.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from sandbox.errors import ConfigError

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient

_WORD = re.compile(r"[a-z0-9']+")


class Embedder(Protocol):
    name: str
    dim: int

    async def embed(self, texts: list[str]) -> np.ndarray:
        """One unit-norm row per text, shape (len(texts), dim), float32."""
        ...


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (m / norms).astype(np.float32)


class HashingEmbedder:
    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def embed_sync(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for feature in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
                h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
                out[row, h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
        return _normalise(out)

    async def embed(self, texts: list[str]) -> np.ndarray:
        return self.embed_sync(texts)


class LiteLLMEmbedder:
    """A litellm embedding model, called through the run's ``ModelClient``: the same retries (429,
    5xx, timeouts), concurrency limit, rate limiter and ``llm_calls`` records as completions."""

    def __init__(self, model: str, client: ModelClient, api_base: str | None = None) -> None:
        self.model = model
        self.client = client
        self.api_base = api_base
        self.name = f"litellm:{model}"
        self.dim = 0
        self._backend: Any = None

    def _embedding_backend(self) -> Any:
        if self._backend is None:
            from sandbox.llm.litellm_backend import LiteLLMBackend

            chat = self.client.backend
            self._backend = LiteLLMBackend(
                self.model,
                api_base=self.api_base,
                timeout=getattr(chat, "timeout", 60.0),
                max_retries=getattr(chat, "max_retries", 4),
            )
        return self._backend

    async def embed(self, texts: list[str]) -> np.ndarray:
        vectors = await self.client.embed(self._embedding_backend(), texts)
        out = np.array(vectors, dtype=np.float32)
        self.dim = out.shape[1]
        return _normalise(out)


class SentenceTransformerEmbedder:
    def __init__(self, model: str = "all-MiniLM-L6-v2") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError(
                "sentence-transformers is not installed: pip install -e '.[embeddings]', or use "
                "embedder: hashing"
            ) from None
        self.model = SentenceTransformer(model)
        self.name = f"sentence-transformers:{model}"
        self.dim = int(self.model.get_sentence_embedding_dimension())

    async def embed(self, texts: list[str]) -> np.ndarray:
        return _normalise(np.asarray(self.model.encode(texts), dtype=np.float32))


def make_embedder(
    spec: str, client: ModelClient | None = None, api_base: str | None = None
) -> Embedder:
    """``hashing`` / ``hashing-512``, ``litellm:<model>``, or ``sentence-transformers:<model>``."""
    if spec.startswith("hashing"):
        dim = int(spec.split("-", 1)[1]) if "-" in spec else 256
        return HashingEmbedder(dim)
    if spec.startswith("litellm:"):
        if client is None:
            raise ConfigError("a litellm embedder needs the run's model client")
        return LiteLLMEmbedder(spec.split(":", 1)[1], client, api_base)
    if spec.startswith("sentence-transformers:"):
        return SentenceTransformerEmbedder(spec.split(":", 1)[1])
    raise ConfigError(
        f"unknown embedder {spec!r}: use 'hashing', 'litellm:<model>' or 'sentence-transformers:<model>'"
    )
