"""Sharding a batch of model requests over worker processes (``--decide-workers N``).

A tick's decide layer is one batch of independent requests (``gather_outcomes``). With the
offline heuristic backend the work is all CPU on one event loop: the cache key, the policy's answer,
parsing and validating it. A ``ShardPool`` spreads such a batch over ``N`` workers, each holding a
``ModelClient`` built once, when the pool starts, from the same backend, response cache, answer
sources (a recorded run, for replay) and repair budget as the client it serves:

- the batch is cut, in issue order, into blocks of ``BLOCK`` requests handed to the workers round
  robin as soon as each is cut: when the requests are rendered as they are taken (the decide
  rules pass an iterator), the workers answer the first blocks while the main process renders
  the rest; each worker answers its blocks in order with ``ModelClient.complete`` (same cache
  lookups, validation, repair loop and typed errors);
- what comes back per request is the value, and the call record's fields that the main process
  does not already have (cache key, hit, tokens, attempts, answer text, error, latency); the
  messages are never shipped back;
- the main process numbers the calls (``seq``) in issue order as it cuts them and builds
  every ``LLMCallRecord`` itself, so the records equal the unsharded run's but for latency, and an
  error comes back as the same typed error (``ModelAnswerError`` stays an answer error).

The tick barrier is unchanged: the batch returns once every shard has answered. A worker that dies
fails the tick with a ``ShardError`` (one line, naming the worker and its exit code); the world
then restores its last committed state, so nothing committed is lost.

``ProcessShards`` is a local pool (``multiprocessing``, ``forkserver``, one socket pair per
worker); ``RayShards`` (in
``shards_ray``) holds the shards in Ray actors. Only backends that can be rebuilt in another
process are sharded: the heuristic backend (its policy table goes with it, and again whenever
a purpose is registered later) and replay. A model server's calls are network-bound and already
concurrent on one event loop: ``--concurrency`` is their knob, not workers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import itertools
import logging
import pickle
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from sandbox.collector import collector_paused
from sandbox.errors import ConfigError, ShardError
from sandbox.llm.cache import RecordedCalls, ResponseCache
from sandbox.llm.request import LLMRequest, Message
from sandbox.store.records import LLMCallRecord

if TYPE_CHECKING:
    from sandbox.llm.client import Answer, ModelClient

log = logging.getLogger(__name__)

PROTOCOL = pickle.HIGHEST_PROTOCOL
SHARDABLE_BACKENDS = ("heuristic", "replay")
PRELOAD = (
    "sandbox.llm.shards",
    "sandbox.world.policies",
    "sandbox.agents.actions",
)  # imported once by the forkserver
MIN_BATCH_PER_WORKER = 8
BLOCK = 128  # requests per message to a worker: small enough to start work early
START_TIMEOUT_S = 120.0  # a worker not ready by then is reported as not started
READY = b"ready"  # a smaller batch (a narrator's call, a judge's) is answered in place


@dataclass(frozen=True)
class ClientSpec:
    """What a worker needs to build the same ``ModelClient``: picklable, sent once per worker."""

    backend: Any
    cache: tuple[str, bool] | None  # (path, readonly)
    sources: tuple[Any, ...]  # ("cache", path, readonly) or a RecordedCalls (its answers)
    max_repairs: int
    concurrency: int

    @classmethod
    def of(cls, client: ModelClient) -> ClientSpec:
        name = client.backend.name
        if name not in SHARDABLE_BACKENDS:
            raise ConfigError(
                f"--decide-workers shards the CPU work of the offline backends (heuristic, "
                f"replay), not {name!r}: a model server's calls are network-bound; raise "
                "--concurrency instead, or run without --decide-workers"
            )
        if client.rate_limiter.per_minute is not None or client.permits is not None:
            raise ConfigError(
                "--decide-workers cannot share a rate limit (--rpm) or a sweep's permits with "
                "its workers; drop --rpm or run without --decide-workers"
            )
        sources: list[Any] = []
        for source in client.answer_sources:
            if isinstance(source, ResponseCache):
                sources.append(("cache", str(source.path), source.readonly))
            elif isinstance(source, RecordedCalls):
                sources.append(source)
            else:
                raise ConfigError(
                    f"--decide-workers cannot send the answer source {type(source).__name__} to "
                    "its workers; run without --decide-workers"
                )
        cache = client.cache
        return cls(
            backend=client.backend,
            cache=(str(cache.path), cache.readonly) if cache is not None else None,
            sources=tuple(sources),
            max_repairs=client.max_repairs,
            concurrency=client.concurrency,
        )

    def build(self) -> ModelClient:
        from sandbox.llm.client import ModelClient

        sources = [
            ResponseCache(s[1], readonly=s[2]) if isinstance(s, tuple) else s for s in self.sources
        ]
        cache = ResponseCache(self.cache[0], readonly=self.cache[1]) if self.cache else None
        return ModelClient(
            self.backend,
            cache=cache,
            answer_sources=sources,
            concurrency=self.concurrency,
            max_repairs=self.max_repairs,
        )


def dumps_spec(spec: ClientSpec) -> bytes:
    try:
        return pickle.dumps(spec, protocol=PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise ConfigError(
            f"--decide-workers cannot send the model client to its workers ({exc}); an offline "
            "policy must be a module-level function, not a lambda or closure"
        ) from None


# --- requests and answers on the wire: plain tuples --------------------------------------------
def encode_request(r: LLMRequest) -> tuple:
    return (
        r.purpose,
        tuple((m.role, m.content) for m in r.messages),
        r.response_model,
        r.agent,
        r.tick,
        r.temperature,
        r.seed,
        r.max_tokens,
        r.facts,
        r.template,
    )


def decode_request(item: tuple) -> LLMRequest:
    purpose, messages, model, agent, tick, temperature, seed, max_tokens, facts, template = item
    return LLMRequest.model_construct(
        purpose=purpose,
        messages=tuple(Message.model_construct(role=role, content=c) for role, c in messages),
        response_model=model,
        agent=agent,
        tick=tick,
        temperature=temperature,
        seed=seed,
        max_tokens=max_tokens,
        facts=facts,
        template=template,
    )


_RECORD_FIELDS = (
    "cache_key",
    "cache_hit",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "latency_s",
    "attempts",
    "error_type",
    "error",
    "response",
)


def _encode_error(exc: BaseException) -> tuple:
    return (type(exc), exc.args, dict(vars(exc)))


def _decode_error(cls: type[BaseException], args: tuple, attrs: dict) -> BaseException:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(attrs)
    return exc


async def answer_chunk(client: ModelClient, items: list[tuple]) -> list[tuple]:
    """Worker side: answer each request with ``client.complete``; per request, (record fields,
    value or None, error or None), in the chunk's order."""
    requests = [decode_request(item) for item in items]
    results = await asyncio.gather(*(client.complete(r) for r in requests), return_exceptions=True)
    records = client.drain_calls()  # numbered in this chunk's issue order
    if len(records) != len(results):
        raise ShardError(
            f"a decide worker made {len(records)} call records for {len(results)} requests"
        )
    out: list[tuple[Any, ...]] = []
    for result, record in zip(results, records, strict=True):
        fields = tuple(getattr(record, f) for f in _RECORD_FIELDS)
        if isinstance(result, BaseException):
            out.append((fields, None, _encode_error(result)))
        else:
            out.append((fields, result.value, None))
    return out


