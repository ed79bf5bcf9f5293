import asyncio
import random

import pytest

from sandbox.errors import ModelUnavailableError
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.world.world import World
from tests.conftest import small_world


def trajectory(world: World, ticks: int):
    out = []
    for _ in range(ticks):
        world.step()
        r = world.last_record
        out.append(
            (
                [e.model_dump() for e in r.events],
                [a.model_dump() for a in r.actions],
                [t.model_dump() for t in r.thoughts],
            )
        )
    world.close()
    return out


def test_same_seed_same_trajectory_different_seed_differs(cafe):
    a = trajectory(World(cafe), 10)
    b = trajectory(World(cafe), 10)
    c = trajectory(World(cafe.model_copy(update={"seed": 99})), 10)
    assert a == b
    assert a != c


class JitteryHeuristic(HeuristicBackend):
    """The heuristic policy, answering after random delays: completion order is scrambled."""

    def __init__(self, seed):
        super().__init__()
        self.rng = random.Random(seed)

    async def complete(self, request, messages):
        await asyncio.sleep(self.rng.random() * 0.01)
        return await super().complete(request, messages)


def test_resolution_does_not_depend_on_completion_order(cafe):
    steady = trajectory(World(cafe), 6)
    for jitter_seed in (1, 2):
        jittery = trajectory(World(cafe, ModelClient(JitteryHeuristic(jitter_seed))), 6)
        assert jittery == steady


def test_decisions_run_concurrently(cafe):
    in_flight = peak = 0

    class Counting(HeuristicBackend):
        async def complete(self, request, messages):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return await super().complete(request, messages)

    with World(cafe, ModelClient(Counting(), concurrency=4)) as world:
        world.step()
    assert peak == 4


def test_events_reach_only_their_audience():
    config = small_world(events=[{"tick": 1, "text": "The bell rings.", "place": "garden"}])
    with World(config) as world:
        world.step()
        record = world.last_record
        bell = next(e for e in record.events if e.kind == "announcement")
        assert bell.audience == ("Cy",) and bell.visibility == "place"
        world.step()
        heard = {a.name: [o["text"] for o in a.observations] for a in world.persona_agents}
        assert "The bell rings." in heard["Cy"]
        assert "The bell rings." not in heard["Ann"] + heard["Bo"]
        # every utterance is heard by exactly those at the speaker's place at that moment
        for ev in record.events:
            if ev.kind == "say":
                assert ev.source in ev.audience
                assert all(n in ("Ann", "Bo", "Cy") for n in ev.audience)


def test_invalid_move_is_recorded_and_told_privately():
    config = small_world()

    def stubborn(facts, rng):
        return {"thought": "to the moon", "action": "move", "target": "moon", "text": ""}

    client = ModelClient(HeuristicBackend(policies={"agent.decide": stubborn}))
    with World(config, client) as world:
        world.step()
        record = world.last_record
    assert {a.status for a in record.actions} == {"invalid"}
    failures = [e for e in record.events if e.kind == "failed"]
    assert len(failures) == 3 and all(e.visibility == "private" for e in failures)
    assert all(len(e.audience) == 1 for e in failures)


def test_step_works_inside_a_running_event_loop(cafe):
    """Jupyter runs cells inside a loop: world.step() must still work there, and astep too."""

    async def notebook_cell():
        world = World(cafe)
        world.step()
        await world.astep()
        world.close()
        return world.tick

    assert asyncio.run(notebook_cell()) == 2


def test_failed_tick_leaves_the_world_as_it_was(cafe):
    calls = 0

    class FailsOnSecondTick(HeuristicBackend):
        async def complete(self, request, messages):
            nonlocal calls
            calls += 1
            if request.tick == 2 and request.agent == "Walter":
                raise ModelUnavailableError("server went away")
            return await super().complete(request, messages)

    with World(cafe, ModelClient(FailsOnSecondTick())) as world:
        world.step()
        before = world.state_dict()
        with pytest.raises(ModelUnavailableError):
            world.step()
        assert world.tick == 1
        assert world.state_dict() == before


def test_the_agents_are_mesas_agentset(cafe):
    with World(cafe) as world:
        assert len(world.agents) == len(cafe.agents) == len(world.persona_agents)
        assert list(world.agents) == world.persona_agents
        at_cafe = world.agents.select(lambda a: a.place == "cafe")
        assert {a.name for a in at_cafe} == set(world.names_at("cafe")) and len(at_cafe) > 0
        by_place = world.agents.groupby("place")
        assert {p: sorted(a.name for a in g) for p, g in by_place} == {
            p: sorted(names) for p, names in world.occupancy().items() if names
        }
        name = world.persona_agents[2].name
        assert world.agent(name) is world.persona_agents[2]


def test_mesa_steps_advance_through_mesas_step_wrapper(cafe):
    seen = []

    async def during(w, tick):  # inside the tick: Mesa's wrapper has already counted it
        seen.append((tick, w.steps, w.tick))

    async def go(world):
        world.step()
        await world.astep()
        world.step()

    with World(cafe) as world:
        world.reflect_hooks.append(during)
        assert world.steps == 0
        asyncio.run(go(world))
        assert world.steps == world.tick == 3
    assert seen == [(1, 1, 0), (2, 2, 1), (3, 3, 2)]


