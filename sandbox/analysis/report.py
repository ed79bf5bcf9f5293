"""The report of an experiment folder: titled tables and figures, whatever the experiment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from sandbox.analysis.runs import load_runs


class Report(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    tables: dict[str, Any]
    figures: list[Path]


def models_table(rs: Any) -> Any:
    """Per run: the agents' model and the judge, saying when the judge was the default (the
    agents' own model judging their utterances)."""
    runs = rs.runs.set_index("run")
    return runs.assign(
        judge=[
            f"{j} (default: the agents' model)" if default else j
            for j, default in zip(runs["judge"], runs["judge_is_default"], strict=True)
        ]
    )[["model", "judge"]]


def experiment_report(
    folder: str | Path, directions: str | Path | None = None, runs: list[Path] | None = None
) -> Report:
    """Tables and figures (PNG, written into ``folder``) for the runs under ``folder`` (or for
    ``runs``, trajectory files, when given)."""
    folder = Path(folder)
    source: Path | list[Path] = runs if runs is not None else folder
    rs = load_runs(source)
    scenarios = set(rs.runs["scenario"])
    tables: dict[str, Any] = {"Models": models_table(rs)}
    from sandbox.analysis.failures import failures
    from sandbox.analysis.study_tables import evaluation_failures

    failed = failures(rs)
    extra = evaluation_failures(rs)
    if not extra.empty:
        import pandas as pd

        failed = pd.concat([failed, extra], ignore_index=True)
    tables["Failed answers (left out of every statistic below)"] = failed.set_index(
        ["run", "what"]
    )[["failed", "total"]]
    figures: list[Path] = []
    if "trust" in scenarios:
        from sandbox.analysis.trust import trust_report

        t = trust_report(source, figures_dir=folder)
        tables.update(t.tables)
        figures.extend(t.figures)
    if "character_fidelity" in scenarios:
        from sandbox.analysis.character_fidelity import fidelity_report

        fidelity_tables, fidelity_figures = fidelity_report(rs, folder)
        tables.update(fidelity_tables)
        figures.extend(fidelity_figures)
    if "open-world" in scenarios:
        from sandbox.analysis.personality_interview import interview_report

        interview_tables, interview_figures = interview_report(rs, folder)
        tables.update(interview_tables)
        figures.extend(interview_figures)
    if "debate" in scenarios:
        from sandbox.analysis import debate

        tables["Debate: opinion change, before vs after (paired tests)"] = (
            debate.opinion_change(rs).set_index(["run", "measure"]).round(3)
        )
        tables[
            "Debate: regression to the mean and pull to the first partner (with chance level)"
        ] = debate.dynamics(rs).set_index(["run", "measure"]).drop(columns=["model"]).round(3)
        tables["Debate: stance change per round (on-topic posts)"] = (
            debate.stance_change(rs).set_index(["run", "round"]).round(3)
        )
        tables["Debate: on-topic rate by the judge"] = (
            debate.on_topic_rate(rs).set_index(["run", "kind"]).round(3)
        )
        tables["Debate: public-private gap"] = debate.gap_summary(rs).set_index("run").round(3)
        traj = debate.trajectories(rs)
        phases = list(dict.fromkeys(traj["phase"]))  # before, post 1.., after
        tables["Debate: group mean (SD) by phase"] = traj.assign(
            cell=traj["mean"].round(2).astype(str) + " (" + traj["sd"].round(2).astype(str) + ")"
        ).pivot_table(index=["run", "group"], columns="phase", values="cell", aggfunc="first")[
            phases
        ]
        figures.append(debate.plot_trajectories(rs, folder / "opinion_trajectories.png"))
    if "tom_inner_speech" in scenarios:
        from sandbox.analysis import tom

        a = tom.answers(rs)
        tables["Theory of mind: accuracy by mental state and order (95% Wilson interval)"] = (
            tom.by_state_and_order(a).set_index(["run", "mental_state", "order"]).round(3)
        )
        tables["Theory of mind: accuracy overall, by order and on the false-belief subset"] = (
            tom.summary(a).set_index(["run", "subset"]).round(3)
        )
        figures.append(tom.plot_accuracy(a, folder / "tom_accuracy.png"))
    if "trait_expression" in scenarios:
        from sandbox.analysis import traits

        j = traits.judgements(rs)
        for by, title in (
            (None, "overall"),
            ("trait", "per trait"),
            ("intensity", "per intensity"),
            ("pole", "positive vs negative pole"),
        ):
            table = traits.success_rates(j, by)
            tables[
                f"Trait expression: judge recovers trait and pole, {title} (95% Wilson interval; "
                "chance .10)"
            ] = table.set_index(["run", by] if by else ["run"]).round(3)
        if j["wording"].nunique() > 1:
            tables["Trait expression: per wording"] = (
                traits.success_rates(j, "wording").set_index(["run", "wording"]).round(3)
            )
        figures.append(traits.plot_success(j, folder / "trait_success.png"))
    if "games" in scenarios:
        from sandbox.analysis import games

        b = games.behaviours(rs)
        tables["Games: mean behaviour (shares)"] = (
            b.drop(columns=["agent"]).groupby(["run", "model"]).mean().round(3)
        )
        figures.append(games.plot_behaviours(b, folder / "behaviours.png"))
        effects = games.trait_effects(rs, b)
        if not effects.empty:
            tables[
                "Games: effect of each assigned Big Five band on behaviour, against chance "
                "(chance = (k-1)/(N-1); omega2 chance-corrected; p_perm a permutation p)"
            ] = effects.set_index(["run", "behaviour", "domain"]).round(3)
        if rs.runs.get("framing") is not None and rs.runs["framing"].nunique() > 1:
            from sandbox.analysis.framing import framing_shift, with_framing

            long = with_framing(rs, b).melt(
                id_vars=["run", "model", "agent", "framing"],
                value_vars=list(games.BEHAVIOURS),
                var_name="measure",
                value_name="value",
            )
            tables["Evaluation awareness: behaviour shift by framing (paired by agent)"] = (
                framing_shift(long.dropna(subset=["value"])).round(3)
            )
        has_surveys = not rs.surveys.empty
        if has_surveys and directions is not None:
            links = games.personality_links(rs, games.load_directions(directions))
            tables["Self-report vs behaviour: OLS of each behaviour on the five domains"] = (
                links.set_index(["behaviour", "domain"])[
                    ["coef", "p", "significant", "expected", "agrees"]
                ].round(3)
            )
            summary = games.illusion_summary(links)
            import pandas as pd

            tables["Self-report vs behaviour: summary"] = pd.DataFrame([summary]).round(3)
            figures.append(
                games.plot_self_report_links(rs, links, folder / "self_report_links.png")
            )
    return Report(tables=tables, figures=figures)
