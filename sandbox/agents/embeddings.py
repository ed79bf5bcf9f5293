"""Embedders: text -> unit vectors. Pluggable; the default needs no model download.

- ``HashingEmbedder`` (default): signed feature hashing of word unigrams and bigrams into ``dim``
  dimensions, L2-normalised. Deterministic, instant, offline; similar wording gives similar vectors.
- ``LiteLLMEmbedder``: any litellm embedding model (``text-embedding-3-small``,
  ``ollama/nomic-embed-text``, ...). Its calls are recorded like every other model call.
- ``SentenceTransformerEmbedder``: a local sentence-transformers model; needs the ``embeddings``
  extra (``pip install -e '.[embeddings]'``) and a model already on disk or downloadable.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from typing import TYPE_CHECKING, Protocol

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
    def __init__(self, model: str, client: ModelClient, api_base: str | None = None) -> None:
        self.model = model
        self.client = client
        self.api_base = api_base
        self.name = f"litellm:{model}"
        self.dim = 0

    async def embed(self, texts: list[str]) -> np.ndarray:
        from sandbox.llm.litellm_backend import import_litellm
        from sandbox.store.records import LLMCallRecord

        litellm = import_litellm()
        started = time.perf_counter()
        kwargs: dict = {"model": self.model, "input": texts}
        if self.api_base:
            import os

            kwargs["api_base"] = self.api_base
            kwargs["api_key"] = os.environ.get("OPENAI_API_KEY") or "sk-no-key-needed"
        try:
            response = await litellm.aembedding(**kwargs)
        except Exception as exc:  # litellm's errors, all of them: say which model and why
            from sandbox.errors import ModelUnavailableError

            detail = str(exc).splitlines()[0][:300]
            raise ModelUnavailableError(
                f"embedding model {self.model} failed: {type(exc).__name__}: {detail}. Check the "
                "model id and --api-base, or use embedder: hashing"
            ) from None
        vectors = np.array([d["embedding"] for d in response.data], dtype=np.float32)
        self.dim = vectors.shape[1]
        usage = getattr(response, "usage", None)
        self.client.record_external(
            LLMCallRecord(
                tick=None,
                seq=0,
                agent=None,
                purpose="memory.embed",
                model=self.model,
                backend="litellm",
                template=None,
                cache_key="",
                cache_hit=False,
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                latency_s=time.perf_counter() - started,
            )
        )
        return _normalise(vectors)


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
