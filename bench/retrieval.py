"""Retrieval time: top-k over N scored memories, one line per strategy (median ms per query).

    python bench/retrieval.py [N] [k] [--dim 256] [--repeats 30]

Memories are random unit embeddings with importance 1-10, lexicon-like emotion vectors and last
accesses spread over 1,000 ticks (seed 0); every query is a fresh random unit vector and touches
what it retrieves, as in a tick. The aim (issue 15) is at most 10 ms for every strategy at
N = 100,000, k = 10. The first query of each strategy is not timed (nor the one after it): the
first one quantises the stream's int8 copy (once per stream) and checks the BLAS layout (once per
process). The first line, for reference, is one float32 product of the whole embedding matrix
with a query, as the direct path computes it (``memory_gemv.product``: single-threaded BLAS
pieces): what computing every row's relevance costs on one core, before any scoring or ranking.
Retrieval shares its int8 products between up to ``threads`` threads (the cores this process may
use, at most 4); ``taskset -c 0`` measures it on one core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from sandbox.agents.memory import MemoryStream, RetrievalConfig
from sandbox.agents.memory_gemv import product
from sandbox.agents.memory_int8 import threads

STRATEGIES = (
    "generative_agents",
    "semantic_only",
    "emotional_ca",
    "emotional_cm",
    "emotional_sc",
    "emotional_ss",
)


def build(n: int, dim: int, seed: int = 0) -> MemoryStream:
    rng = np.random.default_rng(seed)
    stream = MemoryStream(dim=dim, minutes_per_tick=10)
    emb = rng.standard_normal((n, dim)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    ticks = np.sort(rng.integers(0, 1000, n))
    importance = rng.integers(1, 11, n)
    emotions = 1 + 3 * rng.integers(0, 4, (n, 8))
    for i in range(n):
        stream.add(
            "observation",
            f"m{i}",
            int(ticks[i]),
            emb[i],
            importance=float(importance[i]),
            emotions=emotions[i].astype(float).tolist(),
        )
    return stream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=100_000, help="memories in the stream")
    parser.add_argument("k", type=int, nargs="?", default=10, help="memories retrieved")
    parser.add_argument("--dim", type=int, default=256, help="embedding dimensions")
    parser.add_argument("--repeats", type=int, default=30, help="queries per strategy")
    args = parser.parse_args()
    for name, value in (("N", args.n), ("k", args.k), ("--dim", args.dim)):
        if value < 1:
            parser.error(f"{name} must be at least 1, not {value}")
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, not {args.repeats}")
    stream = build(args.n, args.dim)
    rng = np.random.default_rng(1)
    matrix = stream._emb[: args.n]
    q = rng.standard_normal(args.dim).astype(np.float32)
    reference = []
    for _ in range(args.repeats + 2):
        start = time.perf_counter()
        product(matrix, q)  # every row's relevance as the direct path computes it, nothing else
        reference.append(time.perf_counter() - start)
    mb = matrix.nbytes / 2**20
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    shared = threads()
    print(
        f"{'(matrix @ query)':18s} N={args.n} k={args.k} dim={args.dim}: "
        f"{statistics.median(reference[2:]) * 1000:7.2f} ms ({mb:.0f} MiB of float32 embeddings; "
        f"retrieval's int8 products on {shared} thread{'s' if shared > 1 else ''}; "
        f"load average {load})"
    )
    for strategy in STRATEGIES:
        config = RetrievalConfig(strategy=strategy, k=args.k)
        times = []
        for _ in range(args.repeats + 2):
            q = rng.standard_normal(args.dim).astype(np.float32)
            q /= np.linalg.norm(q)
            q_emo = (1 + 3 * rng.integers(0, 4, 8)).astype(float).tolist()
            start = time.perf_counter()
            stream.retrieve(q, 1000, config, query_emotions=q_emo)
            times.append(time.perf_counter() - start)
        ms = statistics.median(times[2:]) * 1000  # the first two warm the caches
        print(f"{strategy:18s} N={args.n} k={args.k} dim={args.dim}: {ms:7.2f} ms/query")


if __name__ == "__main__":
    main()
