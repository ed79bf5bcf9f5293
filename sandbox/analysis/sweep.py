"""Sweeps in pandas: every run of a sweep, and each table cell as a mean over seeds with a 95%
interval.

    from sandbox.analysis import load_sweep, sweep_report
    ss = load_sweep("runs/trust-sweep")          # a RunSet over its completed runs, plus .manifest
    report = sweep_report("runs/trust-sweep")    # tables of 'mean [95% CI]' cells
    report.per_seed[title]                       # the per-seed values behind each table

The interval is Student's t over the per-seed values (n - 1 degrees of freedom): seeds are the
independent repetitions; agents within a run are not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from sandbox.analysis.plotting import pyplot, save
from sandbox.analysis.runs import TABLES, RunSet, load_runs
from sandbox.analysis.stats import t_two_sided_p
from sandbox.errors import StoreError
from sandbox.store.reader import TRAJECTORY_FILE
from sandbox.store.sweep_manifest import Manifest

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class SweepSet(RunSet):
    """The completed runs of a sweep (every ``RunSet`` table, with ``condition`` as the sweep
    named it) and ``manifest``: one row per run of the sweep, whatever its status."""

    manifest: Any = field(default=None)


def load_sweep(directory: str | Path) -> SweepSet:
    """Every completed run of the sweep in ``directory`` as DataFrames (read-only)."""
    import pandas as pd

    directory = Path(directory)
    with Manifest(directory) as manifest:
        rows = manifest.rows()
    frame = pd.DataFrame(rows).drop(columns=["spec"], errors="ignore")
    done = [r for r in rows if r["status"] == "completed"]
    files = [directory / r["directory"] / TRAJECTORY_FILE for r in done]
    missing = [f for f in files if not f.exists()]
    if missing:
        raise StoreError(
            f"the manifest lists {len(missing)} completed runs whose file is gone, "
            f"e.g. {missing[0]}; run 'sandbox sweep --resume {directory}'"
        )
    if not files:
        raise StoreError(f"the sweep at {directory} has no completed run yet")
    rs = load_runs(files)
    condition = {r["run_id"]: r["condition"] for r in rows}
    tables = {}
    for name in (*TABLES, "runs"):
        df = getattr(rs, name)
        if "run" in df.columns and not df.empty:
            df = df.assign(condition=df["run"].map(condition).fillna(df["condition"]))
        tables[name] = df
    return SweepSet(configs=rs.configs, manifest=frame, **tables)


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile (p > 0.5) of Student's t with ``df`` degrees of freedom (bisection)."""
    target = 2 * (1 - p)  # the two-sided tail probability beyond the quantile
    lo, hi = 0.0, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_two_sided_p(mid, df) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of the t interval over ``values`` (NaN bounds when n < 2)."""
    xs = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = sum(xs) / n
    if n < 2:
        return mean, math.nan, math.nan, n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half, n


def across_seeds(per_seed: pd.DataFrame, by: list[str], value: str = "value") -> pd.DataFrame:
    """Per group of ``by``: mean, 95% interval and number of seeds of ``value``."""
    import pandas as pd

    rows = []
    for key, d in per_seed.groupby(by, sort=True, dropna=False):
        mean, lo, hi, n = interval(d[value].tolist())
        keys = key if isinstance(key, tuple) else (key,)
        rows.append(
            {**dict(zip(by, keys, strict=True)), "mean": mean, "low": lo, "high": hi, "seeds": n}
        )
    return pd.DataFrame(rows)


def cell(mean: float, low: float, high: float, digits: int = 2) -> str:
    if math.isnan(mean):
        return "n/a"
    if math.isnan(low):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


class SweepReport(BaseModel):
    """Tables of 'mean [95% CI]' cells; ``summaries`` holds the same numbers as columns and
    ``per_seed`` the values each cell was computed from."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    tables: dict[str, Any]
    summaries: dict[str, Any]
    per_seed: dict[str, Any]
    figures: list[Path]
    seeds: list[int]


@dataclass
class _Measure:
    """A per-seed measure: long values with ``by`` keys, shown with ``rows`` x ``columns``."""

    values: Any
    rows: list[str]
    columns: list[str]


def _seeded(df: pd.DataFrame, ss: SweepSet) -> pd.DataFrame:
    seed_of = dict(zip(ss.runs["run"], ss.runs["seed"], strict=True))
    return df.assign(seed=df["run"].map(seed_of))


