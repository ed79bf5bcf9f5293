"""The command-line entry shared by the scripts in ``experiments/`` (a front end, like cli.py)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from sandbox import defaults


def experiment_main(
    description: str, configs: dict[str, Path], argv: list[str] | None = None
) -> int:
    """Parse ``EXPERIMENT [--config] [--model] [--api-base] [--out]``, run it, print its report."""
    from sandbox.analysis.report import experiment_report
    from sandbox.console import make_console, print_report
    from sandbox.errors import SandboxError
    from sandbox.runner.experiment import arun_experiment
    from sandbox.runner.settings import RunSettings

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("experiment", choices=list(configs))
    parser.add_argument("--config", type=Path, help="experiment file (default: the experiment's)")
    parser.add_argument(
        "--model", default=defaults.OFFLINE_MODEL, help="heuristic or a litellm model id"
    )
    parser.add_argument("--api-base", default=None, help="OpenAI-compatible server URL")
    parser.add_argument("--out", type=Path, default=Path(defaults.OUT_DIR))
    args = parser.parse_args(argv)
    config = args.config or configs[args.experiment]
    console = make_console()
    try:
        settings = RunSettings(model=args.model, api_base=args.api_base, out=args.out)
        with console.status(f"Running {args.experiment}..."):
            folder = asyncio.run(arun_experiment(config, settings))
        directions = config.parent / "personality_directions.yaml"
        report = experiment_report(folder, directions if directions.exists() else None)
        print_report(console, report, folder)
    except SandboxError as exc:
        make_console(stderr=True).print(f"[bold red]error:[/bold red] {exc}")
        return 1
    return 0
