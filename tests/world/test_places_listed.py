"""A world with many places: each decide prompt lists at most ``attention.max_places`` of them,
chosen by the documented, seeded rule (here, the plan's place, the most crowded, a draw)."""

import asyncio
import re

from sandbox.testing.crowd import crowd_world
from sandbox.world.attention import listed_places
from sandbox.world.world import World

PLACES = tuple(f"p{i}" for i in range(100))
RANK = {p: i for i, p in enumerate(PLACES)}
CROWDED = ("p50", "p7", "p99", "p3", "p1", "p2", "p4", "p5")


def pick(name="me", here="p10", plan=None, tick=1, cap=8, places=PLACES):
    return listed_places(
        name,
        here,
        plan,
        places=places,
        place_rank=RANK,
        crowded=CROWDED,
        cap=cap,
        seed=3,
        tick=tick,
    )


def test_below_the_cap_every_place_is_listed_in_world_order():
    assert pick(cap=100) == PLACES
    assert pick(cap=None) == PLACES
    assert pick(places=PLACES[:8]) == PLACES[:8]


def test_above_the_cap_here_the_plan_and_the_most_crowded_come_first_then_a_seeded_draw():
    got = pick(plan="p80")
    assert len(got) == 8 and len(set(got)) == 8
    assert list(got) == sorted(got, key=RANK.__getitem__)  # world order
    # here and the plan's place, then the most crowded up to half the list (4): p50 and p7
    assert {"p10", "p80", "p50", "p7"} <= set(got)
    assert got == pick(plan="p80")  # the same draw for the same seed, tick and agent
    assert any(pick(plan="p80", tick=t) != got for t in range(2, 6))
    assert any(pick(name=n, plan="p80") != got for n in ("a", "b", "c"))
    # an unknown plan place is not listed
    assert "nowhere" not in pick(plan="nowhere")


def _decide_calls(world):
    return [c for c in world.last_record.llm_calls if c.purpose == "agent.decide"]


def _listed(call) -> list[str]:
    text = call.messages[-1]["content"]
    found = re.search(r"Places you can go: (.*)\.\n", text)
    assert found, text
    return found.group(1).split(", ")


def test_a_world_of_many_places_shows_each_agent_a_bounded_list_and_moves_stay_within_it():
    world = World(crowd_world(120, places=60, attention={"max_places": 10}))
    loop = asyncio.new_event_loop()
    try:
        for _ in range(3):
            before = {a.name: a.place for a in world.persona_agents}
            loop.run_until_complete(world.astep())
            calls = _decide_calls(world)
            assert calls
            for call in calls:
                listed = _listed(call)
                assert len(listed) == 10
                assert before[call.agent] in listed
            moved = {a.name: a.place for a in world.persona_agents if a.place != before[a.name]}
            listed_of = {c.agent: _listed(c) for c in calls}
            assert moved, "nobody moved: the test shows nothing"
            assert all(place in listed_of[name] for name, place in moved.items())
    finally:
        loop.close()
        world.close()


def test_max_places_null_lists_every_place():
    world = World(crowd_world(40, places=30, attention={"max_places": None}))
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(world.astep())
        for call in _decide_calls(world):
            assert len(_listed(call)) == 30
    finally:
        loop.close()
        world.close()
