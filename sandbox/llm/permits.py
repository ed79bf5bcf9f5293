"""Permit sources: a pluggable limit on model calls shared with other processes.

A ``ModelClient`` holds one permit from its permit source for the whole time a request is at the
backend (retries included). Without a source the client's own semaphore and rate limiter are the
only limits. A sweep installs a source in each worker process so that the calls of all its runs
together stay within one in-flight limit and one rate (see ``sandbox.runner.sweep.limiter``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Protocol


class PermitSource(Protocol):
    async def acquire(self) -> None:
        """Wait for a permit to send one request."""
        ...

    def release(self) -> None:
        """Give back the permit taken by ``acquire`` (the request has finished)."""
        ...


def held(source: PermitSource | None) -> contextlib.AbstractAsyncContextManager[None]:
    """Hold one permit of ``source`` (nothing to hold when there is no source: a shared no-op,
    not a new context manager for every model call)."""
    return _NOTHING if source is None else _held(source)


@contextlib.asynccontextmanager
async def _held(source: PermitSource) -> AsyncIterator[None]:
    await source.acquire()
    try:
        yield
    finally:
        source.release()


_NOTHING: contextlib.nullcontext[None] = contextlib.nullcontext()
