"""Prompts are laid out for a server's prefix cache: what stays the same between an agent's calls
(system message: role, persona, instructions, answer schema; the start of the user message) comes
first, what changes (memories, what was noticed, the moment) last."""

import json

from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import RunReader
from sandbox.world.config import load_world
from tests.conftest import CAFE


def decide_prompts(tmp_path) -> dict[str, list[list[dict]]]:
    run = Run.create(load_world(CAFE), RunSettings(out=tmp_path, ticks=2))
    try:
        run.run()
    finally:
        run.close()
    with RunReader(run.path) as reader:
        rows = reader.rows("llm_calls", "purpose = 'agent.decide'")
    by_agent: dict[str, list[list[dict]]] = {}
    for row in rows:
        by_agent.setdefault(row["agent"], []).append(json.loads(row["messages"]))
    return by_agent


def shared_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_consecutive_decide_prompts_of_an_agent_share_their_static_prefix(tmp_path):
    by_agent = decide_prompts(tmp_path)
    assert len(by_agent) >= 2
    for agent, (first, second, *_) in by_agent.items():
        assert [m["role"] for m in first] == ["system", "user"], agent
        system, user = first[0]["content"], first[1]["content"]
        assert second[0]["content"] == system, agent  # the whole system message is static
        assert '"required"' in system  # the answer schema is part of it
        common = shared_prefix(user, second[1]["content"])
        # the user message opens with what does not change (the places), not the time
        assert common.startswith("Places you can go:"), (agent, common[:60])
        # ... and the dynamic part (memories, what was noticed, the moment) comes after it
        moment = user.index("It is ")
        assert user.index("Relevant memories") < moment and user.index("noticed") < moment
