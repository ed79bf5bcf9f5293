"""Running a coroutine so that SIGTERM stops it the way Ctrl-C does.

``asyncio.run`` turns Ctrl-C into a cancellation of the main task, so a run records itself as
``interrupted`` and keeps its committed ticks. SIGTERM (``kill``, a scheduler's time limit, a
container stop) would end the process at once and leave the run ``running``. ``run_stoppable``
cancels the main task on SIGTERM too, and raises ``Terminated`` (a ``KeyboardInterrupt``) after.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM); the coroutine was cancelled and cleaned up."""


def run_stoppable(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, with SIGTERM cancelling ``coro`` like Ctrl-C (main thread only;
    elsewhere, or where the loop cannot take signal handlers, it is plain ``asyncio.run``)."""
    terminated = False

    async def main() -> T:
        nonlocal terminated
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            task.cancel()

        try:
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
            installed = True
        except (NotImplementedError, RuntimeError, ValueError):
            installed = False  # not the main thread, or a platform without loop signal handlers
        try:
            return await coro
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if terminated:
            raise Terminated("stopped by SIGTERM") from None
        raise
