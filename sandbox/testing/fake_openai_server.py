"""A small OpenAI-compatible chat-completions server for tests and benchmarks.

It binds to 127.0.0.1 only, answers ``POST /v1/chat/completions`` with JSON that fits the
``response_format`` JSON schema of the request (and ``POST /v1/embeddings`` with deterministic
32-dimensional vectors), and can be scripted to misbehave::

    with FakeOpenAIServer(latency=0.0) as server:
        server.script("garbage", "429", "valid")   # the next three requests, in order
        ... litellm with model="openai/fake", api_base=server.base_url ...
        assert server.request_count == 3

Behaviours: ``valid``; ``garbage`` (prose, not JSON); ``invalid`` (JSON that breaks the schema);
``429`` (rate limited, ``retry-after: 0``); ``500``; ``delay:<seconds>`` (then a valid answer).
It stops by itself after ``max_lifetime`` seconds or ``max_requests`` requests, whichever is first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], str]


def instance_of(schema: dict[str, Any], defs: dict[str, Any], pick: int = 0) -> Any:
    """A value that fits ``schema`` (the subset pydantic emits), choosing enum members by ``pick``."""
    if "$ref" in schema:
        return instance_of(defs[schema["$ref"].split("/")[-1]], defs, pick)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][pick % len(schema["enum"])]
    if schema.get("default") not in (None, "", [], {}):
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return instance_of(options[0], defs, pick)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: instance_of(sub, defs, pick) for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [instance_of(schema.get("items", {}), defs, pick)] * max(
            1, schema.get("minItems", 1)
        )
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 0.5))
    if kind == "boolean":
        return True
    return "fake text"


def schema_answer(body: dict[str, Any]) -> str:
    """The default responder: a JSON instance of the requested schema (or ``{}`` without one)."""
    fmt = body.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema")
    if not schema:
        return "{}"
    digest = hashlib.sha256(json.dumps(body.get("messages"), sort_keys=True).encode()).digest()
    return json.dumps(instance_of(schema, schema.get("$defs", {}), pick=digest[0]))


def fake_embedding(text: str, dim: int = 32) -> list[float]:
    """A deterministic 32-dimensional vector per text (word-hashed, so similar texts are close)."""
    v = [0.0] * dim
    for word in text.lower().split():
        h = hashlib.sha256(word.encode()).digest()
        v[h[0] % dim] += 1.0 if h[1] % 2 else -1.0
    return v


class FakeOpenAIServer:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        responder: Responder | None = None,
        max_lifetime: float = 300.0,
        max_requests: int = 100_000,
    ) -> None:
        self.latency = latency
        self.responder = responder or schema_answer
        self.max_lifetime = max_lifetime
        self.max_requests = max_requests
        self.requests: list[dict[str, Any]] = []
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._deadline: threading.Timer | None = None
        # Chat requests being answered right now, the most at once, and (time, count) at each change.
        self.in_flight = 0
        self.peak_in_flight = 0
        self.in_flight_log: list[tuple[float, int]] = []

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def script(self, *behaviours: str) -> None:
        """Queue behaviours for the next requests (after them, requests are answered validly)."""
        with self._lock:
            self._script.extend(behaviours)

    def next_behaviour(self, body: dict[str, Any]) -> str:
        with self._lock:
            self.requests.append(body)
            if len(self.requests) > self.max_requests:
                return "500"
            return self._script.popleft() if self._script else "valid"

    def _in_flight(self, change: int) -> None:
        with self._lock:
            self.in_flight += change
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            self.in_flight_log.append((time.monotonic(), self.in_flight))

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        self._deadline = threading.Timer(self.max_lifetime, self.stop)
        self._deadline.daemon = True
        self._deadline.start()
        return self

    def stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


def _handler_for(fake: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ):
            data = json.dumps(payload).encode()
            self._uncount()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            # The client may have given up first (a timeout test): nothing left to tell it.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
            else:
                self._send(404, {"error": {"message": "not found", "type": "not_found"}})

        def do_POST(self) -> None:
            # A chat request is in flight from its arrival until its answer starts to go out (not
            # after: the client may already have sent its next request by then).
            self.counted = self.path.rstrip("/").endswith("/chat/completions")
            if self.counted:
                fake._in_flight(+1)
            try:
                self._post()
            finally:
                self._uncount()

        def _uncount(self) -> None:
            if getattr(self, "counted", False):
                self.counted = False
                fake._in_flight(-1)

        def _post(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                self._send(400, {"error": {"message": "bad JSON", "type": "invalid_request_error"}})
                return
            if self.path.rstrip("/").endswith("/embeddings"):
                fake.next_behaviour(body)
                inputs = body.get("input", [])
                inputs = [inputs] if isinstance(inputs, str) else inputs
                data = [
                    {"object": "embedding", "index": i, "embedding": fake_embedding(str(t))}
                    for i, t in enumerate(inputs)
                ]
                words = sum(len(str(t).split()) for t in inputs)
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "model": body.get("model"),
                        "usage": {"prompt_tokens": words, "total_tokens": words},
                    },
                )
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {"error": {"message": "not found", "type": "not_found"}})
                return
            behaviour = fake.next_behaviour(body)
            delay = fake.latency
            if behaviour.startswith("delay:"):
                delay += float(behaviour.split(":", 1)[1])
                behaviour = "valid"
            if delay:
                time.sleep(delay)
            if behaviour == "429":
                self._send(
                    429,
                    {"error": {"message": "rate limited (fake)", "type": "rate_limit_error"}},
                    {"retry-after": "0"},
                )
                return
            if behaviour == "500":
                self._send(
                    500, {"error": {"message": "server error (fake)", "type": "server_error"}}
                )
                return
            if behaviour == "garbage":
                content = "Sure! I think I'll go to the park, that sounds nice."
            elif behaviour == "invalid":
                content = json.dumps({"unexpected": True})
            else:
                content = fake.responder(body)
            prompt_words = sum(
                len(str(m.get("content", "")).split()) for m in body.get("messages", [])
            )
            self._send(
                200,
                {
                    "id": f"chatcmpl-fake-{fake.request_count}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": prompt_words,
                        "completion_tokens": len(content.split()),
                        "total_tokens": prompt_words + len(content.split()),
                    },
                },
            )

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Run the fake server in its own process: prints its base URL, then serves until killed."""
    import argparse

    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible server on 127.0.0.1.")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--max-lifetime", type=float, default=900.0, help="stop after this long")
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(latency=args.latency, max_lifetime=args.max_lifetime).start()
    print(server.base_url, flush=True)
    server._thread.join()


if __name__ == "__main__":
    main()