class Shard:
    """Worker-side state: the client, its event loop, and the policy table it was sent."""

    def __init__(self, spec_bytes: bytes) -> None:
        self.client = pickle.loads(spec_bytes).build()
        self.loop = asyncio.new_event_loop()

    def handle(self, payload: bytes) -> bytes:
        # The collector paused, as in the main process's tick (sandbox.collector): a chunk
        # allocates hundreds of thousands of short-lived objects, and without the pause its
        # passes took about half of the worker's time.
        with collector_paused():
            return self._handle(payload)

    def _handle(self, payload: bytes) -> bytes:
        cpu = time.process_time()
        policies, items = pickle.loads(payload)
        if policies:
            self.client.backend.registry.register(policies)
        try:
            # A context of its own: no call collector of the caller's (a Ray actor or a test may
            # share a thread's context) catches these records; they go back with the answers.
            out = contextvars.Context().run(
                self.loop.run_until_complete, answer_chunk(self.client, items)
            )
        except BaseException as exc:  # the worker stays up; the main process raises it
            return pickle.dumps(("error", _encode_error(exc), 0.0), protocol=PROTOCOL)
        # the worker's CPU seconds for this chunk, replies' pickling aside (bench/big_world.py)
        return pickle.dumps(("ok", out, time.process_time() - cpu), protocol=PROTOCOL)


