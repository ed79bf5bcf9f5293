"""Belief-behaviour consistency metrics for trust runs (Mannekote et al. 2025).

- Rank agreement rho_t: Spearman between the elicited order of an attribute's groups and their
  order by mean amount sent.
- Behavioural effect eta^2 = SS_between / SS_total of amount sent over the groups.
- Belief effect: from elicited means and SDs (100 per group) for ``ctx_dollars``; the answer's own
  eta^2, or Cohen's anchor for its small/medium/large label, for the ranking strategies.
- Effect gap |eta_hat^2 - eta^2|; medians over attributes.
- Conditioning: Spearman between the stated prior and behaviour, median over attributes.
- Forecasting: MAE between forecast and actual sends by round (horizon).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from sandbox.analysis.framing import framing_shift, with_framing
from sandbox.analysis.plotting import pyplot, save
from sandbox.analysis.runs import RunSet, load_runs
from sandbox.analysis.stats import (
    eta_gap_ci,
    eta_squared,
    eta_squared_from_summary,
    interval,
    one_way_effect,
    rho_to_means_ci,
    spearman,
)
from sandbox.personas.attributes import attribute_level
from sandbox.personas.persona import Persona

if TYPE_CHECKING:
    import pandas as pd

    from sandbox.analysis.sections import ReportInput

COHEN_ETA_SQUARED = {"small": 0.01, "medium": 0.06, "large": 0.14}


def _levels(rs: RunSet, run: str) -> dict[str, list[str]]:
    return rs.scenario(run).get("levels", {})


def sends(rs: RunSet) -> pd.DataFrame:
    """One row per valid send, with the trustor's group on every attribute of its run."""
    import pandas as pd

    acts = rs.actions[(rs.actions["kind"] == "send") & (rs.actions["status"] == "ok")].copy()
    if acts.empty:
        return acts
    acts["amount"] = acts["value"].astype(float)
    acts["round"] = acts["data"].map(lambda d: json.loads(d).get("round"))
    personas = {
        (r.run, r.name): Persona.model_validate(json.loads(r.persona))
        for r in rs.agents.itertuples()
    }
    rows = []
    for run in acts["run"].unique():
        attributes = list(_levels(rs, run))
        for r in acts[acts["run"] == run].itertuples():
            persona = personas[(run, r.agent)]
            rows.append(
                {
                    "run": run,
                    "agent": r.agent,
                    **{
                        a: (None if (v := attribute_level(persona, a)) is None else str(v))
                        for a in attributes
                    },
                }
            )
    groups = pd.DataFrame(rows).drop_duplicates(["run", "agent"])
    return acts.merge(groups, on=["run", "agent"], how="left")


def send_values(rs: RunSet) -> pd.DataFrame:
    """Long form for ``framing.framing_shift``: each trustor's share of the endowment sent, by run
    (and so by framing), averaged over rounds."""
    played = sends(rs)
    if played.empty:
        return played.assign(framing=[], measure=[])
    endowment = played["data"].map(lambda d: json.loads(d)["endowment"]).astype(float)
    out = played.assign(value=played["amount"] / endowment, measure="share sent")
    out = with_framing(rs, out)
    return out[["model", "agent", "framing", "measure", "value"]]


def _behaviour(
    df: pd.DataFrame, attribute: str, levels: list[str]
) -> tuple[dict[str, float], float]:
    d = df[df[attribute].isin(levels)]
    means = d.groupby(attribute)["amount"].mean().to_dict()
    return means, eta_squared(d["amount"].tolist(), d[attribute].tolist())


def _belief_scores(strategy: str, answer: dict[str, Any]) -> tuple[dict[str, float], float]:
    """Per-group belief score (higher = more trusting) and the belief's eta^2."""
    if strategy == "ctx_dollars":
        est = answer["estimates"]
        means = {e["group"]: e["mean"] for e in est}
        eta = eta_squared_from_summary([e["mean"] for e in est], [e["sd"] for e in est], 100)
        return means, eta
    ranking = answer["ranking"]
    scores = {lvl: float(len(ranking) - i) for i, lvl in enumerate(ranking)}
    given = answer.get("eta_squared")
    if given is not None:
        return scores, float(given)
    return scores, COHEN_ETA_SQUARED.get(answer.get("effect_size", ""), float("nan"))


