"""Per-tick metrics: Mesa's DataCollector in memory, the ``metrics`` table in the trajectory."""

import asyncio

import pytest

from sandbox.runner.replay import areplay
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import RunReader
from sandbox.world.world import World
from tests.conftest import small_world


def test_the_datacollector_has_a_row_per_tick(cafe):
    with World(cafe) as world:
        for _ in range(3):
            world.step()
        record = world.last_record
        model = world.datacollector.get_model_vars_dataframe()
        agents = world.datacollector.get_agent_vars_dataframe()
    assert list(model["tick"]) == [1, 2, 3]
    last = model.iloc[-1]
    assert last["model_calls"] == len(record.llm_calls) == len(cafe.agents)
    assert last["actions"] == len(record.actions) and last["events"] == len(record.events)
    at = {c.removeprefix("agents_at:"): last[c] for c in model if c.startswith("agents_at:")}
    assert at == {p: len(names) for p, names in world.occupancy().items()}
    assert len(agents) == 3 * len(cafe.agents)
    step3 = agents.xs(3, level="Step").set_index("name")
    assert dict(step3["place"]) == {a.name: a.place for a in world.persona_agents}
    assert set(step3["model_calls"]) == {1}
    # the record carries the same values, numbers only (an agent's place is not exported)
    exported = {(m.agent, m.name): m.value for m in record.metrics}
    assert exported[(None, "model_calls")] == last["model_calls"]
    assert (world.persona_agents[0].name, "place") not in exported
    assert all(m.tick == 3 for m in record.metrics)


def test_a_failed_commit_adds_no_datacollector_row():
    class FailsOnce:
        failed = False

        def commit_tick(self, record):
            if record.tick == 2 and not self.failed:
                self.failed = True
                raise OSError("disk full")

        def record_calls(self, calls):
            pass

    with World(small_world(), recorder=FailsOnce()) as world:
        world.step()
        with pytest.raises(OSError):
            world.step()
        world.step()
        assert list(world.datacollector.get_model_vars_dataframe()["tick"]) == [1, 2]


def ordered(rows):
    return sorted(rows, key=lambda r: (r[0], r[1] or "", r[2]))


def metrics_of(run_dir):
    with RunReader(run_dir) as reader:
        return ordered(
            (r["tick"], r["agent"], r["name"], r["value"]) for r in reader.rows("metrics")
        )


def test_the_metrics_table_is_the_same_after_a_resume_and_in_a_replay(cafe, tmp_path):
    settings = RunSettings(ticks=5, out=tmp_path)
    whole = Run.create(cafe, settings, directory=tmp_path / "whole")
    whole.run()
    records = []
    whole.close()

    part = Run.create(cafe, settings, directory=tmp_path / "part")
    part.ticks_target = 2
    part.run()
    part.close()
    resumed = Run.resume(part.directory)
    resumed.run(on_tick=records.append)
    resumed.close()

    rows = metrics_of(whole.directory)
    assert rows == metrics_of(part.directory)
    assert {r[0] for r in rows} == {1, 2, 3, 4, 5}
    names = {r[2] for r in rows if r[1] is None}
    assert {"model_calls", "actions", "events", "prompt_tokens", "agents_at:cafe"} <= names
    assert ordered((m.tick, m.agent, m.name, m.value) for m in records[-1].metrics) == [
        r for r in rows if r[0] == 5
    ]
    report = asyncio.run(areplay(whole.directory))  # every call answered from the record
    assert report.identical and metrics_of(report.replay) == rows
