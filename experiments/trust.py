"""The trust studies of Mannekote et al. (2025), runnable as a script.

    python experiments/trust.py population [--model MODEL] [--api-base URL] [--personas N]
    python experiments/trust.py conditioning
    python experiments/trust.py forecast

Each reads experiments/trust_<study>.yaml, writes a folder of runs under runs/, prints the study's
tables and writes its figure (forecast_mae.png) into that folder. The same studies run with
``sandbox run experiments/trust_<study>.yaml``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from sandbox.analysis.trust import trust_report
from sandbox.console import make_console, print_report
from sandbox.errors import SandboxError
from sandbox.runner.experiment import arun_experiment
from sandbox.runner.settings import RunSettings

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", choices=["population", "conditioning", "forecast"])
    parser.add_argument("--config", type=Path, help="experiment file (default: the study's)")
    parser.add_argument("--model", default="heuristic", help="heuristic or a litellm model id")
    parser.add_argument("--api-base", default=None, help="OpenAI-compatible server URL")
    parser.add_argument("--out", type=Path, default=Path("runs"))
    args = parser.parse_args(argv)
    config = args.config or HERE / f"trust_{args.study}.yaml"
    console = make_console()
    try:
        settings = RunSettings(model=args.model, api_base=args.api_base, out=args.out)
        with console.status(f"Running the {args.study} study..."):
            folder = asyncio.run(arun_experiment(config, settings))
        print_report(console, trust_report(folder), folder)
    except SandboxError as exc:
        make_console(stderr=True).print(f"[bold red]error:[/bold red] {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