def _agreement(belief: dict[str, float], behaviour: dict[str, float]) -> float:
    shared = [lvl for lvl in belief if lvl in behaviour]
    return spearman([belief[x] for x in shared], [behaviour[x] for x in shared])


def population_metrics(rs: RunSet) -> pd.DataFrame:
    """One row per run, strategy and attribute: rho, belief and behaviour eta^2, and their gap."""
    import pandas as pd

    played = sends(rs)
    rows = []
    beliefs = rs.beliefs[
        (rs.beliefs["level"] == "population")
        & (~rs.beliefs["strategy"].str.startswith("prior:"))
        & rs.beliefs["error"].isna()
    ]
    for b in beliefs.itertuples():
        levels = _levels(rs, b.run).get(b.about)
        if not levels:
            continue
        mine = played[played["run"] == b.run]
        behaviour, eta_behaviour = _behaviour(mine, b.about, levels)
        scores, eta_belief = _belief_scores(b.strategy, json.loads(b.answer))
        rows.append(
            {
                "run": b.run,
                "model": b.model,
                "condition": b.condition,
                "strategy": b.strategy,
                "attribute": b.about,
                "rho": _agreement(scores, behaviour),
                "eta2_belief": eta_belief,
                "eta2_behaviour": eta_behaviour,
                "gap": abs(eta_belief - eta_behaviour),
                **_chance(mine, b.about, levels, scores, eta_belief),
            }
        )
    return pd.DataFrame(rows)


def _chance(
    df: pd.DataFrame, attribute: str, levels: list[str], scores: dict[str, float], eta_belief: float
) -> dict[str, Any]:
    """What the raw numbers mean against chance: the eta^2 expected with no effect ((k-1)/(N-1)),
    omega^2 (chance-corrected), a permutation p of eta^2, and bootstrap intervals of rho and of
    the gap (observations resampled within groups)."""
    d = df[df[attribute].isin(levels)]
    shared = [lvl for lvl in levels if lvl in scores and (d[attribute] == lvl).any()]
    samples = [d.loc[d[attribute] == lvl, "amount"].to_numpy(float) for lvl in shared]
    nan = float("nan")
    if len(samples) < 2:
        return {"eta2_chance": nan, "omega2_behaviour": nan, "p_perm": nan, "rho_ci": "",
                "gap_ci": ""}  # fmt: skip
    effect = one_way_effect(d["amount"].tolist(), d[attribute].tolist())
    return {
        "eta2_chance": effect.eta2_chance,
        "omega2_behaviour": effect.omega2,
        "p_perm": effect.p_perm,
        "rho_ci": interval(*rho_to_means_ci([scores[x] for x in shared], samples)),
        "gap_ci": interval(*eta_gap_ci(eta_belief, samples)),
    }


def population_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Strategy x model: 'median |delta eta^2| / median rho', as in the paper's Table 3."""
    summary = metrics.groupby(["strategy", "model"]).agg(
        gap=("gap", "median"), rho=("rho", "median")
    )
    cells = summary.apply(lambda r: f"{r['gap']:.2f} / {r['rho']:.2f}", axis=1)
    return cells.unstack("model").rename_axis(columns=None)


def conditioning_metrics(rs: RunSet) -> pd.DataFrame:
    """One row per run and attribute: Spearman between the prior ranking and behaviour."""
    import pandas as pd

    played = sends(rs)
    priors = rs.beliefs[rs.beliefs["strategy"].str.startswith("prior:")]
    rows = []
    for b in priors.itertuples():
        answer = json.loads(b.answer)
        if answer.get("refused"):  # too few groups to reach the target rho: nothing was stated
            continue
        levels = _levels(rs, b.run).get(b.about, [])
        behaviour, _ = _behaviour(played[played["run"] == b.run], b.about, levels)
        scores, _ = _belief_scores("prior", answer)
        rows.append(
            {
                "run": b.run,
                "model": b.model,
                "condition": b.condition,
                "attribute": b.about,
                "rho": _agreement(scores, behaviour),
                "target_rho": answer.get("target_rho"),
                "achieved_rho": answer.get("achieved_rho"),
            }
        )
    return pd.DataFrame(rows)


