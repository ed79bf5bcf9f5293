import asyncio
import json

import pytest
from typer.testing import CliRunner

from sandbox.agents.survey import administer
from sandbox.analysis.persona_validation import load_validation, validity
from sandbox.cli import app
from sandbox.llm.client import ModelClient
from sandbox.llm.factory import make_client
from sandbox.personas.persona import Persona
from sandbox.personas.questionnaire import load_instrument
from sandbox.runner.persona_validation import ValidationSettings, avalidate_bank
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import RunReader
from tests.conftest import ROOT
from tests.llm.test_client import ScriptedBackend

IPIP = load_instrument()
ANN = Persona(name="Ann", big_five={"openness": 0.95, "extraversion": 0.05})


@pytest.mark.parametrize("mode", ["item", "batch"])
def test_heuristic_answers_follow_the_assigned_traits(mode):
    result = asyncio.run(administer(ANN, IPIP, make_client(), mode=mode, batch_size=24))
    assert len(result.responses) == 120 and all(r.answer for r in result.responses)
    assert result.scores.normalized["openness"] > 0.75
    assert result.scores.normalized["extraversion"] < 0.25
    again = asyncio.run(administer(ANN, IPIP, make_client(), mode=mode, batch_size=24))
    assert again.scores == result.scores  # seeded


def test_batch_mode_makes_fewer_calls():
    client = make_client()
    asyncio.run(administer(ANN, IPIP, client, mode="batch", batch_size=30))
    assert len(client.drain_calls()) == 4
    asyncio.run(administer(ANN, IPIP, client, mode="item"))
    assert len(client.drain_calls()) == 120


def test_out_of_range_answers_are_repaired_or_excluded_never_defaulted():
    small = IPIP.model_copy(update={"items": IPIP.items[:2]})
    # item 1: a 7, then a valid 4; item 2: "maybe" three times
    backend = ScriptedBackend(
        '{"answer": 7}', '{"answer": "maybe"}', '{"answer": 4}', "maybe", "maybe"
    )
    result = asyncio.run(administer(ANN, small, ModelClient(backend, max_repairs=2)))
    by_item = {r.item: r for r in result.responses}
    answered = [r for r in result.responses if r.answer is not None]
    failed = [r for r in result.responses if r.answer is None]
    assert len(answered) == 1 and len(failed) == 1
    assert "gave no valid answer" in failed[0].error and failed[0].raw == "maybe"
    assert result.scores.answered == 1 and by_item[answered[0].item].answer == 4


def test_validation_offline_recovers_the_assigned_personality(tmp_path):
    run_dir = asyncio.run(
        avalidate_bank(ROOT / "personas/binary32.yaml", RunSettings(out=tmp_path))
    )
    rows = {v.domain: v for v in validity(load_validation(run_dir))}
    assert set(rows) == {
        "openness",
        "conscientiousness",
        "extraversion",
        "agreeableness",
        "neuroticism",
    }
    for v in rows.values():
        assert v.n == 32 and 0.8 < v.spearman < 1.0  # high, not perfect
        assert v.median_gap is not None and 2.0 < v.median_gap <= 4.0
    with RunReader(run_dir) as reader:
        assert reader.count("surveys") == 32 * 120
        assert reader.count("survey_scores") == 32 * 35
        assert reader.run()["status"] == "completed"


@pytest.mark.network
def test_validation_through_litellm_against_the_fake_server(tmp_path, fake_server):
    def answers(body):
        schema = body["response_format"]["json_schema"]["schema"]
        return json.dumps({k: 4 for k in schema["properties"]})

    fake_server.responder = answers
    settings = RunSettings(
        model="openai/fake", api_base=fake_server.base_url, http_client="litellm", out=tmp_path
    )
    run_dir = asyncio.run(
        avalidate_bank(
            ROOT / "personas/mbti16.yaml",
            settings,
            ValidationSettings(mode="batch", batch_size=40, limit=3),
        )
    )
    assert fake_server.request_count == 3 * 3
    df = load_validation(run_dir)
    assert len(df) == 15 and set(df["measured_mean"].round(3)) <= {
        round((4 * p + 2 * (24 - p)) / 24, 3) for p in range(25)
    }
    with RunReader(run_dir) as reader:
        assert {r["backend"] for r in reader.rows("llm_calls")} == {"litellm"}


def test_cli_validate_show_and_sample(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "personas",
            "validate",
            str(ROOT / "personas/binary32.yaml"),
            "--out",
            str(tmp_path),
            "--mode",
            "batch",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Spearman" in result.output and "openness" in result.output
    assert list(tmp_path.glob("validate-binary32-*/validity.png"))
    shown = runner.invoke(
        app, ["personas", "show", "Grace", "--bank", str(ROOT / "personas/mbti16.yaml")]
    )
    assert shown.exit_code == 0 and "ENFJ" in shown.output and "nine_level" in shown.output
    out = tmp_path / "s.yaml"
    sampled = runner.invoke(
        app, ["personas", "sample", "--generate", "-n", "4", "--correlated", "--out", str(out)]
    )
    assert sampled.exit_code == 0 and out.exists()
    bad = runner.invoke(app, ["personas", "validate", str(tmp_path / "missing.yaml")])
    assert bad.exit_code == 1 and "persona bank not found" in bad.output
    [run_dir] = tmp_path.glob("validate-binary32-*")
    inspected = runner.invoke(app, ["inspect", str(run_dir)])
    assert inspected.exit_code == 0, inspected.output
    assert "Persona validation" in inspected.output and "Spearman" in inspected.output
    for args in (
        ["replay", str(run_dir)],
        ["run", "--resume", str(run_dir)],
        ["interview", str(run_dir), "x", "hi"],
    ):
        refused = runner.invoke(app, args)
        assert refused.exit_code == 1 and "not a world run" in " ".join(refused.output.split())
