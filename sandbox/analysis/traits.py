"""Trait expression in dialogue: how often the judge recovers each role card's trait and pole.

``judgements(rs)`` is ``trait_judgements`` with the failed rows left out (counted by ``failed``).
``success_rates(j, by)`` gives, per run and level of ``by`` (``trait``, ``intensity``, ``pole``,
``wording`` or ``None`` for overall), the success rate (trait and pole both named) and the
trait-only rate, each with its 95% Wilson interval, the chance level of a uniform guess (1/10 for
trait and pole, 1/5 for the trait) and an exact binomial p against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.analysis.plotting import pyplot, save
from sandbox.analysis.runs import RunSet
from sandbox.analysis.stats import binomial_p, interval, wilson_ci
from sandbox.analysis.study_tables import study_table

if TYPE_CHECKING:
    import pandas as pd

    from sandbox.analysis.sections import ReportInput

CHANCE_SUCCESS = 1 / 10
CHANCE_TRAIT = 1 / 5
ORDERS = {
    "trait": ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism"),
    "intensity": ("a bit", "plain", "very", "extremely"),
    "pole": ("positive", "negative"),
    "wording": ("adjectives", "facets"),
}


def judgements(rs: RunSet) -> pd.DataFrame:
    j = study_table(rs, "trait_judgements")
    if j.empty:
        return j
    j = j[j["error"].isna()].copy()
    j["success"] = j["success"].astype(int)
    j["trait_correct"] = j["trait_correct"].astype(int)
    return j


def failed(rs: RunSet) -> int:
    j = study_table(rs, "trait_judgements")
    return 0 if j.empty else int(j["error"].notna().sum())


def success_rates(j: pd.DataFrame, by: str | None) -> pd.DataFrame:
    import pandas as pd

    rows = []
    keys = ["run"] + ([by] if by else [])
    for key, g in j.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        n, k, kt = len(g), int(g["success"].sum()), int(g["trait_correct"].sum())
        lo, hi = wilson_ci(k, n)
        tlo, thi = wilson_ci(kt, n)
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "n": n,
                "success": k / n,
                "ci95": interval(lo, hi),
                "p_vs_chance": binomial_p(k, n, CHANCE_SUCCESS),
                "trait_only": kt / n,
                "trait_ci95": interval(tlo, thi),
            }
        )
    out = pd.DataFrame(rows)
    if by and not out.empty:
        rank = {v: i for i, v in enumerate(ORDERS.get(by, ()))}
        out = out.sort_values(["run", by], key=lambda s: s.map(rank) if s.name == by else s)
    return out


def plot_success(j: pd.DataFrame, path: str | Path) -> Path:
    """Success rate per trait, per intensity and positive vs negative pole, with 95% Wilson
    intervals and the chance level of a uniform guess (one run per colour)."""
    import numpy as np

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), gridspec_kw={"width_ratios": [5, 3, 2]})
    runs = list(dict.fromkeys(j["run"]))
    width = 0.8 / max(1, len(runs))
    for ax, by in zip(axes, ("trait", "intensity", "pole"), strict=True):
        levels = [v for v in ORDERS[by] if v in set(j[by])]
        x = np.arange(len(levels))
        for r, run in enumerate(runs):
            sub = j[j["run"] == run]
            rates, lows, highs = [], [], []
            for level in levels:
                g = sub[sub[by] == level]
                k, n = int(g["success"].sum()), len(g)
                lo, hi = wilson_ci(k, n)
                rate = k / n if n else float("nan")
                rates.append(rate)
                lows.append(max(0.0, rate - lo))
                highs.append(max(0.0, hi - rate))
            ax.bar(x + (r - (len(runs) - 1) / 2) * width, rates, width, label=str(run),
                   yerr=np.nan_to_num([lows, highs]), capsize=3)  # fmt: skip
        ax.axhline(CHANCE_SUCCESS, color="grey", ls="--", lw=1)
        ax.set_xticks(x, [v[:5] if by == "trait" else v for v in levels])
        ax.set_ylim(0, 1)
        ax.set_title(f"success by {by}", fontsize=9)
    axes[0].set_ylabel("trait and pole recovered")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return save(fig, path)


# The report section of this study (found by sandbox.analysis.sections; see docs/scenarios.md).
REPORTS = ("trait_expression",)
REPORT_ORDER = 60


def report_section(ctx: ReportInput) -> tuple[dict[str, Any], list[Path]]:
    """The judge's recovery of trait and pole, overall and per factor."""
    j = judgements(ctx.rs)
    if j.empty:  # no run judged yet (the report's notes name the runs and how to finish them)
        return {}, []
    tables: dict[str, Any] = {}
    for by, title in (
        (None, "overall"),
        ("trait", "per trait"),
        ("intensity", "per intensity"),
        ("pole", "positive vs negative pole"),
    ):
        table = success_rates(j, by)
        tables[
            f"Trait expression: judge recovers trait and pole, {title} (95% Wilson interval; "
            "chance .10)"
        ] = table.set_index(["run", by] if by else ["run"]).round(3)
    if j["wording"].nunique() > 1:
        tables["Trait expression: per wording"] = (
            success_rates(j, "wording").set_index(["run", "wording"]).round(3)
        )
    return tables, [plot_success(j, ctx.folder / "trait_success.png")]
