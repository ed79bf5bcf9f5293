"""Behaviour in the classic games, expectations against play, and self-report vs behaviour.

Per agent: ``dictator_give`` and ``ultimatum_offer`` (share of the pie), ``ultimatum_accept``,
``public_goods_contribution`` (mean share of the endowment), ``pd_cooperation`` (share of rounds).

Self-report vs behaviour (after Han et al. 2025, "The Personality Illusion"): each behaviour is
regressed (OLS) on the five self-reported domain scores from the IPIP-NEO-120; a link is
significant at p < alpha; its sign is compared with the direction the literature reports (a data
file). Reported: the share of significant links, and of those with an expected direction, the
share whose sign agrees.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.analysis.plotting import pyplot, save
from sandbox.analysis.runs import RunSet
from sandbox.analysis.stats import ols
from sandbox.personas.persona import BIG_FIVE_DOMAINS, CODE_DOMAINS

if TYPE_CHECKING:
    import pandas as pd

    from sandbox.analysis.sections import ReportInput

BEHAVIOURS = ("dictator_give", "ultimatum_offer", "public_goods_contribution", "pd_cooperation")


def behaviours(rs: RunSet) -> pd.DataFrame:
    a = rs.actions[rs.actions["status"] == "ok"].copy()
    data = a["data"].map(json.loads)
    a["share"] = [
        v / d["pie"] if k in ("dictator.give", "ultimatum.offer") else v
        for k, v, d in zip(a["kind"], a["value"], data, strict=True)
    ]
    kinds = {
        "dictator.give": "dictator_give",
        "ultimatum.offer": "ultimatum_offer",
        "ultimatum.respond": "ultimatum_accept",
        "public_goods.contribute": "public_goods_contribution",
        "pd.choose": "pd_cooperation",
    }
    a = a[a["kind"].isin(kinds)]
    a["behaviour"] = a["kind"].map(kinds)
    wide = a.pivot_table(
        index=["run", "model", "agent"], columns="behaviour", values="share", aggfunc="mean"
    ).reset_index()
    if "public_goods_contribution" in wide:
        pg = rs.actions[rs.actions["kind"] == "public_goods.contribute"]
        if not pg.empty:
            endow = _endowment(rs)
            wide["public_goods_contribution"] = wide["public_goods_contribution"] / wide["run"].map(
                endow
            )
    for column in (*BEHAVIOURS, "ultimatum_accept"):
        if column not in wide:
            wide[column] = float("nan")  # nothing valid was played: missing, not zero
    return wide.rename_axis(columns=None)


def _settings(rs: RunSet, run: str) -> dict:
    return rs.scenario(run).get("settings", {})


def _endowment(rs: RunSet) -> dict[str, float]:
    return {run: float(_settings(rs, run).get("public_goods_endowment", 1)) for run in rs.configs}


def expectations_vs_play(rs: RunSet) -> pd.DataFrame:
    """Per agent: what it expected to do (as shares) next to what it did."""
    import pandas as pd

    b = rs.beliefs[(rs.beliefs["strategy"] == "expectation") & rs.beliefs["error"].isna()]
    endow = _endowment(rs)
    pies = {
        run: (
            _settings(rs, run).get("dictator_pie", 10),
            _settings(rs, run).get("ultimatum_pie", 10),
        )
        for run in rs.configs
    }
    rows = []
    for r in b.itertuples():
        ans = json.loads(r.answer)
        d_pie, u_pie = pies[r.run]
        rows.append(
            {
                "run": r.run,
                "agent": r.agent,
                "expected_dictator_give": ans["my_dictator_give"] / d_pie,
                "expected_ultimatum_offer": ans["my_ultimatum_offer"] / u_pie,
                "expected_public_goods_contribution": ans["my_public_goods_contribution"]
                / endow[r.run],
                "expected_pd_cooperation": ans["my_cooperation_chance"],
            }
        )
    return behaviours(rs).merge(pd.DataFrame(rows), on=["run", "agent"], how="inner")


def self_reports(rs: RunSet) -> pd.DataFrame:
    from sandbox.analysis.loading import table

    frames = []
    for r in rs.runs.itertuples():
        s = table(r.path, "survey_scores")
        s = s[s["level"] == "domain"]
        s["domain"] = s["code"].map(CODE_DOMAINS)
        frames.append(
            s.pivot_table(
                index=["run", "agent"], columns="domain", values="normalized"
            ).reset_index()
        )
    import pandas as pd

    return pd.concat(frames, ignore_index=True).rename_axis(columns=None)


def personality_links(rs: RunSet, directions: list[dict], alpha: float = 0.05) -> pd.DataFrame:
    """One row per behaviour and domain: coefficient, p-value, significance, expected direction."""
    import pandas as pd

    data = behaviours(rs).merge(self_reports(rs), on=["run", "agent"])
    expected = {(d["behaviour"], d["domain"]): d["direction"] for d in directions}
    rows = []
    for behaviour in BEHAVIOURS:
        if behaviour not in data:
            continue
        d = data.dropna(subset=[behaviour, *BIG_FIVE_DOMAINS])
        beta, se, p = ols(d[behaviour].to_numpy(), d[list(BIG_FIVE_DOMAINS)].to_numpy())
        for i, domain in enumerate(BIG_FIVE_DOMAINS, start=1):
            exp = expected.get((behaviour, domain))
            significant = bool(p[i] < alpha)
            rows.append(
                {
                    "behaviour": behaviour,
                    "domain": domain,
                    "coef": beta[i],
                    "se": se[i],
                    "p": p[i],
                    "significant": significant,
                    "expected": exp,
                    "agrees": (bool(np.sign(beta[i]) == exp) if significant and exp else None),
                    "n": len(d),
                }
            )
    return pd.DataFrame(rows)


def illusion_summary(links: pd.DataFrame) -> dict[str, float]:
    sig = links[links["significant"]]
    judged = sig[sig["expected"].notna()]
    return {
        "links": len(links),
        "significant": len(sig),
        "share_significant": len(sig) / len(links) if len(links) else float("nan"),
        "significant_with_expectation": len(judged),
        "share_agreeing": (judged["agrees"].astype(bool).mean() if len(judged) else float("nan")),
    }


def load_directions(path: str | Path) -> list[dict]:
    from sandbox.validation import read_structured_file

    return list(read_structured_file(Path(path), what="directions file"))


def plot_behaviours(b: pd.DataFrame, path: str | Path) -> Path:
    """The distribution of each behaviour across agents (shares of pie or endowment)."""
    plt = pyplot()
    columns = [c for c in BEHAVIOURS if c in b and b[c].notna().any()]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.boxplot([b[c].dropna() for c in columns], showmeans=True)
    ax.set_xticks(range(1, len(columns) + 1), [c.replace("_", "\n") for c in columns], fontsize=8)
    ax.set_ylabel("share (of pie, endowment or rounds)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("Behaviour in the classic games")
    fig.tight_layout()
    return save(fig, path)


def plot_self_report_links(rs: RunSet, links: pd.DataFrame, path: str | Path) -> Path:
    """Each behaviour against self-reported agreeableness, with the OLS coefficient and p-value."""
    plt = pyplot()
    data = behaviours(rs).merge(self_reports(rs), on=["run", "agent"])
    fig, axes = plt.subplots(1, len(BEHAVIOURS), figsize=(4 * len(BEHAVIOURS), 3.4), squeeze=False)
    for ax, behaviour in zip(axes[0], BEHAVIOURS, strict=True):
        ax.scatter(data["agreeableness"], data[behaviour], s=12)
        row = links[(links["behaviour"] == behaviour) & (links["domain"] == "agreeableness")]
        if not row.empty:
            r = row.iloc[0]
            ax.set_title(f"{behaviour}\nA: b = {r['coef']:.2f}, p = {r['p']:.3f}", fontsize=9)
        ax.set_xlabel("self-reported agreeableness")
    axes[0][0].set_ylabel("behaviour (share)")
    fig.tight_layout()
    return save(fig, path)


def trait_effects(rs: RunSet, b: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per run, behaviour and assigned Big Five domain: the one-way effect of the domain's band
    (low / moderate / high thirds) on the behaviour, next to chance: eta^2, its no-effect level
    (k-1)/(N-1), omega^2 (chance-corrected) and a permutation p of eta^2."""
    import pandas as pd

    from sandbox.analysis.stats import one_way_effect
    from sandbox.personas.attributes import trait_band

    b = behaviours(rs) if b is None else b
    traits = {
        (r.run, r.name): json.loads(r.persona).get("big_five", {}) for r in rs.agents.itertuples()
    }
    rows = []
    for run, d in b.groupby("run"):
        for behaviour in BEHAVIOURS:
            v = d[["agent", behaviour]].dropna()
            for domain in BIG_FIVE_DOMAINS:
                bands = [trait_band(traits[(run, a)].get(domain, 0.5)) for a in v["agent"]]
                keep = [i for i, x in enumerate(bands) if bands.count(x) >= 2]  # 2+ per band
                if len({bands[i] for i in keep}) < 2:
                    continue
                values = v[behaviour].tolist()
                e = one_way_effect([values[i] for i in keep], [bands[i] for i in keep])
                rows.append({"run": run, "behaviour": behaviour, "domain": domain, "n": e.n,
                             "eta2": e.eta2, "chance": e.eta2_chance, "omega2": e.omega2,
                             "p_perm": e.p_perm})  # fmt: skip
    return pd.DataFrame(rows)


