"""Opinion dynamics of debate runs (after DEBATE, Chuang et al. 2025), with their statistics.

- trajectories: per group, the mean and SD of private opinions (before, after) and of judged post
  stances (each round);
- opinion change: paired tests (t, Wilcoxon, d_z) of before against after for the private opinion,
  its extremity |opinion|, the group's SD (convergence) and the group's mean shifted towards its
  initial side (polarisation);
- regression to the mean: corr(final - initial, initial) over agents, with a permutation p
  (changes shuffled across agents) and a bootstrap interval;
- pull towards the first partner: corr(final - initial, first partner's initial - own initial),
  next to its chance level (the same correlation with a random other group member as "partner",
  which is not 0 because both sides contain the own initial opinion) and a permutation p;
- stance change per round: |post stance in round r - in round r - 1| (round 0: the opening
  private opinion), on-topic posts only;
- on-topic rate: the judge's share of on-topic utterances, posts and chat messages, with a
  Wilson interval;
- public-private gap: post stance minus the agent's private opinion, per agent and round (the
  opinion before the discussion for rounds before the last, the one after for the last round).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.analysis.plotting import pyplot, save
from sandbox.analysis.runs import RunSet
from sandbox.analysis.stats import (
    bootstrap_ci,
    interval,
    mean_ci,
    paired_test,
    pearson,
    permutation_correlation,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import pandas as pd

    from sandbox.analysis.sections import ReportInput


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


def utterances(rs: RunSet) -> pd.DataFrame:
    """Every post and chat message with the judge's reading: ``on_topic`` (None when the judge
    failed) and ``stance``."""
    u = rs.actions[rs.actions["kind"].isin(["post", "chat"])].copy()
    data = u["data"].map(json.loads)
    u["round"] = data.map(lambda d: d["round"])
    u["group"] = data.map(lambda d: d["group"])
    u["on_topic"] = data.map(lambda d: d.get("on_topic"))
    return u.rename(columns={"value": "stance"})[
        ["run", "model", "agent", "kind", "group", "round", "on_topic", "stance", "text"]
    ]


def posts(rs: RunSet) -> pd.DataFrame:
    """Judged posts that are on topic (stance metrics use only these, as DEBATE does)."""
    u = utterances(rs)
    on_topic = u["on_topic"].map(lambda x: x is not False)  # None: judged before topicality
    p = u[(u["kind"] == "post") & u["stance"].notna() & on_topic]
    return p[["run", "model", "agent", "group", "round", "stance", "text"]]


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


def _corr_test(statistic: Callable[[np.random.Generator | None], float]) -> dict[str, float]:
    perm = permutation_correlation(statistic)
    return {"r": perm.r, "chance": perm.null_mean, "r - chance": perm.corrected, "p": perm.p}


def dynamics(rs: RunSet) -> pd.DataFrame:
    """Per run and measure: regression to the mean and pull to the first partner, each with its
    chance level, the chance-corrected value, a permutation p and a bootstrap interval of r."""
    import pandas as pd

    rows = []
    for run, d in opinions(rs).groupby("run"):
        d = d.dropna(subset=["initial", "final"])
        for measure, row in _run_dynamics(d).items():
            rows.append({"run": run, "model": d["model"].iloc[0], "measure": measure, **row})
    return pd.DataFrame(rows)


def _run_dynamics(d: pd.DataFrame) -> dict[str, dict]:
    import numpy as np

    initial, change = d["initial"].to_numpy(), d["change"].to_numpy()
    gap = d["partner_gap"].to_numpy()
    agents, groups = d["agent"].tolist(), d["group"].to_numpy()
    init_of = dict(zip(agents, initial, strict=True))
    others = {
        a: [m for m, g in zip(agents, groups, strict=True) if g == grp and m != a]
        for a, grp in zip(agents, groups, strict=True)
    }

    def regression(rng: np.random.Generator | None) -> float:
        return pearson(change if rng is None else rng.permutation(change), initial)

    def pull(rng: np.random.Generator | None) -> float:
        g = gap
        if rng is not None:  # a random other member of the agent's group as its "partner"
            g = np.array([init_of[rng.choice(others[a])] - init_of[a] for a in agents])
        ok = np.isfinite(g)
        return pearson(change[ok], g[ok])

    def ci(x: np.ndarray, y: np.ndarray) -> str:
        rows = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        return interval(*bootstrap_ci([rows], lambda idx, axis=-1: _rows_corr(x, y, idx)))

    n = len(d)
    return {
        "regression to the mean: corr(change, initial)": {
            "n": n,
            **_corr_test(regression),
            "95% CI of r": ci(change, initial),
        },
        "pull to the first partner: corr(change, partner - own initial)": {
            "n": n,
            **_corr_test(pull),
            "95% CI of r": ci(change, gap),
        },
    }


def _rows_corr(a: np.ndarray, b: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Pearson r of rows ``idx`` of ``a`` and ``b``, for each resample (rows of ``idx``)."""
    import numpy as np

    x, y = a[idx.astype(int)], b[idx.astype(int)]
    x = x - x.mean(axis=-1, keepdims=True)
    y = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((x * x).sum(axis=-1) * (y * y).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (x * y).sum(axis=-1) / np.where(den > 0, den, 1), np.nan)


