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


@contextlib.asynccontextmanager
async def held(source: PermitSource | None) -> AsyncIterator[None]:
    """Hold one permit of ``source`` (nothing to hold when there is no source)."""
    if source is None:
        yield
        return
    await source.acquire()
    try:
        yield
    finally:
        source.release()
