"""A big world on the heuristic backend: wall time of each tick, peak memory, trajectory size.

    python bench/big_world.py AGENTS PLACES TICKS [--workers N [--pool process|ray]]
                              [--out DIR] [--profile FILE]

One line per tick: its wall time (the world's tick plus committing it to the trajectory file),
the decide phase's wall time and main-process CPU time (``rules.decide``: prompts, model calls,
parsing) and, with decide workers (``--workers``, ``sandbox.llm.shards``), the batch's split:
issuing (rendering the prompts and sending them in blocks, while the workers already answer),
then waiting for the last replies, then rebuilding answers and call records, and each worker's
CPU seconds; committing the tick to the trajectory file (checkpoint delta and rows, one
transaction); the main process's peak RSS so far, the trajectory file's size and the mean size of
a decide prompt; and, at the end, the wall time of all the ticks with what ran between them. The
aims (issue 15): 10,000 agents
over 400 places, a tick under 4 s and under 2 GB; 5,000 agents in one place, a tick under 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import resource
import shutil
import tempfile
import time
from pathlib import Path

from sandbox.llm.factory import make_client
from sandbox.llm.shards import start_shards
from sandbox.store.records import TickRecord
from sandbox.store.writer import TrajectoryWriter
from sandbox.testing.crowd import crowd_world
from sandbox.world.world import World


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("agents", type=int)
    parser.add_argument("places", type=int)
    parser.add_argument("ticks", type=int)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="keep the trajectory here (else a temporary folder, removed)",
    )
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the ticks")
    parser.add_argument("--workers", type=int, default=0, help="decide workers (0: none)")
    parser.add_argument("--pool", choices=("process", "ray"), default="process")
    args = parser.parse_args()
    for name in ("agents", "places", "ticks"):
        if getattr(args, name) < 1:
            parser.error(f"{name.upper()} must be at least 1, not {getattr(args, name)}")
    if args.workers < 0:
        parser.error(f"--workers must be 0 or more, not {args.workers}")
    out = args.out or Path(tempfile.mkdtemp(prefix="big-world-"))  # removed at the end
    path = out / "trajectory.sqlite"
    config = crowd_world(args.agents, places=args.places)
    start = time.perf_counter()
    writer = TrajectoryWriter(path)
    client = make_client("heuristic")
    pool = start_shards(client, args.workers, args.pool) if args.workers else None
    world = World(config, client=client, recorder=writer)
    decide = world.rules.decide
    spent: list[tuple[float, float]] = []  # the decide phase's wall and main-process CPU seconds

    async def timed_decide(world_: World, tick: int) -> dict:
        began, cpu = time.perf_counter(), time.process_time()
        try:
            return await decide(world_, tick)
        finally:
            spent.append((time.perf_counter() - began, time.process_time() - cpu))

    world.rules.decide = timed_decide  # type: ignore[method-assign]
    commit = writer.commit_tick
    committing: list[float] = []  # committing each tick to the trajectory file, wall seconds

    def timed_commit(record: TickRecord, prompt_hashes: dict[str, str] | None = None) -> None:
        began = time.perf_counter()
        try:
            commit(record, prompt_hashes)
        finally:
            committing.append(time.perf_counter() - began)

    writer.commit_tick = timed_commit  # type: ignore[method-assign]
    build = time.perf_counter() - start
    print(f"agents={args.agents} places={args.places}: world built in {build:.2f} s", flush=True)
    profile = cProfile.Profile() if args.profile else None
    loop = asyncio.new_event_loop()  # ticks run here, on the main thread (and in its profile)
    began = time.perf_counter()
    for _ in range(args.ticks):
        start = time.perf_counter()
        if profile is not None:
            profile.enable()
        loop.run_until_complete(world.astep())
        if profile is not None:
            profile.disable()
        wall = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = sum(p.stat().st_size for p in out.glob("trajectory.sqlite*")) / 2**20
        record = world.last_record
        prompts = [
            sum(len(m["content"]) for m in c.messages)
            for c in (record.llm_calls if record else [])
            if c.purpose == "agent.decide"
        ]
        chars = sum(prompts) / max(1, len(prompts))
        shards = ""
        if pool is not None and pool.timings:
            issue_s, wait_s, rebuild_s, cpu = pool.timings[-1]
            shards = (
                f" (shards: issuing {issue_s:5.2f} s, then waiting {wait_s:5.2f} s, "
                f"rebuilding {rebuild_s:5.2f} s; worker CPU "
                + "/".join(f"{c:.2f}" for c in cpu)
                + " s)"
            )
        print(
            f"agents={args.agents} places={args.places} workers={args.workers}{'/' + args.pool if pool else ''} "
            f"tick={world.tick}: {wall:6.2f} s, decide {spent[-1][0]:5.2f} s "
            f"(main CPU {spent[-1][1]:5.2f} s){shards}, commit {committing[-1]:5.2f} s, "
            f"peak RSS {rss:6.0f} MiB, trajectory {size:7.1f} MiB, "
            f"decide prompt {chars:5.0f} chars",
            flush=True,
        )
    whole = time.perf_counter() - began
    print(
        f"agents={args.agents} places={args.places}: {args.ticks} ticks in {whole:.2f} s "
        f"({whole / max(1, args.ticks):.2f} s a tick, with what runs between ticks: the garbage "
        "collector's passes, if any (see sandbox/collector.py), and this script's reporting)",
        flush=True,
    )
    loop.close()
    world.close()
    writer.close()
    client.close_shards()
    if profile is not None:
        profile.dump_stats(args.profile)
    if args.out is None:
        shutil.rmtree(out)  # hundreds of MB at 10,000 agents
    else:
        print(f"trajectory: {path}", flush=True)


if __name__ == "__main__":
    main()
