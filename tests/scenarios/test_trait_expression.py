"""Trait expression in dialogue: role cards, the judge reading each agent's own lines, the report."""

import json
from collections import Counter

import pytest
import yaml
from typer.testing import CliRunner

from sandbox.analysis import load_runs
from sandbox.analysis.study_tables import study_table
from sandbox.analysis.traits import judgements, success_rates
from sandbox.cli import app
from sandbox.errors import ConfigError
from sandbox.scenarios.role_play_studies import load_role_play_study, role_play_worlds
from sandbox.scenarios.trait_expression import card_phrase, pole_of
from tests.conftest import ROOT

TRAITS = ROOT / "experiments" / "trait_expression.yaml"


def _study(tmp_path, **overrides):
    config = yaml.safe_load(TRAITS.read_text())
    config.update({"traits": ["extraversion", "neuroticism"], "turns": 2, **overrides})
    path = tmp_path / "traits.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _run(tmp_path, *args):
    out = tmp_path / "runs"
    args = ["run", str(_study(tmp_path)), "--out", str(out), *args]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    return folder, result.output


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("traits"))


def test_cards_use_the_nine_level_wording_and_poles():
    assert card_phrase("extraversion", "high", "a bit", "adjectives") == (
        "a bit outgoing and talkative"
    )
    assert card_phrase("extraversion", "low", "extremely", "adjectives") == (
        "extremely reserved and quiet"
    )
    assert card_phrase("neuroticism", "high", "plain", "adjectives") == "anxious and easily upset"
    facets = card_phrase("extraversion", "high", "very", "facets")
    assert facets.startswith("very friendly, very sociable") and facets.endswith("very cheerful")
    assert pole_of("neuroticism", "low") == "positive" and pole_of("openness", "low") == "negative"


def test_an_odd_number_of_cards_is_refused(tmp_path):
    path = _study(tmp_path, traits=["openness"], directions=["high"])
    with pytest.raises(ConfigError, match="3 role cards cannot be paired"):
        role_play_worlds(load_role_play_study(path))


def test_runs_offline_and_prints_its_report(offline):
    folder, output = offline
    for title in ("per trait", "per intensity", "positive vs negative pole"):
        assert f"Trait expression: judge recovers trait and pole, {title}" in output
    again = CliRunner().invoke(app, ["inspect", str(folder)], env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "per intensity" in again.output, again.output
    assert (folder / "trait_success.png").stat().st_size > 0


def test_the_judge_reads_each_agents_own_lines_alone(offline):
    rs = load_runs(offline[0])
    rows = study_table(rs, "trait_judgements")
    assert len(rows) == 12 and rows["error"].isna().all()
    assert Counter(rows["intensity"]) == {"a bit": 4, "very": 4, "extremely": 4}
    calls = rs.llm_calls[rs.llm_calls["purpose"] == "trait_expression.judge"]
    assert len(calls) == 12 and calls["agent"].isna().all()
    said = rs.actions[rs.actions["kind"] == "say"]
    for row in rows.itertuples():
        own = said[said["agent"] == row.agent]["text"].tolist()
        assert json.loads(row.lines) == own and len(own) == 2
        partner = said[said["target"] == row.agent]["text"].tolist()
        prompts = [
            "\n".join(m["content"] for m in json.loads(c.messages)) for c in calls.itertuples()
        ]
        prompt = next(p for p in prompts if all(json.dumps(line) in p for line in own))
        for line in partner:
            if line not in own:
                assert json.dumps(line) not in prompt
        assert row.agent not in prompt  # the judge sees no name
    agents = rs.llm_calls[rs.llm_calls["purpose"] == "trait_expression.turn"]
    prompt = "\n".join(m["content"] for m in json.loads(agents["messages"].iloc[0]))
    assert "Never say that you are an AI" in prompt


def test_success_rates_have_intervals(offline):
    rs = load_runs(offline[0])
    j = judgements(rs)
    assert set(j["success"]) <= {0, 1}
    assert (
        j["success"]
        == ((j["judged_trait"] == j["trait"]) & (j["judged_direction"] == j["direction"]))
    ).all()
    per = success_rates(j, "intensity")
    assert per["intensity"].tolist() == ["a bit", "very", "extremely"]
    assert per["ci95"].str.match(r"^\[\d\.\d\d, \d\.\d\d\]$").all()
    overall = success_rates(j, None)
    assert overall["n"].tolist() == [12]


def _responder(body):
    prompt = "\n".join(m["content"] for m in body["messages"])
    if "judge which personality trait" in prompt:
        return json.dumps({"trait": "extraversion", "direction": "high", "reason": "talkative"})
    return json.dumps({"message": "I love meeting new people!"})


@pytest.mark.network
def test_runs_through_litellm_and_every_judgement_is_recorded_under_the_judge(
    tmp_path, fake_server
):
    fake_server.responder = _responder
    base = fake_server.base_url
    folder, output = _run(
        tmp_path, "--http-client", "litellm", "--model", "openai/agents-m", "--api-base", base,
        "--judge-model", "openai/judge-j", "--judge-api-base", base,
    )  # fmt: skip
    assert "openai/judge-j" in output and "per intensity" in output
    rs = load_runs(folder)
    calls = rs.llm_calls
    assert set(calls["backend"]) == {"litellm"} and calls["error_type"].isna().all()
    by_model = Counter(zip(calls["purpose"], calls["model"], strict=True))
    assert by_model == {
        ("trait_expression.turn", "openai/agents-m"): 24,
        ("trait_expression.judge", "openai/judge-j"): 12,
    }
    assert Counter(r["model"] for r in fake_server.requests) == {"agents-m": 24, "judge-j": 12}
    rows = study_table(rs, "trait_judgements")
    assert set(rows["judge"]) == {"openai/judge-j"}
    # the scripted judge always says "extraversion, high": right for exactly those cards
    hits = rows[(rows["trait"] == "extraversion") & (rows["direction"] == "high")]
    assert rows["success"].sum() == len(hits) == 3
