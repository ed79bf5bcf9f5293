"""The client's own logic (cache, repair, accounting, replay) over a scripted in-process backend."""

import asyncio
import json
from collections import deque

import pytest
from pydantic import BaseModel

from sandbox.errors import CacheMissError, ModelAnswerError
from sandbox.llm.cache import ResponseCache
from sandbox.llm.client import ModelClient
from sandbox.llm.replay import ReplayBackend
from sandbox.llm.request import Completion, LLMRequest, Message, Usage


class Vote(BaseModel):
    choice: int


class ScriptedBackend:
    """Answers with queued texts; an honest Backend, used to test the client around it."""

    name = "scripted"
    model_id = "scripted-1"
    cacheable = True

    def __init__(self, *texts: str, delays: dict[str, float] | None = None) -> None:
        self.texts = deque(texts)
        self.calls: list[tuple[Message, ...]] = []
        self.delays = delays or {}

    async def complete(self, request, messages):
        self.calls.append(messages)
        await asyncio.sleep(self.delays.get(request.agent or "", 0))
        text = self.texts.popleft() if self.texts else json.dumps({"choice": 1})
        return Completion(
            text=text, usage=Usage(prompt_tokens=10, completion_tokens=2, cost_usd=0.01)
        )


def req(agent="a", seed=1, content="pick") -> LLMRequest:
    return LLMRequest(
        purpose="test.vote",
        messages=(Message(role="user", content=content),),
        response_model=Vote,
        agent=agent,
        tick=1,
        seed=seed,
    )


def run(coro):
    return asyncio.run(coro)


def test_valid_answer_is_parsed_and_recorded():
    backend = ScriptedBackend('{"choice": 3}')
    client = ModelClient(backend)
    answer = run(client.complete(req()))
    assert answer.value == Vote(choice=3)
    [call] = client.drain_calls()
    assert (call.purpose, call.agent, call.cache_hit, call.attempts) == ("test.vote", "a", False, 1)
    assert (call.prompt_tokens, call.completion_tokens, call.cost_usd) == (10, 2, 0.01)
    assert call.response == '{"choice": 3}'
    assert client.drain_calls() == []


def test_bad_answer_is_repaired_within_the_bound():
    backend = ScriptedBackend("no idea", '{"choice": "x"}', '{"choice": 2}')
    client = ModelClient(backend, max_repairs=2)
    assert run(client.complete(req())).value.choice == 2
    assert len(backend.calls) == 3
    # the repair turn shows the model its bad answer and what was wrong
    assert backend.calls[1][-2].content == "no idea"
    assert "no JSON object" in backend.calls[1][-1].content
    [call] = client.drain_calls()
    assert call.attempts == 3 and call.error is None
    assert (call.prompt_tokens, call.cost_usd) == (30, pytest.approx(0.03))


def test_answer_that_never_validates_is_a_typed_recorded_error():
    backend = ScriptedBackend("nope", "still nope", "never")
    client = ModelClient(backend, max_repairs=2)
    with pytest.raises(ModelAnswerError) as info:
        run(client.complete(req()))
    assert info.value.raw == "never"
    assert info.value.purpose == "test.vote"
    [call] = client.drain_calls()
    assert call.error_type == "ModelAnswerError"
    assert "after 3 attempts" in call.error
    assert call.response == "never"


def test_cache_serves_a_repeated_request_without_calling(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    backend = ScriptedBackend('{"choice": 5}')
    client = ModelClient(backend, cache=cache)
    run(client.complete(req()))
    again = run(client.complete(req()))
    assert again.value.choice == 5 and len(backend.calls) == 1
    first, second = client.drain_calls()
    assert (first.cache_hit, second.cache_hit) == (False, True)
    # a different seed is a different request
    run(client.complete(req(seed=2)))
    assert len(backend.calls) == 2
    # failures are not cached: the next run may ask again
    failing = ModelClient(ScriptedBackend("x", "x", "x", '{"choice": 4}'), cache=cache)
    with pytest.raises(ModelAnswerError):
        run(failing.complete(req(seed=9)))
    assert run(failing.complete(req(seed=9))).value.choice == 4


def test_records_are_in_request_order_not_completion_order():
    backend = ScriptedBackend(delays={"slow": 0.05, "fast": 0.0})
    client = ModelClient(backend)

    async def both():
        await asyncio.gather(client.complete(req("slow")), client.complete(req("fast")))

    run(both())
    assert [c.agent for c in client.drain_calls()] == ["slow", "fast"]


def test_concurrency_limit_is_respected():
    in_flight = peak = 0

    class Counting(ScriptedBackend):
        async def complete(self, request, messages):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return Completion(text='{"choice": 1}')

    client = ModelClient(Counting(), concurrency=3)

    async def many():
        await asyncio.gather(*(client.complete(req(str(i))) for i in range(10)))

    run(many())
    assert peak == 3


def test_replay_backend_misses_name_the_request():
    client = ModelClient(ReplayBackend("scripted-1"))
    with pytest.raises(CacheMissError, match=r"test\.vote \(agent a, tick 1"):
        run(client.complete(req()))
