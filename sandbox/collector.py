"""Python's cyclic garbage collector paused for a stretch of allocation-heavy work.

A big world's tick builds millions of short-lived, acyclic objects (prompts, requests, records,
the state's JSON and its delta). Each batch of allocations would otherwise trigger a collector
pass, and the oldest generation's passes walk every object the world holds (at 5,000 agents,
about a quarter of a tick). Reference counting still frees everything as it goes; whatever cyclic
garbage the stretch leaves is collected after it, when the collector runs again.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside, and back on after if it was on before (nesting and overlapping
    pauses, e.g. two worlds ticking on one event loop, leave it as it was)."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()
