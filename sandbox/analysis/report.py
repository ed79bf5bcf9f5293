"""The report of an experiment folder: titled tables and figures, whatever the experiment.

The common tables (models, failed answers) come first; then the section of each study whose
scenario is in the runs, as its analysis module declares it (``REPORTS`` and ``report_section``;
see ``sandbox.analysis.sections``), in ``REPORT_ORDER``. A new study adds its analysis module and
does not edit this file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from sandbox.analysis.runs import load_runs
from sandbox.analysis.sections import ReportInput, report_sections


class Report(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    tables: dict[str, Any]
    figures: list[Path]
    notes: list[str] = []  # one line each, e.g. a run whose evaluation has not run yet


def models_table(rs: Any) -> Any:
    """Per run: the agents' model and the judge, saying when the judge was the default (the
    agents' own model judging their utterances)."""
    runs = rs.runs.set_index("run")
    return runs.assign(
        judge=[
            f"{j} (default: the agents' model)" if default else j
            for j, default in zip(runs["judge"], runs["judge_is_default"], strict=True)
        ]
    )[["model", "judge"]]


def experiment_report(
    folder: str | Path, directions: str | Path | None = None, runs: list[Path] | None = None
) -> Report:
    """Tables and figures (PNG, written into ``folder``) for the runs under ``folder`` (or for
    ``runs``, trajectory files, when given)."""
    folder = Path(folder)
    source: Path | list[Path] = runs if runs is not None else folder
    rs = load_runs(source)
    scenarios = set(rs.runs["scenario"])
    tables: dict[str, Any] = {"Models": models_table(rs)}
    from sandbox.analysis.failures import failures
    from sandbox.analysis.study_tables import evaluation_failures

    failed = failures(rs)
    extra = evaluation_failures(rs)
    if not extra.empty:
        import pandas as pd

        failed = pd.concat([failed, extra], ignore_index=True)
    tables["Failed answers (left out of every statistic below)"] = failed.set_index(
        ["run", "what"]
    )[["failed", "total"]]
    figures: list[Path] = []
    ctx = ReportInput(
        rs=rs,
        folder=folder,
        source=source,
        directions=Path(directions) if directions is not None else None,
    )
    from sandbox.analysis.pending import pending_note, pending_runs

    pending = pending_runs(rs)
    notes = [pending_note(p.run, p.run_dir, p.resumable) for p in pending]
    waiting = {p.run for p in pending}
    for section in report_sections():
        runs_of = set(rs.runs.loc[rs.runs["scenario"].isin(section.scenarios), "run"])
        if runs_of and runs_of <= waiting:  # nothing judged yet: the notes say so
            continue
        if scenarios.intersection(section.scenarios):
            section_tables, section_figures = section.build(ctx)
            tables.update(section_tables)
            figures.extend(section_figures)
    return Report(tables=tables, figures=figures, notes=notes)
