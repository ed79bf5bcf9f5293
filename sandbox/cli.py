"""The ``sandbox`` command. Heavy modules are imported inside commands so ``--help`` stays fast."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sandbox import defaults
from sandbox.cli_common import ApiBaseOpt, HttpClientOpt, ModelOpt, user_errors
from sandbox.cli_personas import app as personas_app
from sandbox.cli_sweep import export, sweep

if TYPE_CHECKING:
    from rich.console import Console

    from sandbox.runner.run import Run
    from sandbox.runner.settings import RunSettings
    from sandbox.store.records import TickRecord

AGENTS_LISTED = 12  # `sandbox inspect` names this many agents, then counts the rest

app = typer.Typer(
    name="sandbox",
    help="A multi-agent social-simulation sandbox: run worlds of persona agents and log every "
    "step to a SQLite trajectory.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(personas_app, name="personas")


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """What the command line says about a run (None: not given, so the world's, the recorded
    run's or ``RunSettings``' own default applies). ``data`` is the world file, parsed once."""

    model: str | None = None
    api_base: str | None = None
    http_client: str | None = None
    judge_model: str | None = None
    judge_api_base: str | None = None
    ticks: int | None = None
    seed: int | None = None
    out: Path = Path(defaults.OUT_DIR)
    concurrency: int = defaults.CONCURRENCY
    rpm: float | None = defaults.RPM
    timeout: float = defaults.TIMEOUT_S
    max_retries: int = defaults.MAX_RETRIES
    cache: Path | None = None
    no_cache: bool = False
    max_error_rate: float | None = None
    decide_workers: int | None = None
    decide_pool: str | None = None
    allow_change: bool = False
    data: Any = None


@app.command()
def run(
    world: Annotated[
        Path | None,
        typer.Argument(
            help="World or experiment file (YAML). Omit with --resume.", show_default=False
        ),
    ] = None,
    model: ModelOpt = None,
    api_base: ApiBaseOpt = None,
    http_client: HttpClientOpt = None,
    judge_model: Annotated[
        str | None,
        typer.Option(
            help="Model for judging calls (a debate message's stance and topicality, the trait a "
            "speaker expresses, the role-play studies' critiques, scores and Big Five ratings), "
            "recorded under its own id. Default: the experiment file's 'judge:', "
            "else the agents' model."
        ),
    ] = None,
    judge_api_base: Annotated[
        str | None,
        typer.Option(help="Server of the judge model (default: the provider's own endpoint)."),
    ] = None,
    ticks: Annotated[
        int | None,
        typer.Option(
            help="Ticks to run, at most 1,000,000 (default: the world's). With --resume: the "
            "run's total length (at least the ticks it has done), not ticks to add. Runs longer "
            "than the world's warn_ticks print an estimate of calls and size first."
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed, 0 to 2**63-1 (default: the world's).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory that receives run directories.")] = Path(
        defaults.OUT_DIR
    ),
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue RUN (a run directory) from its last committed tick."),
    ] = None,
    allow_change: Annotated[
        bool,
        typer.Option(
            "--allow-change",
            help="With --resume: accept a --model, --api-base or --seed other than the run's; "
            "the run records the change as a new segment from the next tick on.",
        ),
    ] = False,
    concurrency: Annotated[
        int, typer.Option(help="Model calls in flight at once.")
    ] = defaults.CONCURRENCY,
    rpm: Annotated[
        float | None, typer.Option(help="Rate limit, requests per minute.")
    ] = defaults.RPM,
    timeout: Annotated[
        float, typer.Option(help="Seconds before a model call times out.")
    ] = defaults.TIMEOUT_S,
    max_retries: Annotated[
        int, typer.Option(help="Retries on rate limits, timeouts and connection errors.")
    ] = defaults.MAX_RETRIES,
    cache: Annotated[
        Path | None,
        typer.Option(help=f"Response cache file (default: OUT/{defaults.CACHE_FILE})."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not read or write the cache.")
    ] = False,
    feed: Annotated[bool, typer.Option(help="Print what agents say and do as it happens.")] = True,
    decide_workers: Annotated[
        int | None,
        typer.Option(
            help="Spread each tick's model calls over this many worker processes (the offline "
            "heuristic and replay backends, whose calls are CPU work; same trajectory as "
            f"without). Default {defaults.DECIDE_WORKERS}: all in this process.",
            show_default=False,
        ),
    ] = None,
    decide_pool: Annotated[
        str | None,
        typer.Option(
            help="Where --decide-workers run: 'process' (local processes) or 'ray' (Ray "
            "actors; the ray extra; RAY_ADDRESS joins a cluster).",
            show_default=False,
        ),
    ] = None,
    max_error_rate: Annotated[
        float,
        typer.Option(
            help="Stop the run as failed once more than this share of its model calls failed "
            "(0 to 1; judged after 20 calls and at the end; 1 never stops). A run that completes "
            "with failed calls exits with code 3."
        ),
    ] = defaults.MAX_ERROR_RATE,
) -> None:
    """Run a world (or an experiment file) and write its trajectory under OUT.

    A world file gives one run, OUT/<world>-<time>-s<seed>/trajectory.sqlite. An experiment file
    (one with an 'experiment:' key, such as experiments/trust_population.yaml) gives a folder of
    runs, one per model and condition, and prints the study's tables and figures (--ticks and
    --seed apply to world files only; an experiment file sets its own).
    """
    with user_errors():
        from sandbox.console import make_console

        console = make_console()
        opts = RunOptions(
            model=model,
            api_base=api_base,
            http_client=http_client,
            judge_model=judge_model,
            judge_api_base=judge_api_base,
            ticks=ticks,
            seed=seed,
            out=out,
            concurrency=concurrency,
            rpm=rpm,
            timeout=timeout,
            max_retries=max_retries,
            cache=cache,
            no_cache=no_cache,
            max_error_rate=max_error_rate,
            decide_workers=decide_workers,
            decide_pool=decide_pool,
            allow_change=allow_change,
        )
        if world is not None and resume is None:
            from sandbox.runner.experiment import is_experiment_data
            from sandbox.validation import read_structured_file

            data = read_structured_file(world, what="world file")  # parsed once
            if is_experiment_data(data):
                _run_experiment(world, console, opts)
                return
            opts = replace(opts, data=data)
        runner = _open_run(world, resume, opts)
        _drive(runner, console, feed)


def _run_experiment(path: Path, console: Console, opts: RunOptions) -> None:
    from sandbox.analysis.report import experiment_report
    from sandbox.console import print_report
    from sandbox.runner.experiment import arun_experiment
    from sandbox.runner.signals import Terminated, run_stoppable

    settings = _settings(opts)
    started: list[Run] = []  # the runs created; the last one unfinished is the one stopped
    finished: list[Path] = []

    def done(directory: Path) -> None:
        finished.append(directory)
        status.update(f"Running {path}... finished {directory.name}")

    try:
        with console.status(f"Running {path}...") as status:
            folder = run_stoppable(
                arun_experiment(
                    path,
                    settings,
                    on_run=done,
                    on_start=started.append,
                )
            )
    except KeyboardInterrupt as exc:
        if started and started[-1].directory not in finished:
            run = started[-1]
            console.print(
                f"[yellow]Interrupted at tick {run.world.tick} of {run.directory.name} (any "
                "later runs of the experiment were not started). Resume it with:[/yellow] "
                f"sandbox run --resume {run.directory}",
                soft_wrap=True,
            )
        else:
            console.print("[yellow]Interrupted between the experiment's runs.[/yellow]")
        raise typer.Exit(143 if isinstance(exc, Terminated) else 130) from None
    except Exception:
        if started and started[-1].directory not in finished:
            run = started[-1]
            console.print(
                f"{run.directory.name} stopped at tick {run.world.tick} (any later runs of the "
                f"experiment were not started); resume it with: sandbox run --resume {run.directory}",
                markup=False,
                soft_wrap=True,
            )
        raise
    print_report(console, experiment_report(folder, directions_for(path)), folder)
    from sandbox.runner.summary import failed_calls

    _exit_if_calls_failed(console, *failed_calls(folder))


def directions_for(path: str | Path) -> Path | None:
    """The directions file an experiment file names (personality illusion), if any."""
    from sandbox.validation import read_structured_file

    data = read_structured_file(Path(path), what="experiment file")
    if isinstance(data, dict) and data.get("experiment") == "personality_illusion":
        return Path(path).parent / data.get("directions_file", "personality_directions.yaml")
    return None


def _open_run(world: Path | None, resume: Path | None, opts: RunOptions) -> Run:
    from sandbox.errors import ConfigError
    from sandbox.runner.run import Run

    if resume is not None:
        if world is not None:
            raise ConfigError("give either a WORLD file or --resume RUN, not both")
        if opts.judge_model or opts.judge_api_base:
            raise ConfigError(
                "--judge-model and --judge-api-base apply to new runs; a resumed run keeps the "
                "judge it was started with"
            )
        overrides: dict[str, Any] = {
            "model": opts.model,
            "api_base": opts.api_base,
            "http_client": opts.http_client,
            "seed": opts.seed,
            "ticks": opts.ticks,
            "concurrency": opts.concurrency,
            "rpm": opts.rpm,
            "timeout": opts.timeout,
            "max_retries": opts.max_retries,
            "cache": opts.cache,
            "max_error_rate": opts.max_error_rate,
            "decide_workers": opts.decide_workers,
            "decide_pool": opts.decide_pool,
        }
        if opts.no_cache:
            overrides["use_cache"] = False
        return Run.resume(resume, overrides, allow_change=opts.allow_change)
    if opts.allow_change:
        raise ConfigError("--allow-change applies to --resume RUN only")
    if world is None:
        raise ConfigError(
            "give a WORLD file to run (for example worlds/cafe.yaml), or --resume RUN"
        )
    from sandbox.world.config import load_world

    config = load_world(world, opts.data)
    return Run.create(config, _settings(opts), world_file=world)


def _settings(opts: RunOptions) -> RunSettings:
    """RunSettings from the command line's options (those it was given)."""
    from sandbox.runner.settings import RunSettings

    return RunSettings(
        model=opts.model or defaults.OFFLINE_MODEL,
        api_base=opts.api_base,
        http_client=opts.http_client or defaults.HTTP_CLIENT,
        judge_model=opts.judge_model,
        judge_api_base=opts.judge_api_base,
        ticks=opts.ticks,
        seed=opts.seed,
        out=opts.out,
        cache=opts.cache,
        use_cache=not opts.no_cache,
        concurrency=opts.concurrency,
        rpm=opts.rpm,
        timeout=opts.timeout,
        max_retries=opts.max_retries,
        **({"max_error_rate": opts.max_error_rate} if opts.max_error_rate is not None else {}),
        **({"decide_workers": opts.decide_workers} if opts.decide_workers is not None else {}),
        **({"decide_pool": opts.decide_pool} if opts.decide_pool is not None else {}),
    )


