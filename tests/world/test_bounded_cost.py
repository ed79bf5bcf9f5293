"""Bounded cost when the model misbehaves: importance batches are capped, a memory whose scoring
failed leaves the queue (the prompt does not grow), replans are capped per simulated hour, and
emotions are never filled in silently."""

from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.world.policies import decide as heuristic_decide
from sandbox.world.world import World
from tests.conftest import small_world

COGNITION = {"narrator": False, "planning": True, "reflection": False, "conversation_turns": 3}
TICKS = 14


def config(**cognition):
    return small_world(
        start_time="2026-03-02T09:00:00",
        minutes_per_tick=10,
        cognition={**COGNITION, **cognition},
        places=[
            {"name": "kitchen", "description": "A small kitchen.", "activities": ["cooks"]},
            {"name": "garden", "description": "A garden.", "activities": ["weeds"]},
        ],
    )


def run(policies=None, ticks=TICKS, **cognition):
    client = ModelClient(HeuristicBackend(policies=policies or {}), max_repairs=1)
    calls, memories = [], []
    with World(config(**cognition), client) as world:
        for _ in range(ticks):
            world.step()
            calls.extend(world.last_record.llm_calls)
            memories.extend(world.last_record.memories)
            memories.extend({**m, "update": True} for m in world.last_record.memory_scores)
        queues = {a.name: len(a.mind.stream.unscored()) for a in world.persona_agents}
    return calls, memories, queues


def request_chars(call):
    """The size of the prompt as sent (without repair turns the client appended)."""
    first_answer = next(
        (i for i, m in enumerate(call.messages) if m["role"] == "assistant"), len(call.messages)
    )
    return sum(len(m["content"]) for m in call.messages[:first_answer])


def wrong_count(facts, rng):
    return {"scores": [5]}  # one score, whatever the number of memories: invalid unless 1


def test_failed_importance_leaves_the_queue_and_the_prompt_does_not_grow():
    valid, _, _ = run()
    failing, memories, queues = run({"memory.importance": wrong_count})
    agent_ticks = 3 * TICKS

    def per_agent_tick(calls, purpose=None):
        return sum(request_chars(c) for c in calls if purpose in (None, c.purpose)) / agent_ticks

    imp = "memory.importance"
    assert any(c.error_type for c in failing if c.purpose == imp)
    assert per_agent_tick(failing, imp) <= 1.5 * per_agent_tick(valid, imp)
    assert per_agent_tick(failing) <= 1.5 * per_agent_tick(valid)
    late = [request_chars(c) for c in failing if c.purpose == imp and c.tick > TICKS - 4]
    early = [request_chars(c) for c in failing if c.purpose == imp and c.tick <= 4]
    assert max(late) <= 1.5 * max(early)  # the unscored are not re-sent every tick
    assert max(queues.values()) <= 10
    rows = [m for m in memories if m.get("importance_error")]
    assert rows and all(m["importance"] is None for m in rows)
    assert all("ModelAnswerError" in m["importance_error"] for m in rows)


def test_importance_batches_are_capped():
    calls, _, _ = run(importance_batch=2, ticks=4)
    scored = [c for c in calls if c.purpose == "memory.importance"]
    assert scored
    for c in scored:
        listing = c.messages[-1]["content"]
        assert "1. " in listing and "3. " not in listing.split("\n\nAnswer")[0]


def no_emotions(facts, rng):
    return {"scores": [4] * len(facts["memories"])}


def test_missing_emotions_are_null_with_the_reason_unless_a_fallback_is_set():
    # emotions asked of the model (otherwise the world rates them with the lexicon by design)
    model = {"strategy": "emotional_ca", "emotion_source": "model"}
    _, memories, _ = run({"memory.importance": no_emotions}, ticks=3, retrieval=model)
    scored = [m for m in memories if m["importance"] is not None]
    assert scored
    assert all(m["emotions"] is None and m["emotions_source"] is None for m in scored)
    assert all("no emotions" in m["emotions_error"] for m in scored)

    _, memories, _ = run(
        {"memory.importance": no_emotions}, ticks=3, emotions_fallback="lexicon", retrieval=model
    )
    scored = [m for m in memories if m["importance"] is not None]
    assert all(m["emotions_source"] == "lexicon" and len(m["emotions"]) == 8 for m in scored)

    _, memories, _ = run(
        ticks=3, retrieval=model
    )  # the model (here the heuristic) gives emotions itself
    scored = [m for m in memories if m["importance"] is not None]
    assert scored and all(m["emotions_source"] == "model" for m in scored)


def always_replan(facts, rng):
    return {**heuristic_decide(facts, rng), "plan_change": "Something came up; new plan."}


def test_replans_are_capped_per_agent_and_simulated_hour():
    calls, _, _ = run({"agent.decide": always_replan})  # 14 ticks of 10 minutes: 3 hours
    replans = [c for c in calls if c.purpose == "agent.replan"]
    per_hour: dict[tuple[str, int], int] = {}
    for c in replans:
        hour = 9 + (c.tick - 1) // 6
        per_hour[(c.agent, hour)] = per_hour.get((c.agent, hour), 0) + 1
    assert per_hour and max(per_hour.values()) == 2
    assert len(replans) <= 3 * 3 * 2
    calls, _, _ = run({"agent.decide": always_replan}, max_replans_per_hour=0, ticks=3)
    assert not [c for c in calls if c.purpose == "agent.replan"]


def test_failed_scores_stay_out_of_the_queue_after_resume(tmp_path):
    from sandbox.runner.run import Run
    from sandbox.runner.settings import RunSettings
    from sandbox.store.reader import RunReader

    def client():
        backend = HeuristicBackend(policies={"memory.importance": wrong_count})
        return ModelClient(backend, max_repairs=0)

    settings = RunSettings(out=tmp_path, ticks=3, max_error_rate=1.0)
    run = Run.create(config(), settings, client=client(), directory=tmp_path / "r")
    run.run()
    run.close()
    with RunReader(run.path) as reader:
        failed = reader.rows("memories", "importance_error IS NOT NULL")
    assert failed and all(m["importance"] is None for m in failed)
    resumed = Run.resume(run.directory, {"ticks": 3}, client=client())
    for agent in resumed.world.persona_agents:
        queue = {m.id for m in agent.mind.stream.unscored()}
        assert not queue & {m["mem_id"] for m in failed if m["agent"] == agent.name}
    resumed.close()
