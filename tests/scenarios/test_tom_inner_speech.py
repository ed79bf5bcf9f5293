"""Theory of mind from inner speech: private thoughts, questions about the partner, the report."""

import itertools
import json
from collections import Counter

import pytest
import yaml
from typer.testing import CliRunner

from sandbox.analysis import load_runs
from sandbox.analysis.study_tables import study_table
from sandbox.analysis.tom import answers, by_state_and_order, summary
from sandbox.cli import app
from tests.conftest import ROOT

TOM = ROOT / "experiments" / "tom_inner_speech.yaml"


def _study(tmp_path, **overrides):
    config = yaml.safe_load(TOM.read_text())
    config.update(
        {
            "bank": str(ROOT / "personas" / "binary32.yaml"),
            "situations_file": str(ROOT / "experiments" / "tom_situations.yaml"),
            "dyads": 2,
            "turns": 6,
            **overrides,
        }
    )
    path = tmp_path / "tom.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _run(tmp_path, *args):
    out = tmp_path / "runs"
    args = ["run", str(_study(tmp_path)), "--out", str(out), *args]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    return folder, result.output


def _prompt(messages: str) -> str:
    return "\n".join(m["content"] for m in json.loads(messages))


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("tom"))


def test_runs_offline_and_prints_its_report(offline, tmp_path):
    folder, output = offline
    assert "Theory of mind: accuracy by mental state and order" in output
    assert "false belief" in output
    again = CliRunner().invoke(app, ["inspect", str(folder)], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
    assert "Theory of mind: accuracy overall" in again.output
    assert (folder / "tom_accuracy.png").stat().st_size > 0


def test_every_thought_becomes_a_question_to_the_partner(offline):
    folder, _ = offline
    rs = load_runs(folder)
    items = study_table(rs, "tom_items")
    assert len(items) == len(rs.thoughts) == 2 * 6
    dyads = {}
    for t in rs.actions.itertuples():
        dyads.setdefault(json.loads(t.data)["dyad"], set()).add(t.agent)
    for item in items.itertuples():
        assert item.answerer != item.thinker and {item.answerer, item.thinker} == dyads[item.dyad]
        options = json.loads(item.options)
        assert len(options) == 4 and len(set(options)) == 4
        own = rs.thoughts[
            (rs.thoughts["agent"] == item.thinker) & (rs.thoughts["tick"] == item.tick)
        ]
        assert options["ABCD".index(item.correct)] == own["text"].iloc[0]
    assert set(items["mental_state"]) == {"belief", "intention", "desire", "emotion", "knowledge"}
    assert set(items["tom_order"]) == {1, 2}
    assert items["false_belief"].sum() > 0
    given = study_table(rs, "tom_answers")
    assert len(given) == len(items) and given["error"].isna().all()
    assert set(given["choice"]) <= set("ABCD")


def test_report_tables_have_intervals_and_chance(offline):
    rs = load_runs(offline[0])
    a = answers(rs)
    table = by_state_and_order(a)
    assert len(table) == 9 and table["n"].sum() == 12 and (table["chance"] == 0.25).all()
    assert table["ci95"].str.match(r"^\[\d\.\d\d, \d\.\d\d\]$").all()
    s = summary(a).set_index("subset")
    assert {"all", "first order", "second order", "false belief"} <= set(s.index)
    assert s.loc["all", "n"] == 12
    assert s.loc["all", "accuracy"] == pytest.approx(a["correct"].mean())


def test_private_thoughts_never_reach_the_partners_prompt(offline):
    """Rendered prompts from llm_calls: a turn prompt never holds the partner's thoughts (its own
    are shown to it); a question shows partner thoughts only as the four options."""
    rs = load_runs(offline[0])
    thoughts = rs.thoughts
    partner_of = {}
    for a in rs.actions.itertuples():
        partner_of[a.agent] = a.target
    calls = rs.llm_calls
    turns = calls[calls["purpose"] == "tom_inner_speech.turn"]
    assert len(turns) == 12
    saw_own = 0
    for call in turns.itertuples():
        prompt = _prompt(call.messages)
        partner = partner_of[call.agent]
        for text in thoughts[thoughts["agent"] == partner]["text"]:
            assert json.dumps(text) not in prompt and text not in prompt
        earlier = thoughts[(thoughts["agent"] == call.agent) & (thoughts["tick"] < call.tick)]
        saw_own += all(text in prompt for text in earlier["text"]) and len(earlier) > 0
    assert saw_own > 0  # the check can fail: own thoughts do appear in these prompts
    items = study_table(rs, "tom_items").set_index("item")
    for call in calls[calls["purpose"] == "tom_inner_speech.answer"].itertuples():
        prompt = _prompt(call.messages)
        options = set()
        for item in items[items["answerer"] == call.agent].itertuples():
            if item.question in prompt:
                options = set(json.loads(item.options))
        assert options
        stripped = "\n".join(
            line for line in prompt.splitlines() if line[:3] not in ("A. ", "B. ", "C. ", "D. ")
        )
        for text in thoughts["text"]:
            assert text not in stripped


def _responder(body):
    """Distinct thoughts per turn (numbered), and answers that cycle through the letters."""
    prompt = "\n".join(m["content"] for m in body["messages"])
    n = next(_COUNTER)
    if "inner speech" in prompt:
        return json.dumps({"thought": f"I think thought number {n}.", "utterance": f"Line {n}."})
    return json.dumps({"choice": "ABCD"[n % 4]})


_COUNTER = itertools.count()


@pytest.mark.network
def test_runs_through_litellm_against_the_fake_server(tmp_path, fake_server):
    fake_server.responder = _responder
    base = fake_server.base_url
    folder, output = _run(
        tmp_path, "--http-client", "litellm", "--model", "openai/agents-m", "--api-base", base,
        "--judge-model", "openai/judge-j", "--judge-api-base", base,
    )  # fmt: skip
    assert "Theory of mind: accuracy by mental state and order" in output
    rs = load_runs(folder)
    calls = rs.llm_calls
    assert set(calls["backend"]) == {"litellm"} and calls["error_type"].isna().all()
    assert Counter(calls["purpose"]) == {"tom_inner_speech.turn": 12, "tom_inner_speech.answer": 12}
    assert set(calls["model"]) == {"openai/agents-m"}  # answers are the agents' own, not judged
    assert fake_server.request_count == len(calls)
    given = study_table(rs, "tom_answers")
    assert len(given) == 12 and set(given["answer_model"]) == {"openai/agents-m"}


def test_a_resumed_run_gets_its_questions_once_it_reaches_its_end(tmp_path):
    from sandbox.runner.experiment import load_experiment, plan_worlds
    from sandbox.runner.run import Run
    from sandbox.runner.settings import RunSettings
    from sandbox.store.reader import RunReader

    [(_, world)] = plan_worlds(load_experiment(_study(tmp_path, turns=4)))
    run = Run.create(world, RunSettings(out=tmp_path), directory=tmp_path / "r")
    run.ticks_target = 2  # stopped half-way, as a killed run would be
    run.run()
    run.close()
    with RunReader(tmp_path / "r") as reader:
        assert reader.count("tom_items") == 0
    result = CliRunner().invoke(app, ["run", "--resume", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    with RunReader(tmp_path / "r") as reader:
        assert reader.count("tom_items") == reader.count("tom_answers") == 2 * 4


def _refuse_one_question(body):
    """Valid turns; every answer to the question about "Line 1." is a letter that is no option."""
    import re

    prompt = "\n".join(m["content"] for m in body["messages"])
    if "inner speech" in prompt:
        n = next(_COUNTER)
        return json.dumps({"thought": f"I think thought number {n}.", "utterance": f"Line {n}."})
    if re.search(r'Question: .*"Line 1\."', prompt):
        return json.dumps({"choice": "Z"})
    return json.dumps({"choice": "B"})


@pytest.mark.network
def test_a_failed_answer_is_a_typed_error_not_a_guess(tmp_path, fake_server):
    import asyncio

    from sandbox.runner.experiment import arun_experiment
    from sandbox.runner.settings import RunSettings

    global _COUNTER
    _COUNTER = itertools.count()
    fake_server.responder = _refuse_one_question
    settings = RunSettings(out=tmp_path, model="openai/agents-m", api_base=fake_server.base_url)
    folder = asyncio.run(arun_experiment(_study(tmp_path, dyads=1, turns=4), settings))
    rs = load_runs(folder)
    given = study_table(rs, "tom_answers")
    failed = given[given["error"].notna()]
    assert len(given) == 4 and len(failed) == 1
    assert failed["choice"].isna().all() and failed["correct"].isna().all()
    assert '"Z"' in failed["raw"].iloc[0]
    assert len(answers(rs)) == 3  # left out of the accuracy
    from sandbox.analysis.report import experiment_report

    table = experiment_report(folder).tables["Failed answers (left out of every statistic below)"]
    assert table.loc[(rs.runs["run"].iloc[0], "theory-of-mind answers"), "failed"] == 1