def _drive(runner: Run, console: Console, feed: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sandbox.console import FEED_KINDS, calls_table, event_line, summary_table
    from sandbox.runner.estimate import long_run_warning
    from sandbox.runner.signals import Terminated, run_stoppable
    from sandbox.runner.summary import summarize

    start_tick = runner.world.tick
    total = runner.ticks_target
    if start_tick and start_tick >= total:
        console.print(
            f"{runner.directory} is already at tick {start_tick} of {total}: nothing to run "
            f"(extend it with --resume RUN --ticks N, N > {start_tick}).",
            soft_wrap=True,
        )
    elif start_tick:
        console.print(
            f"Resuming {runner.directory}: {start_tick} of {total} ticks done, going on from "
            f"tick {start_tick + 1}.",
            soft_wrap=True,
        )
    if warning := long_run_warning(runner.world.config, total - start_tick):
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[clock]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(
            runner.world.config.name, total=total, completed=start_tick, clock=""
        )

        def on_tick(record: TickRecord) -> None:
            if feed:
                for event in record.events:
                    if event.kind in FEED_KINDS:
                        progress.console.print(event_line(event, record.sim_time))
            progress.update(task, completed=record.tick, clock=record.sim_time.replace("T", " "))

        try:
            run_stoppable(runner.arun(on_tick))  # SIGTERM stops it like Ctrl-C
        except KeyboardInterrupt as exc:
            console.print(
                f"[yellow]Interrupted at tick {runner.world.tick}. Resume with:[/yellow] "
                f"sandbox run --resume {runner.directory}",
                soft_wrap=True,  # the command stays on one line, to copy
            )
            runner.close()
            raise typer.Exit(143 if isinstance(exc, Terminated) else 130) from None
        except BaseException:
            runner.close()
            committed = runner.world.tick
            console.print(
                f"{committed} committed tick{'' if committed == 1 else 's'} kept; resume with: "
                f"sandbox run --resume {runner.directory}"
                if committed
                else f"No tick was committed; the run's record is in {runner.directory}",
                soft_wrap=True,
            )
            raise
    from sandbox.runner.evaluations import evaluate_run

    try:
        run_stoppable(evaluate_run(runner))  # a resumed role-play study's questions, judgements
    finally:
        runner.close()
    summary = summarize(runner.directory)
    console.print(summary_table(summary))
    console.print(calls_table(summary))
    _exit_if_calls_failed(console, summary.call_errors, summary.calls)


def _exit_if_calls_failed(console: Console, failed: int, calls: int) -> None:
    """A run that completed with failed model calls says so and exits with code 3."""
    if failed:
        console.print(
            f"[yellow]Completed with {failed} failed model calls of {calls}[/yellow] (recorded in "
            "llm_calls.error; left out of the analysis)."
        )
        raise typer.Exit(3)


@app.command()
def tui(
    world: Annotated[
        Path | None,
        typer.Argument(help="World file (YAML). Omit with --resume.", show_default=False),
    ] = None,
    model: ModelOpt = None,
    api_base: ApiBaseOpt = None,
    resume: Annotated[
        Path | None, typer.Option(help="Continue RUN (a run directory) from its last tick.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory that receives run directories.")] = Path(
        defaults.OUT_DIR
    ),
    seed: Annotated[int | None, typer.Option(help="Seed (default: the world's).")] = None,
) -> None:
    """Step a world interactively: s step, space run/pause, +/- speed, e event, i interview,
    t talk, p private thoughts, x extend, w save, q quit. Writes the same trajectory as 'sandbox
    run' and stops at its planned end unless extended."""
    with user_errors():
        from sandbox.tui.app import SandboxApp

        runner = _open_run(
            world, resume, RunOptions(model=model, api_base=api_base, seed=seed, out=out)
        )
        try:
            SandboxApp(runner).run()
        finally:
            runner.close()
        print(f"Trajectory: {runner.path}\nResume with: sandbox tui --resume {runner.directory}")


@app.command()
def inspect(
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN", help="Run directory or trajectory file.")
    ],
    events: Annotated[int, typer.Option(help="How many of the last events to show.")] = 10,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Check that every tick is whole; exit 1 if a tick is partial."
        ),
    ] = False,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Drop the partial tick(s) after the last whole tick (left by an older sandbox "
            "killed inside a commit); whole ticks are never touched.",
        ),
    ] = False,
) -> None:
    """Print a run's configuration, summary, model usage and last events (for a folder of runs
    made by an experiment: the experiment's tables and figures)."""
    with user_errors():
        if check or repair:
            from sandbox.store.integrity import inspect_integrity

            code, lines = inspect_integrity(run_dir, repair=repair)
            print("\n".join(lines))
            raise typer.Exit(code)
        from rich.table import Table

        from sandbox.console import calls_table, make_console, segments_table, summary_table
        from sandbox.runner.summary import summarize
        from sandbox.store.reader import RunReader

        console = make_console()
        if run_dir.is_dir() and not (run_dir / "trajectory.sqlite").exists():
            _inspect_folder(console, run_dir)
            return
        with RunReader(run_dir) as reader:
            meta = reader.run()
            last = reader.rows("events", "kind != 'scene'")[-events:] if events else []
            segments = reader.segments()
        config = meta["config"]
        if "places" not in config:  # a persona-validation run: no world, a questionnaire study
            _inspect_validation(console, run_dir, meta)
            return
        info = Table(title="World", show_header=False, title_justify="left")
        info.add_column(style="bold")
        info.add_column()
        info.add_row("name", config["name"])
        info.add_row("world file", meta["world_file"] or "(inline)")
        info.add_row("seed", str(config["seed"]))
        info.add_row("minutes per tick", str(config["minutes_per_tick"]))
        info.add_row("places", ", ".join(p["name"] for p in config["places"]))
        names = [a["persona"]["name"] for a in config["agents"]]
        shown = ", ".join(names[:AGENTS_LISTED])
        if len(names) > AGENTS_LISTED:
            shown += f", ... ({len(names)} agents; all in the trajectory's agents table)"
        info.add_row("agents", shown)
        info.add_row("created", meta["created_at"])
        info.add_row("versions", ", ".join(f"{k} {v}" for k, v in meta["versions"].items()))
        console.print(info)
        if len(segments) > 1:
            console.print(segments_table(segments))
        summary = summarize(run_dir)
        console.print(summary_table(summary))
        console.print(calls_table(summary))
        from sandbox.analysis.pending import run_pending

        if pending := run_pending(run_dir):
            console.print(pending, style="yellow", markup=False, soft_wrap=True)
        from sandbox.analysis.town import happening_reports

        for h in happening_reports(run_dir):
            console.print(
                f"[bold]{h.what}[/bold] (host {h.host}, at the {h.place}): "
                + (
                    f"{len(h.heard)} of {h.agents - 1} other agents knew of it when interviewed; "
                    if h.heard is not None
                    else "not interviewed yet (sandbox interview-everyone RUN); "
                )
                + f"keyword proxy: {len(h.heard_proxy)} have a memory mentioning it; "
                f"{len(h.came)} came. Encounter-graph density {h.density_before:.3f} before, "
                f"{h.density_after:.3f} after"
                + (
                    f"; acquaintance density by interview {h.density_interviewed:.3f}."
                    if h.density_interviewed is not None
                    else "."
                )
            )
            if h.came:
                console.print(f"  came: {', '.join(h.came)}", markup=False)
        if last:
            console.print("[bold]Last events[/bold]")
            for ev in last:
                console.print(f"  tick {ev['tick']:>3}  {ev['text']}", markup=False)


