"""Scenarios register themselves: one module, its rules, prompts and offline policies."""

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest

import sandbox.prompts
from sandbox.errors import ConfigError, ModelUnavailableError
from sandbox.llm.heuristic import HeuristicBackend, PolicyRegistry
from sandbox.llm.request import LLMRequest, Message
from sandbox.scenarios import builtin_scenarios, load_scenario, make_rules
from sandbox.scenarios.debate import Opinion

PROMPTS = Path(sandbox.prompts.__file__).parent


def test_builtin_scenarios_are_found_by_their_module():
    assert builtin_scenarios() == [
        "character_fidelity",
        "debate",
        "games",
        "tom_inner_speech",
        "trait_expression",
        "trust",
    ]


def test_every_scenario_declares_existing_prompts_and_its_own_purposes():
    for name in builtin_scenarios():
        scenario = load_scenario(name, registry=PolicyRegistry())
        assert scenario.prompts and scenario.policies
        for template in scenario.prompts:
            assert (PROMPTS / f"{template}.md").exists(), template
        assert all(p.startswith(f"{name}.") for p in scenario.policies)


def test_loading_a_scenario_registers_its_policies():
    registry = PolicyRegistry()
    backend = HeuristicBackend(registry=registry)
    request = LLMRequest(
        purpose="debate.opinion",
        messages=(Message(role="user", content="x"),),
        response_model=Opinion,
        facts={},
    )
    with pytest.raises(ModelUnavailableError, match=r"no policy for purpose 'debate\.opinion'"):
        asyncio.run(backend.complete(request, ()))
    load_scenario("debate", registry=registry)
    assert "debate.opinion" in registry and "games.pd" not in registry


def test_a_purpose_cannot_be_claimed_twice():
    def mine(facts, rng):
        return {}

    def theirs(facts, rng):
        return {"other": 1}

    registry = PolicyRegistry({"x.y": mine})
    registry.register({"x.y": mine})  # the same policy again: fine
    with pytest.raises(ConfigError, match="already has the offline policy"):
        registry.register({"x.y": theirs})


def test_unknown_scenarios_are_one_line_config_errors():
    with pytest.raises(
        ConfigError,
        match="unknown scenario 'chess'; known: character_fidelity, debate, games, "
        "tom_inner_speech, trait_expression, trust",
    ):
        make_rules({"name": "chess"})
    with pytest.raises(ConfigError, match="unknown scenario 'game_theory'"):
        make_rules({"name": "game_theory"})  # a module, but not a scenario
    with pytest.raises(ConfigError, match="not a module name"):
        make_rules({"name": "../evil"})


def test_a_scenario_outside_the_package_is_one_module(tmp_path, monkeypatch):
    package = tmp_path / "mystudy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "coin.py").write_text(
        textwrap.dedent(
            """
            from sandbox.scenarios import Scenario
            from sandbox.world.open_world import OpenWorldRules

            def flip(facts, rng):
                return {"side": rng.choice(["heads", "tails"])}

            SCENARIO = Scenario(
                name="coin",
                rules=lambda spec: OpenWorldRules(None),
                policies={"coin.flip": flip},
            )
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = PolicyRegistry()
    try:
        scenario = load_scenario("mystudy.coin", registry=registry)
    finally:
        sys.modules.pop("mystudy.coin", None)
        sys.modules.pop("mystudy", None)
    assert scenario.make_rules({"name": "mystudy.coin"}).name == "open-world"
    assert "coin.flip" in registry


def test_the_documented_scenario_is_one_module_that_runs_offline(tmp_path, monkeypatch):
    from sandbox.world.world import World
    from tests.conftest import ROOT, small_world

    doc = (ROOT / "docs" / "scenarios.md").read_text()
    start = doc.index("```python\n", doc.index("## A scenario is one module")) + len("```python\n")
    package = tmp_path / "docstudy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "vote.py").write_text(doc[start : doc.index("```", start)])
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        rules = make_rules({"name": "docstudy.vote"})
        world = World(small_world(ticks=1), rules=rules)
        world.step()
    finally:
        sys.modules.pop("docstudy.vote", None)
        sys.modules.pop("docstudy", None)
    votes = world.last_record.actions
    assert [a.kind for a in votes] == ["vote"] * 3 and {a.text for a in votes} <= {"tea", "coffee"}
