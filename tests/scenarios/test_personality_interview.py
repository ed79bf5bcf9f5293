"""Personality from interviews (after InCharacter / PersonaGym), one world per memory retrieval
strategy: items, answers and judged scores stored and reported beside the self-report; offline
and through litellm."""

import json
from collections import Counter

import pytest
import yaml
from typer.testing import CliRunner

from sandbox.analysis import load_runs
from sandbox.analysis.character_fidelity import read_table
from sandbox.analysis.personality_interview import agreement, measurements
from sandbox.cli import app
from sandbox.personas.questionnaire import load_instrument
from sandbox.scenarios.personality_interview import choose_items, item_question
from sandbox.testing.fake_openai_server import schema_answer
from tests.conftest import ROOT

EXPERIMENT = ROOT / "experiments" / "personality_interview.yaml"
STRATEGIES = ["generative_agents", "emotional_ca", "semantic_only"]


def _small(tmp_path, **overrides):
    config = yaml.safe_load(EXPERIMENT.read_text())
    config.update(
        {
            "bank": str(ROOT / "personas/binary32.yaml"),
            "personas": 4,
            "ticks": 2,
            "strategies": STRATEGIES,
        }
    )
    config.update(overrides)
    path = tmp_path / "personality_interview.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _run(tmp_path, *args, **overrides):
    out = tmp_path / "runs"
    path = _small(tmp_path, **overrides)
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    return folder, result.output


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("interview"))


def test_items_become_open_questions():
    instrument = load_instrument("ipip-neo-120")
    by_text = {i.text: i for i in instrument.items}
    assert item_question(by_text["Worry about things"]) == (
        "Would you say you worry about things? Tell me about it."
    )
    assert item_question(by_text["Dislike myself"]).endswith("dislike yourself? Tell me about it.")
    items = choose_items(2, seed=4)
    assert Counter(i.domain for i in items) == dict.fromkeys("OCEAN", 2)
    assert {i.keyed for i in items} == {"plus", "minus"}
    assert items == choose_items(2, seed=4)


def test_offline_run_stores_items_answers_scores_per_strategy(offline):
    folder, output = offline
    assert "Personality interview: agreement with the assigned Big Five" in output
    assert "Spearman rho per domain" in output
    assert (folder / "personality_interview.png").exists()
    rs = load_runs(folder)
    items, answers = (
        read_table(rs, "persona_interview_items"),
        read_table(rs, "persona_interview_answers"),
    )
    scores = read_table(rs, "persona_interview_scores")
    assert len(rs.runs) == len(STRATEGIES)
    assert len(items) == len(STRATEGIES) * 4 * (10 + 5)  # 2 items per domain + 5 probes
    assert set(items["source"]) == {"ipip-neo-120", "probe"}
    # every agent in every world is asked the same questions
    per_run = items.groupby("run")["question"].apply(lambda q: sorted(set(q) - {""}))
    questionnaire = items[items["source"] == "ipip-neo-120"].groupby("run")["question"].apply(set)
    assert all(q == questionnaire.iloc[0] for q in questionnaire) and len(per_run) == 3
    assert answers["error"].isna().all() and set(answers["strategy"]) == set(STRATEGIES)
    # retrieval is what differs between the worlds' interviews
    recalled = answers.groupby("strategy")["memories"].apply(tuple)
    assert len(set(recalled)) > 1
    assert len(scores) == len(STRATEGIES) * 4 * 5 and scores["score"].between(1, 5).all()
    assert set(scores["judge"]) == {"heuristic"}
    purposes = Counter(rs.llm_calls["purpose"])
    assert purposes["personality_interview.answer"] == len(STRATEGIES) * 4 * 15
    assert purposes["personality_interview.judge"] == len(STRATEGIES) * 4
    assert purposes["survey.batch"] == len(STRATEGIES) * 4 * 5
    table = agreement(measurements(rs))
    assert set(table["method"]) == {"interview", "self-report"}
    assert table["accuracy"].between(0, 1).all() and table["MAE"].between(0, 1).all()
    shown = CliRunner().invoke(app, ["inspect", str(folder)])
    assert shown.exit_code == 0 and "95% CI" in shown.output, shown.output


def test_no_private_thought_reaches_another_agents_prompt(offline):
    folder, _ = offline
    rs = load_runs(folder)
    authors: dict[str, set[str]] = {}
    for t in rs.thoughts.itertuples():
        authors.setdefault(t.text, set()).add(t.agent)
    own = {text: next(iter(a)) for text, a in authors.items() if len(a) == 1 and len(text) > 12}
    assert own  # the worlds' agents do think privately
    calls = rs.llm_calls[rs.llm_calls["agent"].notna()]
    for call in calls.itertuples():
        prompt = "\n".join(m["content"] for m in json.loads(call.messages))
        leaked = [text for text, author in own.items() if author != call.agent and text in prompt]
        assert not leaked, (call.agent, call.purpose, leaked[:1])


def memory_responder(body):
    """Valid importance and emotion scores (8 numbers per memory); any other schema's instance."""
    fmt = body["response_format"]["json_schema"]
    if fmt["name"] == "ImportanceScores":
        n = fmt["schema"]["properties"]["scores"]["minItems"]
        return json.dumps({"scores": [4] * n, "emotions": [[2] * 8] * n})
    return schema_answer(body)


@pytest.mark.network
def test_litellm_path_records_the_judge_under_its_model(tmp_path, fake_server):
    fake_server.responder = memory_responder
    folder, output = _run(
        tmp_path,
        "--http-client", "litellm", "--model", "openai/agents-m", "--api-base", fake_server.base_url,
        "--judge-model", "openai/judge-j", "--judge-api-base", fake_server.base_url,
        personas=2, ticks=1, strategies=["generative_agents", "semantic_only"], self_report=False,
    )  # fmt: skip
    rs = load_runs(folder)
    calls = rs.llm_calls
    assert set(calls["backend"]) == {"litellm"} and calls["error_type"].isna().all()
    judged = calls["purpose"] == "personality_interview.judge"
    assert judged.sum() == 2 * 2 and set(calls[judged]["model"]) == {"openai/judge-j"}
    assert set(calls[~judged]["model"]) == {"openai/agents-m"}
    sent = Counter(r["model"] for r in fake_server.requests)
    fresh = calls["cache_hit"] == 0  # the two worlds may ask the very same thing (cached)
    assert sent == {"judge-j": (judged & fresh).sum(), "agents-m": (~judged & fresh).sum()}
    scores = read_table(rs, "persona_interview_scores")
    assert set(scores["judge"]) == {"openai/judge-j"} and scores["score"].notna().all()
    assert "openai/judge-j" in output


def test_a_world_of_the_study_replays_identically(offline):
    folder, _ = offline
    run = folder / "heuristic-semantic_only"
    replayed = CliRunner().invoke(app, ["replay", str(run)])
    assert replayed.exit_code == 0 and "identical" in replayed.output, replayed.output


def test_the_offline_judge_refuses_answers_it_cannot_read():
    import random

    from sandbox.errors import ModelUnavailableError
    from sandbox.scenarios.personality_interview_policies import judge

    answers = [{"domain": d, "keyed": "plus", "answer": "Mostly, yes."} for d in
               ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism")]  # fmt: skip
    assert judge({"answers": answers}, random.Random(0))["openness"] == 4
    answers[2] = {**answers[2], "answer": "I love a crowd, honestly."}
    with pytest.raises(
        ModelUnavailableError, match="no answer in its own wording for extraversion"
    ):
        judge({"answers": answers}, random.Random(0))