def opinion_change(rs: RunSet) -> pd.DataFrame:
    """Paired tests of before against after, per run: the private opinion and its extremity
    (agents), the group SD (convergence) and the polarisation shift (groups: the group mean moved
    towards the side it started on, so 'before' is 0)."""
    import numpy as np
    import pandas as pd

    op = opinions(rs).dropna(subset=["initial", "final"])
    rows = []
    for run, d in op.groupby("run"):
        g = d.groupby("group").agg(
            sd_before=("initial", lambda x: x.std(ddof=0)),
            sd_after=("final", lambda x: x.std(ddof=0)),
            mean_before=("initial", "mean"),
            mean_after=("final", "mean"),
        )
        shift = np.sign(g["mean_before"]) * (g["mean_after"] - g["mean_before"])
        for measure, unit, before, after in (
            ("private opinion", "agents", d["initial"], d["final"]),
            ("extremity |opinion|", "agents", d["initial"].abs(), d["final"].abs()),
            ("group SD (convergence: after < before)", "groups", g["sd_before"], g["sd_after"]),
            ("group polarisation (shift towards the initial side)", "groups", 0 * shift, shift),
        ):
            t = paired_test(before.to_numpy(), after.to_numpy())
            rows.append(
                {
                    "run": run,
                    "measure": measure,
                    "unit": unit,
                    "n": t.n,
                    "before": t.mean_before,
                    "after": t.mean_after,
                    "change": t.mean_change,
                    "95% CI": interval(t.ci_low, t.ci_high),
                    "d_z": t.d_z,
                    "p (t)": t.p,
                    "p (Wilcoxon)": t.p_wilcoxon,
                }
            )
    return pd.DataFrame(rows)


def stance_change(rs: RunSet) -> pd.DataFrame:
    """Per run and round: mean |stance change| from the previous round (round 1: from the opening
    private opinion), on-topic posts only, with a bootstrap interval."""
    import pandas as pd

    op = opinions(rs).set_index(["run", "agent"])["initial"]
    ps = posts(rs).sort_values(["run", "agent", "round"])
    rows = []
    for run, d in ps.groupby("run"):
        wide = d.pivot_table(index="agent", columns="round", values="stance")
        previous = op.loc[run].reindex(wide.index)
        for rnd in wide.columns:
            delta = (wide[rnd] - previous).dropna()
            ci = mean_ci(delta.abs().to_numpy()) if len(delta) > 1 else (float("nan"),) * 2
            rows.append(
                {
                    "run": run,
                    "round": rnd,
                    "n": len(delta),
                    "mean change": delta.mean(),
                    "mean |change|": delta.abs().mean(),
                    "95% CI of |change|": interval(*ci),
                }
            )
            previous = wide[rnd]
    return pd.DataFrame(rows)


def on_topic_rate(rs: RunSet) -> pd.DataFrame:
    """Per run and kind (post, chat): the share of utterances the judge called on topic."""
    import pandas as pd
    from scipy.stats import binomtest

    u = utterances(rs)
    u = u[u["on_topic"].notna()]
    rows = []
    for (run, kind), d in u.groupby(["run", "kind"]):
        n, k = len(d), int(d["on_topic"].astype(bool).sum())
        ci = binomtest(k, n).proportion_ci(method="wilson")
        rows.append(
            {
                "run": run,
                "kind": kind,
                "n": n,
                "on topic": k / n,
                "95% CI": interval(ci.low, ci.high),
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


def gap_summary(rs: RunSet) -> pd.DataFrame:
    """Per run: the mean public-private gap (signed and absolute) with bootstrap intervals."""
    import pandas as pd

    rows = []
    for run, d in public_private_gap(rs).groupby("run"):
        gap = d["gap"].dropna().to_numpy()
        rows.append(
            {
                "run": run,
                "n": len(gap),
                "mean gap (post - private)": gap.mean(),
                "95% CI": interval(*mean_ci(gap)),
                "mean |gap|": abs(gap).mean(),
                "95% CI of |gap|": interval(*mean_ci(abs(gap))),
            }
        )
    return pd.DataFrame(rows)


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


# The report section of this study (found by sandbox.analysis.sections; see docs/scenarios.md).
REPORTS = ("debate",)
REPORT_ORDER = 40


def report_section(ctx: ReportInput) -> tuple[dict[str, Any], list[Path]]:
    """Opinion change, dynamics, stance, on-topic rate, gap and trajectories."""
    rs, folder = ctx.rs, ctx.folder
    tables: dict[str, Any] = {}
    tables["Debate: opinion change, before vs after (paired tests)"] = (
        opinion_change(rs).set_index(["run", "measure"]).round(3)
    )
    tables["Debate: regression to the mean and pull to the first partner (with chance level)"] = (
        dynamics(rs).set_index(["run", "measure"]).drop(columns=["model"]).round(3)
    )
    tables["Debate: stance change per round (on-topic posts)"] = (
        stance_change(rs).set_index(["run", "round"]).round(3)
    )
    tables["Debate: on-topic rate by the judge"] = (
        on_topic_rate(rs).set_index(["run", "kind"]).round(3)
    )
    tables["Debate: public-private gap"] = gap_summary(rs).set_index("run").round(3)
    traj = trajectories(rs)
    phases = list(dict.fromkeys(traj["phase"]))  # before, post 1.., after
    tables["Debate: group mean (SD) by phase"] = traj.assign(
        cell=traj["mean"].round(2).astype(str) + " (" + traj["sd"].round(2).astype(str) + ")"
    ).pivot_table(index=["run", "group"], columns="phase", values="cell", aggfunc="first")[phases]
    return tables, [plot_trajectories(rs, folder / "opinion_trajectories.png")]
