"""``sandbox personas ...``: sample, show and validate personas."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sandbox import defaults
from sandbox.cli_common import ApiBaseOpt, ModelOpt, user_errors

if TYPE_CHECKING:
    from rich.table import Table

    from sandbox.personas.persona import Persona

app = typer.Typer(help="Sample, show and validate personas.", no_args_is_help=True)

StyleOpt = Annotated[str, typer.Option(help="Wording style: nine_level, binary or biography.")]


def _persona_table(personas: list[Persona]) -> Table:
    from rich.table import Table

    from sandbox.personas.persona import BIG_FIVE_DOMAINS

    table = Table()
    table.add_column("name")
    table.add_column("age", justify="right")
    table.add_column("mbti")
    for d in BIG_FIVE_DOMAINS:
        table.add_column(d[0].upper(), justify="right")
    for p in personas:
        table.add_row(
            p.name,
            "" if p.age is None else str(p.age),
            p.mbti or "",
            *(f"{getattr(p.big_five, d):.2f}" for d in BIG_FIVE_DOMAINS),
        )
    return table


@app.command()
def sample(
    bank: Annotated[
        Path | None,
        typer.Argument(help="Bank to sample from (YAML or JSONL); omit with --generate."),
    ] = None,
    n: Annotated[int, typer.Option("-n", help="How many personas.")] = 10,
    seed: Annotated[int, typer.Option(help="Sampling seed.", min=0, max=2**63 - 1)] = 0,
    stratify: Annotated[
        str | None,
        typer.Option(
            help="Attribute whose levels are equally represented: a demographic key "
            "(political_views, religion, age_band, ...), or a Big Five domain (by thirds)."
        ),
    ] = None,
    per_level: Annotated[int, typer.Option(help="With --stratify: personas per level.")] = 5,
    generate: Annotated[
        bool, typer.Option(help="Generate new personas with sampled Big Five instead of a bank.")
    ] = False,
    correlated: Annotated[
        bool,
        typer.Option(
            help="With --generate: draw the domains with their documented "
            "intercorrelations (docs/personas.md)."
        ),
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Write the sample to a .yaml or .jsonl bank.")
    ] = None,
) -> None:
    """Draw personas from a bank (optionally stratified), or generate new ones."""
    with user_errors():
        from sandbox.console import make_console
        from sandbox.errors import ConfigError
        from sandbox.personas.banks import load_bank, write_bank
        from sandbox.personas.persona import Persona
        from sandbox.personas.sampling import sample as draw
        from sandbox.personas.sampling import sample_big_five, stratified

        if generate:
            if bank is not None:
                raise ConfigError("give either a BANK or --generate, not both")
            traits = sample_big_five(n, seed, correlated=correlated)
            chosen = [
                Persona(name=f"sampled-{i + 1:03d}", big_five=b, seed=seed)
                for i, b in enumerate(traits)
            ]
        elif bank is None:
            raise ConfigError(
                "give a BANK to sample from (for example personas/gss_bank.jsonl) or --generate"
            )
        elif stratify:
            chosen = stratified(load_bank(bank), stratify, per_level, seed)
        else:
            chosen = draw(load_bank(bank), n, seed)
        console = make_console()
        console.print(_persona_table(chosen))
        if out is not None:
            console.print(f"Wrote {len(chosen)} personas to {write_bank(chosen, out)}")


@app.command()
def show(
    persona: Annotated[str, typer.Argument(help="A persona file, or a name in --bank.")],
    bank: Annotated[Path | None, typer.Option(help="Bank to look the name up in.")] = None,
) -> None:
    """Print a persona and how it reads in each wording style."""
    with user_errors():
        from rich.panel import Panel

        from sandbox.console import make_console
        from sandbox.errors import ConfigError
        from sandbox.personas.banks import find_persona, load_bank
        from sandbox.personas.persona import load_persona_file
        from sandbox.personas.wording import WORDING_STYLES, render

        if bank is not None:
            chosen = find_persona(load_bank(bank), persona)
        elif Path(persona).exists():
            chosen = load_persona_file(persona)
        else:
            raise ConfigError(
                f"{persona!r} is not a persona file; to look up a name, add --bank BANK"
            )
        console = make_console()
        console.print(_persona_table([chosen]))
        if chosen.demographics:
            console.print(
                "[bold]demographics[/bold] "
                + "; ".join(f"{k}: {v}" for k, v in chosen.demographics.items()),
                markup=True,
            )
        for style in WORDING_STYLES:
            console.print(Panel(render(chosen, style), title=style, title_align="left"))  # type: ignore[arg-type]


@app.command()
def validate(
    bank: Annotated[Path, typer.Argument(help="Persona bank (YAML or JSONL).")],
    model: ModelOpt = None,
    api_base: ApiBaseOpt = None,
    instrument: Annotated[
        str, typer.Option(help="'ipip-neo-120' or the path of an instrument file.")
    ] = "ipip-neo-120",
    mode: Annotated[str, typer.Option(help="'item' (one call per item) or 'batch'.")] = "item",
    batch_size: Annotated[int, typer.Option(help="Items per call in batch mode.")] = 10,
    style: StyleOpt = "nine_level",
    limit: Annotated[
        int | None, typer.Option(help="Validate a random subset of this size.")
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed for the subset and the requests.", min=0, max=2**63 - 1)
    ] = 0,
    out: Annotated[Path, typer.Option(help="Directory that receives the run.")] = Path(
        defaults.OUT_DIR
    ),
    concurrency: Annotated[
        int, typer.Option(help="Model calls in flight at once.")
    ] = defaults.CONCURRENCY,
) -> None:
    """Give a questionnaire to every persona and compare measured with assigned personality.

    Prints, per Big Five domain, Spearman's rho between assigned and measured scores and (for
    designs with the extreme nine-level wordings) the gap between the medians at levels 9 and 1;
    writes validity.png next to the run's trajectory.
    """
    with user_errors():
        import asyncio

        from rich.table import Table

        from sandbox.analysis.persona_validation import load_validation, plot_validity, validity
        from sandbox.console import make_console
        from sandbox.runner.persona_validation import ValidationSettings, avalidate_bank
        from sandbox.runner.settings import RunSettings

        settings = RunSettings(
            model=model or defaults.OFFLINE_MODEL,
            api_base=api_base,
            out=out,
            concurrency=concurrency,
        )
        vsettings = ValidationSettings(
            instrument=instrument,
            mode=mode,
            batch_size=batch_size,
            style=style,
            limit=limit,
            seed=seed,
        )
        console = make_console()
        with console.status("Administering the questionnaire...") as status:
            done = 0

            def progress(name: str) -> None:
                nonlocal done
                done += 1
                status.update(f"Administering the questionnaire... {done} personas done")

            run_dir = asyncio.run(avalidate_bank(bank, settings, vsettings, on_persona=progress))
        df = load_validation(run_dir)
        table = Table(
            title=f"Assigned vs measured personality ({settings.model}, {mode} mode, "
            f"{style} wording)",
            title_justify="left",
        )
        for col in ("domain", "personas", "Spearman rho", "median gap (level 9 - level 1)"):
            table.add_column(col, justify="left" if col == "domain" else "right")
        for v in validity(df):
            gap = (
                "n/a (no level-1 and level-9 personas)"
                if v.median_gap is None
                else f"{v.median_gap:.2f}"
            )
            table.add_row(v.domain, str(v.n), f"{v.spearman:.3f}", gap)
        console.print(table)
        png = plot_validity(df, run_dir / "validity.png", title=f"{bank.name}: {settings.model}")
        console.print(f"Plot: {png}\nTrajectory: {run_dir / 'trajectory.sqlite'}")