class Batch:
    """One batch in flight: blocks handed to workers as they are cut, replies in block order."""

    def submit(self, worker: int, payload: bytes) -> None:
        raise NotImplementedError

    async def finish(self) -> list[bytes]:
        """The replies of every block submitted, in submission order."""
        raise NotImplementedError

    def abort(self) -> None:
        """Stop submitting (the requests could not all be issued); the workers finish what they
        got, and their replies are read and dropped, so the next batch starts clean."""


class ShardPool:
    """The main side, common to the local pool and Ray: cut, send, rebuild (module docstring)."""

    kind = "shards"

    def __init__(self, client: ModelClient, workers: int) -> None:
        if workers < 1:
            raise ConfigError(f"--decide-workers must be at least 1, not {workers}")
        self.workers = workers
        self.spec = ClientSpec.of(client)
        self.spec_bytes = dumps_spec(self.spec)
        # the purposes each worker's policy table has (all of them since its spec was sent)
        self._sent_purposes: list[tuple[str, ...]] = [self._purposes()] * workers
        self.closed = False
        # per batch: seconds issuing (rendering included when requests are rendered as they
        # are taken), waiting for the last replies, rebuilding answers and records; and each
        # worker's CPU seconds (bench/big_world.py)
        self.timings: list[tuple[float, float, float, list[float]]] = []

    @property
    def min_batch(self) -> int:
        return self.workers * MIN_BATCH_PER_WORKER

    def _registry(self) -> Any:
        return getattr(self.spec.backend, "registry", None)

    def _purposes(self) -> tuple[str, ...]:
        registry = self._registry()
        return tuple(registry.purposes()) if registry is not None else ()

    def _policy_table(self) -> dict[str, Any]:
        """The heuristic backend's policy table (sent to a worker with its first block after a
        purpose was registered: a scenario loaded after the pool started)."""
        registry = self._registry()
        return {p: registry.get(p) for p in registry.purposes()}

    async def complete_all(
        self, client: ModelClient, requests: Iterable[LLMRequest]
    ) -> list[Answer[Any] | BaseException]:
        """Answer ``requests`` (a list, or an iterable that renders them as it goes: blocks are
        sent while later requests are still being rendered) on the workers."""
        from sandbox.llm.client import Answer

        if self.closed:
            raise ShardError("the decide workers were closed; this run can make no more calls")
        pending = iter(requests)
        head = list(itertools.islice(pending, self.min_batch))
        if len(head) < self.min_batch:  # too few to be worth the trip: answered in place
            return await client.complete_each(head)
        started = time.perf_counter()
        call_log = client._log()
        batch = self._begin(head[0].tick)
        purposes = self._purposes()
        issued: list[LLMRequest] = []
        seqs: list[int] = []
        starts: list[int] = []
        block: list[tuple] = []
        try:
            # Everything up to the last block's hand-over runs without an await, so the calls
            # are numbered in issue order (as ``complete`` numbers them) with nothing between.
            for request in itertools.chain(head, pending):
                seqs.append(call_log.next_seq())
                issued.append(request)
                block.append(encode_request(request))
                if len(block) == BLOCK:
                    self._send(batch, starts, block, len(issued), purposes)
                    block = []
            if block:
                self._send(batch, starts, block, len(issued), purposes)
        except BaseException:
            batch.abort()
            raise
        sent = time.perf_counter()
        replies = await batch.finish()
        received = time.perf_counter()
        results: list[Answer[Any] | BaseException] = []
        worker_cpu = [0.0] * self.workers
        for k, (a, reply) in enumerate(zip(starts, replies, strict=True)):
            status, body, cpu = pickle.loads(reply)
            worker_cpu[k % self.workers] += cpu
            if status == "error":
                raise _decode_error(*body)
            for i, (fields, value, error) in enumerate(body, start=a):
                request = issued[i]
                record = LLMCallRecord(
                    tick=request.tick,
                    seq=seqs[i],
                    agent=request.agent,
                    purpose=request.purpose,
                    model=client.model_id,
                    backend=client.backend.name,
                    template=request.template,
                    messages=[m.model_dump() for m in request.messages],
                    **dict(zip(_RECORD_FIELDS, fields, strict=True)),
                )
                call_log.add(record)
                if error is not None:
                    results.append(_decode_error(*error))
                else:
                    results.append(Answer(value=value, raw=record.response or "", call=record))
        done = time.perf_counter()
        self.timings.append((sent - started, received - sent, done - received, worker_cpu))
        return results

    def _send(
        self,
        batch: Batch,
        starts: list[int],
        block: list[tuple],
        issued: int,
        purposes: tuple[str, ...],
    ) -> None:
        """Hand block number ``len(starts)`` to worker ``len(starts) % workers`` (round robin,
        so each worker's blocks are in issue order), with the policy table if it lacks it."""
        k = len(starts)
        worker = k % self.workers
        update = None
        if self._sent_purposes[worker] != purposes:
            update = self._policy_table()
            self._sent_purposes[worker] = purposes
        try:
            payload = pickle.dumps((update, block), protocol=PROTOCOL)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise ConfigError(
                f"--decide-workers cannot send a request to its workers ({exc}); an offline "
                "policy or answer type must be defined at module level"
            ) from None
        starts.append(issued - len(block))
        batch.submit(worker, payload)

    def _begin(self, tick: int | None) -> Batch:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True


