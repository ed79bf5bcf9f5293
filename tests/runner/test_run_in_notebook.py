"""``run.run()`` works where an event loop is already running (a Jupyter cell) and never leaves a
run marked ``running`` (issue 11)."""

from __future__ import annotations

import asyncio

import pytest

from sandbox.errors import ModelUnavailableError
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import RunReader
from tests.conftest import small_world


def test_run_run_inside_a_running_event_loop_completes(tmp_path):
    run = Run.create(small_world(), RunSettings(ticks=3, out=tmp_path, use_cache=False))
    ticks = []

    async def notebook_cell() -> None:
        run.run(on_tick=lambda record: ticks.append(record.tick))

    asyncio.run(notebook_cell())
    run.close()
    assert ticks == [1, 2, 3]
    with RunReader(run.directory) as reader:
        assert reader.run()["status"] == "completed"
        assert reader.last_tick() == 3


class _DownOnTickTwo(HeuristicBackend):
    async def complete(self, request, messages):  # type: ignore[no-untyped-def]
        if request.tick == 2:
            raise ModelUnavailableError("the server is down")
        return await super().complete(request, messages)


def test_a_failing_run_inside_a_running_event_loop_is_marked_failed(tmp_path):
    client = ModelClient(_DownOnTickTwo())
    settings = RunSettings(ticks=3, out=tmp_path, use_cache=False)
    run = Run.create(small_world(), settings, client=client)

    async def notebook_cell() -> None:
        run.run()

    with pytest.raises(ModelUnavailableError):
        asyncio.run(notebook_cell())
    run.close()
    with RunReader(run.directory) as reader:
        meta = reader.run()
    assert meta["status"] == "failed" and "server is down" in meta["error"]
