"""Character fidelity (after CharacterBox): private BDI notes each round, a judge that critiques
then scores each character's trajectory, stored and reported; offline and through litellm."""

import json
from collections import Counter

import pytest
import yaml
from typer.testing import CliRunner

from sandbox.analysis import load_runs
from sandbox.analysis.character_fidelity import critiques, scores
from sandbox.cli import app
from sandbox.scenarios.character_fidelity import DIMENSIONS
from sandbox.store.reader import RunReader
from tests.conftest import ROOT

EXPERIMENT = ROOT / "experiments" / "character_fidelity.yaml"


def _small(tmp_path, **overrides):
    config = yaml.safe_load(EXPERIMENT.read_text())
    config.update({"bank": str(ROOT / "personas/mbti16.yaml"), "personas": 4, "rounds": 3})
    config.update(overrides)
    path = tmp_path / "character_fidelity.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _run(tmp_path, *args):
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["run", str(_small(tmp_path)), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    return folder, result.output


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("fidelity"))


def _prompt(messages: str) -> str:
    return "\n".join(m["content"] for m in json.loads(messages))


def test_offline_run_stores_critiques_scores_and_prints_the_report(offline):
    folder, output = offline
    assert "Character fidelity: judge's score per dimension" in output
    assert "Character fidelity: per persona" in output
    rs = load_runs(folder)
    s, c = scores(rs), critiques(rs)
    assert len(c) == 4 and c["critique"].str.len().gt(0).all() and c["error"].isna().all()
    assert len(s) == 4 * len(DIMENSIONS) and s["score"].between(1, 5).all()
    assert set(s["judge"]) == {"heuristic"}
    calls = Counter(rs.llm_calls["purpose"])
    assert calls == {
        "character_fidelity.act": 4 * 3,
        "character_fidelity.critique": 4,
        "character_fidelity.score": 4,
    }
    notes = rs.beliefs[rs.beliefs["strategy"] == "bdi"]
    assert len(notes) == 4 * 3
    assert (folder / "character_fidelity.png").exists()
    shown = CliRunner().invoke(app, ["inspect", str(folder)])
    assert shown.exit_code == 0 and "95% CI" in shown.output, shown.output
    replayed = CliRunner().invoke(app, ["replay", str(folder / "heuristic-character_fidelity")])
    assert replayed.exit_code == 0 and "identical" in replayed.output, replayed.output


def test_score_call_reads_the_critique_written_first(offline):
    folder, _ = offline
    rs = load_runs(folder)
    calls = rs.llm_calls
    for agent, crit in critiques(rs)[["agent", "critique"]].itertuples(index=False):
        [score] = calls[
            (calls["purpose"] == "character_fidelity.score") & (calls["agent"] == agent)
        ]["messages"]
        [critique_call] = calls[
            (calls["purpose"] == "character_fidelity.critique") & (calls["agent"] == agent)
        ]["id"]
        [score_id] = calls[
            (calls["purpose"] == "character_fidelity.score") & (calls["agent"] == agent)
        ]["id"]
        assert crit[:60] in _prompt(score) and critique_call < score_id


def test_private_notes_reach_only_their_own_author(offline):
    folder, _ = offline
    with RunReader(folder / "heuristic-character_fidelity") as reader:
        notes = reader.rows("beliefs", "strategy = 'bdi'")
        acts = reader.rows("llm_calls", "purpose = 'character_fidelity.act'")
    authors: dict[str, set[str]] = {}
    for note in notes:
        for text in json.loads(note["answer"]).values():
            authors.setdefault(text, set()).add(note["agent"])
    own_seen = 0
    for note in notes:
        texts = [t for t in json.loads(note["answer"]).values() if authors[t] == {note["agent"]}]
        assert texts
        for call in acts:
            prompt = _prompt(call["messages"])
            if call["agent"] != note["agent"]:
                assert not any(t in prompt for t in texts), (note["agent"], call["agent"])
            elif call["tick"] == note["tick"] + 1:
                assert all(t in prompt for t in texts)  # the author reads its own last notes
                own_seen += 1
    assert own_seen == 4 * 2


@pytest.mark.network
def test_litellm_path_records_every_judging_call_under_the_judge(tmp_path, fake_server):
    folder, output = _run(
        tmp_path,
        "--http-client", "litellm", "--model", "openai/agents-m", "--api-base", fake_server.base_url,
        "--judge-model", "openai/judge-j", "--judge-api-base", fake_server.base_url,
    )  # fmt: skip
    rs = load_runs(folder)
    calls = rs.llm_calls
    assert set(calls["backend"]) == {"litellm"} and calls["error_type"].isna().all()
    judged = calls["purpose"].isin(["character_fidelity.critique", "character_fidelity.score"])
    assert set(calls[judged]["model"]) == {"openai/judge-j"} and judged.sum() == 8
    assert set(calls[~judged]["model"]) == {"openai/agents-m"} and (~judged).sum() == 12
    assert Counter(r["model"] for r in fake_server.requests) == {"judge-j": 8, "agents-m": 12}
    s = scores(rs)
    assert set(s["judge"]) == {"openai/judge-j"} and s["score"].notna().all()
    assert "openai/judge-j" in output


def test_a_resumed_scene_matches_an_uninterrupted_one(tmp_path):
    from sandbox.runner.experiment import load_experiment, plan_worlds
    from sandbox.runner.run import Run
    from sandbox.runner.settings import RunSettings

    [(_, world)] = plan_worlds(load_experiment(_small(tmp_path)))
    whole = Run.create(world, RunSettings(out=tmp_path / "whole"))
    whole.run()
    whole.close()
    part = Run.create(world, RunSettings(out=tmp_path / "part", ticks=2))
    part.run()
    part.close()
    resumed = Run.resume(part.directory, {"ticks": 3})
    resumed.run()
    resumed.close()
    with RunReader(whole.directory) as a, RunReader(part.directory) as b:
        assert a.last_tick() == b.last_tick() == 3
        assert a.fingerprint() == b.fingerprint()


def test_the_offline_judge_refuses_lines_it_cannot_read():
    import random

    from sandbox.errors import ModelUnavailableError
    from sandbox.scenarios.character_fidelity_policies import score

    traits = dict.fromkeys(
        ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism"), 0.9
    )
    rounds = [{"round": 1, "notes": None, "action": "waves", "line": "Good evening, all."}]
    facts = {"traits": traits, "rounds": rounds, "knows": [], "heard": [], "others": ["B"]}
    with pytest.raises(ModelUnavailableError, match="own cue phrases"):
        score(facts, random.Random(0))
    # all traits equally pronounced: the first two domains (openness, conscientiousness) count
    rounds[0]["line"] = (
        "What if there is more to this than it seems? Let's go through this step by step."
    )
    assert score(facts, random.Random(0))["personality_traits"] == 5