class ProcessShards(ShardPool):
    """``workers`` local processes (forked by the forkserver), started with the pool and kept
    for the run."""

    kind = "process"

    def __init__(self, client: ModelClient, workers: int) -> None:
        super().__init__(client, workers)
        import multiprocessing

        # forkserver: one clean server process (started once per main process, importing this
        # module and the engine's policies) forks every worker, so a pool starts in well under a
        # second and a worker inherits no thread or lock of the main process.
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        self._conns: list[Channel] = []
        self._procs: list[Any] = []
        for i in range(workers):
            mine, theirs = socket.socketpair()
            proc = ctx.Process(
                target=serve, args=(theirs, self.spec_bytes), name=f"decide-{i}", daemon=True
            )
            proc.start()
            theirs.close()
            self._conns.append(Channel(mine))
            self._procs.append(proc)
        # Wait until every worker has built its client: start-up (about a second on a busy
        # machine) is paid here, while the run is being set up, not inside the first tick, and a
        # worker that cannot start says so now.
        for i, conn in enumerate(self._conns):
            try:
                ready = conn.poll(START_TIMEOUT_S) and conn.recv_bytes() == READY
            except (EOFError, OSError):
                ready = False
            if not ready:
                proc = self._procs[i]
                self.close()
                raise ShardError(
                    f"decide worker {i} (pid {proc.pid}) did not start (exit code "
                    f"{proc.exitcode}); run without --decide-workers, or see its error above"
                )

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs]

    def _died(self, i: int, tick: int | None) -> NoReturn:
        proc = self._procs[i]
        proc.join(timeout=5)
        self.closed = True
        raise ShardError(
            f"decide worker {i} (pid {proc.pid}) died (exit code {proc.exitcode}) while "
            f"answering tick {tick}'s requests; that tick was not committed, the ones before "
            "it are intact: resume the run (sandbox run --resume RUN)"
        )

    def _begin(self, tick: int | None) -> Batch:
        return _ProcessBatch(self, tick)

    def close(self) -> None:
        if not self._procs:
            return
        super().close()
        for conn in self._conns:
            with contextlib.suppress(OSError):  # a worker that is gone already
                conn.send_bytes(b"")
            conn.close()
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
        self._procs, self._conns = [], []


