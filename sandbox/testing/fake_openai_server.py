"""A small OpenAI-compatible chat-completions server for tests and benchmarks.

It binds to 127.0.0.1 only, answers ``POST /v1/chat/completions`` with JSON that fits the
``response_format`` JSON schema of the request (and ``POST /v1/embeddings`` with deterministic
32-dimensional vectors), and can be scripted to misbehave::

    with FakeOpenAIServer(latency=0.0) as server:
        server.script("garbage", "429", "valid")   # the next three requests, in order
        ... litellm with model="openai/fake", api_base=server.base_url ...
        assert server.request_count == 3

Behaviours: ``valid``; ``garbage`` (prose, not JSON); ``invalid`` (JSON of the wrong shape);
``empty`` (an empty answer); ``429`` (rate limited, ``retry-after: 0``); ``500``; ``401`` (refuses
the key and, like some real servers, echoes the key it was sent in the error message);
``hang`` (answers only after ``hang_s`` seconds, past any sensible client timeout);
``delay:<seconds>`` (then a valid answer); ``badbody`` (a 200 whose body is not JSON, as a broken
proxy might send).

``mode`` is the behaviour of every request that no script covers: one of the behaviours above, or
``mix:<seed>``, a seeded mix (half valid, the rest spread over garbage, invalid, empty, 429, 500 and
hang), drawn from a hash of the seed, the request's body and how many times that body was seen, so
it does not depend on the order concurrent requests arrive in. Embedding requests honour the
status-code behaviours (429, 500, 401, hang) and answer validly otherwise.

It stops by itself after ``max_lifetime`` seconds or ``max_requests`` requests, whichever is first.
Run as a process: ``python -m sandbox.testing.fake_openai_server --mode mix:7``.
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


BEHAVIOURS = ("valid", "garbage", "invalid", "empty", "429", "500", "401", "hang", "badbody")
MIX = ("garbage", "invalid", "empty", "429", "500", "hang")
_STATUS = {"429", "500", "401", "hang"}


def check_mode(mode: str) -> str:
    """``mode`` if it names a behaviour or a seeded mix; ValueError otherwise."""
    if mode in BEHAVIOURS or mode.startswith("delay:"):
        return mode
    if mode.startswith("mix:") and mode[4:].lstrip("-").isdigit():
        return mode
    raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(BEHAVIOURS)} or mix:<seed>")


def mixed_behaviour(seed: int, body: dict[str, Any], seen: int) -> str:
    """The seeded mix: valid half of the time, otherwise one of ``MIX``."""
    blob = json.dumps([seed, body.get("messages"), body.get("input"), seen], sort_keys=True)
    digest = hashlib.sha256(blob.encode()).digest()
    if digest[0] < 128:
        return "valid"
    return MIX[digest[1] % len(MIX)]


class FakeOpenAIServer:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        responder: Responder | None = None,
        max_lifetime: float = 300.0,
        max_requests: int = 100_000,
        mode: str = "valid",
        hang_s: float = 5.0,
    ) -> None:
        self.latency = latency
        self.responder = responder or schema_answer
        self.max_lifetime = max_lifetime
        self.max_requests = max_requests
        self.mode = check_mode(mode)
        self.hang_s = hang_s
        self.requests: list[dict[str, Any]] = []
        self.behaviours: list[str] = []  # what each request got, in arrival order
        self.keys_seen: set[str] = set()  # API keys sent in Authorization headers
        self.connections = 0  # TCP connections accepted (a keep-alive client reuses them)
        self._seen: dict[str, int] = {}
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
        assert isinstance(host, str)  # an AF_INET server
        return f"http://{host}:{port}/v1"

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def script(self, *behaviours: str) -> None:
        """Queue behaviours for the next requests (after them, requests are answered validly)."""
        with self._lock:
            self._script.extend(behaviours)

    def set_mode(self, mode: str) -> None:
        """The behaviour of unscripted requests from now on (see the module docstring)."""
        with self._lock:
            self.mode = check_mode(mode)

    def next_behaviour(self, body: dict[str, Any]) -> str:
        with self._lock:
            self.requests.append(body)
            if len(self.requests) > self.max_requests:
                behaviour = "500"
            elif self._script:
                behaviour = self._script.popleft()
            elif self.mode.startswith("mix:"):
                key = json.dumps([body.get("messages"), body.get("input")], sort_keys=True)
                seen = self._seen.get(key, 0)
                self._seen[key] = seen + 1
                behaviour = mixed_behaviour(int(self.mode[4:]), body, seen)
            else:
                behaviour = self.mode
            self.behaviours.append(behaviour)
            return behaviour

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

        def setup(self) -> None:  # once per connection, however many requests it carries
            super().setup()
            with fake._lock:
                fake.connections += 1

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

        def _status_behaviour(self, behaviour: str, key: str) -> bool:
            """Answer with an error status (or hang) when ``behaviour`` says so."""
            if behaviour == "hang":
                time.sleep(fake.hang_s)  # the client has given up by now
                self._send(504, {"error": {"message": "hung (fake)", "type": "timeout"}})
                return True
            if behaviour == "429":
                self._send(
                    429,
                    {"error": {"message": "rate limited (fake)", "type": "rate_limit_error"}},
                    {"retry-after": "0"},
                )
                return True
            if behaviour == "500":
                self._send(
                    500, {"error": {"message": "server error (fake)", "type": "server_error"}}
                )
                return True
            if behaviour == "401":
                message = f"Incorrect API key provided: {key or '(none)'}. (fake)"
                self._send(
                    401,
                    {
                        "error": {
                            "message": message,
                            "type": "invalid_request_error",
                            "code": "invalid_api_key",
                        }
                    },
                )
                return True
            return False

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
            key = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if key:
                with fake._lock:
                    fake.keys_seen.add(key)
            if self.path.rstrip("/").endswith("/embeddings"):
                behaviour = fake.next_behaviour(body)
                if self._status_behaviour(behaviour, key):
                    return
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
            if self._status_behaviour(behaviour, key):
                return
            if behaviour == "badbody":
                page = b"<html>502 upstream gone</html>"
                self._uncount()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            if behaviour == "garbage":
                content = "Sure! I think I'll go to the park, that sounds nice."
            elif behaviour == "invalid":
                content = json.dumps({"unexpected": True})
            elif behaviour == "empty":
                content = ""
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
    parser.add_argument(
        "--mode",
        default="valid",
        help=f"behaviour of every request: {', '.join(BEHAVIOURS)}, or mix:<seed>",
    )
    parser.add_argument("--hang", type=float, default=5.0, help="seconds a 'hang' lasts")
    args = parser.parse_args(argv)
    try:
        mode = check_mode(args.mode)
    except ValueError as exc:
        parser.error(str(exc))
    server = FakeOpenAIServer(
        latency=args.latency, max_lifetime=args.max_lifetime, mode=mode, hang_s=args.hang
    ).start()
    print(server.base_url, flush=True)
    server._thread.join()


if __name__ == "__main__":
    main()
