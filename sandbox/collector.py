"""Python's cyclic garbage collector paused for a stretch of allocation-heavy work.

A big world's tick builds millions of short-lived, acyclic objects (prompts, requests, records,
the state's JSON and its delta). Each batch of allocations would otherwise trigger a collector
pass, and the oldest generation's passes walk every object the world holds (at 5,000 agents,
about a quarter of a tick). Reference counting still frees everything as it goes.

What a stretch leaves alive (the world's new state, the tick's record) would be walked by the
first pass after it, and again as it ages into the older generations: at 10,000 agents a pass of
0.1-0.3 s inside every tick. So at the end of a stretch its survivors are frozen (``gc.freeze``:
moved to a generation the collector skips; objects that die are still freed by reference
counting), and every ``THAW_EVERY``-th stretch everything frozen is handed back (``gc.unfreeze``)
and collected in one full pass, so cyclic garbage among it waits at most that many stretches (a
tick of the offline worlds leaves none: ``gc.collect()`` after one finds nothing). At 10,000
agents that pass takes about 0.4 s, so every 25th tick is that much longer.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

THAW_EVERY = 25  # stretches: cyclic garbage among frozen objects waits at most this many

_stretches = 0


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside, and back on after if it was on before (nesting and overlapping
    pauses, e.g. two worlds ticking on one event loop, leave it as it was); what the outermost
    stretch leaves alive is frozen (see above)."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            _freeze_survivors()
            gc.enable()


def _freeze_survivors() -> None:
    global _stretches
    _stretches += 1
    if _stretches % THAW_EVERY == 0:
        gc.unfreeze()
        gc.collect()  # before the next stretch freezes it all again
    else:
        gc.freeze()