class _ProcessBatch(Batch):
    """Blocks are written to the workers' sockets without waiting while the main process renders,
    and replies read as they come, all on the main thread (a thread per worker, handing the GIL
    back and forth with the rendering thread, stalled it on a busy machine); ``finish`` waits for
    the rest."""

    def __init__(self, pool: ProcessShards, tick: int | None) -> None:
        self.pool, self.tick = pool, tick
        w = pool.workers
        self.socks = [c.sock for c in pool._conns]
        self.outgoing: list[collections.deque[memoryview]] = [collections.deque() for _ in range(w)]
        self.incoming = [bytearray() for _ in range(w)]
        self.replies: list[list[bytes]] = [[] for _ in range(w)]
        self.expected = [0] * w
        self.blocks = 0

    def submit(self, worker: int, payload: bytes) -> None:
        self.outgoing[worker].append(memoryview(len(payload).to_bytes(8, "little")))
        self.outgoing[worker].append(memoryview(payload))
        self.expected[worker] += 1
        self.blocks += 1
        self._pump()

    def _pump(self) -> None:
        """Send what the sockets take and read what has arrived, without waiting."""
        for i, sock in enumerate(self.socks):
            out = self.outgoing[i]
            try:
                while out:
                    n = sock.send(out[0], socket.MSG_DONTWAIT)
                    if n < len(out[0]):
                        out[0] = out[0][n:]
                        break
                    out.popleft()
            except BlockingIOError:
                pass  # the socket is full: the rest goes at the next pump
            except OSError:
                self.pool._died(i, self.tick)
            self._read(i)

    def _read(self, i: int) -> None:
        buf = self.incoming[i]
        while len(self.replies[i]) < self.expected[i]:
            try:
                data = self.socks[i].recv(1 << 20, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return  # nothing more yet
            except OSError:
                self.pool._died(i, self.tick)
            if not data:
                self.pool._died(i, self.tick)
            buf += data
            while len(buf) >= 8:
                n = int.from_bytes(buf[:8], "little")
                if len(buf) < 8 + n:
                    break
                self.replies[i].append(bytes(buf[8 : 8 + n]))
                del buf[: 8 + n]

    def _pending(self) -> list[int]:
        return [i for i in range(len(self.socks)) if len(self.replies[i]) < self.expected[i]]

    def _wait(self) -> None:
        import select

        while pending := self._pending():
            readable = [self.socks[i] for i in pending]
            writable = [s for i, s in enumerate(self.socks) if self.outgoing[i]]
            select.select(readable, writable, [], 1.0)
            self._pump()

    async def finish(self) -> list[bytes]:
        await asyncio.to_thread(self._wait)
        w = self.pool.workers
        return [self.replies[k % w][k // w] for k in range(self.blocks)]

    def abort(self) -> None:
        try:
            self._wait()  # read and drop the replies to what was sent: the next batch starts clean
        except ShardError as exc:
            log.warning("while abandoning a batch: %s", exc)


class Channel:
    """Length-prefixed messages over a socket (8-byte little-endian length, then the bytes): the
    worker's side, and the main side's start and stop; a batch's blocks and replies go through
    ``_ProcessBatch`` on the same sockets, without waiting."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(len(data).to_bytes(8, "little"))
        if data:
            self.sock.sendall(data)

    def _read(self, n: int) -> bytearray:
        buf = bytearray(n)
        view, got = memoryview(buf), 0
        while got < n:
            k = self.sock.recv_into(view[got:], n - got, socket.MSG_WAITALL)
            if k == 0:
                raise EOFError("the other end closed the channel")
            got += k
        return buf

    def recv_bytes(self) -> bytes:
        return bytes(self._read(int.from_bytes(self._read(8), "little")))

    def poll(self, timeout: float) -> bool:
        import select

        return bool(select.select([self.sock], [], [], timeout)[0])

    def close(self) -> None:
        self.sock.close()


def serve(sock: socket.socket, spec_bytes: bytes) -> None:
    """A worker process: build the client once, then answer chunks until told to stop."""
    conn = Channel(sock)
    shard = Shard(spec_bytes)
    conn.send_bytes(READY)
    while True:
        try:
            payload = conn.recv_bytes()
        except EOFError:
            return  # the main process is gone
        if not payload:
            return
        conn.send_bytes(shard.handle(payload))


def start_shards(client: ModelClient, workers: int, pool: str = "process") -> ShardPool:
    """A pool of ``workers`` shards for ``client`` (``pool``: ``process`` or ``ray``), set as
    its ``shards``; close it with ``client.close_shards()``."""
    if pool == "process":
        shards: ShardPool = ProcessShards(client, workers)
    elif pool == "ray":
        from sandbox.llm.shards_ray import RayShards

        shards = RayShards(client, workers)
    else:
        raise ConfigError(f"unknown decide pool {pool!r}: use process or ray")
    client.shards = shards
    return shards
