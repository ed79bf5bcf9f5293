import numpy as np
import pytest

from sandbox.agents.embeddings import HashingEmbedder
from sandbox.agents.emotions import lexicon_emotions
from sandbox.agents.memory import MemoryStream, RetrievalConfig, min_max


def stream3() -> MemoryStream:
    """Hand-computable: 1 hour per tick, decay 0.5."""
    s = MemoryStream(dim=2, minutes_per_tick=60)
    s.add("observation", "a", 0, np.array([1.0, 0.0]), importance=1)
    s.add("observation", "b", 5, np.array([0.0, 1.0]), importance=10)
    s.add("observation", "c", 10, np.array([0.6, 0.8]), importance=5)
    return s


def test_generative_agents_score_by_hand():
    s = stream3()
    got = s.retrieve(np.array([1.0, 0.0]), 10, RetrievalConfig(k=3, decay=0.5), touch=False)
    # recency 0.5**(10, 5, 0) -> min-max (0, 0.0303, 1); importance (1, 10, 5) -> (0, 1, 4/9);
    # relevance (1, 0, 0.6) -> (1, 0, 0.6)
    r_b = (0.5**5 - 0.5**10) / (1 - 0.5**10)
    assert [x.memory.text for x in got] == ["c", "b", "a"]
    assert got[0].score == pytest.approx(1 + 4 / 9 + 0.6, abs=1e-6)
    assert got[1].score == pytest.approx(r_b + 1 + 0, abs=1e-6)
    assert got[2].score == pytest.approx(0 + 0 + 1, abs=1e-6)
    assert got[1].recency == pytest.approx(r_b)


def test_weights_change_the_ranking():
    s = stream3()
    relevance_only = RetrievalConfig(k=3, decay=0.5, w_recency=0, w_importance=0)
    got = s.retrieve(np.array([1.0, 0.0]), 10, relevance_only, touch=False)
    assert [x.memory.text for x in got] == ["a", "c", "b"]


def test_retrieval_touches_last_access_unless_told_not_to():
    s = stream3()
    s.retrieve(np.array([1.0, 0.0]), 20, RetrievalConfig(k=1, decay=0.5), touch=False)
    assert s.access_state() == [0, 5, 10]
    [top] = s.retrieve(np.array([1.0, 0.0]), 20, RetrievalConfig(k=1, decay=0.5))
    assert s.access_state()[top.memory.id] == 20


def test_unscored_memories_are_not_candidates_and_ties_count_half():
    s = MemoryStream(dim=2, minutes_per_tick=60)
    s.add("observation", "scored", 0, np.array([1.0, 0.0]), importance=3)
    s.add("observation", "pending", 0, np.array([1.0, 0.0]))
    got = s.retrieve(np.array([1.0, 0.0]), 0, RetrievalConfig(k=5))
    assert [g.memory.text for g in got] == ["scored"]
    assert got[0].score == pytest.approx(1.5)  # each constant term normalises to 0.5
    assert list(min_max(np.array([2.0, 2.0]))) == [0.5, 0.5]


def test_emotional_strategies_by_hand():
    s = MemoryStream(dim=2, minutes_per_tick=60)
    joy = [10, 1, 1, 1, 1, 1, 1, 1]
    fear = [1, 1, 10, 1, 1, 1, 1, 1]
    s.add("observation", "close-fearful", 0, np.array([1.0, 0.0]), importance=5, emotions=fear)
    s.add("observation", "far-joyful", 0, np.array([0.0, 1.0]), importance=5, emotions=joy)
    s.add("observation", "mid-joyful", 0, np.array([0.8, 0.6]), importance=5, emotions=joy)
    q = np.array([1.0, 0.0])

    def ids(strategy, k=1, candidates=20):
        cfg = RetrievalConfig(strategy=strategy, k=k, candidates=candidates)
        return [r.memory.text for r in s.retrieve(q, 0, cfg, query_emotions=joy, touch=False)]

    # d_sem: 0, 1.414, 0.632; d_emo: 1 - cos(joy, fear) = 0.83..., 0, 0
    assert ids("emotional_ca") == ["mid-joyful"]  # 0.632 + 0 beats 0 + 0.83
    # C-M with a mixed query: products d_sem * d_emo decide
    mixed = np.array([6, 1, 5, 1, 1, 1, 1, 1], dtype=float)
    d_sem = np.array([0.0, np.sqrt(2), np.sqrt(0.2**2 + 0.6**2)])
    emo = np.array([fear, joy, joy], dtype=float)
    d_emo = 1 - emo @ mixed / (np.linalg.norm(emo, axis=1) * np.linalg.norm(mixed))
    expected = ["close-fearful", "far-joyful", "mid-joyful"][int(np.argmin(d_sem * d_emo))]
    cfg = RetrievalConfig(strategy="emotional_cm", k=1)
    got = s.retrieve(q, 0, cfg, query_emotions=list(mixed), touch=False)
    assert [r.memory.text for r in got] == [expected]
    assert ids("emotional_sc", candidates=1) == ["close-fearful"]  # semantic pool of one
    assert ids("emotional_ss", k=1, candidates=2) == ["mid-joyful"]  # emotion pool, then semantic


def test_hashing_embedder_is_deterministic_and_meaningful():
    e = HashingEmbedder(256)
    a, b, c = e.embed_sync(["the party at the cafe", "a party at the cafe", "quantum physics exam"])
    assert np.allclose(e.embed_sync(["the party at the cafe"])[0], a)
    assert float(a @ b) > float(a @ c)
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)


def test_lexicon_emotions():
    joy, _trust, fear = lexicon_emotions("What a lovely party, I'm so happy")[:3]
    assert joy > 1 and fear == 1


def test_truncate_and_unscore_roll_back():
    s = stream3()
    s.truncate(2)
    assert len(s) == 2
    s.add("observation", "d", 11, np.array([0.0, 1.0]))
    assert [m.id for m in s.unscored()] == [2]
    s.unscore([0])
    assert [m.id for m in s.unscored()] == [0, 2]


def test_many_memories_stay_fast_and_correct():
    s = MemoryStream(dim=16, minutes_per_tick=10)
    rng = np.random.default_rng(0)
    for i in range(3000):
        v = rng.standard_normal(16)
        s.add("observation", str(i), i // 10, v / np.linalg.norm(v), importance=float(1 + i % 10))
    got = s.retrieve(np.ones(16) / 4.0, 300, RetrievalConfig(k=10), touch=False)
    scores = [g.score for g in got]
    assert scores == sorted(scores, reverse=True) and len(got) == 10


@pytest.mark.network
def test_litellm_embedder_through_the_fake_server(fake_server):
    import asyncio

    from sandbox.agents.embeddings import make_embedder
    from sandbox.llm.factory import make_client

    client = make_client("heuristic")
    embedder = make_embedder("litellm:openai/fake-embed", client, api_base=fake_server.base_url)
    vectors = asyncio.run(embedder.embed(["the party at the cafe", "a party at the cafe", "exams"]))
    assert vectors.shape == (3, 32) and embedder.dim == 32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
    [call] = client.drain_calls()
    assert call.purpose == "memory.embed" and call.backend == "litellm" and call.prompt_tokens > 0
    stream = MemoryStream(dim=256, minutes_per_tick=10)  # adopts the embedder's size
    stream.add("observation", "x", 0, vectors[0], importance=3)
    assert stream.dim == 32
    with pytest.raises(ValueError, match="32"):
        stream.add("observation", "y", 0, np.ones(5))