def _inspect_folder(console: Console, folder: Path) -> None:
    """A folder of runs: one report per experiment (the runs sharing a parent folder), as printed
    after the experiment ran; what cannot be read is skipped and listed."""
    from sandbox.analysis.folders import Unreadable, scan_folder
    from sandbox.analysis.report import experiment_report
    from sandbox.console import print_report
    from sandbox.errors import StoreError
    from sandbox.store.reader import RunReader

    scan = scan_folder(folder)
    if not scan.groups and not scan.skipped and not scan.replays:
        raise StoreError(f"no runs under {folder}")
    if not scan.groups and not scan.skipped:
        raise StoreError(
            f"only replays under {folder}: inspect one with sandbox inspect {scan.replays[0]}"
        )
    if not scan.groups:
        problems = "; ".join(item.problem for item in scan.skipped)
        raise StoreError(f"no readable run under {folder}: {problems}")
    console.print(f"{scan.runs} runs under {folder}, in {len(scan.groups)} folders")
    if scan.replays:
        console.print(
            f"Left out {len(scan.replays)} replays (sandbox replay's copies of a run; inspect one "
            f"with sandbox inspect RUN): {', '.join(str(r) for r in scan.replays)}",
            markup=False,
            soft_wrap=True,
        )
    failed = list(scan.skipped)
    for group, runs in scan.groups.items():
        directions = None
        for f in runs:
            with RunReader(f) as reader:
                world_file = reader.run()["world_file"]
            if world_file and Path(world_file).exists():
                directions = directions_for(world_file)
        console.rule(f"{group} ({len(runs)} runs)")
        try:
            report = experiment_report(group, directions, runs=runs)
        except Exception as exc:  # one experiment's analysis must not hide the others'
            problem = f"{group}: the report failed: {type(exc).__name__}: {exc}"
            failed.append(Unreadable(path=group, problem=problem))
            continue
        print_report(console, report, group)
    if failed:
        console.print(f"[yellow]Skipped {len(failed)}:[/yellow]")
        for item in failed:
            console.print(f"  {item.problem}", markup=False, soft_wrap=True)


