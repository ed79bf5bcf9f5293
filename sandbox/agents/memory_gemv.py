"""Some rows of a BLAS matrix-vector product, bit for bit as the whole product gives them.

``(m @ v)[rows]`` computed as ``m[rows] @ v`` can differ in the last bits: OpenBLAS's kernel
takes the rows four at a time, a different path for the last ``len % 4`` rows, and with several
threads it splits the rows into chunks first (each chunk with its own last rows). ``GemvRows``
rebuilds that layout for the rows asked for: each row is computed in a small single-threaded
product together with the rows it shares a block with, in the same position in its block.

The layout is a model of the library, so it is checked once per process, element type and row
length against whole products of random matrices (sizes with every remainder, threaded and not);
if the check fails, ``GemvRows.for_dim`` returns None and the caller computes the whole product.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

# OpenBLAS runs a matrix-vector product in one thread below this many elements (2304 times its
# build's GEMM_MULTITHREAD_THRESHOLD; 200 in numpy's scipy-openblas 0.3.31, found by measuring and
# checked by the calibration); the single-threaded products made here stay below it.
ONE_THREAD = 2304 * 200
_CHECKED: dict[tuple[str, int], GemvRows | None] = {}


@dataclass(frozen=True)
class GemvRows:
    dim: int
    threads: int  # how many chunks a product above ONE_THREAD elements is split into

    @classmethod
    def for_dim(cls, dtype: Any, dim: int) -> GemvRows | None:
        """The layout that reproduces this process's BLAS for rows of ``dim`` elements, or None."""
        key = (np.dtype(dtype).name, dim)
        if key not in _CHECKED:
            _CHECKED[key] = _calibrate(np.dtype(dtype), dim)
        return _CHECKED[key]

    def blocks(self, size: int, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """For ``rows`` of a ``size``-row product: groups of (rows to multiply together, where
        the wanted rows are in that group), each group laid out as in the whole product."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self._chunks(size)
        chunk = np.searchsorted(starts, rows, side="right") - 1
        c0, c1 = starts[chunk], ends[chunk]
        full = c0 + (c1 - c0) // 4 * 4  # rows from here to c1 take the kernel's last-rows path
        in_block = rows < full
        out: list[tuple[np.ndarray, np.ndarray]] = []
        # rows in 4-row blocks: the blocks, several to a product (4 * dim * count < ONE_THREAD)
        block = c0[in_block] + (rows[in_block] - c0[in_block]) // 4 * 4
        if block.size:
            unique, where = np.unique(block, return_inverse=True)
            per_call = max(1, (ONE_THREAD - 1) // (4 * self.dim))
            pos = np.flatnonzero(in_block)
            at_all = where * 4 + (rows[in_block] - block)
            order = np.argsort(where, kind="stable")
            cuts = np.searchsorted(where[order], np.arange(0, unique.size, per_call))
            cuts = np.append(cuts, order.size)
            for c, i in enumerate(range(0, unique.size, per_call)):
                part = unique[i : i + per_call]
                members = (part[:, None] + np.arange(4)).ravel()
                take = order[cuts[c] : cuts[c + 1]]
                out.append((members, np.stack([pos[take], at_all[take] - 4 * i])))
        # the last rows of a chunk: with the block before them, as in the chunk
        for end in np.unique(c1[~in_block]):
            sel = np.flatnonzero(~in_block & (c1 == end))
            start = max(int(c0[sel[0]]), int(full[sel[0]]) - 4)
            members = np.arange(start, int(end))
            out.append((members, np.stack([sel, rows[sel] - start])))
        return out

    def _chunks(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """OpenBLAS's split of a transposed product's columns (our rows) between threads."""
        if size * self.dim < ONE_THREAD or self.threads == 1:
            return np.array([0]), np.array([size])
        starts, ends, left, start = [], [], size, 0
        for num in range(self.threads):
            if left <= 0:
                break
            width = max(4, -(-left // (self.threads - num)))
            width = min(width, left)
            starts.append(start)
            ends.append(start + width)
            start += width
            left -= width
        return np.array(starts), np.array(ends)

    def rows(self, matrix: np.ndarray, size: int, v: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``(matrix[:size] @ v)[rows]`` as the whole product gives it."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty(rows.size, dtype=np.result_type(matrix.dtype, v.dtype))
        for members, (dest, at) in self.blocks(size, rows):
            out[dest] = (matrix[members] @ v)[at]
        return out


def product(matrix: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``matrix @ v`` bit for bit, computed in single-threaded pieces when the layout is known
    (a threaded BLAS product waits for its threads, long on a loaded machine), else directly."""
    if matrix.ndim != 2 or matrix.size < ONE_THREAD:
        return matrix @ v  # one thread already (and no layout to check)
    size = matrix.shape[0]
    model = GemvRows.for_dim(matrix.dtype, matrix.shape[1])
    if model is None:
        return matrix @ v
    out = np.empty(size, dtype=np.result_type(matrix.dtype, v.dtype))
    step = max(4, (ONE_THREAD - 1) // model.dim // 4 * 4)
    starts, ends = model._chunks(size)
    for c0, c1 in zip(starts.tolist(), ends.tolist(), strict=True):
        full = c0 + (c1 - c0) // 4 * 4
        for lo in range(c0, full, step):  # whole 4-row blocks, as many as one thread takes
            hi = min(lo + step, full)
            np.dot(matrix[lo:hi], v, out=out[lo:hi])
        if full < c1:  # the chunk's last rows, with the block before them
            start = max(c0, full - 4)
            out[full:c1] = (matrix[start:c1] @ v)[full - start :]
    return out


def _calibrate(dtype: np.dtype, dim: int) -> GemvRows | None:
    """The thread count whose layout reproduces whole products here, or None."""
    if (4 + 3) * dim >= ONE_THREAD or ONE_THREAD // dim > 200_000:
        return None  # the last rows of a chunk could not be recomputed in one thread
    rng = np.random.default_rng(0)
    edge = ONE_THREAD // dim  # the largest products in one thread, the smallest split ones
    sizes = [1, 2, 3, 5, 6, 7, 9, 1001, edge - 3, edge - 1, edge + 1, edge + 2, edge + 3, edge + 5]
    sizes += [4 * edge + 1, 4 * edge + 3]

    def wide(*shape: int) -> np.ndarray:  # magnitudes over 6 decades: every rounding shows
        return np.ldexp(rng.standard_normal(shape), rng.integers(-10, 10, shape)).astype(dtype)

    mats = [wide(s, dim) for s in sizes if s > 0]
    vec = wide(dim)
    wholes = [m @ vec for m in mats]
    candidates = sorted({1, 2, 3, 4, 8, os.cpu_count() or 1})
    checked = []
    for m in mats:  # the rows where layouts differ: around every chunk's end, and some others
        size = m.shape[0]
        ends = [-(-size * i // t) for t in candidates for i in range(1, t + 1)] + [0]
        near = np.add.outer(np.array(ends), np.arange(-8, 8)).ravel()
        picked = np.concatenate([near, rng.integers(0, size, 64)])
        checked.append(np.unique(picked[(picked >= 0) & (picked < size)]))
    for threads in candidates:
        model = GemvRows(dim, threads)
        if all(
            np.array_equal(model.rows(m, m.shape[0], vec, rows), whole[rows])
            for m, whole, rows in zip(mats, wholes, checked, strict=True)
        ):
            return model
    return None
