"""Fast retrieval gives what the direct computation gives: the same memories, in the same order,
with the same scores, for every strategy, on random seeded streams (with ties, unscored memories
and memories without emotions)."""

import numpy as np
import pytest

from sandbox.agents.emotions import emotion_distance
from sandbox.agents.memory import MemoryStream, RetrievalConfig, min_max

STRATEGIES = [
    "generative_agents",
    "semantic_only",
    "emotional_ca",
    "emotional_cm",
    "emotional_sc",
    "emotional_ss",
]


def _top(score: np.ndarray, k: int) -> np.ndarray:
    """Best first, ties by position (earlier memory first)."""
    return np.argsort(-score, kind="stable")[:k]


def _top_as_before(score: np.ndarray, k: int) -> np.ndarray:
    """The three-term score's top-k as it always was: of rows tied at the k-th place,
    argpartition picks (kept so that existing trajectories stay byte-identical)."""
    idx = np.arange(score.size) if k >= score.size else np.argpartition(-score, k - 1)[:k]
    return idx[np.lexsort((idx, -score[idx]))]


def reference(s: MemoryStream, query, now, config, query_emotions=None):
    """The straightforward computation over the scored memories: (memory id, score) best first."""
    n = len(s)
    importance = np.array(
        [np.nan if s.importance(i) is None else s.importance(i) for i in range(n)]
    )
    candidates = np.flatnonzero(~np.isnan(importance))
    if candidates.size == 0:
        return []
    k = min(config.k, candidates.size)
    emb = np.stack([s.embedding(int(i)) for i in candidates]).astype(np.float32)
    access = np.array(s.access_state())[candidates]
    q = query.astype(np.float32)
    if config.strategy == "generative_agents":
        hours = (now - access) * s.minutes_per_tick / 60.0
        recency = min_max(config.decay**hours)
        imp = min_max(importance[candidates])
        relevance = min_max(emb @ q)
        score = (
            config.w_recency * recency + config.w_importance * imp + config.w_relevance * relevance
        )
        return [(int(candidates[i]), float(score[i])) for i in _top_as_before(score, k)]
    d_sem = np.linalg.norm(emb - q, axis=1)
    if query_emotions is None or config.strategy == "semantic_only":
        d_emo = np.zeros(candidates.size)
    else:
        rows = np.array([s.emotions(int(i)) or [np.nan] * 8 for i in candidates], dtype=float)
        d_emo = np.nan_to_num(emotion_distance(np.asarray(query_emotions, float), rows), nan=1.0)
    if config.strategy == "semantic_only":
        order = _top(-d_sem, k)
    elif config.strategy == "emotional_ca":
        order = _top(-(d_sem + d_emo), k)
    elif config.strategy == "emotional_cm":
        order = _top(-(d_sem * d_emo), k)
    else:
        first, second = (d_sem, d_emo) if config.strategy == "emotional_sc" else (d_emo, d_sem)
        pool = _top(-first, min(config.candidates, candidates.size))
        order = pool[np.argsort(second[pool], kind="stable")][:k]
    return [(int(candidates[i]), float(-(d_sem[i] + d_emo[i]))) for i in order]


def random_stream(seed: int, n: int, dim: int = 16) -> MemoryStream:
    rng = np.random.default_rng(seed)
    s = MemoryStream(dim=dim, minutes_per_tick=int(rng.integers(1, 60)))
    base = rng.standard_normal((max(2, n // 3), dim)).astype(np.float32)
    for i in range(n):
        if rng.random() < 0.3:  # a repeated text: an identical embedding (ties)
            e = base[rng.integers(0, len(base))]
        else:
            e = rng.standard_normal(dim).astype(np.float32)
        e = e / np.linalg.norm(e)
        emotions = None if rng.random() < 0.1 else (1 + 3 * rng.integers(0, 4, 8)).tolist()
        importance = None if rng.random() < 0.15 else float(rng.integers(1, 11))
        s.add(
            "observation",
            f"m{i}",
            int(rng.integers(0, 50)),
            e,
            importance=importance,
            emotions=emotions,
        )
    s.load_access(rng.integers(0, 60, n).tolist())
    return s


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("seed", range(6))
def test_retrieval_matches_the_direct_computation(strategy, seed):
    n = [1, 5, 40, 300, 700, 1500][seed]
    s = random_stream(seed, n)
    rng = np.random.default_rng(100 + seed)
    for round_ in range(4):
        q = rng.standard_normal(s.dim).astype(np.float32)
        q /= np.linalg.norm(q)
        if round_ == 3 and n > 1:
            q = s.embedding(n // 2).copy()  # a query equal to a memory: distance 0
        q_emo = None if round_ == 1 else (1 + 3 * rng.integers(0, 4, 8)).tolist()
        config = RetrievalConfig(
            strategy=strategy, k=int(rng.integers(1, 12)), candidates=int(rng.integers(1, 30))
        )
        now = 60 + round_
        want = reference(s, q, now, config, q_emo)
        got = s.retrieve(q, now, config, query_emotions=q_emo, touch=round_ % 2 == 0)
        assert [r.memory.id for r in got] == [w[0] for w in want]
        assert [r.score for r in got] == pytest.approx([w[1] for w in want], rel=1e-12, abs=1e-12)


def test_retrieval_ignores_unscored_and_keeps_scores_after_set_scores():
    s = random_stream(7, 200)
    ids = [m.id for m in s.unscored()]
    s.set_scores(ids, [5.0] * len(ids), [[1, 10, 1, 1, 1, 1, 1, 4]] * len(ids), source="lexicon")
    q = s.embedding(3).copy()
    for strategy in STRATEGIES:
        config = RetrievalConfig(strategy=strategy, k=7)
        want = reference(s, q, 70, config, [1, 1, 10, 1, 1, 1, 1, 1])
        got = s.retrieve(q, 70, config, query_emotions=[1, 1, 10, 1, 1, 1, 1, 1], touch=False)
        assert [r.memory.id for r in got] == [w[0] for w in want]
        assert [r.score for r in got] == pytest.approx([w[1] for w in want], rel=1e-12)
