"""Debates, classic games and self-report vs behaviour, runnable as a script.

    python experiments/social.py debate [--model MODEL] [--api-base URL]
    python experiments/social.py games
    python experiments/social.py personality_illusion

Each reads experiments/<name>.yaml, writes a folder of runs under runs/, prints its tables and
writes its figures into that folder. The same with ``sandbox run experiments/<name>.yaml``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from sandbox.analysis.report import experiment_report
from sandbox.console import make_console, print_report
from sandbox.errors import SandboxError
from sandbox.runner.experiment import arun_experiment
from sandbox.runner.settings import RunSettings

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment", choices=["debate", "games", "personality_illusion"])
    parser.add_argument("--config", type=Path, help="experiment file (default: the experiment's)")
    parser.add_argument("--model", default="heuristic")
    parser.add_argument("--api-base", default=None)
    parser.add_argument("--out", type=Path, default=Path("runs"))
    args = parser.parse_args(argv)
    config = args.config or HERE / f"{args.experiment}.yaml"
    console = make_console()
    try:
        settings = RunSettings(model=args.model, api_base=args.api_base, out=args.out)
        with console.status(f"Running {args.experiment}..."):
            folder = asyncio.run(arun_experiment(config, settings))
        directions = (
            HERE / "personality_directions.yaml"
            if args.experiment == "personality_illusion"
            else None
        )
        print_report(console, experiment_report(folder, directions), folder)
    except SandboxError as exc:
        make_console(stderr=True).print(f"[bold red]error:[/bold red] {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
