"""The lean path for OpenAI-compatible servers, against the fake server on 127.0.0.1: the same
request, answers, retries, errors, usage and cache as the litellm path, over kept-alive connections."""

import asyncio
import json
import socket

import pytest

from sandbox.errors import ConfigError, ModelAnswerError, ModelAuthError, ModelUnavailableError
from sandbox.llm.factory import choose_http_client, make_client
from sandbox.llm.openai_http import OpenAIHTTPBackend
from sandbox.runner.settings import RunSettings
from sandbox.testing.crowd import crowd_world
from sandbox.world.world import World
from tests.llm.test_client import Vote, req

pytestmark = pytest.mark.network


def lean(server, **kw):
    kw.setdefault("max_retries", 2)
    return make_client("openai/fake", api_base=server.base_url, **kw)


def test_openai_compatible_servers_get_the_lean_path_by_default(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    base = "http://127.0.0.1:8000/v1"
    assert choose_http_client("openai/qwen", base) == "lean"
    assert choose_http_client("hosted_vllm/llama", base) == "lean"
    assert choose_http_client("lm_studio/phi", base) == "lean"
    assert choose_http_client("openai/gpt-4o-mini", None) == "litellm"  # OpenAI's own endpoint
    assert choose_http_client("gpt-4o-mini", base) == "litellm"  # no prefix: a hosted provider
    assert choose_http_client("ollama/llama3.1", base) == "litellm"
    assert choose_http_client("openai/qwen", base, "litellm") == "litellm"
    monkeypatch.setenv("OPENAI_BASE_URL", base)
    assert choose_http_client("openai/qwen", None) == "lean"
    assert isinstance(make_client("openai/qwen").backend, OpenAIHTTPBackend)


def test_lean_for_a_model_it_cannot_serve_says_what_to_do(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="--http-client litellm"):
        make_client("anthropic/claude", http_client="lean")
    with pytest.raises(ConfigError, match="--api-base"):
        make_client("openai/qwen", http_client="lean")
    with pytest.raises(ConfigError, match="unknown HTTP client 'fast'"):
        make_client("openai/qwen", api_base="http://127.0.0.1:1/v1", http_client="fast")


def test_the_request_body_is_the_one_litellm_sends(fake_server):
    request = req().model_copy(update={"max_tokens": 50, "temperature": 0.3})
    asyncio.run(lean(fake_server, http_client="litellm").complete(request))
    client = lean(fake_server)
    answer = asyncio.run(client.complete(request))
    via_litellm, via_lean = fake_server.requests
    assert via_lean == via_litellm
    assert via_lean["response_format"]["json_schema"]["schema"]["properties"]["choice"]
    assert isinstance(answer.value, Vote)
    [call] = client.drain_calls()
    assert call.backend == "openai_http" and call.attempts == 1
    assert call.prompt_tokens > 0 and call.completion_tokens > 0
    assert call.cost_usd is None  # no price table on this path: unknown, not 0


def test_structured_output_modes_shape_the_body(fake_server):
    fake_server.responder = lambda body: '{"choice": 1}'  # no schema is sent to answer from
    asyncio.run(lean(fake_server, structured_output="json_object").complete(req()))
    asyncio.run(lean(fake_server, structured_output="prompt").complete(req()))
    json_object, prompt = fake_server.requests
    assert json_object["response_format"] == {"type": "json_object"}
    assert "response_format" not in prompt


def test_garbage_is_repaired_by_a_retry(fake_server):
    fake_server.script("garbage")
    client = lean(fake_server)
    assert asyncio.run(client.complete(req())).value.choice == 1
    assert fake_server.request_count == 2
    repair = fake_server.requests[1]["messages"]
    assert repair[-2]["role"] == "assistant" and "park" in repair[-2]["content"]
    assert "could not be used" in repair[-1]["content"]


def test_persistent_garbage_becomes_a_recorded_error(fake_server):
    fake_server.script("garbage", "invalid", "garbage")
    client = lean(fake_server, max_repairs=2)
    with pytest.raises(ModelAnswerError):
        asyncio.run(client.complete(req()))
    [call] = client.drain_calls()
    assert call.error_type == "ModelAnswerError" and call.attempts == 3
    assert fake_server.request_count == 3


def test_rate_limits_server_errors_and_broken_bodies_are_retried(fake_server):
    fake_server.script("500", "badbody", "429")
    client = lean(fake_server, max_retries=3)
    assert asyncio.run(client.complete(req())).value.choice == 1
    assert fake_server.request_count == 4
    [call] = client.drain_calls()
    assert call.attempts == 4 and call.error is None


def test_rate_limit_that_never_ends_is_an_unavailable_error(fake_server):
    fake_server.script("429", "429", "429")
    client = lean(fake_server, max_retries=2)
    with pytest.raises(ModelUnavailableError, match=r"RateLimitError.*--rpm"):
        asyncio.run(client.complete(req()))
    assert fake_server.request_count == 3
    [call] = client.drain_calls()
    assert call.error_type == "ModelUnavailableError" and call.attempts == 3


def test_a_hung_request_times_out_and_is_retried(fake_server):
    fake_server.script("delay:1.5")
    client = lean(fake_server, timeout=0.3, max_retries=1)
    assert asyncio.run(client.complete(req())).value.choice == 1
    assert client.drain_calls()[0].attempts == 2
    fake_server.script("delay:1.5", "delay:1.5")
    with pytest.raises(ModelUnavailableError, match=r"Timeout.*raise --timeout"):
        asyncio.run(client.complete(req(seed=2)))


def test_refused_key_is_not_retried_and_not_echoed(fake_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-lean-123456")
    fake_server.script("401")
    client = lean(fake_server)
    with pytest.raises(ModelAuthError) as info:
        asyncio.run(client.complete(req()))
    assert "sk-secret-lean-123456" not in str(info.value)
    assert fake_server.request_count == 1 and info.value.attempts == 1


def test_unreachable_server_says_how_to_fix_it():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    client = make_client("openai/fake", api_base=f"http://127.0.0.1:{port}/v1", max_retries=1)
    with pytest.raises(ModelUnavailableError, match="is the server running") as info:
        asyncio.run(client.complete(req()))
    assert info.value.attempts == 2


def test_answers_cached_on_one_path_are_hits_on_the_other(fake_server, tmp_path):
    cache = tmp_path / "cache.sqlite"
    asyncio.run(lean(fake_server, cache_path=cache, http_client="litellm").complete(req()))
    again = lean(fake_server, cache_path=cache)
    answer = asyncio.run(again.complete(req()))
    assert fake_server.request_count == 1 and answer.value.choice == 1
    [call] = again.drain_calls()
    assert call.cache_hit and call.backend == "openai_http"
    asyncio.run(lean(fake_server, cache_path=cache).complete(req(seed=5)))
    assert fake_server.request_count == 2
    third = lean(fake_server, cache_path=cache)
    asyncio.run(third.complete(req(seed=5)))
    assert fake_server.request_count == 2 and third.drain_calls()[0].cache_hit


def test_connections_are_kept_alive_and_shared(fake_server):
    client = lean(fake_server, concurrency=4)

    async def rounds():
        for r in range(3):
            await asyncio.gather(*(client.complete(req(agent=f"a{i}", seed=r)) for i in range(8)))

    asyncio.run(rounds())
    assert fake_server.request_count == 24
    assert fake_server.connections <= 4  # 24 requests over at most `concurrency` connections


def test_a_small_world_runs_identically_on_both_paths(fake_server):
    def run(http_client):
        client = make_client("openai/fake", api_base=fake_server.base_url, http_client=http_client)
        world = World(crowd_world(6, name="paths"), client)
        try:
            records = []
            for _ in range(2):
                world.step()
                records.append(world.last_record)
        finally:
            world.close()
        return records

    via_litellm, via_lean = run("litellm"), run("lean")
    assert len(fake_server.requests) == 2 * 2 * 6
    half = len(fake_server.requests) // 2
    bodies = [json.dumps(r, sort_keys=True) for r in fake_server.requests]
    assert sorted(bodies[:half]) == sorted(bodies[half:])  # concurrent: arrival order varies
    for a, b in zip(via_litellm, via_lean, strict=True):
        assert [e.model_dump() for e in a.events] == [e.model_dump() for e in b.events]
        assert {c.backend for c in a.llm_calls} == {"litellm"}
        assert {c.backend for c in b.llm_calls} == {"openai_http"}
        fields = ("agent", "purpose", "messages", "response", "prompt_tokens", "completion_tokens")
        assert [[getattr(c, f) for f in fields] for c in a.llm_calls] == [
            [getattr(c, f) for f in fields] for c in b.llm_calls
        ]


def test_run_settings_choose_the_path(fake_server, tmp_path):
    from sandbox.runner.run import client_for

    settings = RunSettings(model="openai/fake", api_base=fake_server.base_url, out=tmp_path)
    assert client_for(settings).backend.name == "openai_http"
    pinned = settings.model_copy(update={"http_client": "litellm"})
    assert client_for(pinned).backend.name == "litellm"


def test_chunked_answers_and_connections_the_server_closed_are_handled():
    from sandbox.llm.http11 import ConnectionPool

    answer = b'{"ok": true}'
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"5\r\n"
        + answer[:5]
        + b"\r\n"
        + f"{len(answer) - 5:x}\r\n".encode()
        + answer[5:]
        + b"\r\n0\r\n\r\n"
    )

    async def serve_once(reader, writer):  # answers one request, then closes the connection
        await reader.readuntil(b"\r\n\r\n")
        writer.write(chunked)
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(serve_once, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = ConnectionPool(f"http://127.0.0.1:{port}/v1", {}, limit=2, timeout=5)
        try:
            first = await pool.post("/chat/completions", b"{}")
            await asyncio.sleep(0.05)  # the server has closed the kept connection by now
            second = await pool.post("/chat/completions", b"{}")
        finally:
            pool.close()
            server.close()
        return first, second, pool.connections_opened

    first, second, opened = asyncio.run(main())
    assert first.status == second.status == 200
    assert json.loads(first.body) == json.loads(second.body) == {"ok": True}
    assert opened == 2  # the closed connection was not reused