# The report section of this study (found by sandbox.analysis.sections; see docs/scenarios.md).
REPORTS = ("games",)
REPORT_ORDER = 70


def report_section(ctx: ReportInput) -> tuple[dict[str, Any], list[Path]]:
    """Behaviour, trait effects, framing shift and (with directions) self-report links."""
    rs, folder = ctx.rs, ctx.folder
    tables: dict[str, Any] = {}
    figures: list[Path] = []
    b = behaviours(rs)
    tables["Games: mean behaviour (shares)"] = (
        b.drop(columns=["agent"]).groupby(["run", "model"]).mean().round(3)
    )
    figures.append(plot_behaviours(b, folder / "behaviours.png"))
    effects = trait_effects(rs, b)
    if not effects.empty:
        tables[
            "Games: effect of each assigned Big Five band on behaviour, against chance "
            "(chance = (k-1)/(N-1); omega2 chance-corrected; p_perm a permutation p)"
        ] = effects.set_index(["run", "behaviour", "domain"]).round(3)
    if rs.runs.get("framing") is not None and rs.runs["framing"].nunique() > 1:
        from sandbox.analysis.framing import framing_shift, with_framing

        long = with_framing(rs, b).melt(
            id_vars=["run", "model", "agent", "framing"],
            value_vars=list(BEHAVIOURS),
            var_name="measure",
            value_name="value",
        )
        tables["Evaluation awareness: behaviour shift by framing (paired by agent)"] = (
            framing_shift(long.dropna(subset=["value"])).round(3)
        )
    if not rs.surveys.empty and ctx.directions is not None:
        links = personality_links(rs, load_directions(ctx.directions))
        tables["Self-report vs behaviour: OLS of each behaviour on the five domains"] = (
            links.set_index(["behaviour", "domain"])[
                ["coef", "p", "significant", "expected", "agrees"]
            ].round(3)
        )
        import pandas as pd

        tables["Self-report vs behaviour: summary"] = pd.DataFrame([illusion_summary(links)]).round(
            3
        )
        figures.append(plot_self_report_links(rs, links, folder / "self_report_links.png"))
    return tables, figures