def perturbation_table(rs: RunSet) -> pd.DataFrame:
    """Per perturbed condition and attribute: the target rho, the rho the stated prior achieved
    with the elicited ranking, or why the attribute was left unstated."""
    import pandas as pd

    priors = rs.beliefs[rs.beliefs["strategy"].isin(["prior:weak", "prior:strong"])]
    rows = []
    for b in priors.itertuples():
        answer = json.loads(b.answer)
        rows.append(
            {
                "model": b.model,
                "condition": b.condition,
                "attribute": b.about,
                "levels": len(answer["ranking"]),
                "target_rho": answer.get("target_rho"),
                "achieved_rho": answer.get("achieved_rho"),
                "stated": bool(answer.get("shown")),
            }
        )
    return pd.DataFrame(rows)


def conditioning_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Condition x model: median Spearman(prior, behaviour), as in the paper's Table 4."""
    order = ["unconditioned", "self", "weak", "strong"]
    table = metrics.groupby(["condition", "model"])["rho"].median().unstack("model")
    return table.reindex([c for c in order if c in table.index]).round(2).rename_axis(columns=None)


def forecast_errors(rs: RunSet) -> pd.DataFrame:
    """One row per trustor and round: forecast, actual send, absolute error."""
    import pandas as pd

    played = sends(rs)
    forecasts = rs.beliefs[(rs.beliefs["strategy"] == "forecast") & rs.beliefs["error"].isna()]
    rows = []
    for b in forecasts.itertuples():
        answer = json.loads(b.answer)
        if "amounts" in answer:  # files before per-round forecasting: one list for all rounds
            amounts = dict(enumerate(answer["amounts"], start=1))
        else:
            amounts = {answer["round"]: answer["amount"]}
        mine = played[(played["run"] == b.run) & (played["agent"] == b.agent)]
        for r in mine.itertuples():
            if r.round in amounts:
                forecast = amounts[r.round]
                rows.append(
                    {
                        "run": b.run,
                        "model": b.model,
                        "archetype": b.condition,
                        "agent": b.agent,
                        "round": r.round,
                        "forecast": forecast,
                        "sent": r.amount,
                        "abs_error": abs(forecast - r.amount),
                    }
                )
    return pd.DataFrame(rows)


def forecast_mae(errors: pd.DataFrame) -> pd.DataFrame:
    """MAE by model, archetype and horizon (round)."""
    return (
        errors.groupby(["model", "archetype", "round"])["abs_error"]
        .mean()
        .rename("mae")
        .reset_index()
    )


