"""Crowded places: bounded attention (seeded, deterministic, flat prompts, addressed agents
always noticed) and compact audiences (stored once, read back whole, resumable)."""

import json
from pathlib import Path

from sandbox.store.reader import RunReader
from sandbox.store.writer import TrajectoryWriter
from sandbox.testing.crowd import crowd_world
from sandbox.world.attention import noticed
from sandbox.world.config import WorldConfig
from sandbox.world.events import EventBus
from sandbox.world.world import World


def _decide_prompts(record) -> dict[str, str]:
    return {
        c.agent: "\n".join(m["content"] for m in c.messages)
        for c in record.llm_calls
        if c.purpose == "agent.decide"
    }


def test_noticed_is_seeded_capped_and_keeps_who_spoke_first():
    present = [f"A{i:03d}" for i in range(200)]
    rank = {n: i for i, n in enumerate([*present, "me"])}
    here = set(present)

    def pick(tick, spoke=(), ties=None):
        return noticed(
            "me",
            present,
            cap=6,
            addressed_by=spoke,
            is_present=here.__contains__,
            tie_weight=lambda _n: ties or {},
            rank=rank,
            seed=3,
            tick=tick,
        )

    first = pick(1)
    assert len(first) == 6 and first == pick(1)  # the same draw for the same tick
    assert list(first) == sorted(first, key=rank.__getitem__)  # listed in world order
    assert any(pick(t) != first for t in range(2, 6))  # another tick, another draw
    spoke = ["A150", "A007", "nobody"]  # 'nobody' is not here: not noticed
    got = pick(1, spoke=spoke, ties={"A099": 2.0, "A098": 5.0, "gone": 9.0})
    assert {"A150", "A007", "A098", "A099"} <= set(got) and len(got) == 6
    # a small place: everyone, unchanged
    assert noticed(
        "me",
        present[:6],
        cap=6,
        addressed_by=(),
        is_present=here.__contains__,
        tie_weight=dict,
        rank=rank,
        seed=3,
        tick=1,
    ) == tuple(present[:6])


def test_prompt_size_stays_flat_in_the_number_present():
    sizes = {}
    for n in (30, 300):
        world = World(crowd_world(n, places=1, attention={"max_present": 8, "max_events": 12}))
        world.step()
        world.step()
        prompts = _decide_prompts(world.last_record)
        sizes[n] = max(len(p) for p in prompts.values())
        for name in list(prompts)[:20]:
            assert len(world.attention.noticed(name)) == 8
        world.close()
    assert sizes[300] <= 1.1 * sizes[30], sizes


def test_who_addressed_an_agent_is_noticed_and_its_words_perceived():
    world = World(crowd_world(120, places=1, attention={"max_present": 3, "max_events": 4}))
    world.step()
    speakers = ["Agent100", "Agent050"]
    for s in speakers:
        world.inject(f'{s} (to Agent007): "psst"', source=s, kind="say", to="Agent007")
    world.step()
    assert set(speakers) <= set(world.attention.noticed("Agent007"))
    prompt = _decide_prompts(world.last_record)["Agent007"]
    assert all(s in prompt for s in speakers)
    heard = [o for o in world.agent("Agent007").observations if o["tick"] == 1 or o["to"]]
    assert {o["source"] for o in heard if o["to"] == "Agent007"} == set(speakers)
    assert sum(1 for o in world.agent("Agent007").observations if o["tick"] == 1) <= 4
    world.close()


def test_the_same_crowd_twice_gives_the_same_run():
    def run():
        world = World(crowd_world(90, places=1, attention={"max_present": 4, "max_events": 6}))
        for _ in range(3):
            world.step()
        out = world.state_dict(), _decide_prompts(world.last_record)
        world.close()
        return out

    assert run() == run()


def test_delivery_per_audience_is_delivery_per_event_and_listener():
    everyone, at_x = ("a", "b", "c"), ("a", "b")
    bus = EventBus(everyone=lambda: everyone, at_place=lambda p: at_x)
    bus.emit("say", "a", "hi", visibility="place", place="x", data={"to": None})
    bus.emit("announcement", "world", "bell", visibility="public")
    bus.emit("failed", "world", "no", visibility="private", audience=["c"])
    bus.emit("say", "b", "yo", visibility="place", place="x", data={"to": "a"})
    naive: dict[str, list] = {}
    for e in bus.pending:
        for n in e.audience:
            naive.setdefault(n, []).append(e)
    assert bus.pending[0].audience is bus.pending[3].audience  # one shared audience
    assert bus.deliver() == naive


