"""A failed answer is never replaced by a value: it is an error row, left out of statistics and
counted in every report."""

import json

from sandbox.analysis import games, load_runs
from sandbox.analysis.failures import failure_lines, failures
from sandbox.analysis.report import experiment_report
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.scenarios.games_policies import offer as honest_offer
from sandbox.scenarios.social_studies import load_social_study, social_worlds
from sandbox.store.reader import RunReader
from tests.conftest import ROOT

EXP = ROOT / "experiments"


def _run(tmp_path, name, study, policies):
    [(_, world)] = social_worlds(study)
    client = ModelClient(HeuristicBackend(policies=policies), max_repairs=1)
    run = Run.create(
        world,
        RunSettings(out=tmp_path, max_error_rate=1.0),
        client=client,
        directory=tmp_path / name,
    )
    run.run()
    run.close()
    return run


def test_a_failed_ultimatum_offer_is_not_a_refused_zero_offer(tmp_path):
    study = load_social_study(EXP / "games.yaml").model_copy(update={"personas": 4})
    [(_, world)] = social_worlds(study)
    pairs = world.scenario["pairs"]
    greedy = {pairs[0][0], pairs[1][0]}  # one proposer in each pair asks for too much

    def offer(facts, rng):
        if facts["agent"] in greedy:
            return {"thought": "all of it", "offer": 11}  # above the pie: invalid twice
        return honest_offer(facts, rng)

    run = _run(tmp_path, "g", study, {"games.ultimatum.offer": offer})
    with RunReader(run.path) as reader:
        offers = reader.rows("actions", "kind = 'ultimatum.offer'")
        responds = reader.rows("actions", "kind = 'ultimatum.respond'")
        calls = reader.rows("llm_calls", "purpose = 'games.ultimatum.respond'")
    failed = [o for o in offers if o["status"] == "error"]
    assert {o["agent"] for o in failed} == greedy
    assert all(
        o["value"] is None and json.loads(o["data"])["error_type"] == "ModelAnswerError"
        for o in failed
    )
    # the partners of the failed proposers were never asked about a $0 offer
    partner = {a: b for a, b in pairs} | {b: a for a, b in pairs}
    unasked = {partner[g] for g in greedy}
    assert {c["agent"] for c in calls}.isdisjoint(unasked)
    for r in responds:
        if r["agent"] in unasked:
            assert r["status"] == "error" and r["value"] is None and "not played" in r["detail"]
        else:
            assert r["status"] == "ok"
            assert json.loads(r["data"])["offer"] > 0
    rs = load_runs(run.directory)
    b = games.behaviours(rs).set_index("agent")
    assert b.loc[sorted(unasked), "ultimatum_accept"].isna().all()
    assert b.loc[sorted(greedy), "ultimatum_offer"].isna().all()
    lines = failure_lines(rs)
    assert "2 of 4 ultimatum.offer failed" in lines
    assert "2 of 4 ultimatum.respond failed" in lines
    report = experiment_report(run.directory)
    table = report.tables["Failed answers (left out of every statistic below)"]
    assert table.loc[(rs.runs["run"].iloc[0], "ultimatum.offer"), "failed"] == 2


def test_failed_dictator_and_public_goods_moves_are_error_rows(tmp_path):
    study = load_social_study(EXP / "games.yaml").model_copy(update={"personas": 4})

    def bad(facts, rng):
        return {"thought": "too much", "amount": 999}

    run = _run(tmp_path, "d", study, {"games.dictator": bad, "games.public_goods": bad})
    rs = load_runs(run.directory)
    f = failures(rs).set_index("what")
    assert f.loc["dictator.give", "failed"] == f.loc["dictator.give", "total"] == 4
    assert f.loc["public_goods.contribute", "failed"] == 12
    a = rs.actions[rs.actions["kind"].isin(["dictator.give", "public_goods.contribute"])]
    assert (a["status"] == "error").all() and a["value"].isna().all()
    b = games.behaviours(rs)
    assert b["dictator_give"].isna().all() and b["public_goods_contribution"].isna().all()


def test_failed_trust_sends_and_debate_answers_are_error_actions(tmp_path):
    from sandbox.scenarios.trust_study import load_study, study_worlds

    study = load_study(EXP / "trust_forecast.yaml").model_copy(update={"personas": 6})
    config = study_worlds(study)[0][1]

    def bad_send(facts, rng):
        return {"thought": "everything", "amount": 99}

    client = ModelClient(HeuristicBackend(policies={"trust.send": bad_send}), max_repairs=0)
    run = Run.create(
        config.model_copy(update={"ticks": 3}),
        RunSettings(out=tmp_path, max_error_rate=1.0),
        client=client,
        directory=tmp_path / "t",
    )
    run.run()
    run.close()
    rs = load_runs(run.directory)
    sends = rs.actions[rs.actions["kind"].isin(["send", "error"])]
    assert not sends.empty and (sends["kind"] == "error").all() and sends["value"].isna().all()
    assert any("decisions failed" in line for line in failure_lines(rs))

    dstudy = load_social_study(EXP / "debate.yaml").model_copy(update={"personas": 4, "rounds": 1})

    def vague_post(facts, rng):
        return {"thought": "?"}  # no post

    run = _run(tmp_path, "db", dstudy, {"debate.post": vague_post})
    rs = load_runs(run.directory)
    posts = rs.actions[rs.actions["kind"].isin(["post", "error"])]
    assert (posts["kind"] == "error").all() and (posts["status"] == "error").all()
    assert "4 of" in " ".join(failure_lines(rs))


def test_a_failed_trust_round_keeps_the_numbers_of_the_rounds_after_it(tmp_path):
    from sandbox.scenarios.trust_policies import send
    from sandbox.scenarios.trust_study import load_study, study_worlds

    study = load_study(EXP / "trust_forecast.yaml").model_copy(update={"personas": 6, "rounds": 3})
    config = study_worlds(study)[0][1]
    asked: dict[str, int] = {}

    def second_round_fails(facts, rng):
        asked[facts["agent"]] = asked.get(facts["agent"], 0) + 1
        if asked[facts["agent"]] == 2:
            return {"thought": "everything", "amount": 99}
        return send(facts, rng)

    client = ModelClient(
        HeuristicBackend(policies={"trust.send": second_round_fails}), max_repairs=0
    )
    settings = RunSettings(out=tmp_path, max_error_rate=1.0)
    run = Run.create(config, settings, client=client, directory=tmp_path / "t")
    run.run()
    run.close()
    rs = load_runs(run.directory)
    acts = rs.actions.assign(round=rs.actions["data"].map(lambda d: json.loads(d)["round"]))
    assert set(acts.loc[acts["status"] == "error", "round"]) == {2}
    assert set(acts.loc[acts["status"] == "ok", "round"]) == {1, 3}
    with RunReader(run.path) as reader:
        last = reader.rows("llm_calls", "purpose = 'trust.send' AND tick = 6")[0]  # round 3
    prompt = json.loads(last["messages"])[-1]["content"]
    assert "round 3 of 3" in prompt and "Round 1: you sent" in prompt and "Round 2:" not in prompt
