"""Theory of mind from inner speech: accuracy of the agents' answers about their partners.

``answers(rs)`` joins ``tom_items`` and ``tom_answers`` (one row per answer; a failed answer is
left out and counted by ``failed``). Accuracy comes with its 95% Wilson interval, the chance level
(one over the number of options) and an exact binomial p against it, by mental state and order
(``by_state_and_order``) and overall, by order and on the false-belief subset (``summary``).
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

STATES = ("belief", "intention", "desire", "emotion", "knowledge")


def answers(rs: RunSet) -> pd.DataFrame:
    """One row per item answered (valid answers only), with its chance level."""
    import json

    items = study_table(rs, "tom_items")
    given = study_table(rs, "tom_answers")
    if items.empty or given.empty:
        import pandas as pd

        return pd.DataFrame(
            columns=["run", "model", "item", "mental_state", "tom_order", "false_belief",
                     "correct", "chance"]
        )  # fmt: skip
    items["chance"] = items["options"].map(lambda o: 1 / len(json.loads(o)))
    merged = given.drop(columns=["model"]).merge(
        items.drop(columns=["correct"]), on=["run", "item"], how="left"
    )
    merged = merged[merged["error"].isna()].copy()
    merged["correct"] = merged["correct"].astype(int)
    return merged


def failed(rs: RunSet) -> int:
    given = study_table(rs, "tom_answers")
    return 0 if given.empty else int(given["error"].notna().sum())


def _row(group: pd.DataFrame) -> dict[str, object]:
    n, k = len(group), int(group["correct"].sum())
    low, high = wilson_ci(k, n)
    chance = float(group["chance"].mean())
    return {
        "n": n,
        "accuracy": k / n if n else float("nan"),
        "ci95": interval(low, high),
        "chance": chance,
        "p_vs_chance": binomial_p(k, n, chance),
    }


def by_state_and_order(a: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per run, mental state and order (1 = first, 2 = second)."""
    import pandas as pd

    rows = []
    for (run, state, order), g in a.groupby(["run", "mental_state", "tom_order"], sort=False):
        rows.append({"run": run, "mental_state": state, "order": int(order), **_row(g)})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["state_rank"] = out["mental_state"].map({s: i for i, s in enumerate(STATES)})
    return out.sort_values(["run", "state_rank", "order"]).drop(columns="state_rank")


def summary(a: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per run: all items, first order, second order, the false-belief subset (beliefs
    of the agent lacking the key fact, answered by the one who has it) and the other items."""
    import pandas as pd

    rows = []
    for run, g in a.groupby("run", sort=False):
        subsets = {
            "all": g,
            "first order": g[g["tom_order"] == 1],
            "second order": g[g["tom_order"] == 2],
            "false belief": g[g["false_belief"] == 1],
            "not false belief": g[g["false_belief"] == 0],
        }
        for name, s in subsets.items():
            if len(s):
                rows.append({"run": run, "subset": name, **_row(s)})
    return pd.DataFrame(rows)


def plot_accuracy(a: pd.DataFrame, path: str | Path) -> Path:
    """Accuracy by mental state, first vs second order, with 95% Wilson intervals and chance."""
    import numpy as np

    plt = pyplot()
    table = by_state_and_order(a)
    runs = list(dict.fromkeys(table["run"])) if not table.empty else []
    fig, axes = plt.subplots(1, max(1, len(runs)), figsize=(6 * max(1, len(runs)), 3.6),
                             squeeze=False)  # fmt: skip
    for ax, run in zip(axes[0], runs, strict=False):
        t = table[table["run"] == run]
        x = np.arange(len(STATES))
        for k, order in enumerate((1, 2)):
            sub = t[t["order"] == order].set_index("mental_state").reindex(STATES)
            acc = sub["accuracy"].to_numpy(dtype=float)
            lows, highs = [], []
            for s in STATES:
                g = a[(a["run"] == run) & (a["mental_state"] == s) & (a["tom_order"] == order)]
                lo, hi = wilson_ci(int(g["correct"].sum()), len(g))
                lows.append(lo)
                highs.append(hi)
            err = np.clip(np.array([acc - np.array(lows), np.array(highs) - acc]), 0, None)
            ax.bar(x + (k - 0.5) * 0.38, acc, 0.38, yerr=np.nan_to_num(err),
                   label=("first" if order == 1 else "second") + " order", capsize=3)  # fmt: skip
        chance = float(a[a["run"] == run]["chance"].mean())
        ax.axhline(chance, color="grey", ls="--", lw=1, label=f"chance {chance:.2f}")
        ax.set_xticks(x, STATES)
        ax.set_ylim(0, 1)
        ax.set_ylabel("accuracy")
        ax.set_title(str(run), fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return save(fig, path)


# The report section of this study (found by sandbox.analysis.sections; see docs/scenarios.md).
REPORTS = ("tom_inner_speech",)
REPORT_ORDER = 50


def report_section(ctx: ReportInput) -> tuple[dict[str, Any], list[Path]]:
    """Accuracy by mental state and order, and overall."""
    a = answers(ctx.rs)
    if a.empty:  # no run answered yet (the report's notes name the runs and how to finish them)
        return {}, []
    tables: dict[str, Any] = {
        "Theory of mind: accuracy by mental state and order (95% Wilson interval)": (
            by_state_and_order(a).set_index(["run", "mental_state", "order"]).round(3)
        ),
        "Theory of mind: accuracy overall, by order and on the false-belief subset": (
            summary(a).set_index(["run", "subset"]).round(3)
        ),
    }
    return tables, [plot_accuracy(a, ctx.folder / "tom_accuracy.png")]