def plot_forecast_mae(mae: pd.DataFrame, path: str | Path) -> Path:
    """MAE against horizon, one line per model and archetype (the paper's Fig. 1)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for (model, archetype), d in mae.groupby(["model", "archetype"]):
        ax.plot(d["round"], d["mae"], marker="o", label=f"{model}, {archetype}")
    ax.set_xlabel("horizon (round)")
    ax.set_ylabel("MAE of forecast ($)")
    ax.set_title("Individual forecasts against play")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)


def plot_population(metrics: pd.DataFrame, path: str | Path) -> Path:
    """Belief against behavioural effect size per attribute (left) and rank agreement (right)."""
    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for strategy, d in metrics.groupby("strategy"):
        a.scatter(d["eta2_behaviour"], d["eta2_belief"], label=strategy, s=25)
    top = max(0.05, float(metrics[["eta2_behaviour", "eta2_belief"]].max().max()) * 1.1)
    a.plot([0, top], [0, top], color="grey", lw=0.8, ls="--")
    a.set_xlabel("behavioural eta^2 (amount sent)")
    a.set_ylabel("believed eta^2")
    a.set_title("Effect sizes: belief vs behaviour")
    a.legend(fontsize=8)
    pivot = metrics.pivot_table(index="attribute", columns="strategy", values="rho")
    pivot.plot.barh(ax=b)
    b.axvline(0, color="grey", lw=0.8)
    b.set_xlabel("Spearman rho (elicited ranking vs behaviour)")
    b.set_title("Rank agreement by attribute")
    b.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)


def plot_conditioning(metrics: pd.DataFrame, path: str | Path) -> Path:
    """Median Spearman(prior, behaviour) by condition and model."""
    plt = pyplot()
    table = conditioning_table(metrics)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    table.plot.bar(ax=ax, rot=0)
    ax.set_ylabel("median Spearman(prior, behaviour)")
    ax.set_title("Conditioning on stated priors")
    ax.axhline(0, color="grey", lw=0.8)
    fig.tight_layout()
    return save(fig, path)


class TrustReport(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    tables: dict[str, Any]
    figures: list[Path]


def trust_report(
    path: str | Path | list[Path], figures_dir: str | Path | None = None
) -> TrustReport:
    """The paper-shaped tables (and the MAE figure, written as PNG) for whatever studies ``path``
    (a run, a folder of runs, or a list of trajectory files) holds. Figures go to ``figures_dir``
    (default: ``path``; required when ``path`` is a list)."""
    if figures_dir:
        out_dir = Path(figures_dir)
    elif isinstance(path, list):
        raise ValueError("trust_report: give figures_dir when path is a list of trajectory files")
    else:
        out_dir = Path(path)
    rs = load_runs(path)
    tables: dict[str, Any] = {}
    figures: list[Path] = []
    studies = set(rs.runs["study"].dropna())
    if "population" in studies:
        m = population_metrics(rs)
        m = m[m["condition"] == "population"]
        if not m.empty:
            tables["Population beliefs vs behaviour: median |delta eta^2| / median rho"] = (
                population_table(m)
            )
            per = m.set_index(["model", "strategy", "attribute"]).sort_index().round(3)
            tables["Per attribute: rank agreement rho with its 95% bootstrap interval"] = per[
                ["rho", "rho_ci"]
            ]
            tables[
                "Per attribute: behavioural eta^2 against chance (eta2_chance = (k-1)/(N-1), "
                "omega2 chance-corrected, p_perm a permutation p), belief eta^2 and the gap"
            ] = per[["eta2_behaviour", "eta2_chance", "omega2_behaviour", "p_perm", "eta2_belief",
                     "gap", "gap_ci"]].rename(
                columns={"eta2_behaviour": "eta2", "eta2_chance": "chance",
                         "omega2_behaviour": "omega2", "eta2_belief": "belief"}
            )  # fmt: skip
            figures.append(plot_population(m, out_dir / "population_beliefs.png"))
    if "conditioning" in studies:
        m = conditioning_metrics(rs)
        if not m.empty:
            tables["Conditioning: median Spearman(prior, behaviour)"] = conditioning_table(m)
            p = perturbation_table(rs)
            if not p.empty:
                tables["Perturbed priors: target and achieved Spearman rho with the elicited"] = p
            figures.append(plot_conditioning(m, out_dir / "conditioning.png"))
    framings = set(rs.runs.get("framing", ["neutral"]))
    if len(framings) > 1:
        tables["Evaluation awareness: shift in share of E sent by framing (paired by trustor)"] = (
            framing_shift(send_values(rs)).round(3)
        )
    if "forecast" in studies:
        e = forecast_errors(rs)
        if not e.empty:
            mae = forecast_mae(e)
            tables["Forecast MAE by horizon"] = mae.pivot_table(
                index=["model", "archetype"], columns="round", values="mae"
            ).round(2)
            figures.append(plot_forecast_mae(mae, out_dir / "forecast_mae.png"))
    return TrustReport(tables=tables, figures=figures)


# The report section of this study (found by sandbox.analysis.sections; see docs/scenarios.md).
REPORTS = ("trust",)
REPORT_ORDER = 10


def report_section(ctx: ReportInput) -> tuple[dict[str, Any], list[Path]]:
    """The trust studies' tables and MAE figure (see ``trust_report``)."""
    t = trust_report(ctx.source, figures_dir=ctx.folder)
    return t.tables, t.figures