def _measures(ss: SweepSet) -> dict[str, _Measure]:
    """Per seed, the numbers behind each table of the experiment's usual report."""
    import pandas as pd

    out: dict[str, _Measure] = {}
    scenarios = set(ss.runs["scenario"])
    studies = set(ss.runs["study"].dropna())
    if "trust" in scenarios and "population" in studies:
        from sandbox.analysis.trust import population_metrics

        m = population_metrics(ss)
        m = m[m["condition"] == "population"]
        if not m.empty:
            per = _seeded(m, ss).groupby(["strategy", "model", "seed"])
            for metric, title in (
                ("gap", "Population beliefs vs behaviour: median |delta eta^2|"),
                ("rho", "Population beliefs vs behaviour: median rho"),
            ):
                values = per[metric].median().rename("value").reset_index()
                out[title] = _Measure(values, ["strategy"], ["model"])
    if "trust" in scenarios and "conditioning" in studies:
        from sandbox.analysis.trust import conditioning_metrics

        m = conditioning_metrics(ss)
        if not m.empty:
            values = (
                _seeded(m, ss)
                .groupby(["condition", "model", "seed"])["rho"]
                .median()
                .rename("value")
                .reset_index()
            )
            out["Conditioning: median Spearman(prior, behaviour)"] = _Measure(
                values, ["condition"], ["model"]
            )
    if "trust" in scenarios and "forecast" in studies:
        from sandbox.analysis.trust import forecast_errors

        e = forecast_errors(ss)
        if not e.empty:
            values = (
                _seeded(e, ss)
                .groupby(["model", "archetype", "round", "seed"])["abs_error"]
                .mean()
                .rename("value")
                .reset_index()
            )
            out["Forecast MAE by horizon"] = _Measure(values, ["model", "archetype"], ["round"])
    if "debate" in scenarios:
        from sandbox.analysis import debate

        d = _seeded(debate.dynamics(ss), ss).drop(columns=["run", "agents"])
        values = d.melt(id_vars=["model", "seed"], var_name="measure", value_name="value")
        out["Debate dynamics"] = _Measure(values, ["measure"], ["model"])
    if "games" in scenarios:
        from sandbox.analysis import games

        b = _seeded(games.behaviours(ss), ss).drop(columns=["agent"])
        per_run = b.groupby(["run", "model", "seed"]).mean(numeric_only=True).reset_index()
        values = per_run.drop(columns=["run"]).melt(
            id_vars=["model", "seed"], var_name="behaviour", value_name="value"
        )
        out["Games: mean behaviour (shares)"] = _Measure(values, ["behaviour"], ["model"])
    if ss.actions is not None and not ss.actions.empty and "open-world" in scenarios:
        # every kind in every run, 0 where a run had none (a kind missing from a seed is a 0 share
        # there, not a seed left out of the mean)
        counts = ss.actions.groupby(["run", "kind"]).size().unstack(fill_value=0)
        acts = counts.stack().rename("n").reset_index()
        acts["value"] = acts["n"] / acts.groupby("run")["n"].transform("sum")
        acts = _seeded(acts, ss).assign(
            condition=lambda d: d["run"].map(
                dict(zip(ss.runs["run"], ss.runs["condition"], strict=True))
            ),
            model=lambda d: d["run"].map(dict(zip(ss.runs["run"], ss.runs["model"], strict=True))),
        )
        out["Acts by kind (share of all acts)"] = _Measure(
            acts[["condition", "model", "kind", "seed", "value"]], ["condition", "kind"], ["model"]
        )
    done = ss.manifest[ss.manifest["status"] == "completed"]
    if not done.empty:
        out["Model calls per run"] = _Measure(
            pd.DataFrame(
                {
                    "condition": done["condition"],
                    "model": done["model"],
                    "seed": done["seed"],
                    "value": done["calls"].astype(float),
                }
            ),
            ["condition"],
            ["model"],
        )
    return out


def sweep_report(directory: str | Path, figures_dir: str | Path | None = None) -> SweepReport:
    """The experiment's tables over the sweep in ``directory``: each cell the mean over seeds
    with its 95% interval; a figure of the first table with the intervals as error bars."""
    directory = Path(directory)
    ss = load_sweep(directory)
    tables: dict[str, Any] = {}
    summaries: dict[str, Any] = {}
    per_seed: dict[str, Any] = {}
    for title, m in _measures(ss).items():
        keys = m.rows + m.columns
        summary = across_seeds(m.values, keys)
        summaries[title] = summary
        per_seed[title] = m.values.pivot_table(
            index=keys, columns="seed", values="value", aggfunc="first"
        )
        shown = summary.assign(
            cell=[
                cell(a, b, c)
                for a, b, c in zip(summary["mean"], summary["low"], summary["high"], strict=True)
            ]
        )
        tables[title] = shown.pivot_table(
            index=m.rows, columns=m.columns, values="cell", aggfunc="first"
        ).rename_axis(columns=None)
    figures = []
    if summaries:
        title = next(iter(summaries))
        out = Path(figures_dir) if figures_dir else directory
        figures.append(plot_across_seeds(summaries[title], title, out / "sweep_intervals.png"))
    seeds = sorted(int(s) for s in ss.runs["seed"].unique())
    return SweepReport(
        tables=tables, summaries=summaries, per_seed=per_seed, figures=figures, seeds=seeds
    )


def plot_across_seeds(summary: pd.DataFrame, title: str, path: str | Path) -> Path:
    """Means over seeds as points with their 95% intervals, one row per cell of the table."""
    plt = pyplot()
    keys = [c for c in summary.columns if c not in ("mean", "low", "high", "seeds")]
    labels = [" / ".join(str(v) for v in row) for row in summary[keys].itertuples(index=False)]
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(labels) + 1.5))
    ys = list(range(len(labels)))
    err = [
        (summary["mean"] - summary["low"]).fillna(0).clip(lower=0),
        (summary["high"] - summary["mean"]).fillna(0).clip(lower=0),
    ]
    ax.errorbar(summary["mean"], ys, xerr=err, fmt="o", capsize=3)
    ax.set_yticks(ys, labels, fontsize=8)
    ax.invert_yaxis()
    seeds = int(summary["seeds"].max()) if len(summary) else 0
    ax.set_title(f"{title}\nmean over {seeds} seeds, 95% interval", fontsize=9)
    fig.tight_layout()
    return save(fig, path)
