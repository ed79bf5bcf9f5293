"""Reflection, plans, sleep, conversations and the narrator, on small worlds with cognition."""

import asyncio
import itertools
import json

import pytest

from sandbox.agents.policies import plan as heuristic_plan
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.world.world import World
from tests.conftest import small_world

COGNITION = {"narrator": True, "planning": True, "reflection": True, "conversation_turns": 3}


def world_with(client=None, **cognition):
    config = small_world(
        start_time="2026-03-02T08:00:00",
        minutes_per_tick=30,
        cognition={**COGNITION, **cognition},
        places=[
            {"name": "kitchen", "description": "A small kitchen.", "activities": ["cooks"]},
            {"name": "garden", "description": "A garden.", "activities": ["weeds"]},
        ],
    )
    return World(config, client or ModelClient(HeuristicBackend()))


def calls_by_purpose(record):
    out = {}
    for c in record.llm_calls:
        out[c.purpose] = out.get(c.purpose, 0) + 1
    return out


def test_heuristic_day_plan_is_hourly_blocks_with_sleep():
    facts = {
        "agent": "Ann",
        "traits": dict.fromkeys(
            ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism"), 0.5
        ),
        "home": "kitchen",
        "work": "garden",
        "places": ["kitchen", "garden", "cafe"],
        "from_hour": 8,
        "happenings": [
            {
                "what": "a party",
                "place": "cafe",
                "host": "Bo",
                "today": True,
                "start_hour": 18,
                "end_hour": 20,
            }
        ],
    }
    blocks = heuristic_plan(facts, None)["blocks"]
    assert blocks[0]["start_hour"] == 8 and blocks[-1]["end_hour"] == 24
    assert all(a["end_hour"] == b["start_hour"] for a, b in itertools.pairwise(blocks))
    assert blocks[-1]["activity"] == "sleeping" and blocks[-1]["place"] == "kitchen"
    work = [b for b in blocks if b["place"] == "garden"]
    assert work and all(b["activity"] == "working" for b in work)


def test_plans_are_made_at_day_start_and_followed():
    with world_with() as world:
        world.step()
        record = world.last_record
        assert calls_by_purpose(record)["agent.plan"] == 3
        for agent in world.persona_agents:
            assert agent.mind.plan_day == 1 and agent.mind.plan
        assert any(m.kind == "plan" for a in world.persona_agents for m in a.mind.stream.memories)
        for _ in range(3):
            world.step()
        assert "agent.plan" not in calls_by_purpose(world.last_record)  # once a day
        # Cy works nowhere -> stays home (garden); Ann and Bo start in the kitchen (home)
        homes = {a.name: a.home for a in world.persona_agents}
        assert homes == {"Ann": "kitchen", "Bo": "kitchen", "Cy": "garden"}


def test_sleeping_agents_make_no_decide_call():
    with world_with() as world:
        world.step()
        for agent in world.persona_agents:
            agent.mind.plan = [
                {"start_hour": 0, "end_hour": 24, "place": agent.place, "activity": "sleeping"}
            ]
        world.step()
        record = world.last_record
        assert {a.kind for a in record.actions} == {"sleep"}
        assert "agent.decide" not in calls_by_purpose(record)


def test_importance_is_scored_in_one_call_per_agent_per_tick():
    with world_with() as world:
        for _ in range(3):
            world.step()
            calls = calls_by_purpose(world.last_record)
            assert calls.get("memory.importance", 0) <= 3
        for agent in world.persona_agents:
            assert not agent.mind.stream.unscored() or world.last_record.tick == 3


def test_reflection_triggers_at_the_threshold_and_cites_evidence():
    with world_with(reflection_threshold=10) as world:
        reflected = False
        for _ in range(6):
            world.step()
            reflected |= "agent.reflect.insights" in calls_by_purpose(world.last_record)
        assert reflected
        reflections = [
            (a, m)
            for a in world.persona_agents
            for m in a.mind.stream.memories
            if m.kind == "reflection"
        ]
        assert reflections
        for agent, m in reflections:
            assert m.evidence and all(0 <= i < m.id for i in m.evidence)
            assert agent.mind.stream.importance(m.id) is not None
    with world_with(reflection_threshold=10_000) as world:
        for _ in range(4):
            world.step()
            assert "agent.reflect.questions" not in calls_by_purpose(world.last_record)


