"""The town world end to end: cognition, the seeded party, the call budget, resume and replay."""

import asyncio
import json
import re

import pytest
from typer.testing import CliRunner

from sandbox.analysis.town import happening_reports
from sandbox.cli import app
from sandbox.runner.replay import areplay
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.runner.summary import summarize
from sandbox.store.reader import RunReader
from sandbox.world.config import load_world
from tests.conftest import ROOT

TOWN = ROOT / "worlds" / "town.yaml"


@pytest.fixture(scope="module")
def town_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("town")
    run = Run.create(load_world(TOWN), RunSettings(out=out), directory=out / "whole")
    run.run()
    run.close()
    return run.directory


def test_the_party_spreads_and_people_come(town_run):
    [report] = happening_reports(town_run)
    assert report.host == "Isabella Rodriguez" and report.agents == 12
    assert report.heard is None  # nobody interviewed yet: only the keyword proxy
    assert 3 <= len(report.heard_proxy) <= 11
    assert 1 <= len(report.came) <= len(report.heard_proxy)
    assert set(report.came) <= set(report.heard_proxy)  # nobody comes to what they never heard of
    assert report.density_after > report.density_before


def test_call_budget_is_under_three_per_agent_tick(town_run):
    s = summarize(town_run)
    assert s.ticks == 80 and s.action_errors == 0
    assert s.calls / (s.agents * s.ticks) <= 3.0
    for purpose in (
        "agent.decide",
        "memory.importance",
        "agent.plan",
        "narrator.resolve",
        "agent.reflect.questions",
        "agent.reflect.insights",
    ):
        assert purpose in s.calls_by_purpose
    assert s.calls_by_purpose["agent.plan"].calls == 24  # 12 agents x 2 days


def test_inspect_reports_the_party(town_run):
    result = CliRunner().invoke(app, ["inspect", str(town_run), "--events", "0"])
    text = " ".join(result.output.split())
    assert result.exit_code == 0
    assert re.search(r"keyword proxy: \d+ have a memory mentioning it; \d+ came", text)
    assert "Encounter-graph density" in text and "interview-everyone" in text


def test_town_resumes_identically_with_memories(town_run, tmp_path):
    part = Run.create(load_world(TOWN), RunSettings(out=tmp_path), directory=tmp_path / "part")
    part.ticks_target = 33  # stop mid-afternoon of day 1
    part.run()
    part.close()
    resumed = Run.resume(part.directory)
    assert resumed.world.agent("Isabella Rodriguez").mind.stream.memories
    resumed.run()
    resumed.close()
    with RunReader(town_run) as a, RunReader(part.directory) as b:
        assert a.fingerprint() == b.fingerprint()
        assert a.count("memories") == b.count("memories")


def test_town_replays_identically(town_run):
    report = asyncio.run(areplay(town_run))
    assert report.identical and report.backend_calls == 0


def test_interview_is_logged_and_leaves_the_trajectory_alone(town_run):
    with RunReader(town_run) as reader:
        before = reader.fingerprint()
    result = CliRunner().invoke(
        app, ["interview", str(town_run), "Carlos Gomez", "What do you know about the party?"]
    )
    assert result.exit_code == 0, result.output
    assert "party" in result.output.lower()
    with RunReader(town_run) as reader:
        assert reader.fingerprint() == before
        [row] = reader.rows("interviews")
        assert row["agent"] == "Carlos Gomez" and row["tick"] == 80
        assert reader.rows("llm_calls", "purpose = 'agent.interview'")
    bad = CliRunner().invoke(app, ["interview", str(town_run), "Nobody", "hi"])
    assert bad.exit_code == 1 and "no agent named 'Nobody'" in bad.output


def town_responder(body):
    """Answers every cognitive schema validly, as a well-behaved model would."""
    fmt = body["response_format"]["json_schema"]
    name, schema = fmt["name"], fmt["schema"]
    user = body["messages"][-1]["content"]
    if name == "ImportanceScores":
        n = schema["properties"]["scores"]["minItems"]
        return json.dumps({"scores": [4] * n, "emotions": [[2] * 8] * n})
    if name == "DayPlan":
        places = schema["$defs"]["PlanBlock"]["properties"]["place"]["enum"]
        return json.dumps(
            {
                "blocks": [
                    {
                        "start_hour": 0,
                        "end_hour": 24,
                        "place": places[0],
                        "activity": "going about the day",
                    }
                ]
            }
        )
    if name == "Narration":
        agents = re.findall(r"^\d+\. (.+?), at the ", user, flags=re.M)
        return json.dumps(
            {
                "outcomes": [
                    {
                        "agent": a,
                        "outcome": f"{a} does it.",
                        "agent_state": "busy",
                        "place_state": "lively",
                    }
                    for a in agents
                ]
            }
        )
    if name == "FocalQuestions":
        return json.dumps({"questions": ["What matters to me?"]})
    if name == "Insights":
        return json.dumps(
            {"insights": [{"text": "Life is busy.", "evidence": [0], "importance": 6}]}
        )
    if name == "InterviewAnswer":
        return json.dumps({"answer": "It was a busy day."})
    return json.dumps(
        {"thought": "I'll look around.", "action": "do", "target": None, "text": "looks around"}
    )


@pytest.mark.network
def test_town_through_litellm(fake_server, tmp_path):
    fake_server.responder = town_responder
    config = load_world(TOWN).model_copy(update={"ticks": 4})
    settings = RunSettings(
        model="openai/fake", api_base=fake_server.base_url, http_client="litellm", out=tmp_path
    )
    run = Run.create(config, settings)
    run.run()
    run.close()
    s = summarize(run.directory)
    assert s.ticks == 4 and s.action_errors == 0
    assert {"agent.plan", "agent.decide", "memory.importance", "narrator.resolve"} <= set(
        s.calls_by_purpose
    )
    assert fake_server.request_count == s.calls
    with RunReader(run.path) as reader:
        assert reader.count("memories") > 0
        assert {r["backend"] for r in reader.rows("llm_calls")} == {"litellm"}