def _inspect_validation(console: Console, run_dir: Path, meta: dict[str, Any]) -> None:
    from rich.table import Table

    from sandbox.analysis.persona_validation import load_validation, validity
    from sandbox.console import calls_table
    from sandbox.runner.summary import summarize

    config = meta["config"]
    info = Table(title="Persona validation", show_header=False, title_justify="left")
    info.add_column(style="bold")
    info.add_column()
    for key in ("bank", "instrument", "mode", "style", "seed"):
        info.add_row(key, str(config.get(key)))
    info.add_row("model", meta["model"])
    info.add_row("status", meta["status"] + (f" ({meta['error']})" if meta["error"] else ""))
    console.print(info)
    table = Table(title="Assigned vs measured", title_justify="left")
    for col in ("domain", "personas", "Spearman rho", "median gap (9 - 1)"):
        table.add_column(col)
    for v in validity(load_validation(run_dir)):
        gap = "n/a" if v.median_gap is None else f"{v.median_gap:.2f}"
        table.add_row(v.domain, str(v.n), f"{v.spearman:.3f}", gap)
    console.print(table)
    console.print(calls_table(summarize(run_dir)))


@app.command("interview-everyone")
def interview_everyone(
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN", help="Run directory or trajectory file.")
    ],
    model: ModelOpt = None,
    api_base: ApiBaseOpt = None,
    judge_model: Annotated[
        str | None, typer.Option(help="Model that judges the answers (default: the run's judge).")
    ] = None,
) -> None:
    """Interview every agent at the run's last tick, as Generative Agents measured its town.

    Each agent but a happening's host is asked "Did you know there is <happening>?" and every
    agent "Do you know of <name>?" about every other; the judge reads each answer. Results go to
    the run's interviews table; 'sandbox inspect RUN' then reports diffusion and acquaintance.
    """
    with user_errors():
        import asyncio

        from sandbox.console import make_console
        from sandbox.runner.end_interviews import ainterview_everyone

        overrides = {"model": model, "api_base": api_base, "judge_model": judge_model}
        done = asyncio.run(ainterview_everyone(run_dir, overrides))
        knew = sum(1 for d in done if d.knows)
        make_console().print(
            f"{len(done)} interviews, {knew} judged as knowing; see sandbox inspect"
        )


