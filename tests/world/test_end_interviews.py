"""Generative Agents' measures by interview: every agent asked at the end, the judge reads it."""

import asyncio
import json

from typer.testing import CliRunner

from sandbox.analysis.town import happening_reports
from sandbox.cli import app
from sandbox.runner.end_interviews import ainterview_everyone
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import RunReader
from sandbox.world.config import load_world
from tests.conftest import ROOT


def test_every_agent_is_interviewed_and_judged(tmp_path):
    world = load_world(ROOT / "worlds" / "town.yaml")
    run = Run.create(world, RunSettings(out=tmp_path, ticks=40), directory=tmp_path / "town")
    run.run()
    run.close()
    with RunReader(run.directory) as reader:
        before = reader.fingerprint()
    done = asyncio.run(ainterview_everyone(run.directory))
    party = [d for d in done if d.kind == "happening"]
    assert len(party) == 11 and len([d for d in done if d.kind == "acquaintance"]) == 12 * 11
    assert all(d.question == "Did you know there is a Valentine's Day party?" for d in party)
    [report] = happening_reports(run.directory)
    assert report.heard == sorted(d.agent for d in party if d.knows)
    assert report.heard and set(report.heard) <= set(report.heard_proxy) | set(report.heard)
    assert 0 < report.density_interviewed <= 1
    with RunReader(run.directory) as reader:
        assert reader.fingerprint() == before  # the world did not change
        rows = reader.rows("interviews")
        judged = [json.loads(r["judged"]) for r in rows]
        assert len(rows) == len(done) and {j["judge"] for j in judged} == {"heuristic"}
        assert len(reader.rows("llm_calls", "purpose = 'interview.judge'")) == len(done)
    result = CliRunner().invoke(app, ["inspect", str(run.directory), "--events", "0"])
    assert "other agents knew of it when interviewed" in " ".join(result.output.split())
