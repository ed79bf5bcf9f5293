"""Evaluation awareness: how much behaviour shifts when the same personas are told they are in a
research study (``framing: study``) rather than in everyday life (``everyday``) or nothing
(``neutral``).

The runs of one experiment share their persona sample (same seed, same neutral names), so each
agent is its own control: the shift is a paired difference per agent, tested with a paired t-test
(and Wilcoxon), with Cohen's d_z and the t interval of the mean shift (``stats.paired_test``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.analysis.stats import interval, paired_test

if TYPE_CHECKING:
    import pandas as pd

    from sandbox.analysis.runs import RunSet


def with_framing(rs: RunSet, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (with a ``run`` column) with each run's framing."""
    framing = dict(zip(rs.runs["run"], rs.runs.get("framing", "neutral"), strict=True))
    return df.assign(framing=df["run"].map(framing).fillna("neutral"))


def baseline_framing(framings: set[str]) -> str | None:
    """What a study framing is compared with: ``everyday`` when it was run, else ``neutral``."""
    for candidate in ("everyday", "neutral"):
        if candidate in framings:
            return candidate
    return None


def framing_shift(values: pd.DataFrame) -> pd.DataFrame:
    """Per model, measure and framing other than the baseline: the paired shift of each agent's
    value from the baseline framing. ``values`` has columns model, agent, framing, measure, value
    (one value per agent, framing and measure; means over rounds are taken here)."""
    import pandas as pd

    cols = ["model", "measure", "framing", "vs", "n", "baseline", "framed", "shift", "95% CI",
            "d_z", "p", "p_wilcoxon"]  # fmt: skip
    if values.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    means = values.groupby(["model", "measure", "framing", "agent"])["value"].mean()
    for (model, measure), by in means.groupby(level=["model", "measure"]):
        table = by.droplevel(["model", "measure"]).unstack("framing")
        base = baseline_framing(set(table.columns))
        if base is None:
            continue
        for framing in table.columns:
            if framing == base:
                continue
            pair = table[[base, framing]].dropna()
            test = paired_test(pair[base].to_numpy(), pair[framing].to_numpy())
            rows.append(
                {
                    "model": model,
                    "measure": measure,
                    "framing": framing,
                    "vs": base,
                    "n": test.n,
                    "baseline": test.mean_before,
                    "framed": test.mean_after,
                    "shift": test.mean_change,
                    "95% CI": interval(test.ci_low, test.ci_high),
                    "d_z": test.d_z,
                    "p": test.p,
                    "p_wilcoxon": test.p_wilcoxon,
                }
            )
    return pd.DataFrame(rows, columns=cols)
