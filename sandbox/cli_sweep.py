"""The ``sweep`` and ``export`` commands. Heavy modules are imported inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sandbox import defaults
from sandbox.cli_common import ApiBaseOpt, user_errors

if TYPE_CHECKING:
    from rich.console import Console

    from sandbox.runner.settings import RunSettings
    from sandbox.runner.sweep.driver import SweepProgress, SweepResult


def sweep(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE",
            help="Experiment file or world file (a world file is one condition). Omit with "
            "--resume.",
            show_default=False,
        ),
    ] = None,
    seeds: Annotated[
        str | None,
        typer.Option(
            help="How many seeds (4: the file's seed and the next three) or which (1,5,9). "
            "Default: the file's seed only."
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="A model to sweep over; repeat for several. Default: the experiment's models "
            "(heuristic for a world file).",
        ),
    ] = None,
    api_base: ApiBaseOpt = None,
    workers: Annotated[
        int | None, typer.Option(help="Runs at once (default: the number of cores).")
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(
            help="'local' (a process pool; the default) or 'ray' (needs the ray extra). "
            "--resume keeps the sweep's own unless given."
        ),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            help="Ray cluster to join ('auto' after 'ray start --head'); default: a new local one."
        ),
    ] = None,
    max_in_flight: Annotated[
        int | None,
        typer.Option(help="Model calls in flight at once, over all runs and workers."),
    ] = None,
    rpm: Annotated[
        float | None, typer.Option(help="Model calls per minute, over all runs and workers.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="The sweep's folder (default: runs/<file>-sweep). Running the same "
            "sweep into it again starts only the runs that are missing or failed."
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Finish the sweep in DIR: every run it lists that is not completed."),
    ] = None,
    ticks: Annotated[
        int | None, typer.Option(help="Ticks per run (world files only).", min=1)
    ] = None,
    attempts: Annotated[
        int, typer.Option(help="Tries per run before it is left failed (in this invocation).")
    ] = 3,
    concurrency: Annotated[
        int, typer.Option(help="Model calls in flight at once within one run.")
    ] = defaults.CONCURRENCY,
    timeout: Annotated[
        float, typer.Option(help="Seconds before a model call times out.")
    ] = defaults.TIMEOUT_S,
    max_retries: Annotated[
        int, typer.Option(help="Retries on rate limits, timeouts and connection errors.")
    ] = defaults.MAX_RETRIES,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not read or write the shared response cache.")
    ] = False,
    report: Annotated[
        bool, typer.Option(help="Print the experiment's tables over seeds at the end.")
    ] = True,
) -> None:
    """Run conditions x models x seeds as independent runs, resumably.

    Each run gets its own folder under OUT/runs; the manifest OUT/sweep.sqlite records status,
    usage and errors, so running the sweep again starts only missing or failed runs. Runs go to a local process pool or to Ray (--executor ray). --max-in-flight and --rpm limit
    the model calls of all runs together. See docs/sweeps.md.
    """
    with user_errors():
        from sandbox.console import make_console
        from sandbox.errors import ConfigError
        from sandbox.runner.settings import RunSettings
        from sandbox.runner.sweep.driver import SweepOptions, run_sweep
        from sandbox.runner.sweep.grid import plan_grid

        console = make_console()
        given = {
            k: v
            for k, v in {
                "executor": executor,
                "workers": workers,
                "address": address,
                "max_in_flight": max_in_flight,
                "rpm": rpm,
                "attempts": attempts,
            }.items()
            if v is not None
        }
        if executor not in (None, "local", "ray"):
            raise ConfigError(f"--executor {executor!r}: choose 'local' or 'ray'")
        settings: RunSettings | None = RunSettings(
            api_base=api_base,
            concurrency=concurrency,
            timeout=timeout,
            max_retries=max_retries,
            use_cache=not no_cache,
        )
        if resume is not None:
            if file is not None or out is not None:
                raise ConfigError("give either FILE (with --out) or --resume DIR, not both")
            options = SweepOptions(**{**_recorded_options(resume), **given})
            directory, specs = resume, None
            settings = None  # the recorded settings
        elif file is None:
            raise ConfigError("give an experiment or world FILE to sweep, or --resume DIR")
        else:
            options = SweepOptions(**given)
            directory = out or Path("runs") / f"{file.stem}-sweep"
            specs = plan_grid(file, seeds=seeds, models=model, ticks=ticks)
        with _Display(console, directory) as display:
            result = run_sweep(directory, specs, settings, options, display.update)
        _print_result(console, result)
        if report and result.completed:
            _print_report(console, result.directory)
        if result.failed:
            raise ConfigError(
                f"{result.failed} run(s) failed (errors in {result.directory}/sweep.sqlite); "
                f"fix the cause and run: sandbox sweep --resume {result.directory}"
            )


def _recorded_options(directory: Path) -> dict:
    from sandbox.store.sweep_manifest import Manifest

    with Manifest(directory) as manifest:
        return dict(manifest.meta().get("options", {}))


class _Display:
    """A Rich progress line: runs done / failed / running, calls, tokens, cost, ETA."""

    def __init__(self, console: Console, directory: Path) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task(f"sweep {directory}", total=None, status="")
        self._seen: str | None = None

    def __enter__(self) -> _Display:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, p: SweepProgress) -> None:
        cost = f"${p.cost_usd:.4f}" if p.cost_known else "cost unknown"
        status = (
            f"done {p.completed} failed {p.failed} running {p.running} | calls {p.calls} "
            f"tokens {p.tokens} {cost}"
        )
        if p.bank and p.bank.get("max_in_flight"):
            status += f" | in flight {p.bank['leased']}/{p.bank['max_in_flight']}"
        if p.last and p.last != self._seen and "failed" in p.last:
            self.progress.console.print(f"[yellow]{p.last}[/yellow]", markup=True, soft_wrap=True)
        self._seen = p.last
        self.progress.update(
            self.task, total=p.total, completed=p.completed + p.failed, status=status
        )


def _print_result(console: Console, result: SweepResult) -> None:
    if result.started == 0 and not result.failed:
        console.print(f"Nothing to run: all {result.total} runs are completed.")
    console.print(
        f"{result.completed} of {result.total} runs completed, {result.failed} failed "
        f"({result.started} started now). Manifest: {result.directory}/sweep.sqlite"
    )
    if result.bank and result.bank.get("max_in_flight"):
        console.print(
            f"Model calls: at most {result.bank['peak']} of {result.bank['max_in_flight']} "
            f"permits out at once."
        )


def _print_report(console: Console, directory: Path) -> None:
    from sandbox.analysis.sweep import sweep_report
    from sandbox.console import dataframe_table

    rep = sweep_report(directory)
    note = f"mean [95% interval] over {len(rep.seeds)} seed(s)"
    for title, df in rep.tables.items():
        console.print(dataframe_table(df, f"{title} ({note})"))
    for figure in rep.figures:
        console.print(f"Figure: {figure}")


def export(
    source: Annotated[
        Path,
        typer.Argument(
            metavar="RUN_OR_SWEEP", help="A run directory, a sweep's folder, or a folder of runs."
        ),
    ],
    format: Annotated[str, typer.Option(help="Output format (only 'parquet').")] = "parquet",
    out: Annotated[
        Path | None, typer.Option(help="Where to write (default: RUN_OR_SWEEP/parquet).")
    ] = None,
) -> None:
    """Write Parquet: one dataset per trajectory table, for pandas, DuckDB or Arrow.

    Each row carries its run's condition, model and seed (hive-partitioned for a sweep).
    """
    with user_errors():
        from sandbox.console import make_console
        from sandbox.errors import ConfigError
        from sandbox.store.export import export_parquet

        if format != "parquet":
            raise ConfigError(f"--format {format!r}: only 'parquet' is supported")
        console = make_console()
        result = export_parquet(source, out)
        layout = "hive-partitioned by condition, model, seed" if result.partitioned else "one file"
        console.print(
            f"Exported {result.runs} run(s) to {result.out} ({layout} per table): "
            + ", ".join(f"{k} {v}" for k, v in result.rows.items() if v)
        )
        actions = "actions" if result.partitioned else "actions.parquet"  # a folder per sweep table
        console.print(f"Read with: pandas.read_parquet('{result.out}/{actions}')")
