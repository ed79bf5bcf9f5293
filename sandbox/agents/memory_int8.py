"""Dot products of a query with the rows of an int8 matrix, on every core that is free.

NumPy has no int8-by-float32 product: the rows are converted to float32 a block at a time (in a
buffer each thread keeps) and each block multiplied by a single-threaded BLAS product. Converting
is most of the cost, so the blocks are shared out between the calling thread and helper threads
(one fewer than the cores this process may use, at most ``MAX_THREADS`` in all): each thread takes
the next block not yet taken, so a helper that is not scheduled (a busy machine) leaves its blocks
to the others and the call is never slower than doing it alone by more than one block. Every block
is computed the same way whichever thread takes it, so the result is the same to the last bit.

The helper threads are started on the first large product, not at import, and again in a child
process after a fork (``sandbox.background``).
"""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any

import numpy as np

from sandbox.agents.memory_gemv import ONE_THREAD
from sandbox.background import thread_pool

MAX_THREADS = 4  # more does not pay: the conversion is then limited by memory bandwidth
BLOCK = 1024  # rows converted at a time (1 MiB of float32 at dim 256), fewer for long rows so
# that each block's BLAS product stays single-threaded (below ONE_THREAD elements)
SHARED_FROM = 16  # blocks: smaller products are done by the calling thread alone

_local = threading.local()  # each thread's float32 buffer


def threads() -> int:
    """How many threads a large product uses: the cores this process may run on, at most
    ``MAX_THREADS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, cores))


def block_rows(dim: int) -> int:
    """Rows converted at a time for rows of ``dim`` elements."""
    return max(1, min(BLOCK, (ONE_THREAD - 1) // max(1, dim)))


def int8_dots(codes: np.ndarray, q: np.ndarray, n: int, out: np.ndarray) -> None:
    """``out[i] = float32(codes[i]) @ q`` for rows ``0..n-1`` (float32, unscaled)."""
    block = block_rows(codes.shape[1])
    blocks = -(-n // block)
    taken = itertools.count()  # next() is atomic under the GIL: each block goes to one thread
    count = threads() - 1 if blocks >= SHARED_FROM else 0  # helper threads
    if count == 0:
        _work(codes, q, n, out, block, blocks, taken)
        return
    pool = thread_pool("int8-dots", count)
    futures = [pool.submit(_work, codes, q, n, out, block, blocks, taken) for _ in range(count)]
    try:
        _work(codes, q, n, out, block, blocks, taken)
    finally:
        for future in futures:  # no helper may still write to ``out`` once this returns
            future.result()


def _work(
    codes: np.ndarray,
    q: np.ndarray,
    n: int,
    out: np.ndarray,
    block: int,
    blocks: int,
    taken: Any,
) -> None:
    buffer = getattr(_local, "buffer", None)
    if buffer is None or buffer.shape != (block, codes.shape[1]):
        buffer = _local.buffer = np.empty((block, codes.shape[1]), dtype=np.float32)
    for b in taken:
        if b >= blocks:
            return
        lo, hi = b * block, min(b * block + block, n)
        rows = buffer[: hi - lo]
        np.copyto(rows, codes[lo:hi], casting="unsafe")
        np.dot(rows, q, out=out[lo:hi])
