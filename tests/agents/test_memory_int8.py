"""Products of a query with an int8 matrix, shared between threads (``memory_int8``): the same
to the last bit as one thread doing every block, every row written before the call returns, and
working again in a forked child (which has none of its parent's threads)."""

import itertools
import multiprocessing

import numpy as np
import pytest

from sandbox.agents import memory_int8
from tests.agents.test_retrieval_fast import check_fast_is_direct
from tests.agents.test_retrieval_reference import STRATEGIES


def _alone(codes: np.ndarray, q: np.ndarray, n: int) -> np.ndarray:
    """Every block by the calling thread, in order."""
    block = memory_int8.block_rows(codes.shape[1])
    out = np.full(n, np.nan, dtype=np.float32)
    memory_int8._work(codes, q, n, out, block, -(-n // block), itertools.count())
    return out


def _case(seed: int, rows: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(-127, 128, (rows, dim)).astype(np.int8)
    return codes, rng.standard_normal(dim).astype(np.float32)


@pytest.mark.parametrize(
    ("rows", "dim", "n"),
    [
        (40_000, 64, 40_000),
        (40_000, 64, 33_333),  # part of the rows
        (20_000, 256, 16_385),  # one row into the 17th block
        (3_000, 2_000, 2_999),  # long rows: 230 to a block
        (500, 256, 500),  # one block, no helpers
        (1, 8, 1),
    ],
)
def test_shared_product_is_the_one_thread_product(rows, dim, n):
    codes, q = _case(rows + dim, rows, dim)
    want = _alone(codes, q, n)
    exact = codes[:n].astype(np.float64) @ q.astype(np.float64)
    size = np.abs(codes[:n]).astype(np.float64) @ np.abs(q).astype(np.float64)
    assert np.all(np.abs(want - exact) <= 1e-5 * size)  # float32 rounding of a sum of dim terms
    for _ in range(20):  # which thread takes which block changes from call to call
        out = np.full(n, np.nan, dtype=np.float32)
        memory_int8.int8_dots(codes, q, n, out)
        assert np.array_equal(out, want)


def test_uses_the_cores_it_may_run_on():
    assert 1 <= memory_int8.threads() <= memory_int8.MAX_THREADS


def _in_child(queue) -> None:
    codes, q = _case(1, 40_000, 64)
    out = np.empty(40_000, dtype=np.float32)
    memory_int8.int8_dots(codes, q, 40_000, out)
    queue.put(out)


def test_a_forked_child_starts_its_own_helpers():
    """The parent's helper threads do not exist in a forked child: a child that submitted to
    them would wait forever."""
    codes, q = _case(1, 40_000, 64)
    out = np.empty(40_000, dtype=np.float32)
    memory_int8.int8_dots(codes, q, 40_000, out)  # the parent's helpers exist now
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_in_child, args=(queue,))
    child.start()
    try:
        got = queue.get(timeout=60)
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    assert np.array_equal(got, out)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_retrieval_over_shared_products_is_the_direct_path(strategy):
    """A stream long enough for its int8 products to be shared between threads retrieves what
    the direct path retrieves, to the last bit."""
    check_fast_is_direct(strategy, seed=4, n=17_500, dim=32, rounds=3)
