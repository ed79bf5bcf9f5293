"""The TUI driven by Textual's Pilot, on real worlds and the offline backend."""

import asyncio

import pytest

from sandbox.errors import ModelUnavailableError
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import RunReader
from sandbox.tui.app import SPEEDS, SandboxApp
from sandbox.world.config import load_world
from tests.conftest import CAFE, ROOT

SIZE = (150, 44)


class RecordingApp(SandboxApp):
    """Keeps the notifications it shows, so tests can read them."""

    def __init__(self, run):
        super().__init__(run)
        self.messages: list[str] = []

    def notify(self, message, **kwargs):
        self.messages.append(str(message))
        return super().notify(message, **kwargs)


def new_run(tmp_path, world=CAFE, client=None, ticks=None):
    return Run.create(load_world(world), RunSettings(out=tmp_path, ticks=ticks), client=client)


async def step(app, pilot, n=1):
    for _ in range(n):
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()


def events_text(app):
    log = app.query_one("#events")
    return "\n".join(line.text for line in log.lines)


def test_stepping_advances_the_tick_and_fills_the_log(tmp_path):
    run = new_run(tmp_path)

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await step(app, pilot, 2)
            assert app.world.tick == 2
            assert "says" in events_text(app) or "(to " in events_text(app)
            assert "tick 2" in str(app.query_one("#status").render())
            assert "model calls 12" in str(app.query_one("#usage").render())
            await pilot.press("q")

    asyncio.run(go())
    run.close()
    with RunReader(run.path) as reader:
        assert reader.last_tick() == 2  # the TUI writes the same trajectory as 'sandbox run'
        assert reader.run()["status"] == "interrupted"


def test_run_and_pause(tmp_path):
    run = new_run(tmp_path, ticks=10_000)  # far from the planned end

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(6):
                await pilot.press("plus")  # fastest: no wait between ticks
            await pilot.press("space")
            for _ in range(200):
                await pilot.pause(0.01)
                if app.world.tick >= 3:
                    break
            assert app.running and app.world.tick >= 3
            await pilot.press("space")
            await app.workers.wait_for_complete()
            stopped_at = app.world.tick
            await pilot.pause(0.1)
            assert not app.running and app.world.tick == stopped_at
            await pilot.press("q")

    asyncio.run(go())
    run.close()


def test_an_injected_event_reaches_the_agents_memories(tmp_path):
    run = new_run(tmp_path)

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await step(app, pilot)
            await pilot.press("e")
            await pilot.press(*"A fire alarm rings")
            await pilot.press("enter")
            await pilot.press(*"cafe", "enter")
            await pilot.pause()
            assert any("Queued" in m for m in app.messages)
            at_cafe = set(app.world.names_at("cafe"))
            await step(app, pilot)
            heard = {
                a.name
                for a in app.world.persona_agents
                if any(o["text"] == "A fire alarm rings" for o in a.observations)
            }
            assert heard == at_cafe and heard
            await pilot.press("q")

    asyncio.run(go())
    run.close()
    with RunReader(run.path) as reader:  # committed with tick 2
        rows = reader.rows("events", "text = 'A fire alarm rings'")
        assert [r["tick"] for r in rows] == [2]


