"""Does the measured personality match the assigned one? (persona validation runs)

Per domain: Spearman's rho between the assigned score and the measured one (the questionnaire's
domain mean rescaled to [0, 1]); for designs that use the extreme levels of the nine-level wording,
the gap between the medians of the measured domain mean (in scale points) at assigned level 9 and at
level 1 (Serapio-García et al.'s Delta, at most 4 on a 1-5 scale).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from sandbox.analysis.loading import table
from sandbox.analysis.plotting import pyplot, save
from sandbox.analysis.stats import spearman
from sandbox.personas.persona import BIG_FIVE_DOMAINS, CODE_DOMAINS
from sandbox.personas.wording import trait_level

if TYPE_CHECKING:
    import pandas as pd


class DomainValidity(BaseModel):
    domain: str
    n: int
    spearman: float
    median_gap: float | None


def load_validation(run: str | Path) -> pd.DataFrame:
    """One row per persona and domain: assigned score, measured score, measured mean, level."""
    agents = table(run, "agents")
    scores = table(run, "survey_scores")
    domains = scores[scores["level"] == "domain"].copy()
    domains["domain"] = domains["code"].map(CODE_DOMAINS)
    long = agents.melt(
        id_vars=["name"],
        value_vars=list(BIG_FIVE_DOMAINS),
        var_name="domain",
        value_name="assigned",
    ).rename(columns={"name": "agent"})
    merged = long.merge(
        domains[["agent", "domain", "normalized", "mean"]], on=["agent", "domain"], how="inner"
    ).rename(columns={"normalized": "measured", "mean": "measured_mean"})
    merged["level"] = merged["assigned"].map(trait_level)
    return merged


def validity(df: pd.DataFrame) -> list[DomainValidity]:
    out = []
    for domain in BIG_FIVE_DOMAINS:
        d = df[df["domain"] == domain]
        if d.empty:
            continue
        top, bottom = d[d["level"] == 9], d[d["level"] == 1]
        gap = None
        if not top.empty and not bottom.empty:
            gap = float(top["measured_mean"].median() - bottom["measured_mean"].median())
        out.append(
            DomainValidity(
                domain=domain,
                n=len(d),
                spearman=spearman(d["assigned"].tolist(), d["measured"].tolist()),
                median_gap=gap,
            )
        )
    return out


def plot_validity(df: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Assigned against measured score, one panel per domain, as PNG."""
    plt = pyplot()
    rows = {v.domain: v for v in validity(df)}
    fig, axes = plt.subplots(1, 5, figsize=(16, 3.6), sharey=True)
    for ax, domain in zip(axes, BIG_FIVE_DOMAINS, strict=True):
        d = df[df["domain"] == domain]
        ax.scatter(d["assigned"], d["measured"], s=10, alpha=0.6)
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        rho = rows[domain].spearman if domain in rows else float("nan")
        ax.set_title(f"{domain}\nrho = {rho:.2f}", fontsize=10)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("assigned")
    axes[0].set_ylabel("measured (questionnaire)")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return save(fig, path)
