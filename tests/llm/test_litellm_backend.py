"""The litellm path end to end: litellm's real HTTP client against a fake server on 127.0.0.1."""

import asyncio
import socket

import pytest

from sandbox.errors import ModelAnswerError, ModelUnavailableError
from sandbox.llm.factory import make_client
from sandbox.llm.litellm_backend import LiteLLMBackend
from tests.llm.test_client import Vote, req

pytestmark = pytest.mark.network


def client_for(server, **kw):
    kw.setdefault("max_retries", 2)
    kw.setdefault("http_client", "litellm")  # this file tests the litellm path
    return make_client("openai/fake", api_base=server.base_url, **kw)


def test_answers_validate_and_the_schema_is_sent(fake_server):
    client = client_for(fake_server)
    answer = asyncio.run(client.complete(req()))
    assert isinstance(answer.value, Vote)
    [body] = fake_server.requests
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["properties"]["choice"]
    assert body["seed"] == 1 and body["model"] == "fake"
    [call] = client.drain_calls()
    assert call.backend == "litellm" and call.prompt_tokens > 0 and call.latency_s > 0


def test_garbage_is_repaired_by_a_retry(fake_server):
    fake_server.script("garbage")
    client = client_for(fake_server)
    assert asyncio.run(client.complete(req())).value.choice == 1
    assert fake_server.request_count == 2
    repair = fake_server.requests[1]["messages"]
    assert repair[-2]["role"] == "assistant" and "park" in repair[-2]["content"]
    assert "could not be used" in repair[-1]["content"]


def test_persistent_garbage_becomes_a_recorded_error(fake_server):
    fake_server.script("garbage", "invalid", "garbage")
    client = client_for(fake_server, max_repairs=2)
    with pytest.raises(ModelAnswerError):
        asyncio.run(client.complete(req()))
    [call] = client.drain_calls()
    assert call.error_type == "ModelAnswerError" and call.attempts == 3
    assert fake_server.request_count == 3


def test_rate_limits_and_server_errors_back_off_and_retry(fake_server):
    fake_server.script("429", "500")
    client = client_for(fake_server, max_retries=3)
    assert asyncio.run(client.complete(req())).value.choice == 1
    assert fake_server.request_count == 3  # one call each: litellm's own retries are off


def test_rate_limit_that_never_ends_is_an_unavailable_error(fake_server):
    fake_server.script("429", "429", "429")
    client = client_for(fake_server, max_retries=2)
    with pytest.raises(ModelUnavailableError, match="--rpm"):
        asyncio.run(client.complete(req()))
    assert fake_server.request_count == 3


def test_timeout_is_retried_then_reported(fake_server):
    fake_server.script("delay:1.5", "delay:1.5")
    client = client_for(fake_server, timeout=0.3, max_retries=1)
    with pytest.raises(ModelUnavailableError, match="Timeout"):
        asyncio.run(client.complete(req()))


def test_unreachable_server_says_how_to_fix_it():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    client = make_client(
        "openai/fake",
        api_base=f"http://127.0.0.1:{port}/v1",
        max_retries=1,
        http_client="litellm",
    )
    with pytest.raises(ModelUnavailableError, match="is the server running"):
        asyncio.run(client.complete(req()))


def test_unknown_model_id_is_rejected_up_front():
    with pytest.raises(ModelUnavailableError, match="unknown model id 'not-a-provider-model'"):
        LiteLLMBackend("not-a-provider-model")


def test_second_identical_request_is_served_from_cache(fake_server, tmp_path):
    cache = tmp_path / "cache.sqlite"
    asyncio.run(client_for(fake_server, cache_path=cache).complete(req()))
    again = client_for(fake_server, cache_path=cache)
    asyncio.run(again.complete(req()))
    assert fake_server.request_count == 1
    assert again.drain_calls()[0].cache_hit


def test_litellm_is_warmed_up_when_the_run_is_built_not_in_its_first_tick(fake_server, tmp_path):
    import sys

    from sandbox.llm import litellm_backend
    from sandbox.runner.run import Run
    from sandbox.runner.settings import RunSettings
    from tests.conftest import small_world

    settings = RunSettings(
        model="openai/fake", api_base=fake_server.base_url, http_client="litellm", out=tmp_path
    )
    run = Run.create(small_world(ticks=1), settings)
    warmed = litellm_backend.warmed_at()
    assert warmed is not None and "litellm.proxy" in sys.modules  # what its first call imports
    assert fake_server.request_count == 0
    try:
        run.run()
    finally:
        run.close()
    first_request_at = fake_server.in_flight_log[0][0]  # time.monotonic(), as warmed_at
    assert warmed < first_request_at
