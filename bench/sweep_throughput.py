"""Sweep throughput: N runs of a small world against the fake server, in one process, on the local
pool and on local Ray, under one limit of C model calls in flight.

    python bench/sweep_throughput.py                      # 64 runs, 0.2 s latency, C = 8
    python bench/sweep_throughput.py --runs 16 --cases local,ray

Prints one line per case: runs per minute, the peak number of requests in flight at the server
(never above C), and the time-weighted mean in flight over the steady state (the middle 80% of the
time between the first and the last request), as a share of C.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml


def world(agents: int, ticks: int) -> dict[str, Any]:
    places = [{"name": "kitchen", "description": "A small kitchen."},
              {"name": "garden", "description": "A garden."}]  # fmt: skip
    return {
        "name": "Bench Rooms",
        "seed": 1,
        "ticks": ticks,
        "places": places,
        "agents": [
            {"start": places[i % 2]["name"], "persona": {"name": f"Agent {i}"}}
            for i in range(agents)
        ],
    }


def in_flight_profile(log: list[tuple[float, int]], limit: int) -> tuple[int, float]:
    """The peak, and the time-weighted mean in flight over the middle 80% of the busy time."""
    if len(log) < 2:
        return 0, 0.0
    peak = max(n for _, n in log)
    start, end = log[0][0], log[-1][0]
    lo, hi = start + 0.1 * (end - start), end - 0.1 * (end - start)
    area, level, last = 0.0, 0, start
    for t, n in log:
        a, b = max(last, lo), min(t, hi)
        if b > a:
            area += level * (b - a)
        level, last = n, t
    return peak, area / (hi - lo) / limit


def one_process(specs: list[Any], settings: Any, out: Path, limit: int) -> float:
    """The runs one after another in this process (today's experiment loop), with the same bank;
    the seconds they took, after one warm-up run (imports) that is not counted."""
    from sandbox.runner.sweep.driver import _template
    from sandbox.runner.sweep.limiter import Limits, LocalLink, PermitBank
    from sandbox.runner.sweep.worker import RunTask, execute

    limits = Limits.for_workers(limit, None, 1)
    link = LocalLink(PermitBank(limit, None), limits)
    template = _template(settings, out)
    t0 = 0.0
    for i, spec in enumerate([specs[0], *specs]):
        if i == 1:
            t0 = time.perf_counter()
        task = RunTask(
            spec=spec,
            settings=template,
            directory=str(out / ("warm-up" if i == 0 else "runs") / spec.run_id),
            sweep_dir=str(out),
        )
        outcome = execute(task, link)
        if outcome.status != "completed":
            raise SystemExit(f"run {spec.run_id} failed: {outcome.error}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=64)
    parser.add_argument("--agents", type=int, default=8, help="agents per world")
    parser.add_argument("--ticks", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per answer")
    parser.add_argument("--max-in-flight", type=int, default=8, help="C")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cases", default="one,local,ray", help="comma-separated")
    args = parser.parse_args(argv)

    from sandbox.runner.settings import RunSettings
    from sandbox.runner.sweep.driver import SweepOptions, run_sweep
    from sandbox.runner.sweep.grid import plan_grid
    from sandbox.testing.fake_openai_server import FakeOpenAIServer

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(yaml.safe_dump(world(args.agents, args.ticks)))
        specs = plan_grid(path, seeds=str(args.runs), models=["openai/fake"])
        calls = args.runs * args.agents * args.ticks
        print(
            f"{args.runs} runs x {args.agents} agents x {args.ticks} ticks = {calls} calls, "
            f"latency {args.latency} s, C = {args.max_in_flight}, workers {args.workers}; "
            f"floor at C: {calls * args.latency / args.max_in_flight:.1f} s",
            flush=True,
        )
        for case in cases:
            with FakeOpenAIServer(
                latency=args.latency, max_lifetime=3600, max_requests=10**6
            ) as fake:
                settings = RunSettings(api_base=fake.base_url, use_cache=False, max_retries=0)
                out = Path(tmp) / case
                note = ""
                if case == "ray":
                    import ray

                    t0 = time.perf_counter()
                    ray.init(num_cpus=args.workers, include_dashboard=False, logging_level="ERROR")
                    note = f" (ray.init {time.perf_counter() - t0:.1f} s, not counted)"
                t0 = time.perf_counter()
                if case == "one":
                    wall = one_process(specs, settings, out, args.max_in_flight)
                    note = " (after one warm-up run, not counted)"
                    fake.in_flight_log = fake.in_flight_log[2 * args.agents * args.ticks :]
                else:
                    options = SweepOptions(
                        executor=case, workers=args.workers, max_in_flight=args.max_in_flight
                    )
                    result = run_sweep(out, specs, settings, options)
                    if result.completed != args.runs:
                        raise SystemExit(f"{case}: {result.failed} runs failed, see {out}")
                    wall = time.perf_counter() - t0
                    note += " (includes starting and importing in the workers)"
                if case == "ray":
                    ray.shutdown()
                peak, steady = in_flight_profile(fake.in_flight_log, args.max_in_flight)
                print(
                    f"{case:>5}: {args.runs / wall * 60:7.1f} runs/min  wall {wall:6.1f} s  "
                    f"requests {fake.request_count - (calls // args.runs if case == 'one' else 0)}  peak in flight {peak}/{args.max_in_flight}  "
                    f"steady-state mean in flight {steady:.2f} C{note}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
