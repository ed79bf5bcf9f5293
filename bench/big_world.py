"""A big world on the heuristic backend: wall time of each tick, peak memory, trajectory size.

    python bench/big_world.py AGENTS PLACES TICKS [--out DIR] [--profile FILE]

One line per tick: its wall time (the world's tick plus committing it to the trajectory file),
the process's peak RSS so far, the trajectory file's size and the mean size of a decide prompt. The aims (issue 15): 10,000 agents
over 400 places, a tick under 4 s and under 2 GB; 5,000 agents in one place, a tick under 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import resource
import tempfile
import time
from pathlib import Path

from sandbox.store.writer import TrajectoryWriter
from sandbox.testing.crowd import crowd_world
from sandbox.world.world import World


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("agents", type=int)
    parser.add_argument("places", type=int)
    parser.add_argument("ticks", type=int)
    parser.add_argument("--out", type=Path, default=None, help="where the trajectory goes")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the ticks")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="big-world-"))
    path = out / "trajectory.sqlite"
    config = crowd_world(args.agents, places=args.places)
    start = time.perf_counter()
    writer = TrajectoryWriter(path)
    world = World(config, recorder=writer)
    build = time.perf_counter() - start
    print(f"agents={args.agents} places={args.places}: world built in {build:.2f} s", flush=True)
    profile = cProfile.Profile() if args.profile else None
    loop = asyncio.new_event_loop()  # ticks run here, on the main thread (and in its profile)
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
        print(
            f"agents={args.agents} places={args.places} tick={world.tick}: {wall:6.2f} s, "
            f"peak RSS {rss:6.0f} MiB, trajectory {size:7.1f} MiB, "
            f"decide prompt {chars:5.0f} chars",
            flush=True,
        )
    loop.close()
    world.close()
    writer.close()
    if profile is not None:
        profile.dump_stats(args.profile)


if __name__ == "__main__":
    main()