def test_conversations_alternate_and_end_at_the_turn_limit():
    def talker(facts, rng):
        others = facts["others_here"]
        talk = facts.get("conversation")
        to = talk["partner"] if talk else (others[0] if others else None)
        if to:
            return {"thought": "talk", "action": "say", "target": to, "text": "More!"}
        return {"thought": "alone", "action": "wait", "target": None, "text": ""}

    backend = HeuristicBackend(policies={"agent.decide": talker})
    with world_with(ModelClient(backend), planning=False, narrator=False) as world:
        kinds = []
        for _ in range(6):
            world.step()
            r = world.last_record
            kinds.append({a.agent: a.kind for a in r.actions})
            if any(e.kind == "conversation_end" for e in r.events):
                break
        # a listener makes no call and is recorded as listening
        assert any("listen" in k.values() for k in kinds)
        ends = [e for e in world.last_record.events if e.kind == "conversation_end"]
        assert ends and "finish their conversation" in ends[0].text
        assert len(kinds) <= 4  # 3 turns, then it ends


def test_narrator_resolves_in_order_and_never_sees_thoughts():
    def doer(facts, rng):
        return {
            "thought": f"SECRET-{facts['agent']}",
            "action": "do",
            "target": None,
            "text": "hums a tune",
        }

    backend = HeuristicBackend(policies={"agent.decide": doer})
    with world_with(ModelClient(backend), planning=False) as world:
        world.step()
        record = world.last_record
        narrations = [c for c in record.llm_calls if c.purpose == "narrator.resolve"]
        assert len(narrations) == 1
        order = [a.agent for a in sorted(record.actions, key=lambda a: a.resolution_order)]
        assert "SECRET" not in json.dumps(narrations[0].messages)
        narrated = [e.source for e in record.events if e.kind == "do"]
        assert narrated == order
        assert all(world.agent(n).mind.status == "hums a tune" for n in order)


def test_memories_are_committed_once_and_updated_when_scored(tmp_path):
    from sandbox.runner.run import Run
    from sandbox.runner.settings import RunSettings
    from sandbox.store.reader import RunReader

    config = world_with().config
    run = Run.create(config, RunSettings(ticks=4, out=tmp_path))
    run.run()
    run.close()
    with RunReader(run.path) as reader:
        rows = reader.rows("memories")
        assert rows and len({(r["agent"], r["mem_id"]) for r in rows}) == len(rows)
        kinds = {r["kind"] for r in rows}
        assert {"observation", "plan"} <= kinds
        scored = [r for r in rows if r["importance"] is not None]
        assert len(scored) >= len(rows) - 3  # only the last tick's plan changes may wait


def test_interview_answers_from_memories_without_changing_the_world():
    with world_with() as world:
        for _ in range(3):
            world.step()
        before = json.dumps(world.state_dict(), sort_keys=True)
        reply = asyncio.run(world.interview("Ann", "What did you do in the kitchen?"))
        assert reply.answer and reply.memories
        assert [c.purpose for c in reply.calls][-1] == "agent.interview"
        assert world.client.drain_calls() == []  # returned with the answer, not left in a buffer
        assert json.dumps(world.state_dict(), sort_keys=True) == before
    with pytest.raises(KeyError, match="no agent named 'Zed'"):
        asyncio.run(world_with().interview("Zed", "hi"))


def test_hearing_of_a_happening_today_replans_the_day():
    from sandbox.world.config import WorldConfig

    config = WorldConfig.model_validate(
        {
            "name": "Party",
            "seed": 2,
            "minutes_per_tick": 30,
            "start_time": "2026-03-02T08:00:00",
            "cognition": {"narrator": False},
            "places": [{"name": "kitchen"}, {"name": "garden"}],
            "agents": [
                {
                    "start": "kitchen",
                    "persona": {
                        "name": "Ann",
                        "big_five": {"extraversion": 1.0, "agreeableness": 1.0},
                    },
                },
                {"start": "garden", "persona": {"name": "Cy"}},
            ],
            "happenings": [
                {
                    "host": "Cy",
                    "what": "a garden party",
                    "place": "garden",
                    "day": 1,
                    "start_hour": 11,
                    "end_hour": 13,
                    "keyword": "party",
                }
            ],
        }
    )
    with World(config) as world:
        world.step()
        before = list(world.agent("Ann").mind.plan)
        assert not any("party" in b["activity"] for b in before)  # she has not heard yet
        world.inject(
            'Cy (to Ann): "Come to my party in the garden at eleven!"',
            kind="say",
            source="Cy",
            to="Ann",
        )
        world.step()
        assert calls_by_purpose(world.last_record).get("agent.replan") == 1
        plan = world.agent("Ann").mind.plan
        party = [b for b in plan if "party" in b["activity"]]
        assert party and party[0]["place"] == "garden" and party[0]["start_hour"] == 11
        assert any(
            m.kind == "plan" and "changed my plan" in m.text
            for m in world.agent("Ann").mind.stream.memories
        )