def test_talking_as_a_visitor_enters_memory_and_interviews_change_nothing(tmp_path):
    run = new_run(tmp_path, world=ROOT / "worlds" / "town.yaml")

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await step(app, pilot, 2)
            app.query_one("#agents").highlighted = 0  # Isabella Rodriguez
            await pilot.pause()
            assert app.selected == "Isabella Rodriguez"
            await pilot.press("t")
            await pilot.press(*"Do you sell pancakes", "enter")
            await step(app, pilot)
            mind = app.world.agent("Isabella Rodriguez").mind
            assert any("pancakes" in m.text for m in mind.stream.memories)
            with RunReader(run.path) as reader:
                before = reader.fingerprint()
            await pilot.press("i")
            await pilot.press(*"What about pancakes", "enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "[interview] Isabella Rodriguez" in events_text(app)
            with RunReader(run.path) as reader:
                assert reader.fingerprint() == before
                assert reader.count("interviews") == 1
            await pilot.press("q")

    asyncio.run(go())
    run.close()


def test_a_failing_call_notifies_and_leaves_the_world_consistent(tmp_path):
    class FailsOnTick2(HeuristicBackend):
        async def complete(self, request, messages):
            if request.tick == 2:
                raise ModelUnavailableError("the model server went away")
            return await super().complete(request, messages)

    run = new_run(tmp_path, client=ModelClient(FailsOnTick2()))

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await step(app, pilot)
            state = app.world.state_dict()
            await step(app, pilot)
            assert app.world.tick == 1 and app.world.state_dict() == state
            assert any("rolled back" in m and "went away" in m for m in app.messages)
            await pilot.press("q")

    asyncio.run(go())
    run.close()
    with RunReader(run.path) as reader:
        assert reader.last_tick() == 1


def test_quit_then_resume(tmp_path):
    run = new_run(tmp_path)

    async def first():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await step(app, pilot, 3)
            await pilot.press("q")

    asyncio.run(first())
    run.close()
    resumed = Run.resume(run.directory)
    assert resumed.world.tick == 3

    async def second():
        app = RecordingApp(resumed)
        async with app.run_test(size=SIZE) as pilot:
            await step(app, pilot)
            assert app.world.tick == 4
            await pilot.press("w")
            assert any("Saved: 4 committed ticks" in m for m in app.messages)
            await pilot.press("q")

    asyncio.run(second())
    resumed.close()


@pytest.mark.parametrize("key", ["i", "t"])
def test_interview_and_talk_need_a_selected_agent(tmp_path, key):
    run = new_run(tmp_path)

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(key)
            assert any("Select an agent first" in m for m in app.messages)
            await pilot.press("q")

    asyncio.run(go())
    run.close()


@pytest.mark.network
def test_the_tui_steps_a_world_through_litellm(tmp_path, fake_server):
    run = Run.create(
        load_world(CAFE),
        RunSettings(model="openai/fake", api_base=fake_server.base_url, out=tmp_path),
    )

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await step(app, pilot, 2)
            assert app.world.tick == 2
            assert "model openai/fake" in str(app.query_one("#status").render())
            await pilot.press("q")

    asyncio.run(go())
    run.close()
    assert fake_server.request_count >= 12


class HeldBackend(HeuristicBackend):
    """The heuristic backend, except that the calls of tick ``hold_tick`` wait for ``release``:
    the test decides when that tick ends (a slow model, without timing)."""

    def __init__(self, hold_tick):
        super().__init__()
        self.hold_tick = hold_tick
        self.entered: asyncio.Event | None = None
        self.release: asyncio.Event | None = None

    async def complete(self, request, messages):
        if request.tick == self.hold_tick and self.release is not None:
            self.entered.set()
            await self.release.wait()
        return await super().complete(request, messages)


def test_input_given_during_a_tick_is_queued_and_applied_at_the_next_tick(tmp_path):
    backend = HeldBackend(hold_tick=2)
    run = new_run(tmp_path, client=ModelClient(backend))

    async def go():
        backend.entered, backend.release = asyncio.Event(), asyncio.Event()
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await step(app, pilot)
            app.query_one("#agents").highlighted = 0
            await pilot.pause()
            name = app.selected
            await pilot.press("s")  # tick 2 starts and waits on the model
            await asyncio.wait_for(backend.entered.wait(), 30)
            assert app.stepping
            await pilot.press("e")
            await pilot.press(*"A fire alarm rings", "enter", "enter")
            await pilot.press("t")
            await pilot.press(*"Is anyone here [/]", "enter")  # not markup
            await pilot.pause()
            queued = str(app.query_one("#queued").render())
            assert "A fire alarm rings" in queued and "Is anyone here [/]" in queued
            backend.release.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.world.tick == 2
            assert "A fire alarm rings" in str(app.query_one("#queued").render())  # still queued
            await step(app, pilot)
            assert app.world.tick == 3
            assert "A fire alarm rings" not in str(app.query_one("#queued").render())
            await pilot.press("q")
        return name

    name = asyncio.run(go())
    run.close()
    with RunReader(run.path) as reader:
        alarm = reader.rows("events", "text = 'A fire alarm rings'")
        said = reader.rows("events", "text LIKE '%Is anyone here%'")
    assert [r["tick"] for r in alarm] == [3]
    assert [(r["tick"], r["kind"]) for r in said] == [(3, "say")]
    assert name in said[0]["text"] and "Is anyone here [/]" in said[0]["text"]


async def run_to_the_end(app, pilot):
    """Run at full speed until the app stops by itself (bounded, so a regression fails, not hangs)."""
    while app.speed < len(SPEEDS) - 1:
        await pilot.press("plus")
    await pilot.press("space")
    await asyncio.wait_for(app.workers.wait_for_complete(), 60)
    await pilot.pause()


def test_the_tui_stops_at_the_planned_end(tmp_path):
    run = new_run(tmp_path, ticks=3)

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await run_to_the_end(app, pilot)
            assert app.world.tick == 3 and not app.running
            status = str(app.query_one("#status").render())
            assert "tick 3 of 3" in status and "completed" in status
            with RunReader(run.path) as reader:
                assert reader.run()["status"] == "completed"
            await step(app, pilot)  # stepping past the end is refused
            assert app.world.tick == 3
            assert any("planned end (tick 3)" in m and "x to extend" in m for m in app.messages)
            await pilot.press("q")

    asyncio.run(go())
    run.close()
    with RunReader(run.path) as reader:
        assert reader.last_tick() == 3
        assert reader.run()["status"] == "completed"  # quitting at the end keeps it completed


def test_extending_the_run_records_a_new_planned_end(tmp_path):
    run = new_run(tmp_path, ticks=2)

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await run_to_the_end(app, pilot)
            assert app.world.tick == 2
            await pilot.press("x")
            await pilot.press("backspace", "backspace", "3", "enter")  # the dialog offers 10
            await pilot.pause()
            assert any("now ends at tick 5" in m for m in app.messages)
            with RunReader(run.path) as reader:
                assert reader.run()["ticks_planned"] == 5
                assert reader.run()["status"] == "running"
            await run_to_the_end(app, pilot)
            assert app.world.tick == 5 and not app.running
            await pilot.press("q")

    asyncio.run(go())
    run.close()
    with RunReader(run.path) as reader:
        assert reader.last_tick() == 5
        assert reader.run()["status"] == "completed"
    resumed = Run.resume(run.directory)
    assert resumed.ticks_target == 5 and resumed.at_planned_end
    resumed.close()


def test_input_handed_to_a_failed_tick_is_applied_once_when_it_is_tried_again(tmp_path):
    class FailsOnceOnTick2(HeuristicBackend):
        failed = False

        async def complete(self, request, messages):
            if request.tick == 2 and not self.failed:
                self.failed = True
                raise ModelUnavailableError("the model server went away")
            return await super().complete(request, messages)

    run = new_run(tmp_path, client=ModelClient(FailsOnceOnTick2()))

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await step(app, pilot)
            await pilot.press("e")
            await pilot.press(*"The lights flicker", "enter", "enter")
            await step(app, pilot)  # fails and is rolled back
            assert app.world.tick == 1
            assert "The lights flicker" in str(app.query_one("#queued").render())
            await step(app, pilot)
            assert app.world.tick == 2
            assert "The lights flicker" not in str(app.query_one("#queued").render())
            await pilot.press("q")

    asyncio.run(go())
    run.close()
    with RunReader(run.path) as reader:
        rows = reader.rows("events", "text = 'The lights flicker'")
    assert [r["tick"] for r in rows] == [2]


def test_the_tui_applies_the_runs_error_policy_like_sandbox_run(tmp_path):
    """One tick driver: the TUI's ticks go through Run.astep, which keeps the status and stops a
    run whose calls mostly fail (the ticks stay committed, the input is not handed over twice)."""
    from sandbox.llm.request import Completion

    class Garbage(HeuristicBackend):
        async def complete(self, request, messages):
            return Completion(text="not an answer")

    run = new_run(tmp_path, client=ModelClient(Garbage(), max_repairs=0))

    async def go():
        app = RecordingApp(run)
        async with app.run_test(size=SIZE) as pilot:
            await step(app, pilot, 3)  # 18 failed calls: too few to judge
            assert app.world.tick == 3 and not any("stopped" in m for m in app.messages)
            with RunReader(run.path) as reader:
                assert reader.run()["status"] == "running"
            await pilot.press("e")
            await pilot.press(*"A bell rings", "enter", "enter")
            await step(app, pilot)  # 24 of 24 failed
            assert app.world.tick == 4
            assert any("The run stopped" in m and "24 of 24" in m for m in app.messages)
            assert "A bell rings" not in str(app.query_one("#queued").render())
            with RunReader(run.path) as reader:
                assert reader.run()["status"] == "failed"
                assert "--max-error-rate" in reader.run()["error"]
            await pilot.press("q")

    asyncio.run(go())
    run.close()
    with RunReader(run.path) as reader:
        assert reader.last_tick() == 4
        assert [r["tick"] for r in reader.rows("events", "text = 'A bell rings'")] == [4]
