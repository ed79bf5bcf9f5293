"""Call records come back from the block that made them (``collect_calls``), not from a buffer."""

import asyncio

from sandbox.llm.calls import collect_calls
from sandbox.llm.client import ModelClient
from tests.llm.test_client import ScriptedBackend, req


def test_a_collector_gets_the_calls_of_its_block_and_its_tasks_only():
    client = ModelClient(ScriptedBackend(delays={"slow": 0.02}))

    async def go():
        with collect_calls() as mine:
            await asyncio.gather(client.complete(req("slow")), client.complete(req("fast")))
        await client.complete(req("outside"))
        return mine.take()

    calls = asyncio.run(go())
    assert [(c.agent, c.seq) for c in calls] == [("slow", 0), ("fast", 1)]  # issue order
    assert [c.agent for c in client.drain_calls()] == ["outside"]  # no collector: the client's log


def test_concurrent_collectors_do_not_mix():
    client = ModelClient(ScriptedBackend(delays={"a1": 0.01, "b1": 0.005}))

    async def work(*agents):
        with collect_calls() as log:
            for agent in agents:
                await client.complete(req(agent))
        return log.take()

    async def go():
        return await asyncio.gather(work("a1", "a2"), work("b1", "b2"))

    a, b = asyncio.run(go())
    assert [(c.agent, c.seq) for c in a] == [("a1", 0), ("a2", 1)]
    assert [(c.agent, c.seq) for c in b] == [("b1", 0), ("b2", 1)]
    assert client.drain_calls() == []


def test_a_nested_collector_shares_the_outer_numbering():
    client = ModelClient(ScriptedBackend())

    async def inner(agent):
        with collect_calls() as log:
            await client.complete(req(agent))
        return log.take()

    async def go():
        with collect_calls() as outer:
            await client.complete(req("first"))
            nested = await asyncio.gather(inner("x"), inner("y"))
        return outer.take(), nested

    outer, (x, y) = asyncio.run(go())
    assert [(c.agent, c.seq) for c in outer] == [("first", 0), ("x", 1), ("y", 2)]
    assert [c.agent for c in x] == ["x"] and [c.agent for c in y] == ["y"]
