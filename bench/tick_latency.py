"""Tick wall time against a fake OpenAI-compatible server with fixed latency (issue 15's anchor).

N agents in one room, T ticks, one model call (an utterance or move) per agent and tick, a fake
server in its own process answering after L seconds. The floor is T x L x the dependent call
layers of a tick (one: every agent's decision, made concurrently), e.g. 3 x 0.5 s = 1.5 s.
Prints one line per case (N, path): the tick wall times, their sum over the floor, requests and
prompt tokens per agent-tick, and the CPU time this process (world and model client) used.

    python bench/tick_latency.py [--agents 16 64 256] [--latency 0.5] [--ticks 3]
                                 [--paths lean litellm] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time

from sandbox.llm.factory import make_client
from sandbox.world.config import WorldConfig
from sandbox.world.world import World

DEPENDENT_LAYERS = 1  # agent.decide; grows when perception scoring or reflection add layers


def one_room(n: int) -> WorldConfig:
    """``n`` reactive agents (no cognition block) in one room, seed 1."""
    agents = [
        {
            "start": "hall",
            "persona": {
                "name": f"Agent{i:03d}",
                "big_five": {"extraversion": (i % 10) / 10, "openness": ((i * 7) % 10) / 10},
            },
        }
        for i in range(n)
    ]
    return WorldConfig.model_validate(
        {
            "name": f"bench-{n}",
            "seed": 1,
            "places": [{"name": "hall", "description": "A large hall."}, {"name": "yard"}],
            "agents": agents,
        }
    )


async def measure(n: int, base_url: str, ticks: int, path: str) -> tuple[list[float], int, int]:
    """Tick wall times, HTTP requests and prompt tokens of ``ticks`` ticks of ``one_room(n)``."""
    client = make_client("openai/fake", api_base=base_url, concurrency=max(64, n), http_client=path)
    world = World(one_room(n), client)
    times, requests, tokens = [], 0, 0
    try:
        for _ in range(ticks):
            start = time.perf_counter()
            record = await world.astep()
            times.append(time.perf_counter() - start)
            requests += sum(c.attempts for c in record.llm_calls)
            tokens += sum(c.prompt_tokens for c in record.llm_calls)
    finally:
        world.close()
    expected = "openai_http" if path == "lean" else "litellm"
    assert client.backend.name == expected, f"asked for {path}, got {client.backend.name}"
    return times, requests, tokens


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
    parser.add_argument("--latency", type=float, default=0.5, help="server seconds per answer")
    parser.add_argument("--ticks", type=int, default=3)
    parser.add_argument("--agents", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument(
        "--paths", nargs="+", default=["lean", "litellm"], choices=["lean", "litellm"]
    )
    parser.add_argument("--profile", help="write a cProfile of the measured cases to this file")
    args = parser.parse_args()
    floor = args.ticks * args.latency * DEPENDENT_LAYERS
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.2f}, "
        f"latency {args.latency} s, {args.ticks} ticks, floor {floor:.2f} s",
        flush=True,
    )
    server, base_url = start_server(args.latency)
    profiler = None
    try:
        for path in args.paths:  # imports, litellm's warm-up: not measured
            asyncio.run(measure(2, base_url, 1, path))
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        for n in args.agents:
            for path in args.paths:
                cpu = time.process_time()
                times, requests, tokens = asyncio.run(measure(n, base_url, args.ticks, path))
                cpu = time.process_time() - cpu
                agent_ticks = n * args.ticks
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(
                    f"N={n:<4} path={path:<7} ticks={' '.join(f'{t:.3f}' for t in times)} s  "
                    f"total={sum(times):.3f} s  ratio={sum(times) / floor:.2f}x  "
                    f"requests/agent-tick={requests / agent_ticks:.2f}  "
                    f"prompt tokens/agent-tick={tokens / agent_ticks:.0f}  "
                    f"client CPU={cpu:.2f} s  load={os.getloadavg()[0]:.2f}  rss={rss:.0f} MiB",
                    flush=True,
                )
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
