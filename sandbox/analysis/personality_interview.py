"""Personality from interviews: how well the judge's Big Five (from interview answers) and the
self-report questionnaire recover the assigned traits, per memory retrieval strategy.

Scores are on [0, 1]: the judge's 1-5 rescaled ((s - 1) / 4), the IPIP-NEO-120 domain mean
rescaled, the persona's assigned Big Five. Per strategy and method:
- Spearman's rho per domain between assigned and measured, across agents (paired bootstrap CI);
- high/low accuracy: the share of (agent, domain) cells on the assigned side of 0.5 (cells
  assigned exactly 0.5 are left out; chance is 0.5);
- mean absolute error over (agent, domain) cells.
Intervals are 95% bootstrap intervals over agents (cells for accuracy and MAE).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.analysis.character_fidelity import read_table
from sandbox.analysis.stats import DEFAULT_SEED, N_RESAMPLES, interval, mean_ci, spearman

if TYPE_CHECKING:
    import pandas as pd

    from sandbox.analysis.runs import RunSet
    from sandbox.analysis.sections import ReportInput

DOMAINS = ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism")
CODES = {"O": "openness", "C": "conscientiousness", "E": "extraversion", "A": "agreeableness",
         "N": "neuroticism"}  # fmt: skip


def strategy_of(rs: RunSet, run: str) -> str:
    cognition = rs.configs[run].get("cognition") or {}
    return str((cognition.get("retrieval") or {}).get("strategy", "none"))


def measurements(rs: RunSet) -> pd.DataFrame:
    """One row per (run, strategy, method, agent, domain): ``assigned`` and ``measured`` on [0, 1].
    Methods: ``interview`` (the judge) and ``self-report`` (the IPIP-NEO-120)."""
    import pandas as pd

    judged = read_table(rs, "persona_interview_scores")
    if judged.empty:
        return pd.DataFrame()
    assigned = rs.agents.melt(
        id_vars=["run", "name"], value_vars=list(DOMAINS), var_name="domain", value_name="assigned"
    ).rename(columns={"name": "agent"})
    frames = [
        judged.assign(method="interview", measured=judged["normalized"])[
            ["run", "agent", "domain", "method", "measured"]
        ]
    ]
    survey = read_table(rs, "survey_scores")
    if not survey.empty:
        survey = survey[survey["level"] == "domain"]
        frames.append(
            survey.assign(
                method="self-report",
                domain=survey["code"].map(CODES),
                measured=survey["normalized"],
            )[["run", "agent", "domain", "method", "measured"]]
        )
    out = pd.concat(frames, ignore_index=True).merge(assigned, on=["run", "agent", "domain"])
    out.insert(1, "strategy", [strategy_of(rs, r) for r in out["run"]])
    return out


def _spearman_ci(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Paired bootstrap interval of Spearman's rho (agents resampled with their pairs)."""
    if len(x) < 3:
        return float("nan"), float("nan")
    rng = np.random.default_rng(DEFAULT_SEED)
    idx = rng.integers(0, len(x), size=(N_RESAMPLES, len(x)))
    from scipy.stats import rankdata

    rx, ry = rankdata(x[idx], axis=1), rankdata(y[idx], axis=1)
    rx, ry = rx - rx.mean(axis=1, keepdims=True), ry - ry.mean(axis=1, keepdims=True)
    sd = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
    rho = np.where(sd > 0, (rx * ry).sum(axis=1) / np.where(sd > 0, sd, 1), np.nan)
    rho = rho[np.isfinite(rho)]
    if len(rho) < N_RESAMPLES // 2:
        return float("nan"), float("nan")
    low, high = np.percentile(rho, [2.5, 97.5])
    return float(low), float(high)


def by_domain(m: pd.DataFrame) -> pd.DataFrame:
    """Spearman's rho (assigned vs measured, across agents) per strategy, method and domain."""
    import pandas as pd

    rows = []
    for (strategy, method, domain), g in m.groupby(["strategy", "method", "domain"], sort=False):
        g = g.dropna(subset=["measured"])
        x, y = g["assigned"].to_numpy(float), g["measured"].to_numpy(float)
        low, high = _spearman_ci(x, y)
        rows.append({"strategy": strategy, "method": method, "domain": domain, "n": len(g),
                     "rho": spearman(x, y), "95% CI": interval(low, high)})  # fmt: skip
    return pd.DataFrame(rows)


