"""ModelClient: the single door to language models for every call site.

Around a backend it adds, in this order: the response cache (and any read-only answer sources, such
as a recorded run for replay), a concurrency limit, a rate limit, validation of the answer against
the request's schema with a bounded repair loop, and a usage record for every call. A permit source
(``sandbox.llm.permits``) may add a limit shared with other processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from pydantic import BaseModel

from sandbox import defaults
from sandbox.errors import CacheMissError, ModelAnswerError, ModelError, ModelUnavailableError
from sandbox.llm.backend import Backend, EmbeddingBackend
from sandbox.llm.cache import AnswerSource, CachedAnswer, RecordedCalls, ResponseCache
from sandbox.llm.calls import CallLog, open_call_log
from sandbox.llm.permits import PermitSource, held
from sandbox.llm.ratelimit import RateLimiter
from sandbox.llm.redact import redact
from sandbox.llm.request import LLMRequest
from sandbox.llm.structured import AnswerInvalid, parse_answer, repair_messages
from sandbox.store.records import LLMCallRecord

if TYPE_CHECKING:
    from sandbox.llm.shards import ShardPool

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Answer(Generic[T]):
    """A validated answer, the text it was parsed from, and the call's record."""

    value: T
    raw: str
    call: LLMCallRecord


class ModelClient:
    def __init__(
        self,
        backend: Backend,
        *,
        cache: ResponseCache | None = None,
        answer_sources: Sequence[AnswerSource] = (),
        concurrency: int = defaults.CONCURRENCY,
        rate_limiter: RateLimiter | None = None,
        max_repairs: int = defaults.MAX_REPAIRS,
        permits: PermitSource | None = None,
        call_log: CallLog | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.backend = backend
        self.cache = cache
        self.answer_sources = tuple(answer_sources)
        self.concurrency = concurrency
        self.rate_limiter = rate_limiter or RateLimiter(None)
        self.max_repairs = max_repairs
        self.permits = permits  # a limit shared with other processes (a sweep's), if any
        self.call_log = call_log or CallLog()  # calls made where no collector is open
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._semaphores = weakref.WeakKeyDictionary()
        self.shards: ShardPool | None = None  # decide workers (``sandbox.llm.shards``), if any

    @property
    def model_id(self) -> str:
        return self.backend.model_id

    @property
    def api_base(self) -> str | None:
        """The server the backend sends requests to, when not the provider's own (part of the
        cache key: the same model id at another server may answer differently)."""
        return getattr(self.backend, "api_base", None)

    def _log(self) -> CallLog:
        """Where this call's record goes: the collector open in this task (``collect_calls``: a
        tick's, an interview's), else the client's own log."""
        return open_call_log() or self.call_log

    def record_external(self, record: LLMCallRecord) -> None:
        """Log a call made outside ``complete`` (an embedding request), in issue order."""
        log = self._log()
        record.seq = log.next_seq()
        log.add(record)

    def drain_calls(self) -> list[LLMCallRecord]:
        """Hand over the records of calls made outside any ``collect_calls`` block since the last
        drain, in the order requests were made (a script or test that calls a client directly)."""
        log = self.call_log
        calls, log.seq = log.take(), 0
        return calls

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self.concurrency)
        return sem

    def _lookup(self, key: str, request: LLMRequest) -> CachedAnswer | None:
        """The shared cache and answer sources by ``key``; a run's own record (replay) also by
        the key of versions that left the server out, so their runs replay (that key is made
        only when such a lookup misses)."""
        legacy_key: str | None = None
        # An uncached backend (the heuristic) never stores answers there: no lookup either.
        cache = self.cache if self.backend.cacheable else None
        for source in (cache, *self.answer_sources):
            if source is None:
                continue
            hit = source.get(key)
            if hit is None and self.api_base and isinstance(source, RecordedCalls):
                legacy_key = legacy_key or request.cache_key(self.model_id)
                hit = source.get(legacy_key)
            if hit is not None:
                return hit
        return None

    @overload
    async def complete(self, request: LLMRequest) -> Answer[Any]: ...

    @overload
    async def complete(self, request: LLMRequest, response_model: type[T]) -> Answer[T]: ...

    async def complete(
        self, request: LLMRequest, response_model: type[BaseModel] | None = None
    ) -> Answer[Any]:
        """Answer ``request`` with a value of ``request.response_model``.

        Raises ``ModelAnswerError`` when the answer does not validate after ``max_repairs`` repair
        turns, ``ModelUnavailableError`` when the model cannot be reached, and ``CacheMissError``
        in replay when no recorded answer exists. Every outcome is recorded as an ``LLMCallRecord``.
        """
        log = self._log()
        seq = log.next_seq()  # before any await: the order of issue, not completion
        model: type[BaseModel] = response_model or request.response_model
        messages_text = request.messages_text()  # serialised once: for the key and the store
        key = request.cache_key(self.model_id, self.api_base, messages_text)
        record = LLMCallRecord(
            tick=request.tick,
            seq=seq,
            agent=request.agent,
            purpose=request.purpose,
            model=self.model_id,
            backend=self.backend.name,
            template=request.template,
            cache_key=key,
            cache_hit=False,
            messages=[{"role": m.role, "content": m.content} for m in request.messages],
        )
        if "\\u" not in messages_text:  # no escapes: the very text the store writes
            record.with_messages_text(messages_text)
        started = time.perf_counter()
        try:
            hit = self._lookup(key, request)
            if hit is not None:
                record.cache_hit = True
                return self._from_cache(hit, request, model, record)
            return await self._call_backend(request, model, key, record)
        except ModelError as exc:
            record.error_type = record.error_type or type(exc).__name__
            record.error = redact(record.error or str(exc))
            raise
        finally:
            record.latency_s = time.perf_counter() - started
            log.add(record)

    async def complete_all(
        self, requests: Iterable[LLMRequest]
    ) -> list[Answer[Any] | BaseException]:
        """Answer a batch of independent requests, each as ``complete`` would (its error in its
        place). ``requests`` may be rendered as they are taken (an iterator). With decide workers
        (``shards``) a large batch is spread over them, sent in blocks while later requests are
        still being rendered; the answers, errors and call records (numbered in issue order) are
        the same as without."""
        if self.shards is not None:
            return await self.shards.complete_all(self, requests)
        return await self.complete_each(list(requests))

    async def complete_each(
        self, requests: Sequence[LLMRequest]
    ) -> list[Answer[Any] | BaseException]:
        """``complete`` for each request, concurrently, in this process."""
        return await asyncio.gather(*(self.complete(r) for r in requests), return_exceptions=True)

    def close_shards(self) -> None:
        """Stop the decide workers, if any (the run's end)."""
        if self.shards is not None:
            self.shards.close()
            self.shards = None

    async def embed(
        self,
        backend: EmbeddingBackend,
        texts: list[str],
        *,
        tick: int | None = None,
        agent: str | None = None,
        seed: int = 0,
    ) -> list[list[float]]:
        """Embed ``texts`` through ``backend`` behind the same concurrency limit, rate limiter and
        usage record (``purpose = memory.embed``) as completions. The backend retries transient
        failures; a failure raises ``ModelUnavailableError`` and is recorded like any call."""
        log = self._log()
        seq = log.next_seq()
        record = LLMCallRecord(
            tick=tick,
            seq=seq,
            agent=agent,
            purpose="memory.embed",
            model=backend.model_id,
            backend=backend.name,
            template=None,
            cache_key="",
            cache_hit=False,
            attempts=0,
        )
        started = time.perf_counter()
        try:
            async with self._semaphore(), held(self.permits):
                await self.rate_limiter.acquire()
                result = await backend.embed(texts, agent=agent, seed=seed)
            record.attempts = result.http_requests
            record.prompt_tokens = result.usage.prompt_tokens
            record.cost_usd = result.usage.cost_usd
            return result.vectors
        except ModelError as exc:
            record.attempts = getattr(exc, "attempts", 0) or record.attempts
            record.error_type = type(exc).__name__
            record.error = redact(str(exc))
            raise
        finally:
            record.latency_s = time.perf_counter() - started
            log.add(record)

    def _from_cache(
        self, hit: CachedAnswer, request: LLMRequest, model: type[T], record: LLMCallRecord
    ) -> Answer[T]:
        record.prompt_tokens, record.completion_tokens = hit.prompt_tokens, hit.completion_tokens
        record.cost_usd = 0.0
        record.attempts = 0
        record.response = hit.text
        if hit.text is None:
            record.error_type, record.error = hit.error_type, hit.error
            raise ModelAnswerError(
                hit.error or "recorded answer error",
                raw="",
                purpose=request.purpose,
                agent=request.agent,
            )
        try:
            value = parse_answer(hit.text, model)
        except AnswerInvalid as exc:
            # The cache only stores validated answers; a failure here means the schema changed.
            raise CacheMissError(
                f"cached answer for {request.purpose} (agent {request.agent}, tick {request.tick}) no "
                f"longer fits {model.__name__}: {exc}. Delete the cache file or run with --no-cache."
            ) from None
        return Answer(value=value, raw=hit.text, call=record)

    async def _call_backend(
        self, request: LLMRequest, model: type[T], key: str, record: LLMCallRecord
    ) -> Answer[T]:
        messages = request.messages
        prompt_tokens = completion_tokens = 0  # summed over the attempts
        costs: list[float] = []
        text = ""
        record.attempts = 0  # HTTP requests (or backend calls), transport retries included
        for attempt in range(self.max_repairs + 1):
            try:
                async with self._semaphore(), held(self.permits):
                    await self.rate_limiter.acquire()
                    completion = await self.backend.complete(request, messages)
            except ModelUnavailableError as exc:
                record.attempts += exc.attempts
                raise
            record.attempts += completion.http_requests
            text = completion.text
            prompt_tokens += completion.usage.prompt_tokens
            completion_tokens += completion.usage.completion_tokens
            if completion.usage.cost_usd is not None:
                costs.append(completion.usage.cost_usd)
            record.prompt_tokens, record.completion_tokens = prompt_tokens, completion_tokens
            record.cost_usd = sum(costs) if costs else None
            record.response = text
            try:
                value = parse_answer(text, model)
            except AnswerInvalid as exc:
                problem = redact(str(exc)) or ""
                log.info(
                    "answer for %s (agent %s) did not validate (attempt %d): %s",
                    request.purpose,
                    request.agent,
                    attempt + 1,
                    problem,
                )
                messages = repair_messages(messages, text, problem)
                continue
            self._store(key, request, text, record)
            return Answer(value=value, raw=text, call=record)
        message = (
            f"{self.model_id} gave no valid answer for {request.purpose} (agent {request.agent}, "
            f"tick {request.tick}) after {self.max_repairs + 1} attempts: {problem}"
        )
        record.error_type, record.error = "ModelAnswerError", message
        # Failures are not written to the shared cache (a later run may ask again); the run file
        # records them, so replaying that run reproduces the failure.
        raise ModelAnswerError(message, raw=text, purpose=request.purpose, agent=request.agent)

    def _store(self, key: str, request: LLMRequest, text: str, record: LLMCallRecord) -> None:
        """Put the validated answer ``text`` in the shared cache (made only when one is kept)."""
        if self.cache is not None and self.backend.cacheable:
            answer = CachedAnswer(text=text, **_usage_fields(record))
            self.cache.put(key, self.model_id, request.purpose, answer)


def _usage_fields(record: LLMCallRecord) -> dict:
    return {
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "cost_usd": record.cost_usd,
    }