@app.command()
def interview(
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN", help="Run directory or trajectory file.")
    ],
    agent: Annotated[str, typer.Argument(help="The agent's name.")],
    question: Annotated[str, typer.Argument(help="What to ask.")],
    model: ModelOpt = None,
    api_base: ApiBaseOpt = None,
) -> None:
    """Ask an agent a question at the run's last tick; it answers in character from its memories.

    The answer is logged in the run's interviews table; the world does not change.
    """
    with user_errors():
        import asyncio

        from sandbox.console import make_console
        from sandbox.errors import ConfigError
        from sandbox.runner.interview import ainterview

        console = make_console()
        try:
            result = asyncio.run(
                ainterview(run_dir, agent, question, {"model": model, "api_base": api_base})
            )
        except KeyError as exc:
            raise ConfigError(str(exc.args[0])) from None
        console.print(f"[bold]{result.agent}[/bold] (tick {result.tick}): {result.answer}")
        if result.memories:
            console.print("[dim]from memories:[/dim]")
            for m in result.memories[:5]:
                console.print(f"  - {m}", markup=False)


@app.command()
def replay(
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN", help="Run directory or trajectory file.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder that receives the replay, OUT/<run>-replay (default: next to RUN). "
            "Nothing in it is touched; an existing <run>-replay is refused."
        ),
    ] = None,
) -> None:
    """Re-run RUN from its recorded model answers (no model calls) into a new run folder,
    <run>-replay, and compare trajectories."""
    with user_errors():
        import asyncio

        from sandbox.console import make_console
        from sandbox.runner.replay import areplay

        console = make_console()
        report = asyncio.run(areplay(run_dir, out))
        console.print(
            f"Replayed {report.ticks} ticks: {report.answered_from_record} answers from the "
            f"record, {report.backend_calls} new model calls."
        )
        console.print(f"Replay written to {report.replay}")
        if report.identical:
            console.print("[bold green]identical[/bold green]: the replayed trajectory matches.")
            return
        console.print(
            f"[bold red]different[/bold red]: first divergence at tick "
            f"{report.first_divergent_tick}." + (f" {report.problem}" if report.problem else "")
        )
        raise typer.Exit(2)


app.command()(sweep)
app.command()(export)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