def test_a_failed_tick_puts_mesas_steps_back(cafe):
    class FailsOnTick2(HeuristicBackend):
        async def complete(self, request, messages):
            if request.tick == 2:
                raise ModelUnavailableError("server went away")
            return await super().complete(request, messages)

    with World(cafe, ModelClient(FailsOnTick2())) as world:
        world.step()
        with pytest.raises(ModelUnavailableError):
            world.step()
        assert world.steps == world.tick == 1
        with pytest.raises(ModelUnavailableError):
            asyncio.run(world.astep())
        assert world.steps == world.tick == 1


def test_mesas_generators_are_reseeded_per_tick(cafe):
    """world.random (what AgentSet.shuffle uses) depends on (seed, tick) only, so a Mesa idiom in
    a rule draws the same in a resumed run."""
    draws = {}

    async def draw(w, tick):
        draws.setdefault(tick, []).append(
            ([a.name for a in w.agents.shuffle()], float(w.rng.random()))
        )

    for _ in range(2):
        with World(cafe) as world:
            world.reflect_hooks.append(draw)
            world.step()
            world.step()
            world.random.random()  # drawing between ticks changes nothing
    with World(cafe) as resumed:
        resumed.load_state({**resumed.state_dict(), "tick": 1})
        resumed.reflect_hooks.append(draw)
        resumed.step()
    assert draws[1][0] == draws[1][1] and draws[2][0] == draws[2][1] == draws[2][2]
    assert draws[1][0] != draws[2][0]


def test_resolution_order_is_a_seeded_shuffle_per_tick(cafe):
    from sandbox.seeds import derive_rng

    orders = []
    with World(cafe) as world:
        for _ in range(4):
            world.step()
            record = world.last_record
            orders.append(
                [a.agent for a in sorted(record.actions, key=lambda a: a.resolution_order)]
            )
    names = sorted(a.persona.name for a in cafe.agents)
    for tick, order in enumerate(orders, start=1):
        expected = list(names)
        derive_rng(cafe.seed, tick, "resolution-order").shuffle(expected)
        assert order == expected
    assert any(order != names for order in orders)  # not merely alphabetical
    assert len({tuple(o) for o in orders}) > 1  # drawn anew each tick


def test_an_event_injected_during_a_tick_is_emitted_at_the_next_one():
    with World(small_world()) as world:

        async def visitor(w, tick):  # runs inside tick 1, as a TUI key or a notebook cell could
            if tick == 1:
                w.inject("A visitor knocks.")

        world.reflect_hooks.append(visitor)
        world.step()
        assert "A visitor knocks." not in [e.text for e in world.last_record.events]
        world.step()
        assert [e.tick for e in world.last_record.events if e.text == "A visitor knocks."] == [2]
        world.step()
        assert "A visitor knocks." not in [e.text for e in world.last_record.events]


class Recorder:
    def __init__(self):
        self.ticks, self.loose = [], []

    def commit_tick(self, record):
        self.ticks.append(record)

    def record_calls(self, calls):
        self.loose.extend(calls)


def test_a_ticks_calls_come_back_in_its_record_and_no_others(cafe):
    """A call made between ticks (a notebook asking the client) is not swept into the next tick."""
    from pydantic import BaseModel

    from sandbox.llm.request import LLMRequest, Message

    class Ping(BaseModel):
        ok: bool

    client = ModelClient(HeuristicBackend(policies={"test.ping": lambda facts, rng: {"ok": True}}))
    with World(cafe, client) as world:
        world.step()
        request = LLMRequest(
            purpose="test.ping",
            messages=(Message(role="user", content="hello"),),
            response_model=Ping,
            agent="Walter",
            tick=0,
            seed=1,
        )
        asyncio.run(world.client.complete(request))
        world.step()
        assert {c.tick for c in world.last_record.llm_calls} == {2}
        assert [c.seq for c in world.last_record.llm_calls] == list(range(len(cafe.agents)))
        [outside] = world.client.drain_calls()
        assert outside.tick == 0


def test_the_calls_of_a_failed_tick_are_logged_once(cafe):
    class FailsOnTick2(HeuristicBackend):
        async def complete(self, request, messages):
            if request.tick == 2 and request.agent == "Walter":
                raise ModelUnavailableError("server went away")
            return await super().complete(request, messages)

    recorder = Recorder()
    with World(cafe, ModelClient(FailsOnTick2()), recorder=recorder) as world:
        world.step()
        with pytest.raises(ModelUnavailableError):
            world.step()
    assert [r.tick for r in recorder.ticks] == [1]
    assert {c.tick for c in recorder.loose} == {2} and len(recorder.loose) == len(cafe.agents)
    assert [c.agent for c in recorder.loose if c.error_type] == ["Walter"]


def test_step_inside_a_tick_is_refused_and_changes_nothing(cafe):
    refused = []

    async def nested(w, tick):
        try:
            w.step()  # from the world's own loop: must be astep
        except RuntimeError as exc:
            refused.append((str(exc), w.steps))

    with World(cafe) as world:
        world.reflect_hooks.append(nested)
        world.step()
        assert world.steps == world.tick == 1
    assert len(refused) == 1 and "use astep()" in refused[0][0] and refused[0][1] == 1
