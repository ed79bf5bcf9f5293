import asyncio
import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from sandbox.analysis import debate, games, load_runs
from sandbox.analysis.report import experiment_report
from sandbox.cli import app
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.runner.experiment import arun_experiment
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.scenarios.debate_policies import stance_from_text
from sandbox.scenarios.social_studies import load_social_study, social_worlds
from sandbox.store.reader import RunReader
from tests.conftest import ROOT

EXP = ROOT / "experiments"


def test_debate_offline(tmp_path):
    folder = asyncio.run(arun_experiment(EXP / "debate.yaml", RunSettings(out=tmp_path)))
    rs = load_runs(folder)
    op = debate.opinions(rs)
    assert len(op) == 16 and op["initial"].notna().all() and op["final"].notna().all()
    assert set(op["initial"]) <= {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5}
    posts = debate.posts(rs)
    assert len(posts) == 16 * 3 and posts["stance"].notna().all()
    # the judge rates every utterance with a separate call: 48 posts and 96 chat messages
    assert Counter(rs.llm_calls["purpose"])["debate.stance"] == 48 + 96
    # chats are private to the pair, posts go to the whole group
    events = rs.events
    chats = events[(events["kind"] == "say")]
    assert chats["audience"].map(lambda a: len(json.loads(a)) == 2).all()
    group_posts = events[events["kind"] == "post"]
    assert group_posts["audience"].map(lambda a: len(json.loads(a)) == 4).all()
    # the schedule: each pair meets once
    with RunReader(rs.runs["path"].iloc[0]) as reader:
        sc = reader.run()["config"]["scenario"]
    for rounds in sc["pairings"]:
        pairs = [frozenset(p) for r in rounds for p in r]
        assert len(pairs) == len(set(pairs)) == 6
    change = debate.opinion_change(rs).set_index("measure")
    sd = change.loc["group SD (convergence: after < before)"]
    assert sd["after"] < sd["before"]  # bounded confidence pulls groups together
    dyn = debate.dynamics(rs).set_index("measure")
    assert dyn["r"].between(-1, 1).all() and dyn["p"].between(0, 1).all()
    report = experiment_report(folder)
    assert (folder / "opinion_trajectories.png").exists() and report.figures


def test_stance_judge_reads_the_wording():
    assert stance_from_text("I strongly agree that zoos are good") == 2.5
    assert stance_from_text("Well, I slightly disagree that x") == -0.5
    assert stance_from_text("No opinion here") is None


def test_games_offline(tmp_path):
    folder = asyncio.run(arun_experiment(EXP / "games.yaml", RunSettings(out=tmp_path)))
    rs = load_runs(folder)
    kinds = Counter(rs.actions["kind"])
    assert kinds == {
        "dictator.give": 24,
        "ultimatum.offer": 24,
        "ultimatum.respond": 24,
        "public_goods.contribute": 24 * 3,
        "pd.choose": 24 * 5,
    }
    assert (rs.beliefs["strategy"] == "expectation").sum() == 24
    assert len(rs.thoughts) == len(rs.actions)  # every decision with its private reasoning
    pd_rows = rs.actions[rs.actions["kind"] == "pd.choose"]
    for r in pd_rows.itertuples():  # payoff consistent with both choices
        partner = pd_rows[(pd_rows["agent"] == r.target) & (pd_rows["tick"] == r.tick)].iloc[0]
        expected = {(1, 1): 3, (1, 0): 0, (0, 1): 5, (0, 0): 1}[
            (int(r.value), int(partner["value"]))
        ]
        assert json.loads(r.data)["payoff"] == expected
    b = games.behaviours(rs)
    assert b["public_goods_contribution"].between(0, 1).all()
    assert b["dictator_give"].between(0, 1).all()
    assert folder / "behaviours.png" in experiment_report(folder).figures


