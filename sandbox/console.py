"""Rich rendering shared by the command line and experiment scripts (no simulation logic here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from sandbox.analysis.report import Report
    from sandbox.runner.summary import RunSummary
    from sandbox.store.records import EventRecord

FEED_KINDS = {"say", "leave", "arrive", "do", "announcement", "scene"}


def event_line(event: EventRecord, sim_time: str) -> str:
    clock = sim_time[11:16] if len(sim_time) >= 16 else sim_time
    where = f"{event.place:<10}" if event.place else f"{'(all)':<10}"
    return f"[dim]{clock}[/dim] [cyan]{where}[/cyan] {_escape(event.text)}"


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def summary_table(summary: RunSummary) -> Table:
    table = Table(title=f"Run {summary.run_id}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")  # a long trajectory path is wrapped whole, not cut short
    status = summary.status + (f" ({summary.error})" if summary.error else "")
    table.add_row("status", status)
    table.add_row("model", summary.model)
    table.add_row("ticks", f"{summary.ticks} of {summary.ticks_planned}")
    table.add_row("agents", str(summary.agents))
    table.add_row("events", str(summary.events))
    acts = ", ".join(f"{k} {v}" for k, v in summary.actions_by_kind.items()) or "none"
    table.add_row("acts", acts)
    if summary.invalid_actions or summary.action_errors:
        table.add_row(
            "problems",
            f"{summary.invalid_actions} invalid acts, {summary.action_errors} model answer errors",
        )
    table.add_row("model calls", f"{summary.calls} ({summary.cache_hits} from cache)")
    if summary.call_errors:
        table.add_row("failed calls", f"{summary.call_errors} of {summary.calls} (llm_calls.error)")
    table.add_row("tokens", f"{summary.prompt_tokens} in, {summary.completion_tokens} out")
    table.add_row("cost", _money(summary.cost_usd))
    table.add_row(
        "wall time in ticks", f"{summary.wall_s:.2f} s (stepping, without start-up and writing)"
    )
    table.add_row("trajectory", str(summary.path))
    return table


def segments_table(segments: list[dict]) -> Table:
    """A run's segments: the settings of each stretch of ticks (a resume with --allow-change
    starts one)."""
    table = Table(title="Segments (resumed with other settings)", title_justify="left")
    for col in ("segment", "from tick", "model", "api base", "seed", "started"):
        table.add_column(col)
    for i, seg in enumerate(segments):
        table.add_row(
            str(i),
            str(seg["from_tick"]),
            seg["model"],
            seg["api_base"] or "-",
            str(seg["seed"]),
            seg["started_at"] or "",
        )
    return table


def calls_table(summary: RunSummary) -> Table:
    table = Table(title="Model calls by purpose", title_justify="left")
    table.add_column("purpose", no_wrap=True)
    for col in ("calls", "per agent-tick", "cached", "errors", "tokens in/out", "cost"):
        table.add_column(col, justify="right")
    for purpose, u in summary.calls_by_purpose.items():
        table.add_row(
            purpose,
            str(u.calls),
            "-" if u.per_agent_tick is None else f"{u.per_agent_tick:.2f}",
            str(u.cache_hits),
            str(u.errors),
            f"{u.prompt_tokens}/{u.completion_tokens}",
            _money(u.cost_usd),
        )
    return table


def dataframe_table(df: pd.DataFrame, title: str = "") -> Table:
    """A pandas DataFrame (index included) as a Rich table."""
    table = Table(title=title or None, title_justify="left")
    index_names = [str(n) for n in df.index.names if n is not None] or [""]
    for name in index_names:
        table.add_column(name, style="bold")
    for col in df.columns:
        table.add_column(str(col), justify="right")
    for idx, row in df.iterrows():
        keys = idx if isinstance(idx, tuple) else (idx,)
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.tolist()]
        table.add_row(*[str(k) for k in keys][: len(index_names)], *cells)
    return table


def print_report(console: Console, report: Report, folder: str | Path) -> None:
    """An analysis report (titled tables and figure paths) after an experiment."""
    for title, df in report.tables.items():
        console.print(dataframe_table(df, title))
    for note in report.notes:
        console.print(note, markup=False, soft_wrap=True)
    for figure in report.figures:
        console.print(f"Figure: {figure}")
    console.print(f"Runs: {folder}")


def make_console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)
