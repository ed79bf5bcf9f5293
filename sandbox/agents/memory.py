"""The memory stream (after Park et al. 2023) and its retrieval, vectorised with numpy.

Generative-agents retrieval over the stream's scored memories:

    score = w_recency * recency + w_importance * importance + w_relevance * relevance

each term min-max normalised over the candidates (a term that is the same for all candidates counts
0.5 for each, as in the original code); recency = decay ** (hours since last access), importance the
1-10 score, relevance the cosine similarity of embeddings. Top-k by ``argpartition``; retrieved
memories get their last access set to now (unless ``touch=False``, as in interviews).

Emotion-aware strategies (after Emotional RAG; d_sem = Euclidean distance of embeddings,
d_emo = 1 - cosine of emotion vectors; smaller is closer):
``emotional_ca`` top-k by d_sem + d_emo; ``emotional_cm`` by d_sem * d_emo; ``emotional_sc``
top-``candidates`` by d_sem, re-ranked by d_emo; ``emotional_ss`` top-``candidates`` by d_emo,
re-ranked by d_sem. ``semantic_only`` is the paper's baseline (its "OriginalRAG"): top-k by d_sem
alone, no recency, importance or emotion.

Query and memory emotions come from one source (``emotion_source``): ``lexicon`` (both from the
word lexicon, no extra call) or ``model`` (memories scored with their importance, queries by a
``memory.emotions`` call; see ``sandbox.world.emotion_scoring``). A query without emotions (its
scoring failed) is retrieved on d_sem alone (d_emo = 0), never against an invented vector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sandbox.agents.emotions import emotion_distance

MemoryKind = Literal["observation", "conversation", "plan", "reflection"]
Strategy = Literal[
    "generative_agents", "semantic_only", "emotional_ca", "emotional_cm", "emotional_sc",
    "emotional_ss",
]  # fmt: skip
EmotionSource = Literal["lexicon", "model"]


class RetrievalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: Strategy = "generative_agents"
    k: Annotated[int, Field(ge=1)] = 5
    decay: Annotated[float, Field(gt=0, le=1)] = 0.995
    w_recency: float = 1.0
    w_importance: float = 1.0
    w_relevance: float = 1.0
    candidates: Annotated[int, Field(ge=1)] = 20
    emotion_source: EmotionSource = Field(
        "lexicon", description="where query AND memory emotions come from: lexicon or model"
    )

    def scoring_source(self) -> EmotionSource:
        """Where new emotion vectors come from: ``emotion_source`` when retrieval uses emotions,
        else the lexicon (no call is spent on vectors nothing reads)."""
        return self.emotion_source if self.strategy.startswith("emotional_") else "lexicon"


@dataclass(frozen=True)
class Memory:
    id: int
    kind: MemoryKind
    text: str
    created: int
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True)
class Retrieved:
    memory: Memory
    score: float
    recency: float = 0.0
    importance: float = 0.0
    relevance: float = 0.0


def min_max(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    if hi - lo == 0:
        return np.full_like(x, 0.5, dtype=np.float64)
    return (x - lo) / (hi - lo)


@dataclass
class MemoryStream:
    dim: int
    minutes_per_tick: int
    memories: list[Memory] = field(default_factory=list)
    _emb: np.ndarray = field(init=False)  # set by _grow in __post_init__
    _importance: np.ndarray = field(init=False)  # set by _grow in __post_init__
    _emotions: np.ndarray = field(init=False)  # set by _grow in __post_init__
    _created: np.ndarray = field(init=False)  # set by _grow in __post_init__
    _access: np.ndarray = field(init=False)  # set by _grow in __post_init__
    # Per memory, beside the arrays: why its importance or emotions are missing (the memory left
    # the scoring queue with importance None), and where its emotions came from.
    score_errors: dict[int, str] = field(default_factory=dict)
    emotion_errors: dict[int, str] = field(default_factory=dict)
    emotion_sources: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._grow(64)

    def _grow(self, capacity: int) -> None:
        """Buffers grow by doubling, so adding n memories costs O(n), not O(n^2)."""
        n = len(self.memories)

        def resized(
            a: np.ndarray | None, shape: tuple[int, ...], dtype: Any, fill: float
        ) -> np.ndarray:
            out = np.full(shape, fill, dtype=dtype)
            if a is not None:
                out[:n] = a[:n]
            return out

        old = getattr(self, "_emb", None) is not None
        self._emb = resized(self._emb if old else None, (capacity, self.dim), np.float32, 0.0)
        self._importance = resized(
            self._importance if old else None, (capacity,), np.float64, np.nan
        )
        self._emotions = resized(self._emotions if old else None, (capacity, 8), np.float64, 1.0)
        self._created = resized(self._created if old else None, (capacity,), np.int64, 0)
        self._access = resized(self._access if old else None, (capacity,), np.int64, 0)

    def __len__(self) -> int:
        return len(self.memories)

    def add(
        self,
        kind: MemoryKind,
        text: str,
        tick: int,
        embedding: np.ndarray,
        *,
        importance: float | None = None,
        emotions: list[float] | None = None,
        emotions_source: str | None = None,
        evidence: tuple[int, ...] = (),
    ) -> Memory:
        n = len(self.memories)
        if n == 0 and embedding.size != self.dim:
            # An embedder's size may be known only after its first call (litellm models).
            self.dim = int(embedding.size)
            self._emb = np.zeros((self._created.shape[0], self.dim), dtype=np.float32)
        if embedding.size != self.dim:
            raise ValueError(
                f"embedding has {embedding.size} dimensions; this stream has {self.dim}"
            )
        if n == self._created.shape[0]:
            self._grow(2 * n)
        memory = Memory(id=n, kind=kind, text=text, created=tick, evidence=evidence)
        self.memories.append(memory)
        self._emb[n] = embedding.astype(np.float32)
        self._importance[n] = np.nan if importance is None else importance
        self._emotions[n] = emotions if emotions is not None else [np.nan] * 8
        if emotions is not None and emotions_source is not None:
            self.emotion_sources[n] = emotions_source
        self._created[n] = tick
        self._access[n] = tick
        return memory

    def set_scores(
        self,
        ids: list[int],
        importance: list[float],
        emotions: list[list[float]] | None,
        *,
        source: str | None = "model",
        emotions_error: str | None = None,
    ) -> None:
        """Importance of ``ids``; their emotions (from ``source``), or none with the reason."""
        self._importance[ids] = importance
        if emotions is not None:
            self._emotions[ids] = np.asarray(emotions, dtype=float).reshape(len(ids), 8)
        for i in ids:
            self.score_errors.pop(i, None)
            if emotions is not None and source is not None:
                self.emotion_sources[i] = source
                self.emotion_errors.pop(i, None)
            else:
                self._emotions[i] = np.nan
                self.emotion_sources.pop(i, None)
                if emotions_error:
                    self.emotion_errors[i] = emotions_error

    def fail_scores(self, ids: list[int], error: str) -> None:
        """Scoring ``ids`` failed for good: importance stays None, with ``error``, and they leave
        the queue (``unscored`` no longer lists them, so they are not sent again)."""
        for i in ids:
            self.score_errors[i] = error

    def importance(self, memory_id: int) -> float | None:
        v = self._importance[memory_id]
        return None if np.isnan(v) else float(v)

    def emotions(self, memory_id: int) -> list[float] | None:
        row = self._emotions[memory_id]
        return None if np.isnan(row).any() else row.tolist()

    def embedding(self, memory_id: int) -> np.ndarray:
        return self._emb[memory_id]

    def unscored(self) -> list[Memory]:
        """The scoring queue: memories without importance whose scoring has not failed."""
        return [
            m
            for m in self.memories
            if np.isnan(self._importance[m.id]) and m.id not in self.score_errors
        ]

    def recent(self, n: int, kinds: tuple[str, ...] | None = None) -> list[Memory]:
        chosen = [m for m in self.memories if kinds is None or m.kind in kinds]
        return chosen[-n:]

    def retrieve(
        self,
        query: np.ndarray,
        now: int,
        config: RetrievalConfig,
        *,
        query_emotions: list[float] | None = None,
        touch: bool = True,
    ) -> list[Retrieved]:
        """The top-k scored memories for ``query`` at tick ``now``, best first."""
        candidates = np.flatnonzero(~np.isnan(self._importance[: len(self.memories)]))
        if candidates.size == 0:
            return []
        k = min(config.k, candidates.size)
        emb = self._emb[candidates]
        if config.strategy == "generative_agents":
            hours = (now - self._access[candidates]) * self.minutes_per_tick / 60.0
            recency = min_max(config.decay**hours)
            importance = min_max(self._importance[candidates])
            relevance = min_max(emb @ query.astype(np.float32))
            score = (
                config.w_recency * recency
                + config.w_importance * importance
                + config.w_relevance * relevance
            )
            order = _top(score, k)
            picked = [
                Retrieved(
                    self.memories[candidates[i]],
                    float(score[i]),
                    float(recency[i]),
                    float(importance[i]),
                    float(relevance[i]),
                )
                for i in order
            ]
        else:
            d_sem = np.linalg.norm(emb - query.astype(np.float32), axis=1)
            if query_emotions is None or config.strategy == "semantic_only":
                d_emo = np.zeros(candidates.size)
            else:
                q_emo = np.asarray(query_emotions, dtype=float)
                # a memory without emotions (the model gave none) counts as emotionally unrelated
                d_emo = np.nan_to_num(emotion_distance(q_emo, self._emotions[candidates]), nan=1.0)
            if config.strategy == "semantic_only":
                order = _top(-d_sem, k)
            elif config.strategy == "emotional_ca":
                order = _top(-(d_sem + d_emo), k)
            elif config.strategy == "emotional_cm":
                order = _top(-(d_sem * d_emo), k)
            else:
                first, second = (
                    (d_sem, d_emo) if config.strategy == "emotional_sc" else (d_emo, d_sem)
                )
                pool = _top(-first, min(config.candidates, candidates.size))
                order = pool[np.argsort(second[pool], kind="stable")][:k]
            picked = [
                Retrieved(
                    self.memories[candidates[i]],
                    float(-(d_sem[i] + d_emo[i])),
                    relevance=float(-d_sem[i]),
                )
                for i in order
            ]
        if touch:
            self._access[[r.memory.id for r in picked]] = now
        return picked

    def truncate(self, n: int) -> None:
        """Forget memories n.. (rolling back a tick that failed)."""
        del self.memories[n:]
        self._importance[n:] = np.nan
        for d in (self.score_errors, self.emotion_errors, self.emotion_sources):
            for i in [i for i in d if i >= n]:
                del d[i]

    def unscore(self, ids: list[int]) -> None:
        """Put ``ids`` back in the scoring queue (rolling back a tick that failed)."""
        self._importance[ids] = np.nan
        for i in ids:
            for d in (self.score_errors, self.emotion_errors, self.emotion_sources):
                d.pop(i, None)

    def access_state(self) -> list[int]:
        return self._access[: len(self.memories)].tolist()

    def load_access(self, access: list[int]) -> None:
        self._access[: len(access)] = access

    def score_row(self, memory_id: int) -> dict[str, Any]:
        """The columns of a ``memories`` row that scoring sets (later than the row's insert)."""
        return {
            "importance": self.importance(memory_id),
            "importance_error": self.score_errors.get(memory_id),
            "emotions": self.emotions(memory_id),
            "emotions_source": self.emotion_sources.get(memory_id),
            "emotions_error": self.emotion_errors.get(memory_id),
        }

    def row(self, memory: Memory) -> dict[str, Any]:
        """The ``memories`` table row of a memory."""
        return {
            "mem_id": memory.id,
            "tick": memory.created,
            "kind": memory.kind,
            "text": memory.text,
            **self.score_row(memory.id),
            "evidence": list(memory.evidence),
            "embedding": self._emb[memory.id].tobytes(),
        }


def _top(score: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first; ties by position (earlier memory first)."""
    idx = np.arange(score.size) if k >= score.size else np.argpartition(-score, k - 1)[:k]
    return idx[np.lexsort((idx, -score[idx]))]
