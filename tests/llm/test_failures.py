"""Failures of the model layer: every HTTP request counted, keys never stored, auth fails at once,
embeddings behind the same retries and limits, the rate limiter actually limits."""

import asyncio
import os
import time

import numpy as np
import pytest

from sandbox.agents.embeddings import make_embedder
from sandbox.errors import ModelAnswerError, ModelAuthError, ModelUnavailableError
from sandbox.llm.factory import make_client
from sandbox.llm.litellm_backend import LiteLLMBackend
from sandbox.llm.ratelimit import RateLimiter
from sandbox.llm.redact import REDACTED, redact
from sandbox.testing.fake_openai_server import (
    FakeOpenAIServer,
    check_mode,
    mixed_behaviour,
)
from tests.llm.test_client import req

SECRET = "sk-test-0123456789abcdefSECRET"


class CountingLimiter(RateLimiter):
    """A RateLimiter that counts how often it was asked (subclass, not a patch)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.acquired = 0

    async def acquire(self) -> None:
        self.acquired += 1
        await super().acquire()


def client_for(server, **kw):
    kw.setdefault("max_retries", 2)
    return make_client("openai/fake", api_base=server.base_url, **kw)


# --- redaction ---------------------------------------------------------------------------------


def test_redact_removes_key_shapes_and_named_secrets():
    text = (
        f"Incorrect API key provided: {SECRET}. Authorization: Bearer abc.def-ghi123 "
        'api_key="hunter2hunter2" token sk-proj-AbCdEf123456_xyz'
    )
    out = redact(text)
    assert SECRET not in out and "abc.def-ghi123" not in out and "hunter2hunter2" not in out
    assert "sk-proj-AbCdEf123456_xyz" not in out and out.count(REDACTED) >= 4
    assert redact("plain words about risk-averse tasks") == "plain words about risk-averse tasks"
    assert redact("my key is opaque-value-42", extra=["opaque-value-42"]) == f"my key is {REDACTED}"
    assert redact(None) is None


def test_redact_removes_values_of_secret_environment_variables():
    name = "SANDBOX_TEST_REDACT_TOKEN"
    os.environ[name] = "zz-not-shaped-like-a-key-77"
    try:
        assert redact("echo zz-not-shaped-like-a-key-77 back") == f"echo {REDACTED} back"
    finally:
        del os.environ[name]


# --- fake server modes -------------------------------------------------------------------------


def test_mode_names_are_checked_and_the_mix_is_seeded():
    assert check_mode("mix:7") == "mix:7" and check_mode("hang") == "hang"
    with pytest.raises(ValueError, match="unknown mode"):
        check_mode("sometimes")
    bodies = [{"messages": [{"role": "user", "content": str(i)}]} for i in range(200)]
    first = [mixed_behaviour(7, b, 0) for b in bodies]
    assert first == [mixed_behaviour(7, b, 0) for b in bodies]  # same seed, same draws
    assert first != [mixed_behaviour(8, b, 0) for b in bodies]
    assert 70 < first.count("valid") < 130 and {"garbage", "500", "hang"} <= set(first)


# --- attempts count every HTTP request ---------------------------------------------------------

pytestmark_network = pytest.mark.network


@pytest.mark.network
def test_transport_retries_are_counted_in_attempts(fake_server):
    fake_server.script("429", "500", "garbage", "429")
    client = client_for(fake_server, max_retries=3)
    assert asyncio.run(client.complete(req())).value.choice == 1
    [call] = client.drain_calls()
    # 429, 500, garbage (answered, repaired), 429, valid: five requests the server saw
    assert call.attempts == fake_server.request_count == 5


@pytest.mark.network
def test_a_call_that_gives_up_counts_its_requests(fake_server):
    fake_server.set_mode("500")
    client = client_for(fake_server, max_retries=2)
    with pytest.raises(ModelUnavailableError):
        asyncio.run(client.complete(req()))
    [call] = client.drain_calls()
    assert call.attempts == fake_server.request_count == 3
    assert call.error_type == "ModelUnavailableError"


@pytest.mark.network
def test_empty_answers_are_repaired_then_a_typed_error(fake_server):
    fake_server.set_mode("empty")
    client = client_for(fake_server, max_repairs=1)
    with pytest.raises(ModelAnswerError, match="empty"):
        asyncio.run(client.complete(req()))
    [call] = client.drain_calls()
    assert call.attempts == fake_server.request_count == 2


@pytest.mark.network
def test_a_hanging_server_times_out_and_is_counted():
    with FakeOpenAIServer(mode="hang", hang_s=1.0, max_lifetime=30) as server:
        client = client_for(server, timeout=0.2, max_retries=1)
        with pytest.raises(ModelUnavailableError, match="Timeout"):
            asyncio.run(client.complete(req()))
        [call] = client.drain_calls()
        assert call.attempts == server.request_count == 2


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.network
def test_a_refused_key_fails_at_once_and_is_never_stored(fake_server):
    fake_server.set_mode("401")
    backend = LiteLLMBackend(
        "openai/fake", api_base=fake_server.base_url, api_key=SECRET, max_retries=4
    )
    from sandbox.llm.client import ModelClient

    client = ModelClient(backend)
    started = time.perf_counter()
    with pytest.raises(ModelAuthError) as info:
        asyncio.run(client.complete(req()))
    assert time.perf_counter() - started < 5
    assert fake_server.request_count == 1  # no retries
    assert SECRET in fake_server.keys_seen  # the server did echo it back...
    assert "set OPENAI_API_KEY (or the provider's variable)" in str(info.value)
    [call] = client.drain_calls()
    for text in (str(info.value), call.error):  # ...and it is in no message we keep
        assert SECRET not in text and REDACTED in text
    assert call.error_type == "ModelAuthError" and call.attempts == 1


def test_a_missing_key_fails_before_any_request():
    if os.environ.get("ANTHROPIC_API_KEY"):
        pytest.skip("ANTHROPIC_API_KEY is set here")
    client = make_client("anthropic/claude-3-5-haiku-latest", max_retries=4)
    started = time.perf_counter()
    with pytest.raises(ModelAuthError, match=r"set OPENAI_API_KEY \(or the provider's variable\)"):
        asyncio.run(client.complete(req()))
    assert time.perf_counter() - started < 2
    [call] = client.drain_calls()
    assert call.attempts == 0 and "ANTHROPIC_API_KEY" in call.error


# --- embeddings through the same stack ---------------------------------------------------------


@pytest.mark.network
def test_embeddings_are_retried_limited_and_recorded(fake_server):
    limiter = CountingLimiter()
    client = make_client("heuristic")
    client.rate_limiter = limiter
    embedder = make_embedder("litellm:openai/fake-embed", client, api_base=fake_server.base_url)
    fake_server.script("429", "500")
    vectors = asyncio.run(embedder.embed(["a party", "exams"]))
    assert vectors.shape == (2, 32) and limiter.acquired == 1
    [call] = client.drain_calls()
    assert call.purpose == "memory.embed" and call.attempts == fake_server.request_count == 3
    assert call.prompt_tokens > 0 and call.error is None


@pytest.mark.network
def test_an_embedding_failure_is_a_recorded_typed_error(fake_server):
    fake_server.set_mode("500")
    client = make_client("heuristic", max_retries=1)
    embedder = make_embedder("litellm:openai/fake-embed", client, api_base=fake_server.base_url)
    embedder._embedding_backend().max_retries = 1
    with pytest.raises(ModelUnavailableError):
        asyncio.run(embedder.embed(["x"]))
    [call] = client.drain_calls()
    assert call.error_type == "ModelUnavailableError" and call.attempts == 2
    assert np.isfinite(call.latency_s)


# --- the rate limiter's limiting branch --------------------------------------------------------


def test_the_rate_limiter_makes_requests_wait_for_tokens():
    limiter = RateLimiter(per_minute=1200, burst=1)  # one token now, then one every 50 ms

    async def take(n: int) -> float:
        started = time.monotonic()
        for _ in range(n):
            await limiter.acquire()
        return time.monotonic() - started

    assert asyncio.run(take(1)) < 0.03  # the burst is free
    waited = asyncio.run(take(4))  # four more tokens at 20 a second: about 0.2 s
    assert 0.18 <= waited < 1.0


def test_the_rate_limiter_holds_concurrent_callers_to_the_rate():
    limiter = RateLimiter(per_minute=600, burst=2)  # 10 a second after a burst of 2

    async def many() -> list[float]:
        started = time.monotonic()

        async def one() -> float:
            await limiter.acquire()
            return time.monotonic() - started

        return sorted(await asyncio.gather(*(one() for _ in range(5))))

    times = asyncio.run(many())
    assert times[1] < 0.05 and times[-1] >= 0.28  # 2 at once, 3 more at 0.1 s intervals
