"""A private event loop on a daemon thread, so ``world.step()`` works anywhere.

Plain scripts have no running loop, Jupyter already has one (``asyncio.run`` fails there), and
litellm's cached HTTP clients break when each call gets a fresh loop. One long-lived loop per world
solves all three: ``step()`` submits ``astep()`` to it and waits.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="sandbox-world-loop", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("world.step() called from inside the world's loop; use astep()")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except KeyboardInterrupt:  # Ctrl-C (a notebook's interrupt): stop the work, let it clean up
            future.cancel()
            try:
                asyncio.run_coroutine_threadsafe(_settle(), self.loop).result(timeout=10)
            except TimeoutError:
                log.warning("work on the world's loop did not stop within 10 s after an interrupt")
            raise

    def close(self) -> None:
        """Cancel what still runs on the loop (a library's background task), then stop it."""
        if self.loop.is_closed():
            return
        if self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(_cancel_pending(), self.loop).result(timeout=5)
            except TimeoutError:
                log.warning("tasks on the world's loop did not stop within 5 s; closing anyway")
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
        self.loop.close()


async def _settle() -> None:
    """Wait until the other tasks on this loop have finished (after a cancel: their clean-up)."""
    current = asyncio.current_task()
    await asyncio.gather(
        *(t for t in asyncio.all_tasks() if t is not current), return_exceptions=True
    )


async def _cancel_pending() -> None:
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()
