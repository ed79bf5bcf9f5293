"""Wall time of one tick against a fake OpenAI-compatible server with fixed latency.

The floor of a tick is latency x the number of dependent model-call layers in it (today one:
every agent's decision, made concurrently). The aim is a tick within 1.25x the floor at N = 64.

    python bench/tick_latency.py [--latency 0.5] [--ticks 3] [--agents 4 16 64]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table

from sandbox.llm.factory import make_client
from sandbox.testing.crowd import crowd_world
from sandbox.world.config import WorldConfig
from sandbox.world.world import World

DEPENDENT_LAYERS = 1  # agent.decide; grows when perception scoring or reflection add layers


def world_of(n: int) -> WorldConfig:
    return crowd_world(n, name=f"bench-{n}")


async def measure(n: int, base_url: str, ticks: int) -> tuple[list[float], int]:
    client = make_client("openai/fake", api_base=base_url, concurrency=max(64, n))
    world = World(world_of(n), client)
    times = []
    calls = 0
    for _ in range(ticks):
        start = time.perf_counter()
        record = await world.astep()
        times.append(time.perf_counter() - start)
        calls += sum(c.attempts for c in record.llm_calls)
    world.close()
    return times, calls


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    """The fake server in its own process, as a real model server would be."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.testing.fake_openai_server", "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--ticks", type=int, default=3)
    parser.add_argument("--agents", type=int, nargs="+", default=[4, 16, 64])
    args = parser.parse_args()
    floor = args.latency * DEPENDENT_LAYERS
    table = Table(title=f"One tick against a fake server with {args.latency:.2f} s latency")
    for col in (
        "agents",
        "calls/tick",
        "median tick (s)",
        "worst tick (s)",
        "floor (s)",
        "median / floor",
        "peak RSS (MiB)",
    ):
        table.add_column(col, justify="right")
    server, base_url = start_server(args.latency)
    try:
        # Warm up litellm (import, first connection) outside the measurement.
        asyncio.run(measure(2, base_url, 1))
        for n in args.agents:
            times, calls = asyncio.run(measure(n, base_url, args.ticks))
            median = statistics.median(times)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            table.add_row(
                str(n),
                f"{calls / args.ticks:.1f}",
                f"{median:.3f}",
                f"{max(times):.3f}",
                f"{floor:.2f}",
                f"{median / floor:.2f}x",
                f"{rss:.0f}",
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    Console().print(table)


if __name__ == "__main__":
    main()