def test_equal_large_audiences_are_one_entry_of_a_checkpoint():
    """Equal audiences held as different objects (a place left and re-entered, a resumed world)
    are one entry of the checkpoint's ``audiences``, and read back as one shared tuple."""
    from sandbox.store.schema import COMPACT_FROM
    from sandbox.world.events import load_pending, pending_state

    crowd = tuple(f"P{i}" for i in range(COMPACT_FROM + 2))
    other = crowd[1:]
    bus = EventBus(everyone=lambda: crowd, at_place=lambda p: crowd)
    for i, audience in enumerate([crowd, tuple(list(crowd)), other, tuple(list(crowd))]):
        bus.emit("say", "P0", f"line {i}", visibility="agents", audience=audience)
    assert bus.pending[0].audience is not bus.pending[1].audience
    state = pending_state(bus.pending)
    assert state["audiences"] == [list(crowd), list(other)]
    assert [row["audience"] for row in state["pending"]] == [0, 0, 1, 0]
    back = load_pending(state)
    assert [e.audience for e in back] == [e.audience for e in bus.pending]
    assert back[0].audience is back[1].audience is back[3].audience


def test_audiences_of_a_place_with_people_coming_and_going_are_stored_as_changes():
    """Each arrival or departure in a crowded place makes a new audience; the checkpoint stores
    each as its change from the place's previous one and reads every one back exactly (seeded
    random arrivals at random positions, departures, and a place changing completely)."""
    import json
    import random

    from sandbox.store.schema import COMPACT_FROM
    from sandbox.world.events import load_pending, pending_state

    rng = random.Random(11)
    everyone = [f"P{i:03d}" for i in range(300)]
    rank = {n: i for i, n in enumerate(everyone)}
    here = {"x": set(everyone[:120]), "y": set(everyone[150:190])}
    current: dict[str, tuple[str, ...]] = {}

    def at_place(place: str) -> tuple[str, ...]:
        if place not in current:
            current[place] = tuple(sorted(here[place], key=rank.__getitem__))
        return current[place]

    bus = EventBus(everyone=lambda: tuple(everyone), at_place=at_place)
    for step in range(200):
        place = rng.choice(["x", "y"])
        if step == 100:
            here[place] = set(rng.sample(everyone, COMPACT_FROM + 5))  # all new
        elif rng.random() < 0.5:
            who = rng.choice(everyone)
            here[place].symmetric_difference_update({who})  # arrives or leaves
        current.pop(place, None)
        speaker = rng.choice(sorted(here[place]))
        bus.emit("say", speaker, f"line {step}", visibility="place", place=place)
    state = json.loads(json.dumps(pending_state(bus.pending)))
    entries = state["audiences"]
    assert sum(isinstance(e, dict) for e in entries) > len(entries) / 2
    distinct = list(dict.fromkeys(e.audience for e in bus.pending))
    assert len(entries) == len(distinct)
    assert len(json.dumps(entries)) < 0.2 * len(json.dumps([list(a) for a in distinct]))
    back = load_pending(state)
    assert [e.audience for e in back] == [e.audience for e in bus.pending]


def _recording(config: WorldConfig, path: Path, *, ticks: int) -> TrajectoryWriter:
    """A writer with ``config``'s run started in ``path`` (offline, ``ticks`` planned)."""
    writer = TrajectoryWriter(path)
    writer.start_run(
        run_id=config.name,
        config=config.model_dump(mode="json"),
        world_file=None,
        model="heuristic",
        api_base=None,
        ticks_planned=ticks,
        settings={},
        personas=[(a.persona, a.start) for a in config.agents],
    )
    return writer