def agreement(m: pd.DataFrame) -> pd.DataFrame:
    """Per strategy and method: high/low accuracy, mean absolute error (with 95% CIs) and the
    mean of the per-domain Spearman rhos."""
    import pandas as pd

    rhos = by_domain(m).groupby(["strategy", "method"])["rho"].mean()
    rows = []
    for (strategy, method), g in m.groupby(["strategy", "method"], sort=False):
        g = g.dropna(subset=["measured"])
        sided = g[g["assigned"] != 0.5]
        hits = ((sided["assigned"] > 0.5) == (sided["measured"] > 0.5)).astype(float).to_numpy()
        errors = (g["assigned"] - g["measured"]).abs().to_numpy(float)
        acc_ci, mae_ci = mean_ci(hits), mean_ci(errors)
        rows.append(
            {
                "strategy": strategy,
                "method": method,
                "agents": g["agent"].nunique(),
                "accuracy": float(hits.mean()) if len(hits) else float("nan"),
                "accuracy 95% CI": interval(*acc_ci),
                "accuracy_low": acc_ci[0],
                "accuracy_high": acc_ci[1],
                "MAE": float(errors.mean()) if len(errors) else float("nan"),
                "MAE 95% CI": interval(*mae_ci),
                "MAE_low": mae_ci[0],
                "MAE_high": mae_ci[1],
                "mean rho": float(rhos.get((strategy, method), float("nan"))),
            }
        )
    return pd.DataFrame(rows)


def plot_agreement(table: pd.DataFrame, path: str | Path) -> Path:
    """High/low accuracy and MAE per retrieval strategy, interview beside self-report (95% CIs)."""
    from sandbox.analysis.plotting import pyplot, save

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    strategies = list(dict.fromkeys(table["strategy"]))
    methods = list(dict.fromkeys(table["method"]))
    width = 0.8 / max(len(methods), 1)
    x = np.arange(len(strategies))
    for ax, measure, label in ((axes[0], "accuracy", "high/low accuracy"), (axes[1], "MAE",
                               "mean absolute error (0-1 scale)")):  # fmt: skip
        for i, method in enumerate(methods):
            t = table[table["method"] == method].set_index("strategy").reindex(strategies)
            mean = t[measure].to_numpy(float)
            low = np.nan_to_num(mean - t[f"{measure}_low"].to_numpy(float))
            high = np.nan_to_num(t[f"{measure}_high"].to_numpy(float) - mean)
            ax.bar(x + i * width, mean, width, yerr=[low, high], capsize=3, label=method)
        ax.set_xticks(x + width * (len(methods) - 1) / 2)
        ax.set_xticklabels([s.replace("_", "\n") for s in strategies], fontsize=7)
        ax.set_ylabel(label)
    axes[0].axhline(0.5, color="grey", linestyle=":", linewidth=1)  # chance
    axes[0].set_ylim(0, 1.05)
    axes[0].legend(fontsize=7)
    fig.suptitle("Personality from interviews vs self-report, by retrieval strategy (95% CI)")
    fig.tight_layout()
    return save(fig, path)


def interview_report(rs: RunSet, folder: Path) -> tuple[dict[str, Any], list[Path]]:
    m = measurements(rs)
    if m.empty:
        return {}, []
    table = agreement(m)
    table = (
        table.set_index(["strategy", "method"])
        .reindex(_order(list(zip(table["strategy"], table["method"], strict=True))))
        .reset_index()
    )
    shown = table.drop(columns=["accuracy_low", "accuracy_high", "MAE_low", "MAE_high"])
    judged = read_table(rs, "persona_interview_scores")
    failed = int(judged["error"].notna().sum()) // len(DOMAINS)
    answers = read_table(rs, "persona_interview_answers")
    title = (
        "Personality interview: agreement with the assigned Big Five by retrieval strategy "
        f"(judge: {', '.join(sorted(set(judged['judge'])))}; chance accuracy 0.5; "
        f"{int(answers['error'].notna().sum())} failed answers, {failed} failed judgements left out)"
    )
    rhos = by_domain(m)
    rhos["cell"] = rhos["rho"].map(lambda r: f"{r:.2f}" if r == r else "n/a") + " " + rhos["95% CI"]
    wide = rhos.pivot_table(
        index=["strategy", "method"], columns="domain", values="cell", aggfunc="first"
    )[[d for d in DOMAINS if d in set(rhos["domain"])]]
    return {
        title: shown.set_index(["strategy", "method"]).round(3),
        "Personality interview: Spearman rho per domain, assigned vs measured (95% CI over agents)": (
            wide.reindex(_order(wide.index))
        ),
    }, [plot_agreement(table, folder / "personality_interview.png")]


def _order(index: Any) -> list[Any]:
    """Strategies in the study's order (the default first), interview before self-report."""
    from sandbox.scenarios.character_studies import STRATEGIES

    rank = {s: i for i, s in enumerate(STRATEGIES)}
    return sorted(index, key=lambda k: (rank.get(k[0], len(rank)), k[0], k[1] != "interview"))


# The report section of this study (found by sandbox.analysis.sections; see docs/scenarios.md).
REPORTS = ("open-world",)
REPORT_ORDER = 30


def report_section(ctx: ReportInput) -> tuple[dict[str, Any], list[Path]]:
    """Agreement of the interviewed agents with their assigned Big Five."""
    return interview_report(ctx.rs, ctx.folder)