def test_out_of_range_answers_are_logged_and_excluded(tmp_path):
    study = load_social_study(EXP / "games.yaml").model_copy(update={"personas": 4})
    [(_, world)] = social_worlds(study)

    def greedy_offer(facts, rng):
        return {"thought": "all of it", "offer": 11}  # above the pie

    def vague(facts, rng):
        return {"opinion": "maybe", "justification": "?"}

    client = ModelClient(
        HeuristicBackend(policies={"games.ultimatum.offer": greedy_offer}), max_repairs=1
    )
    settings = RunSettings(out=tmp_path, max_error_rate=1.0)  # record the errors, do not stop
    run = Run.create(world, settings, client=client, directory=tmp_path / "g")
    run.run()
    run.close()
    with RunReader(run.path) as reader:
        offers = reader.rows("actions", "kind = 'ultimatum.offer'")
        assert len(offers) == 4 and {o["status"] for o in offers} == {"error"}
        assert all("less than or equal to 10" in o["detail"] for o in offers)
        assert reader.run()["status"] == "completed"
    assert games.behaviours(load_runs(run.directory))["ultimatum_offer"].isna().all()

    dstudy = load_social_study(EXP / "debate.yaml").model_copy(update={"personas": 4, "rounds": 1})
    [(_, dworld)] = social_worlds(dstudy)
    client = ModelClient(HeuristicBackend(policies={"debate.opinion": vague}), max_repairs=1)
    settings = RunSettings(out=tmp_path, max_error_rate=1.0)  # record the errors, do not stop
    run = Run.create(dworld, settings, client=client, directory=tmp_path / "d")
    run.run()
    run.close()
    with RunReader(run.path) as reader:
        beliefs = reader.rows("beliefs")
        assert beliefs and all(b["error"] and b["raw"] for b in beliefs)


def test_personality_illusion_offline(tmp_path):
    folder = asyncio.run(
        arun_experiment(EXP / "personality_illusion.yaml", RunSettings(out=tmp_path))
    )
    rs = load_runs(folder)
    assert rs.surveys["agent"].nunique() == 40
    links = games.personality_links(rs, games.load_directions(EXP / "personality_directions.yaml"))
    assert len(links) == 20
    summary = games.illusion_summary(links)
    assert summary["significant"] >= 2 and summary["share_agreeing"] == 1.0
    agree = links[links["domain"] == "agreeableness"]
    assert (agree["coef"] > 0).all()
    report = experiment_report(folder, EXP / "personality_directions.yaml")
    assert folder / "self_report_links.png" in report.figures


def test_cli_runs_a_games_experiment(tmp_path):
    result = CliRunner().invoke(app, ["run", str(EXP / "games.yaml"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Games: mean behaviour" in result.output
    [folder] = [p for p in tmp_path.iterdir() if p.is_dir() and p.name.startswith("games-")]
    again = CliRunner().invoke(app, ["inspect", str(folder)])
    assert again.exit_code == 0 and "1 runs under" in again.output
    assert "Games: mean behaviour" in again.output


def social_responder(body):
    fmt = body["response_format"]["json_schema"]
    name, props = fmt["name"], fmt["schema"]["properties"]
    if name == "Opinion":
        return json.dumps({"opinion": 1.5, "justification": "Mostly convinced."})
    if name == "Judgement":
        return json.dumps({"on_topic": True, "stance": -0.5})
    if name == "Post":
        return json.dumps({"thought": "t", "post": "I see both sides."})
    if name == "Chat":
        return json.dumps({"thought": "t", "message": "What do you think?"})
    if name == "Expectations":
        return json.dumps({k: 1 for k in props})
    if name == "BatchAnswers":
        return json.dumps({k: 3 + (int(k.split("_")[1]) % 3) - 1 for k in props})
    if "accept" in props:
        return json.dumps({"thought": "t", "accept": True})
    if "choice" in props:
        return json.dumps({"thought": "t", "choice": "cooperate"})
    field = next(k for k in props if k != "thought")
    return json.dumps({"thought": "t", field: 2})


@pytest.mark.network
@pytest.mark.parametrize("experiment", ["debate", "games", "personality_illusion"])
def test_social_experiments_through_litellm(experiment, tmp_path, fake_server):
    fake_server.responder = social_responder
    path = tmp_path / f"{experiment}.yaml"
    text = (EXP / f"{experiment}.yaml").read_text().replace("../personas", str(ROOT / "personas"))
    text = text.replace("debate_topics.yaml", str(EXP / "debate_topics.yaml"))
    text = text.replace("personality_directions.yaml", str(EXP / "personality_directions.yaml"))
    path.write_text(
        text.replace("personas: 16", "personas: 4")
        .replace("personas: 24", "personas: 4")
        .replace("personas: 40", "personas: 8")
        .replace("rounds: 3            #", "rounds: 2            #")
    )
    settings = RunSettings(
        model="openai/fake", api_base=fake_server.base_url, http_client="litellm", out=tmp_path
    )
    folder = asyncio.run(arun_experiment(path, settings))
    rs = load_runs(folder)
    assert set(rs.llm_calls["backend"]) == {"litellm"}
    assert rs.llm_calls["error_type"].isna().all()
    assert fake_server.request_count == len(rs.llm_calls)
    assert (rs.actions["status"] == "ok").all()
    if experiment == "personality_illusion":
        assert rs.surveys["answer"].notna().all() and rs.surveys["agent"].nunique() == 8
