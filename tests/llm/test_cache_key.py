"""The response cache key covers everything that can change an answer, the server included."""

import asyncio

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.runner.replay import areplay
from sandbox.testing.fake_openai_server import FakeOpenAIServer
from tests.conftest import CAFE
from tests.llm.test_client import req


def test_the_key_changes_with_everything_that_changes_an_answer():
    base = req()
    key = base.cache_key("openai/fake")
    assert key == base.cache_key("openai/fake", None)  # no server: the key earlier versions made
    others = {
        base.cache_key("openai/other"),
        base.cache_key("openai/fake", "http://127.0.0.1:1/v1"),
        base.cache_key("openai/fake", "http://127.0.0.1:2/v1"),
        base.model_copy(update={"temperature": 0.1}).cache_key("openai/fake"),
        base.model_copy(update={"max_tokens": 5}).cache_key("openai/fake"),
        base.model_copy(update={"seed": base.seed + 1}).cache_key("openai/fake"),
    }
    assert key not in others and len(others) == 6
    slash = base.cache_key("openai/fake", "http://127.0.0.1:1/v1/")
    assert slash == base.cache_key("openai/fake", "http://127.0.0.1:1/v1")


def test_the_key_is_the_one_earlier_versions_computed():
    """Keys are built from parts for speed; they must stay byte-for-byte what they were, or every
    cached answer and recorded run would miss."""
    r = req(content='caf\u00e9 "x"\n y').model_copy(update={"max_tokens": 7})
    assert r.cache_key("openai/fake") == (
        "354577968d262bf10cd39f3425e502ff61e31ecb50fa6408afff8f5a6b988b86"
    )
    assert r.cache_key("openai/fake", "http://127.0.0.1:1/v1/") == (
        "480dadd43433c5ecb6e3dc6add1628f3c3a9d7e2b16c67c62c547e3a8874a238"
    )


@pytest.mark.network
def test_the_same_model_id_at_another_server_is_asked(tmp_path):
    runs = tmp_path / "runs"
    args = ["run", str(CAFE), "--ticks", "1", "--model", "openai/fake", "--out", str(runs)]
    with (
        FakeOpenAIServer(max_lifetime=120) as first,
        FakeOpenAIServer(max_lifetime=120) as second,
    ):
        for server in (first, second, first):
            result = CliRunner().invoke(app, [*args, "--api-base", server.base_url, "--no-feed"])
            assert result.exit_code == 0, result.output
        calls = 6  # one tick: one decision per agent
        assert second.request_count == calls  # not answered from the first server's cache
        assert first.request_count == calls  # its third run was answered from the cache
    run_dirs = sorted(p for p in runs.iterdir() if p.is_dir())
    assert len(run_dirs) == 3
    # the second server's run replays from its own record, keyed by its server
    report = asyncio.run(areplay(run_dirs[1], out=tmp_path / "replays"))
    assert report.identical and report.backend_calls == 0


def test_a_call_stores_its_messages_as_the_store_would_serialise_them():
    """The client hands the store the JSON its cache key was made from (no second serialisation),
    only where that is byte-for-byte what the store would write."""
    import json

    from sandbox.llm.client import ModelClient
    from tests.llm.test_client import ScriptedBackend

    client = ModelClient(ScriptedBackend())
    for content in ('plain "quoted"\n text', "caf\u00e9", "tab\there \\u not an escape"):
        request = req(content=content)
        asyncio.run(client.complete(request))
        [call] = client.drain_calls()
        expected = json.dumps(
            call.messages, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        assert call.messages_text() == expected
        assert json.loads(call.messages_text()) == [{"role": "user", "content": content}]


def test_a_record_equals_its_copy_whether_or_not_its_stored_text_was_made():
    from sandbox.llm.client import ModelClient
    from tests.llm.test_client import ScriptedBackend

    client = ModelClient(ScriptedBackend())
    asyncio.run(client.complete(req()))
    [call] = client.drain_calls()
    again = type(call).model_validate(call.model_dump())
    assert call == again and call.messages_text() == again.messages_text()