def test_large_audiences_are_stored_once_and_read_back_whole(tmp_path: Path):
    path = tmp_path / "t.sqlite"
    config = crowd_world(70, places=1)
    writer = _recording(config, path, ticks=3)
    world = World(config, recorder=writer)
    audiences = []
    for _ in range(3):
        world.step()
        audiences += [list(e.audience) for e in world.last_record.events]
    state_2 = None
    with RunReader(path) as reader:
        rows = reader.rows("events")
        assert [r["audience"] for r in rows] == [
            __import__("json").dumps(a, separators=(",", ":")) for a in audiences
        ]
        stored = reader.count("audiences")
        inline = reader.count("events", "audience IS NOT NULL")
        assert stored <= 3 and inline < len(rows) / 2
        state_2 = reader.state_at(2)
        want = reader.tick_fingerprints()[3]
    assert "audiences" in world.state_dict() or not world.bus.pending
    world.close()
    writer.close()
    # the parquet export expands them too
    import pandas as pd

    from sandbox.store.export import export_parquet

    exported = pd.read_parquet(export_parquet(path, tmp_path / "pq").out / "events.parquet")
    assert list(exported["audience"]) == [r["audience"] for r in rows]
    # resumed from the checkpoint of tick 2, tick 3 is the same
    path_b = tmp_path / "b.sqlite"
    writer_b = TrajectoryWriter(path_b)
    resumed = World(config, recorder=writer_b, state=state_2)
    resumed.step()
    resumed.close()
    writer_b.close()
    with RunReader(path_b) as reader:
        assert reader.tick_fingerprints()[3] == want


def test_each_perceived_event_is_in_a_checkpoint_once_and_loads_back(tmp_path: Path):
    world = World(crowd_world(60, places=2))
    for _ in range(2):
        world.step()
    state = json.loads(json.dumps(world.state_dict()))
    keys = [k for a in state["agents"].values() for k in a["observations"]]
    assert keys and all(isinstance(k, str) for k in keys)
    assert set(keys) == set(state["observed"])  # every key found, nothing else stored
    assert len(state["observed"]) < len(keys) / 5  # seen by many, stored once
    before = {a.name: list(a.observations) for a in world.persona_agents}
    world.step()
    after = world.state_dict()

    again = World(crowd_world(60, places=2))
    again.load_state(state)
    assert {a.name: list(a.observations) for a in again.persona_agents} == before
    again.step()
    assert json.dumps(again.state_dict(), sort_keys=True) == json.dumps(after, sort_keys=True)
    world.close()
    again.close()


def test_a_checkpoint_written_before_observations_were_shared_still_loads():
    world = World(crowd_world(30, places=2))
    for _ in range(2):
        world.step()
    state = json.loads(json.dumps(world.state_dict()))
    observed = state.pop("observed")
    for agent in state["agents"].values():  # the old layout: the observations inline, no seq
        agent["observations"] = [
            {k: v for k, v in observed[key].items() if k != "seq"} for key in agent["observations"]
        ]
    again = World(crowd_world(30, places=2))
    again.load_state(state)
    name = next(iter(state["agents"]))
    assert again.agent(name).observations == state["agents"][name]["observations"]
    again.step()  # and it goes on, storing its new observations shared
    written = again.state_dict()
    assert written["observed"] and all(
        isinstance(k, str) for k in written["agents"][name]["observations"]
    )
    world.close()
    again.close()


def _attend_by_walking(name, lists, pending, cap, noticed, is_agent):
    """The rule of ``sandbox.world.attention`` spelled out by walking every event of the
    listener's audiences: the reference both ways of choosing are held to."""
    mine = sorted(i for indices in lists for i in indices)
    first = [
        i
        for i in mine
        if pending[i].source == name
        or not is_agent(pending[i].source)
        or pending[i].data.get("to") == name
    ]
    speakers = list(
        dict.fromkeys(pending[i].source for i in first if pending[i].data.get("to") == name)
    )
    picked = first[:cap]
    if len(picked) < cap:
        who = set(noticed(name, speakers))
        picked += [i for i in mine if i not in first and pending[i].source in who][
            : cap - len(picked)
        ]
    return sorted(picked)


