"""The large-stream path of retrieval (the int8 copy of the embeddings bounding every row, exact
values only for the rows that can reach the top) gives what the direct computation gives, for
every strategy: the same checks as test_retrieval_reference.py, with the path forced on small
streams, at the test's dim and at 256 dimensions."""

import numpy as np
import pytest

from sandbox.agents.memory import MemoryStream, RetrievalConfig
from tests.agents.test_retrieval_reference import STRATEGIES, random_stream, reference


def _check(s: MemoryStream, seed: int, strategy: str) -> None:
    n = len(s)
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


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("seed", range(6))
def test_large_stream_path_matches_the_direct_computation(strategy, seed):
    n = [1, 5, 40, 300, 700, 1500][seed]
    s = random_stream(seed, n)
    s.fast_from = 0
    _check(s, seed, strategy)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_large_stream_path_at_256_dimensions(strategy):
    s = random_stream(11, 600, dim=256)
    s.fast_from = 0
    _check(s, 11, strategy)


def test_the_int8_copy_follows_growth_and_rollback():
    s = random_stream(3, 100)
    s.fast_from = 0
    config = RetrievalConfig(strategy="semantic_only", k=5)
    q = s.embedding(7).copy()
    got = s.retrieve(q, 70, config, touch=False)
    assert [r.memory.id for r in got] == [w[0] for w in reference(s, q, 70, config)]
    s.truncate(50)  # rows 50.. are forgotten and written again with other embeddings
    rng = np.random.default_rng(9)
    for i in range(200):  # past the capacity: the buffers grow
        e = rng.standard_normal(s.dim).astype(np.float32)
        s.add("observation", f"new {i}", 70, e / np.linalg.norm(e), importance=3.0)
    for target in (3, 60, 180, 249):
        q = s.embedding(target).copy()
        got = s.retrieve(q, 71, config, touch=False)
        want = reference(s, q, 71, config)
        assert [r.memory.id for r in got] == [w[0] for w in want]
        if target >= 50:  # a new memory, alone at distance 0
            assert got[0].memory.id == target


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_large_stream_path_is_bit_identical_to_the_direct_path(strategy):
    """Above the BLAS's threading threshold (3,000 x 256 floats): the same memories, the same
    scores to the last bit, touches included, as the direct path of an identical stream."""
    check_fast_is_direct(strategy, seed=21, n=3000, dim=256, rounds=6)


def check_fast_is_direct(strategy: str, *, seed: int, n: int, dim: int, rounds: int) -> None:
    """Two identical streams, one forced on the large-stream path and one on the direct path,
    retrieve the same memories with the same scores (to the last bit), touches included."""
    fast, direct = random_stream(seed, n, dim=dim), random_stream(seed, n, dim=dim)
    fast.fast_from, direct.fast_from = 0, 10**9
    rng = np.random.default_rng(seed + 1)
    for round_ in range(rounds):
        q = rng.standard_normal(dim).astype(np.float32)
        q /= np.linalg.norm(q)
        q_emo = None if round_ == 1 else (1 + 3 * rng.integers(0, 4, 8)).tolist()
        config = RetrievalConfig(strategy=strategy, k=int(rng.integers(1, 30)))
        got = fast.retrieve(q, 70 + round_, config, query_emotions=q_emo)
        want = direct.retrieve(q, 70 + round_, config, query_emotions=q_emo)
        assert got == want


def test_product_in_single_threaded_pieces_is_the_whole_product():
    """memory_gemv.product (no waiting on BLAS threads) gives ``matrix @ v`` to the last bit,
    above the threading threshold and with every remainder of rows."""
    from sandbox.agents.memory_gemv import product

    rng = np.random.default_rng(3)
    for dtype, dim, sizes in ((np.float64, 8, (57_601, 60_002)), (np.float32, 256, (1801, 4003))):
        for size in sizes:
            m = np.ldexp(rng.standard_normal((size, dim)), rng.integers(-10, 10, (size, dim)))
            m, v = m.astype(dtype), rng.standard_normal(dim).astype(dtype)
            assert np.array_equal(product(m, v), m @ v)


def test_recency_normalised_from_the_table_is_min_max_of_the_rows():
    from sandbox.agents.memory import _recency, _recency_normalised, min_max

    rng = np.random.default_rng(8)
    for minutes, decay, spread in ((10, 0.995, 1000), (1, 0.9, 3), (60, 1.0, 50), (7, 0.999, 1)):
        s = MemoryStream(dim=4, minutes_per_tick=minutes)
        access = rng.integers(0, spread, 5000)
        for now in (spread, spread + 17):
            want = min_max(_recency(access, now, s, decay))
            assert np.array_equal(_recency_normalised(access, now, s, decay), want)
