"""Character fidelity: the judge's 1-5 scores per dimension and per persona, with 95% intervals
(bootstrap over characters), and the judge's critiques."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.analysis.stats import interval, mean_ci
from sandbox.analysis.study_tables import study_table as read_table  # one table of every run

if TYPE_CHECKING:
    import pandas as pd

    from sandbox.analysis.runs import RunSet
    from sandbox.analysis.sections import ReportInput


def scores(rs: RunSet) -> pd.DataFrame:
    """One row per (run, agent, dimension) with the judge's score (NaN where it failed)."""
    return read_table(rs, "fidelity_scores")


def critiques(rs: RunSet) -> pd.DataFrame:
    return read_table(rs, "fidelity_critiques")


def _summary(values: Any) -> dict[str, Any]:
    v = [float(x) for x in values if x == x]
    if not v:
        return {"n": 0, "mean": float("nan"), "95% CI": "[n/a]"}
    low, high = mean_ci(v)
    return {"n": len(v), "mean": sum(v) / len(v), "95% CI": interval(low, high)}


def by_dimension(df: pd.DataFrame) -> pd.DataFrame:
    """Mean score per dimension (and overall) with a bootstrap interval over characters."""
    import pandas as pd

    from sandbox.scenarios.character_fidelity import DIMENSIONS

    rows = []
    for (run, judge), g in df.groupby(["run", "judge"], sort=False):
        for dim in [*DIMENSIONS, "overall"]:
            sub = g if dim == "overall" else g[g["dimension"] == dim]
            if dim == "overall":  # a character's mean over dimensions, then over characters
                sub = sub.groupby("agent", as_index=False)["score"].mean()
            rows.append({"run": run, "judge": judge, "dimension": dim, **_summary(sub["score"])})
    return pd.DataFrame(rows)


def by_persona(df: pd.DataFrame) -> pd.DataFrame:
    """Each character's scores (dimensions as columns) and their mean."""
    wide = df.pivot_table(index=["run", "agent"], columns="dimension", values="score")
    from sandbox.scenarios.character_fidelity import DIMENSIONS

    wide = wide[[d for d in DIMENSIONS if d in wide.columns]]
    return wide.assign(mean=wide.mean(axis=1))


def plot_dimensions(table: pd.DataFrame, path: str | Path) -> Path:
    """Mean score per dimension with its 95% interval, one bar group per run."""
    import numpy as np

    from sandbox.analysis.plotting import pyplot, save

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    runs = list(dict.fromkeys(table["run"]))
    width = 0.8 / max(len(runs), 1)
    for i, run in enumerate(runs):
        t = table[table["run"] == run]
        x = np.arange(len(t)) + i * width
        lows, highs = [], []
        for mean, ci in zip(t["mean"], t["95% CI"], strict=True):
            if ci == "[n/a]":
                lows.append(0.0)
                highs.append(0.0)
                continue
            low, high = (float(v) for v in ci.strip("[]").split(","))
            lows.append(mean - low)
            highs.append(high - mean)
        ax.bar(x, t["mean"], width, yerr=[lows, highs], capsize=3, label=run)
        ax.set_xticks(np.arange(len(t)) + width * (len(runs) - 1) / 2)
        ax.set_xticklabels([d.replace("_", "\n") for d in t["dimension"]], fontsize=7)
    ax.set_ylim(0, 5.5)
    ax.set_ylabel("judge's score (1-5), mean and 95% CI")
    ax.set_title("Character fidelity by dimension")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save(fig, path)


def fidelity_report(rs: RunSet, folder: Path) -> tuple[dict[str, Any], list[Path]]:
    df = scores(rs)
    if df.empty:
        return {}, []
    dims = by_dimension(df)
    crit = critiques(rs)
    shown = crit.assign(
        critique=crit["critique"].fillna("").str.slice(0, 100),
        error=crit["error"].fillna(""),
    )[["run", "agent", "judge", "critique", "error"]]
    tables = {
        "Character fidelity: judge's score per dimension (1-5; 95% CI over characters)": (
            dims.set_index(["run", "dimension"]).round(3)
        ),
        "Character fidelity: per persona": by_persona(df).round(3),
        "Character fidelity: the judge's critiques (first 100 characters; all in "
        "fidelity_critiques)": shown.set_index(["run", "agent"]),
    }
    return tables, [plot_dimensions(dims, folder / "character_fidelity.png")]


# The report section of this study (found by sandbox.analysis.sections; see docs/scenarios.md).
REPORTS = ("character_fidelity",)
REPORT_ORDER = 20


def report_section(ctx: ReportInput) -> tuple[dict[str, Any], list[Path]]:
    """The judge's fidelity scores and critiques."""
    return fidelity_report(ctx.rs, ctx.folder)
