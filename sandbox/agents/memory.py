"""The memory stream (after Park et al. 2023) and its retrieval, vectorised with numpy.

Generative-agents retrieval over the stream's scored memories:

    score = w_recency * recency + w_importance * importance + w_relevance * relevance

each term min-max normalised over the candidates (a term that is the same for all candidates counts
0.5 for each, as in the original code); recency = decay ** (hours since last access), importance the
1-10 score, relevance the cosine similarity of embeddings. Top-k by ``argpartition``; retrieved
memories get their last access set to now (unless ``touch=False``, as in interviews). Large streams
bound every row from an int8 copy of the embeddings and compute exactly only the rows that can
reach the top (same result, to the last bit; see ``retrieve``).

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
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sandbox.agents.memory_gemv import GemvRows, product
from sandbox.agents.memory_int8 import int8_dots

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
    # kept as rows are written: squared norms of the embeddings, norms of the emotion vectors
    _sqnorm: np.ndarray = field(init=False)  # set by _grow in __post_init__
    _emo_norm: np.ndarray = field(init=False)  # set by _grow in __post_init__
    # Per memory, beside the arrays: why its importance or emotions are missing (the memory left
    # the scoring queue with importance None), and where its emotions came from.
    score_errors: dict[int, str] = field(default_factory=dict)
    emotion_errors: dict[int, str] = field(default_factory=dict)
    emotion_sources: dict[int, str] = field(default_factory=dict)
    # Large streams also keep an int8 copy of the embeddings (a quarter of the bytes), quantised
    # row by row when a retrieval first needs it: a query reads it to bound every row's distance,
    # and only the rows whose bound can reach the top are computed from the float32 rows.
    fast_from: ClassVar[int] = 4096  # streams with fewer memories read the float32 rows directly
    _coded: int = field(init=False, default=0)  # rows 0.._coded-1 are quantised
    _codes: np.ndarray = field(init=False)  # int8 (capacity, dim): round(emb / scale)
    _scale: np.ndarray = field(init=False)  # float32 (capacity,): max |emb| / 127 per row
    _dot_err: np.ndarray = field(init=False)  # float32 (capacity,): dot error bound per unit |q|
    _sqnorm32: np.ndarray = field(init=False)  # float32 (capacity,): _sqnorm for the bounds
    _max_sqnorm: float = field(init=False, default=0.0)  # of the quantised rows

    def __post_init__(self) -> None:
        self._grow(64)
        self._codes = np.zeros((0, self.dim), dtype=np.int8)
        self._scale = np.zeros(0, dtype=np.float32)
        self._dot_err = np.zeros(0, dtype=np.float32)
        self._sqnorm32 = np.zeros(0, dtype=np.float32)

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
        self._sqnorm = resized(self._sqnorm if old else None, (capacity,), np.float64, 0.0)
        self._emo_norm = resized(self._emo_norm if old else None, (capacity,), np.float64, 1.0)

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
        row = self._emb[n].astype(np.float64)
        self._sqnorm[n] = float(np.dot(row, row))
        self._importance[n] = np.nan if importance is None else importance
        self._emotions[n] = emotions if emotions is not None else [np.nan] * 8
        self._set_emo_norm([n])
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
        self._set_emo_norm(ids)

    def _set_emo_norm(self, ids: list[int]) -> None:
        """The emotion vectors' norms (0 counts as 1), computed once when they are written."""
        norms = np.linalg.norm(self._emotions[ids], axis=1)
        norms[norms == 0] = 1.0
        self._emo_norm[ids] = norms

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
        waiting = np.flatnonzero(np.isnan(self._importance[: len(self.memories)]))
        return [self.memories[i] for i in waiting.tolist() if i not in self.score_errors]

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
        """The top-k scored memories for ``query`` at tick ``now``, best first.

        One pass over the preallocated matrices, no per-query copy of them: the three-term score
        is computed over all rows; the Euclidean distance of the emotion-aware strategies is first
        bounded from the dot product and the rows' squared norms (kept as memories are added),
        and computed exactly only for the few rows whose bound can reach the top (so the result,
        order and scores are those of the direct computation). A stream of ``fast_from``
        memories or more reads its int8 copy instead of the float32 matrix for those bounds, the
        three-term score's relevance included (``_three_term_bounded``)."""
        n = len(self.memories)
        scored = ~np.isnan(self._importance[:n])
        n_scored = int(np.count_nonzero(scored))
        if n_scored == 0:
            return []
        candidates = np.arange(n) if n_scored == n else np.flatnonzero(scored)
        sel: Any = slice(0, n) if n_scored == n else candidates
        k = min(config.k, n_scored)
        q = query.astype(np.float32)
        if config.strategy == "generative_agents":
            rows = None
            if n >= self.fast_from:
                rows = self._three_term_bounded(q, n, now, config, sel, candidates, k)
            if rows is None:
                dots = product(self._emb[:n], q)  # the relevance term, computed as it always was
                recency = min_max(_recency(self._access[:n][sel], now, self, config.decay))
                importance = min_max(self._importance[:n][sel])
                relevance = min_max(dots[sel])
                score = (
                    config.w_recency * recency
                    + config.w_importance * importance
                    + config.w_relevance * relevance
                )
                rows = [
                    (i, score[i], recency[i], importance[i], relevance[i])
                    for i in _top_any_tie(score, k)
                ]
            picked = [
                Retrieved(
                    self.memories[candidates[i]],
                    float(score),
                    float(recency),
                    float(importance),
                    float(relevance),
                )
                for i, score, recency, importance, relevance in rows
            ]
        else:
            if query_emotions is None or config.strategy == "semantic_only":
                d_emo = np.zeros(n_scored)
            else:
                q_emo = np.asarray(query_emotions, dtype=float)
                qn = q_emo / (np.linalg.norm(q_emo) or 1.0)
                # 1 - cos, in place; a memory without emotions (the model gave none) counts as
                # emotionally unrelated
                d_emo = product(self._emotions[:n][sel], qn)
                np.divide(d_emo, self._emo_norm[:n][sel], out=d_emo)
                np.subtract(1.0, d_emo, out=d_emo)
                if not np.isfinite(d_emo).all():
                    np.nan_to_num(d_emo, copy=False, nan=1.0)
            exact = _ExactDistance(self._emb, candidates, q)
            if config.strategy == "emotional_ss":  # the distance of the pool only
                pool = _top(-d_emo, min(config.candidates, n_scored))
                order = pool[np.argsort(exact(pool), kind="stable")][:k]
            else:
                low, high = self._distance_range(q, n, sel)
                if config.strategy == "semantic_only":
                    order = _top_within(low, high, k, exact)
                elif config.strategy == "emotional_ca":
                    order = _top_within(
                        low + d_emo - 1e-12, high + d_emo + 1e-12, k, lambda i: exact(i) + d_emo[i]
                    )
                elif config.strategy == "emotional_cm":
                    a, b = low * d_emo, high * d_emo  # d_emo may be a rounding below 0
                    order = _top_within(
                        np.minimum(a, b) - 1e-12,
                        np.maximum(a, b) + 1e-12,
                        k,
                        lambda i: exact(i) * d_emo[i],
                    )
                else:
                    pool = _top_within(low, high, min(config.candidates, n_scored), exact)
                    order = pool[np.argsort(d_emo[pool], kind="stable")][:k]
            d_sem = exact(order)
            picked = [
                Retrieved(
                    self.memories[candidates[i]],
                    float(-(d_sem[j] + d_emo[i])),
                    relevance=float(-d_sem[j]),
                )
                for j, i in enumerate(order)
            ]
        if touch:
            self._access[[r.memory.id for r in picked]] = now
        return picked

    def _three_term_bounded(
        self,
        q: np.ndarray,
        n: int,
        now: int,
        config: RetrievalConfig,
        sel: Any,
        candidates: np.ndarray,
        k: int,
    ) -> list[tuple[int, Any, Any, Any, Any]] | None:
        """The three-term top-k of a large stream without the float32 product over every row:
        the int8 copy bounds every row's relevance, and only the rows that can be the minimum,
        the maximum or in the top are computed, bit for bit as ``self._emb[:n] @ q`` gives them
        (``GemvRows``). None (compute it directly) when that layout is not known here, when a tie
        at the k-th place leaves the choice to ``argpartition``, or when few rows can be left out.
        Rows: (position among the candidates, score, recency, importance, relevance)."""
        gemv = GemvRows.for_dim(np.float32, self.dim)
        m = candidates.size
        if gemv is None or k >= m:
            return None
        approx, err = self._approx_dots(q, n)
        approx, err = approx[sel], err[sel]

        def exact(pos: np.ndarray) -> np.ndarray:
            return gemv.rows(self._emb, n, q, candidates[pos])

        low, high = approx - err, approx + err
        ends = np.flatnonzero((low <= high.min()) | (high >= low.max()))  # can be min or max
        at_ends = exact(ends)
        lo, hi = float(at_ends.min()), float(at_ends.max())
        if hi - lo == 0:
            return None
        recency = _recency_normalised(self._access[:n][sel], now, self, config.decay)
        importance = min_max(self._importance[:n][sel])
        base = config.w_recency * recency + config.w_importance * importance
        w = config.w_relevance
        # the relevance's error, and the float32 rounding of (x - lo) / (hi - lo) and w * it
        guess = base + (w / (hi - lo)) * (approx - np.float32(lo)).astype(np.float64)
        slack = (abs(w) / (hi - lo)) * err.astype(np.float64) + (abs(w) * 16 * _EPS32 + 1e-12)
        kth = np.partition(guess - slack, m - k)[m - k]  # the k-th largest lower bound
        short = np.flatnonzero(guess + slack >= kth)
        if short.size > m // 4:
            return None
        relevance = (exact(short) - lo) / (hi - lo)  # as min_max computes it
        score = base[short] + w * relevance
        top = np.lexsort((short, -score))[:k]
        if np.count_nonzero(score >= score[top[-1]]) != k:
            return None
        return [
            (int(short[j]), score[j], recency[short[j]], importance[short[j]], relevance[j])
            for j in top
        ]

    def _distance_range(self, q: np.ndarray, n: int, sel: Any) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on each candidate's float32 ``norm(emb - q)``: from the int8 copy in a large
        stream, else from float32 dot products in any summation order (einsum: it runs in this
        thread, where a BLAS matrix-vector product may wait on its threads)."""
        if n < self.fast_from:
            dots = np.einsum("ij,j->i", self._emb[:n], q)
            approx, err = self._distance_bound(q, dots[sel], self._sqnorm[:n][sel])
            return approx - err, approx + err
        dots, dot_err = self._approx_dots(q, n)
        qq = float(np.dot(q.astype(np.float64), q.astype(np.float64)))
        # squared distances: |e|^2 - 2 e.q + |q|^2, the dot within dot_err; the direct float32
        # norm within (dim + 3) eps of the true one, so its square within 3 (dim + 3) eps
        # (|e| + |q|)^2 <= 16 dim eps (max |e|^2 + |q|^2) of it, also covering the float32
        # arithmetic here (a few eps of values of that size)
        self._quantise(n)
        rho = np.float32(16.0 * self.dim * _EPS32 * (self._max_sqnorm + qq) + 1e-30)
        sq = self._sqnorm32[:n][sel] - 2.0 * dots[sel] + np.float32(qq)
        spread = 2.0 * dot_err[sel] + rho
        low = np.sqrt(np.maximum(sq - spread, np.float32(0.0)))
        return low, np.sqrt(sq + spread)

    def _distance_bound(
        self, q: np.ndarray, dots: np.ndarray, sqnorm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Euclidean distances to ``q`` from dot products and squared norms, with a bound on
        how far each may be from the directly computed float32 ``norm(emb - q)``: the rounding
        of a float32 sum of ``dim`` terms, on both sides, with a wide margin."""
        qq = float(np.dot(q.astype(np.float64), q.astype(np.float64)))
        sq = sqnorm - 2.0 * dots.astype(np.float64) + qq
        approx = np.sqrt(np.maximum(sq, 0.0))
        delta = (8.0 * self.dim * _EPS32) * (np.sqrt(sqnorm) + np.sqrt(qq)) ** 2 + 1e-30
        with np.errstate(divide="ignore"):
            err = np.minimum(np.sqrt(delta), delta / approx)
        return approx, err

    def _quantise(self, n: int) -> None:
        """Bring the int8 copy up to ``n`` rows (rows already quantised stay as they are)."""
        cap = self._emb.shape[0]
        if self._codes.shape != (cap, self.dim):  # the buffers grew (or the dim was set)
            done = self._coded if self._codes.shape[1:] == (self.dim,) else 0
            codes = np.zeros((cap, self.dim), dtype=np.int8)
            scale = np.zeros(cap, dtype=np.float32)
            err = np.zeros(cap, dtype=np.float32)
            sqnorm = np.zeros(cap, dtype=np.float32)
            codes[:done], scale[:done], err[:done], sqnorm[:done] = (
                self._codes[:done],
                self._scale[:done],
                self._dot_err[:done],
                self._sqnorm32[:done],
            )
            self._codes, self._scale, self._dot_err, self._coded = codes, scale, err, done
            self._sqnorm32 = sqnorm
            self._max_sqnorm = float(self._sqnorm[:done].max(initial=0.0))
        a = self._coded
        if a >= n:
            return
        rows = self._emb[a:n]
        top = np.abs(rows).max(axis=1)
        scale = (top / np.float32(127.0)).astype(np.float32)
        safe = np.where(scale > 0, scale, np.float32(1.0))
        codes = np.clip(np.rint(rows / safe[:, None]), -127, 127).astype(np.int8)
        exact = rows.astype(np.float64)
        residual = np.linalg.norm(exact - scale[:, None].astype(np.float64) * codes, axis=1)
        # |q.e - approx| <= |q| * (residual + rounding of both float32 sums of dim terms); the
        # rounding term also covers float32 sums and products of these bounds (eps * |q.e|)
        rounding = 8.0 * self.dim * _EPS32 * (np.sqrt(self._sqnorm[a:n]) + residual)
        self._codes[a:n], self._scale[a:n] = codes, scale
        bound = (residual + rounding) * (1.0 + 1e-5) + 1e-30
        self._dot_err[a:n] = np.nextafter(bound.astype(np.float32), np.float32(np.inf))
        self._sqnorm32[a:n] = self._sqnorm[a:n]
        self._max_sqnorm = max(self._max_sqnorm, float(self._sqnorm[a:n].max()))
        self._coded = n

    def _approx_dots(self, q: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Every row's dot product with ``q`` from the int8 copy, and a bound on how far each may
        be from the float32 one (both float32): one read of a quarter of the bytes of the float32
        matrix, converted a block of rows at a time on the free cores (``memory_int8``)."""
        self._quantise(n)
        out = np.empty(n, dtype=np.float32)
        int8_dots(self._codes, q, n, out)
        out *= self._scale[:n]
        qn = float(np.sqrt(np.dot(q.astype(np.float64), q.astype(np.float64))))
        return out, self._dot_err[:n] * np.float32(qn * (1.0 + 1e-6))

    def truncate(self, n: int) -> None:
        """Forget memories n.. (rolling back a tick that failed)."""
        del self.memories[n:]
        self._importance[n:] = np.nan
        self._coded = min(self._coded, n)  # rows n.. will be written again
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


_EPS32 = float(np.finfo(np.float32).eps)


class _ExactDistance:
    """``norm(emb - q)`` (float32, as computed directly) for candidate positions, cached."""

    def __init__(self, emb: np.ndarray, candidates: np.ndarray, q: np.ndarray) -> None:
        self.emb, self.candidates, self.q = emb, candidates, q
        self.values = np.full(candidates.size, np.nan, dtype=np.float32)

    def __call__(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64)
        missing = idx[np.isnan(self.values[idx])]
        if missing.size:
            rows = self.emb[self.candidates[missing]]
            self.values[missing] = np.linalg.norm(rows - self.q, axis=1)
        return self.values[idx]


def _top_within(low: np.ndarray, high: np.ndarray, k: int, exact: Any) -> np.ndarray:
    """The k smallest of a score known to lie in ``[low, high]``, best first, ties by position:
    every row whose lower bound is within the k-th smallest upper bound is scored exactly
    (``exact(positions)``), and only those are ranked."""
    if k < high.size:
        bound = np.partition(high, k - 1)[k - 1]
        shortlist = np.flatnonzero(low <= bound)
    else:
        shortlist = np.arange(high.size)
    values = np.asarray(exact(shortlist), dtype=np.float64)
    return shortlist[np.argsort(values, kind="stable")[:k]]


def _recency(access: np.ndarray, now: int, stream: MemoryStream, decay: float) -> np.ndarray:
    """``decay ** hours since last access``, by table over the distinct ages (last accesses are
    tick numbers, so a query at tick ``now`` has at most ``now`` of them), computed element by
    element exactly as ``decay ** (ages * minutes / 60)``."""
    ages = now - access
    if ages.size == 0:
        return ages.astype(np.float64)
    lo, hi = int(ages.min()), int(ages.max())
    if hi - lo + 1 > ages.size:
        return decay ** (ages * stream.minutes_per_tick / 60.0)
    table = decay ** (np.arange(lo, hi + 1, dtype=np.int64) * stream.minutes_per_tick / 60.0)
    return table[ages - lo]


def _recency_normalised(
    access: np.ndarray, now: int, stream: MemoryStream, decay: float
) -> np.ndarray:
    """``min_max(_recency(...))`` to the last bit, normalising the table of distinct ages rather
    than every row: when the table does not increase with age, its first and last entries (the
    youngest and oldest ages, both present) are the rows' maximum and minimum."""
    ages = now - access
    if ages.size == 0:
        return min_max(_recency(access, now, stream, decay))
    lo_age, hi_age = int(ages.min()), int(ages.max())
    if hi_age - lo_age + 1 > ages.size:
        return min_max(_recency(access, now, stream, decay))
    steps = np.arange(lo_age, hi_age + 1, dtype=np.int64)
    table = decay ** (steps * stream.minutes_per_tick / 60.0)
    if np.any(np.diff(table) > 0):
        return min_max(_recency(access, now, stream, decay))
    lo, hi = float(table[-1]), float(table[0])
    if hi - lo == 0:
        return np.full(ages.shape, 0.5, dtype=np.float64)
    return ((table - lo) / (hi - lo))[ages - lo_age]


def _top_any_tie(score: np.ndarray, k: int) -> np.ndarray:
    """The k largest scores, best first; ties by position among those picked, but of rows tied
    at the k-th place ``argpartition`` picks any (kept for the three-term score, whose ties are
    rare and whose trajectories stay as they were)."""
    idx = np.arange(score.size) if k >= score.size else np.argpartition(-score, k - 1)[:k]
    return idx[np.lexsort((idx, -score[idx]))]


def _top(score: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first; ties by position (earlier memory first),
    also among the rows tied at the k-th place (``argpartition`` alone picks any of those)."""
    if k >= score.size:
        return np.argsort(-score, kind="stable")
    kth = np.partition(-score, k - 1)[k - 1]
    idx = np.flatnonzero(-score <= kth)
    return idx[np.argsort(-score[idx], kind="stable")[:k]]