def test_both_ways_of_choosing_a_capped_listeners_events_choose_the_same():
    """Through per-audience indexes (a few large audiences) or the tick's index (many small
    ones): the events the rule says, for listeners in many small audiences, a few large ones, a
    mix, and in only some of the tick's audiences (arrived late, left early)."""
    import random
    from types import SimpleNamespace

    from sandbox.store.records import EventRecord
    from sandbox.world.events import _attend, _attend_indexed, _Index, _Tick

    rng = random.Random(5)
    people = [f"P{i}" for i in range(40)]
    pending = [
        EventRecord(
            tick=1, seq=i, kind="say", source=rng.choice([*people, "world"]), place="x",
            visibility="place", audience=(), text=f"e{i}",
            data={"to": rng.choice([None, None, *people[:5]])},
        )
        for i in range(600)
    ]  # fmt: skip
    is_agent = set(people).__contains__
    order = list(range(len(pending)))
    compared = 0
    for sizes in ([3] * 150, [200, 250, 150], [1, 2, 90, 5, 300, 7, 4], [20] * 30):
        rng.shuffle(order)
        lists, at = [], 0
        for size in sizes:
            lists.append(sorted(order[at : at + size]))
            at += size
        tick = _Tick(lists, pending, is_agent)  # events in no list (the first shape) are no one's
        for name in people[:8]:
            for numbers in (
                list(range(len(lists))),
                sorted(rng.sample(range(len(lists)), max(1, len(lists) // 2))),
            ):
                mine = [lists[n] for n in numbers]
                noticed = lambda _n, spoke: [*spoke, *rng.sample(people, 6)]  # noqa: E731
                state = rng.getstate()
                expected = _attend_by_walking(name, mine, pending, 20, noticed, is_agent)
                rng.setstate(state)
                mine_numbers = SimpleNamespace(has=set(numbers).__contains__)
                through_tick = _attend(name, mine_numbers, tick, 20, noticed)
                rng.setstate(state)
                indexes = [_Index(x, pending, is_agent) for x in mine]
                indexed = _attend_indexed(name, indexes, pending, 20, noticed)
                assert through_tick == indexed == expected
                compared += len(expected) == 20
    assert compared > 40  # most listeners had more than the cap to choose from


def test_a_world_resumed_from_audiences_stored_as_changes_goes_on_the_same(tmp_path: Path):
    """Two crowded places with people moving between them: the checkpoint stores most audiences
    as changes, the trajectory reads the state back, and a world resumed from it runs the next
    ticks exactly as the uninterrupted one."""
    config = crowd_world(120, places=2)
    writer = _recording(config, tmp_path / "t.sqlite", ticks=5)
    world = World(config, recorder=writer)
    states = []
    for _ in range(5):
        world.step()
        states.append(json.dumps(world.state_dict(), sort_keys=True))
    world.close()
    writer.close()
    with RunReader(tmp_path / "t.sqlite") as reader:
        stored = reader.state_at(2)
    assert json.dumps(stored, sort_keys=True) == states[1]
    assert any(isinstance(e, dict) for e in stored["audiences"])  # changes, not only whole lists
    resumed = World(config, state=stored)
    for tick in (3, 4, 5):
        resumed.step()
        assert json.dumps(resumed.state_dict(), sort_keys=True) == states[tick - 1]
    resumed.close()


def test_pending_rows_are_what_model_dump_gives():
    """``pending_state`` builds each event's row directly; it must be ``model_dump(mode="json")``
    (field order included), also for data that is not plain JSON (made by ``model_dump`` then)."""
    from sandbox.store.records import EventRecord
    from sandbox.world.events import _row

    datas = [{}, {"to": "Bo"}, {"n": 3, "x": 0.5, "ok": True, "none": None}]
    datas += [{"pair": ("a", 1)}, {"inf": float("inf")}, {"nested": {"k": [1, 2]}}]
    for data in datas:
        event = EventRecord(
            tick=2,
            seq=5,
            kind="say",
            source="Al",
            place="cafe",
            visibility="place",
            audience=("Al", "Bo"),
            text="hi",
            data=data,
        )
        want = event.model_dump(mode="json")
        row = _row(event)
        row["audience"] = list(event.audience)
        assert list(row) == list(want) and row == want, data  # a tuple is not its list
        assert row["data"] is not event.data  # a fresh container
