"""Opinion dynamics of debate runs (after DEBATE, Chuang et al. 2025).

- trajectories: per group, the mean and SD of private opinions (before, after) and of judged post
  stances (each round);
- regression to the mean: corr(final - initial, initial) over agents;
- pull towards the first partner: corr(final - initial, first partner's initial - own initial);
- public-private gap: post stance minus the agent's private opinion, per agent and round (the
  opinion before the discussion for rounds before the last, the one after for the last round).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.analysis.plotting import pyplot, save
from sandbox.analysis.runs import RunSet
from sandbox.analysis.stats import pearson

if TYPE_CHECKING:
    import pandas as pd


def opinions(rs: RunSet) -> pd.DataFrame:
    """One row per agent: group, topic, initial and final private opinion."""
    import pandas as pd

    b = rs.beliefs[
        rs.beliefs["strategy"].isin(["private_opinion", "private_opinion_final"])
        & rs.beliefs["error"].isna()
    ].copy()
    b["value"] = b["answer"].map(lambda a: json.loads(a)["opinion"])
    wide = b.pivot_table(
        index=["run", "model", "agent", "about"], columns="strategy", values="value"
    ).reset_index()
    wide = wide.rename(
        columns={"private_opinion": "initial", "private_opinion_final": "final", "about": "topic"}
    )
    rows = []
    for run in wide["run"].unique():
        sc = rs.scenario(run)
        group_of = {a: g for g, members in enumerate(sc["groups"]) for a in members}
        first = {}
        for rounds in sc["pairings"]:
            for a, b_ in rounds[0]:
                first[a], first[b_] = b_, a
        for r in wide[wide["run"] == run].itertuples():
            rows.append(
                {
                    "run": run,
                    "agent": r.agent,
                    "group": group_of[r.agent],
                    "first_partner": first.get(r.agent),
                }
            )
    out = wide.merge(pd.DataFrame(rows), on=["run", "agent"])
    out["change"] = out["final"] - out["initial"]
    partner_initial = out.set_index(["run", "agent"])["initial"]
    out["partner_gap"] = [
        partner_initial.get((r.run, r.first_partner), float("nan")) - r.initial
        for r in out.itertuples()
    ]
    return out


def posts(rs: RunSet) -> pd.DataFrame:
    p = rs.actions[(rs.actions["kind"] == "post") & rs.actions["value"].notna()].copy()
    p["round"] = p["data"].map(lambda d: json.loads(d)["round"])
    p["group"] = p["data"].map(lambda d: json.loads(d)["group"])
    return p.rename(columns={"value": "stance"})[
        ["run", "model", "agent", "group", "round", "stance", "text"]
    ]


def trajectories(rs: RunSet) -> pd.DataFrame:
    """Group mean and SD at each phase: 'before', 'post 1'.., 'after'."""
    import pandas as pd

    op, ps = opinions(rs), posts(rs)
    rows = []

    def row(run: str, group: int, phase: str, kind: str, values: pd.Series) -> dict:
        return {
            "run": run,
            "group": group,
            "phase": phase,
            "kind": kind,
            "mean": values.mean(),
            "sd": values.std(ddof=0),
        }

    for (run, group), d in op.groupby(["run", "group"]):
        rows.append(row(run, group, "before", "private", d["initial"]))
        for rnd, dp in ps[(ps["run"] == run) & (ps["group"] == group)].groupby("round"):
            rows.append(row(run, group, f"post {rnd}", "public", dp["stance"]))
        rows.append(row(run, group, "after", "private", d["final"]))
    return pd.DataFrame(rows)


def dynamics(rs: RunSet) -> pd.DataFrame:
    """Per run: regression to the mean, pull towards the first partner, mean |public-private gap|."""
    import pandas as pd

    op, gaps = opinions(rs), public_private_gap(rs)
    rows = []
    for run, d in op.groupby("run"):
        g = gaps[gaps["run"] == run]
        rows.append(
            {
                "run": run,
                "model": d["model"].iloc[0],
                "agents": len(d),
                "regression_to_mean": pearson(d["change"], d["initial"]),
                "pull_to_first_partner": pearson(d["change"], d["partner_gap"]),
                "sd_before": d["initial"].std(ddof=0),
                "sd_after": d["final"].std(ddof=0),
                "mean_abs_gap": g["gap"].abs().mean(),
            }
        )
    return pd.DataFrame(rows)


def public_private_gap(rs: RunSet) -> pd.DataFrame:
    op = opinions(rs).set_index(["run", "agent"])
    ps = posts(rs)
    last = ps.groupby("run")["round"].transform("max")
    private = [
        op.loc[(r.run, r.agent), "final" if r.round == lr else "initial"]
        for r, lr in zip(ps.itertuples(), last, strict=True)
    ]
    out = ps.assign(private=private)
    out["gap"] = out["stance"] - out["private"]
    return out[["run", "agent", "group", "round", "stance", "private", "gap"]]


def plot_trajectories(rs: RunSet, path: str | Path) -> Path:
    """Each agent's path (before, posts, after), one panel per group."""
    plt = pyplot()
    op, ps = opinions(rs), posts(rs)
    keys = sorted({(r, g) for r, g in zip(op["run"], op["group"], strict=True)})
    fig, axes = plt.subplots(
        1, len(keys), figsize=(3.6 * len(keys), 3.4), sharey=True, squeeze=False
    )
    for ax, (run, group) in zip(axes[0], keys, strict=True):
        d = op[(op["run"] == run) & (op["group"] == group)]
        rounds = sorted(ps.loc[(ps["run"] == run) & (ps["group"] == group), "round"].unique())
        xs = ["before", *[f"post {r}" for r in rounds], "after"]
        for r in d.itertuples():
            mine = ps[(ps["run"] == run) & (ps["agent"] == r.agent)].set_index("round")["stance"]
            ys = [r.initial, *[mine.get(k, float("nan")) for k in rounds], r.final]
            ax.plot(range(len(xs)), ys, marker="o", alpha=0.8, label=r.agent)
        ax.set_xticks(range(len(xs)), xs, rotation=30, fontsize=8)
        ax.set_title(f"group {group}: {d['topic'].iloc[0]}", fontsize=9)
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_ylim(-2.8, 2.8)
        ax.legend(fontsize=6)
    axes[0][0].set_ylabel("opinion / post stance (-2.5 .. 2.5)")
    fig.tight_layout()
    return save(fig, path)
