"""One limit on model calls for all the workers of a sweep, leased in blocks.

A central ``PermitBank`` owns the ``max_in_flight`` permits and a token bucket for the rate. Each
run in a worker holds a ``LeasedPermits`` (the ``PermitSource`` its model client uses): it leases
permits and rate tokens from the bank a block at a time, hands them to its own requests without
asking the bank again, and gives back what it does not use after a short linger. The bank is
reached through a ``BankLink``: a manager process locally, a named async actor on Ray (an actor
serves only a few hundred calls a second, hence blocks).

Guarantees, with every process honest:

- in flight: permits out of the bank never exceed ``max_in_flight``, and a request is sent only
  while its run holds a permit, so requests in flight never exceed it either;
- rate: the bucket holds at most ``burst`` tokens together with the tokens leased and not yet
  used, and refills at ``(rpm - burst) / 60`` per second, so in any 60-second window at most
  ``burst + (rpm - burst) = rpm`` requests start (``burst`` = one second's worth, at least 1).

Retries with backoff stay in each process (inside the backend, holding the permit).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import threading
import time
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """The sweep-wide limits and how permits are leased."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_in_flight: int | None = Field(None, ge=1)
    rpm: float | None = Field(None, ge=2)
    block: int = Field(1, ge=1, description="permits leased per request to the bank")
    token_block: int = Field(1, ge=1, description="rate tokens leased per request to the bank")
    linger_s: float = Field(0.01, ge=0, description="idle permits are given back after this")
    poll_s: tuple[float, float] = (0.002, 0.02)  # wait between tries when the bank is empty

    @property
    def active(self) -> bool:
        return self.max_in_flight is not None or self.rpm is not None

    @classmethod
    def for_workers(
        cls, max_in_flight: int | None, rpm: float | None, workers: int, **extra: Any
    ) -> Limits:
        """Blocks sized so that each worker may hold about half its fair share at once."""
        block = max(1, (max_in_flight or 1) // (2 * workers))
        burst = max(1.0, (rpm or 60) / 60)
        token_block = max(1, int(burst // (2 * workers)))
        return cls(
            max_in_flight=max_in_flight, rpm=rpm, block=block, token_block=token_block, **extra
        )


class PermitBank:
    """The ledger: permits and rate tokens, and who holds how many. Thread-safe."""

    def __init__(self, max_in_flight: int | None, rpm: float | None) -> None:
        self.max_in_flight = max_in_flight
        self.rpm = rpm
        self.free = max_in_flight or 0
        self.burst = max(1.0, rpm / 60) if rpm else 0.0
        self.rate = (rpm - self.burst) / 60 if rpm else 0.0
        self.bucket = self.burst
        self._stamp = time.monotonic()
        self._slots: dict[str, int] = collections.defaultdict(int)
        self._tokens: dict[str, float] = collections.defaultdict(float)
        self._lock = threading.Lock()
        self.peak = 0
        self.started = 0  # requests started, as reported by the holders
        self.requests = 0  # calls to the bank (lease and give_back)

    def _refill(self) -> None:
        now = time.monotonic()
        room = self.burst - sum(self._tokens.values())
        self.bucket = max(0.0, min(room, self.bucket + (now - self._stamp) * self.rate))
        self._stamp = now

    def _used(self, holder: str, used: int) -> None:
        if used:
            self.started += used
            self._tokens[holder] = max(0.0, self._tokens[holder] - used)

    def lease(self, holder: str, slots: int, tokens: int, used: int = 0) -> tuple[int, int, float]:
        """Up to ``slots`` permits and ``tokens`` rate tokens for ``holder``, as many as are free
        now; ``used`` reports the tokens the holder spent since it last called. Returns (permits,
        tokens, seconds until the next token) ."""
        with self._lock:
            self.requests += 1
            self._used(holder, used)
            got_slots = 0
            if self.max_in_flight is not None and slots > 0:
                got_slots = min(slots, self.free)
                self.free -= got_slots
                self._slots[holder] += got_slots
                self.peak = max(self.peak, self.max_in_flight - self.free)
            got_tokens, wait = 0, 0.0
            if self.rpm is not None and tokens > 0:
                self._refill()
                got_tokens = min(tokens, int(self.bucket))
                self.bucket -= got_tokens
                self._tokens[holder] += got_tokens
                if got_tokens == 0:
                    wait = (1.0 - self.bucket) / self.rate
            return got_slots, got_tokens, wait

    def give_back(self, holder: str, slots: int, tokens: int, used: int = 0) -> None:
        with self._lock:
            self.requests += 1
            self._used(holder, used)
            slots = min(slots, self._slots[holder])
            self._slots[holder] -= slots
            self.free += slots
            if tokens and self.rpm is not None:
                self._refill()
                tokens_back = min(float(tokens), self._tokens[holder])
                self._tokens[holder] -= tokens_back
                self.bucket += tokens_back
                self._refill()

    def release_all(self, holder: str) -> None:
        """Everything ``holder`` still holds comes back (its run ended, or its worker died).
        Its unreported tokens are counted as used, which can only make the rate stricter."""
        with self._lock:
            self.free += self._slots.pop(holder, 0)
            self._tokens.pop(holder, None)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            leased = (self.max_in_flight - self.free) if self.max_in_flight else 0
            return {
                "max_in_flight": self.max_in_flight,
                "rpm": self.rpm,
                "leased": leased,
                "peak": self.peak,
                "started": self.started,
                "holders": sum(1 for v in self._slots.values() if v),
                "requests": self.requests,
            }


class BankLink(Protocol):
    """How a worker reaches the bank (the calls of ``PermitBank``, awaitable)."""

    limits: Limits

    async def lease(
        self, holder: str, slots: int, tokens: int, used: int
    ) -> tuple[int, int, float]: ...

    async def give_back(self, holder: str, slots: int, tokens: int, used: int) -> None: ...

    def release_all(self, holder: str) -> None: ...


class LeasedPermits:
    """A run's share of the bank: a ``PermitSource`` for its model client (one event loop).

    Permits go to waiting requests in the order they asked; when none are free here, one request
    at a time asks the bank for a block and the others wait for it.
    """

    def __init__(self, link: BankLink, holder: str) -> None:
        self.link = link
        self.limits = link.limits
        self.holder = holder
        self.held = 0  # permits leased from the bank
        self.in_use = 0  # of which held by requests
        self.tokens = 0  # rate tokens leased and not yet used
        self._used = 0  # tokens used since the bank was last told
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._leasing = False
        self._flush: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def acquire(self) -> None:
        if self.limits.max_in_flight is not None:
            await self._permit()
        if self.limits.rpm is not None:
            try:
                await self._token()
            except BaseException:
                self._put_back_permit()
                raise

    def release(self) -> None:
        if self.limits.max_in_flight is not None:
            self._put_back_permit()
        self._schedule_flush()

    def close(self) -> None:
        """Give back everything this run still holds (call once its event loop has ended)."""
        self.link.release_all(self.holder)
        self.held = self.in_use = self.tokens = 0

    # permits
    def _put_back_permit(self) -> None:
        self.in_use -= 1
        self._hand_out()

    def _hand_out(self) -> None:
        while self._waiters and self.in_use < self.held:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_use += 1
                waiter.set_result(None)

    async def _permit(self) -> None:
        if self.in_use < self.held and not self._waiters:
            self.in_use += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        delay, longest = self.limits.poll_s
        try:
            while not waiter.done():
                if not self._leasing:
                    self._leasing = True
                    used, self._used = self._used, 0
                    try:
                        want = max(self.limits.block, len(self._waiters))
                        got, _, _ = await self.link.lease(self.holder, want, 0, used)
                    finally:
                        self._leasing = False
                    self.held += got
                    self._hand_out()
                    if got:
                        delay = self.limits.poll_s[0]
                        continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(waiter), delay)
                delay = min(longest, delay * 2)
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._put_back_permit()  # it was handed a permit it will not use
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    # rate tokens
    async def _token(self) -> None:
        while self.tokens < 1:
            used, self._used = self._used, 0
            _, got, wait = await self.link.lease(self.holder, 0, self.limits.token_block, used)
            self.tokens += got
            if self.tokens < 1:
                await asyncio.sleep(max(wait, self.limits.poll_s[0]))
        self.tokens -= 1
        self._used += 1

    # giving back what is idle
    def _schedule_flush(self) -> None:
        if self._flush is not None or self._waiters:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the run's loop has ended; close() gives everything back
            return
        self._flush = loop.call_later(self.limits.linger_s, self._start_flush)

    def _start_flush(self) -> None:
        self._flush = None
        task = asyncio.get_running_loop().create_task(self._give_back_idle())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _give_back_idle(self) -> None:
        if self._waiters:
            return
        free = self.held - self.in_use if self.limits.max_in_flight is not None else 0
        tokens = math.floor(self.tokens)
        used, self._used = self._used, 0
        if free or tokens or used:
            self.held -= free
            self.tokens -= tokens
            await self.link.give_back(self.holder, free, tokens, used)


class LocalLink:
    """A ``BankLink`` to a ``PermitBank`` in this process or behind a multiprocessing proxy."""

    def __init__(self, bank: Any, limits: Limits) -> None:
        self.bank = bank
        self.limits = limits

    async def lease(
        self, holder: str, slots: int, tokens: int, used: int
    ) -> tuple[int, int, float]:
        got = self.bank.lease(holder, slots, tokens, used)  # a quick call; the bank never waits
        return int(got[0]), int(got[1]), float(got[2])

    async def give_back(self, holder: str, slots: int, tokens: int, used: int) -> None:
        self.bank.give_back(holder, slots, tokens, used)

    def release_all(self, holder: str) -> None:
        self.bank.release_all(holder)
