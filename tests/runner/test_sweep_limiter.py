"""The sweep-wide model-call limit: a bank of permits leased in blocks, tested in one process."""

import asyncio
import random
import time

import pytest

from sandbox.runner.sweep.limiter import LeasedPermits, Limits, LocalLink, PermitBank


def _link(max_in_flight=None, rpm=None, **kw) -> LocalLink:
    limits = Limits(max_in_flight=max_in_flight, rpm=rpm, **kw)
    return LocalLink(PermitBank(max_in_flight, rpm), limits)


async def _requests(sources, per_source, latency, state, seed=0):
    rng = random.Random(seed)

    async def one(source):
        await source.acquire()
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        state["starts"].append(time.monotonic())
        try:
            await asyncio.sleep(latency * (0.5 + rng.random()))
        finally:
            state["now"] -= 1
            source.release()

    await asyncio.gather(*(one(s) for s in sources for _ in range(per_source)))


def _state():
    return {"now": 0, "peak": 0, "starts": []}


@pytest.mark.parametrize("block", [1, 3])
def test_in_flight_never_exceeds_the_limit_and_reaches_it(block):
    link = _link(max_in_flight=5, block=block)
    sources = [LeasedPermits(link, f"run{i}") for i in range(4)]
    state = _state()
    asyncio.run(_requests(sources, 20, 0.01, state))
    assert state["peak"] == 5  # bound held, and demand (80 requests at once) filled it
    for s in sources:
        s.close()
    stats = link.bank.stats()
    assert stats["leased"] == 0 and stats["peak"] == 5


def test_without_a_bank_the_same_load_exceeds_the_limit():
    # The check above can fail: the same demand with no permit source is far above 5.
    class Free:
        async def acquire(self):
            return None

        def release(self):
            return None

    state = _state()
    asyncio.run(_requests([Free() for _ in range(4)], 20, 0.01, state))
    assert state["peak"] > 5


def test_idle_permits_go_back_to_the_bank_after_the_linger():
    link = _link(max_in_flight=4, block=4, linger_s=0.005)
    a, b = LeasedPermits(link, "a"), LeasedPermits(link, "b")

    async def scenario():
        await a.acquire()
        assert a.held == 4  # leased a whole block for one request
        a.release()
        await asyncio.sleep(0.05)
        assert a.held == 0 and link.bank.stats()["leased"] == 0
        for _ in range(4):
            await b.acquire()
        assert link.bank.stats()["leased"] == 4

    asyncio.run(scenario())


def test_a_cancelled_wait_leaks_no_permit():
    link = _link(max_in_flight=1, poll_s=(0.001, 0.002))
    a, b = LeasedPermits(link, "a"), LeasedPermits(link, "b")

    async def scenario():
        await a.acquire()
        waiting = asyncio.ensure_future(b.acquire())
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        a.release()
        await asyncio.sleep(0.05)
        await b.acquire()  # the permit is not lost
        b.release()

    asyncio.run(asyncio.wait_for(scenario(), 5))


def test_release_all_returns_what_a_dead_holder_held():
    bank = PermitBank(3, None)
    assert bank.lease("dead", 3, 0)[0] == 3
    assert bank.lease("other", 1, 0)[0] == 0
    bank.release_all("dead")
    assert bank.lease("other", 2, 0)[0] == 2


def test_rate_never_exceeds_rpm_in_any_window():
    # 600 per minute = 10 per second; a burst of at most 10 then 9.83 per second.
    link = _link(rpm=600, token_block=2)
    sources = [LeasedPermits(link, f"run{i}") for i in range(3)]
    state = _state()
    started = time.monotonic()
    asyncio.run(_requests(sources, 12, 0.0, state))
    elapsed = time.monotonic() - started
    starts = sorted(state["starts"])
    bank = link.bank
    # In any window of w seconds at most burst + rate * w requests start.
    for i, t in enumerate(starts):
        for w in (0.5, 1.0, 2.0):
            n = sum(1 for s in starts[i:] if s - t <= w)
            assert n <= bank.burst + bank.rate * w + 1e-9
    assert elapsed >= (36 - bank.burst) / bank.rate * 0.95  # it did have to wait
    assert bank.stats()["started"] <= 36


def test_limits_refuse_a_rate_below_two_per_minute():
    with pytest.raises(ValueError, match="greater than or equal to 2"):
        Limits(rpm=1)
