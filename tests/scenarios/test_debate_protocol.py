"""The debate protocol: memory of the whole debate, alternating chats, and the judge role."""

import asyncio
import itertools
import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from sandbox.analysis import load_runs
from sandbox.cli import app
from sandbox.runner.experiment import arun_experiment
from sandbox.runner.settings import RunSettings
from tests.conftest import ROOT

DEBATE = ROOT / "experiments" / "debate.yaml"


@pytest.fixture(scope="module")
def debate_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("debate")
    return load_runs(asyncio.run(arun_experiment(DEBATE, RunSettings(out=out))))


def _prompt(call) -> str:
    return "\n".join(m["content"] for m in json.loads(call.messages))


def test_final_opinion_prompt_holds_the_opening_opinion_and_every_chat(debate_run):
    rs = debate_run
    calls = rs.llm_calls
    opinions = rs.beliefs[rs.beliefs["strategy"] == "private_opinion"].set_index("agent")
    chats = rs.actions[rs.actions["kind"] == "chat"]
    finals = calls[(calls["purpose"] == "debate.opinion") & (calls["tick"] == calls["tick"].max())]
    assert len(finals) == 16
    for call in finals.itertuples():
        prompt = _prompt(call)
        opening = json.loads(opinions.loc[call.agent, "answer"])
        assert f"rated the statement {opening['opinion']:+.1f}" in prompt
        assert opening["justification"] in prompt
        mine = chats[(chats["agent"] == call.agent) | (chats["target"] == call.agent)]
        partners = set(mine["agent"]) | set(mine["target"])
        assert len(partners - {call.agent}) == 3  # three rounds, three partners
        assert len(mine) == 3 * 4  # each chat: two messages each way
        for r in mine.itertuples():
            assert r.text in prompt
            assert (
                f"your one-to-one chat with {r.target if r.agent == call.agent else r.agent}"
                in (prompt)
            )


def test_chats_alternate_and_each_reply_sees_the_message_it_answers(debate_run):
    rs = debate_run
    chats = rs.actions[rs.actions["kind"] == "chat"].copy()
    chats["pair"] = [
        frozenset((a, t)) for a, t in zip(chats["agent"], chats["target"], strict=True)
    ]
    chats["round"] = chats["data"].map(lambda d: json.loads(d)["round"])
    calls = rs.llm_calls[rs.llm_calls["purpose"] == "debate.chat"].set_index(["tick", "agent"])
    for _, d in chats.groupby(["pair", "round"]):
        d = d.sort_values("tick")
        assert d["tick"].is_unique  # one message per tick in a chat
        speakers = list(d["agent"])
        assert all(a != b for a, b in itertools.pairwise(speakers))  # turns alternate
        for previous, reply in itertools.pairwise(d.itertuples()):
            assert previous.text in _prompt(calls.loc[(reply.tick, reply.agent)])


def test_every_utterance_is_judged_on_topic_and_stance(debate_run):
    rs = debate_run
    said = rs.actions[rs.actions["kind"].isin(["post", "chat"])]
    assert len(said) == 48 + 96
    assert said["value"].notna().all()
    assert said["data"].map(lambda d: json.loads(d)["on_topic"]).all()
    # judge calls have no agent: their prompts never show anyone's persona
    judge = rs.llm_calls[rs.llm_calls["purpose"] == "debate.stance"]
    assert judge["agent"].isna().all() and len(judge) == len(said)


@pytest.mark.network
def test_judge_model_records_every_stance_call_under_the_judge(tmp_path, fake_server):
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(DEBATE),
            "--model",
            "openai/agents-m",
            "--api-base",
            fake_server.base_url,
            "--judge-model",
            "openai/judge-j",
            "--judge-api-base",
            fake_server.base_url,
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    [folder] = [p for p in tmp_path.iterdir() if p.is_dir() and p.name.startswith("debate-")]
    rs = load_runs(folder)
    calls = rs.llm_calls
    # auto: the lean path for openai/ models at --api-base, agents and judge alike
    assert set(calls["backend"]) == {"openai_http"} and calls["error_type"].isna().all()
    by_model = Counter(zip(calls["purpose"] == "debate.stance", calls["model"], strict=True))
    assert by_model == {(True, "openai/judge-j"): 144, (False, "openai/agents-m"): 176}
    assert fake_server.request_count == len(calls)
    sent = Counter(r["model"] for r in fake_server.requests)
    assert sent == {"judge-j": 144, "agents-m": 176}
    assert "openai/judge-j" in result.output  # the report names the judge
    assert rs.runs["judge"].tolist() == ["openai/judge-j"]
    # a judged run replays from its record: the judge's answers under the judge's id
    [run_dir] = [p for p in folder.iterdir() if p.is_dir()]
    replayed = CliRunner().invoke(app, ["replay", str(run_dir)])
    assert replayed.exit_code == 0 and "identical" in replayed.output, replayed.output
    assert fake_server.request_count == len(calls)


def test_without_a_judge_model_the_report_says_the_agents_model_judged(debate_run, tmp_path):
    from sandbox.analysis.report import models_table

    table = models_table(debate_run)
    assert table["judge"].tolist() == ["heuristic (default: the agents' model)"]


@pytest.mark.network
def test_experiment_file_judge_entry(tmp_path, fake_server):
    path = tmp_path / "debate.yaml"
    text = DEBATE.read_text().replace("../personas", str(ROOT / "personas"))
    text = text.replace("debate_topics.yaml", str(ROOT / "experiments" / "debate_topics.yaml"))
    text = text.replace("personas: 16", "personas: 4").replace("rounds: 3 ", "rounds: 1 ")
    path.write_text(text + f"judge: {{model: openai/judge-j, api_base: {fake_server.base_url}}}\n")
    folder = asyncio.run(arun_experiment(path, RunSettings(out=tmp_path)))
    rs = load_runs(folder)
    stance = rs.llm_calls[rs.llm_calls["purpose"] == "debate.stance"]
    assert set(stance["model"]) == {"openai/judge-j"} and len(stance) == 4 + 8
    assert set(
        rs.llm_calls.loc[stance.index.symmetric_difference(rs.llm_calls.index), "model"]
    ) == {"heuristic"}


def test_debate_report_shows_chance_levels_p_values_and_intervals(debate_run):
    from sandbox.analysis import debate

    change = debate.opinion_change(debate_run).set_index("measure")
    assert {"d_z", "p (t)", "p (Wilcoxon)", "95% CI"} <= set(change.columns)
    assert change.loc["private opinion", "n"] == 16
    assert change.loc["group SD (convergence: after < before)", "n"] == 4
    dyn = debate.dynamics(debate_run).set_index("measure")
    assert {"r", "chance", "r - chance", "p", "95% CI of r"} <= set(dyn.columns)
    pull = dyn.loc[dyn.index.str.startswith("pull")].iloc[0]
    # a random group member as "partner" already correlates: the chance level is not 0
    assert pull["chance"] > 0.3 and pull["r - chance"] == pytest.approx(pull["r"] - pull["chance"])
    rates = debate.on_topic_rate(debate_run).set_index("kind")
    assert rates.loc["post", "n"] == 48 and rates.loc["chat", "n"] == 96
    assert len(debate.stance_change(debate_run)) == 3
