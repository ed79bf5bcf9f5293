"""Python's cyclic garbage collector paused for a stretch of allocation-heavy work.

A big world's tick builds millions of short-lived, acyclic objects (prompts, requests, records,
the state's JSON and its delta). Each batch of allocations would otherwise trigger a collector
pass, and the oldest generation's passes walk every object the world holds (at 5,000 agents,
about a quarter of a tick). Reference counting still frees everything as it goes.

What a stretch leaves alive (the world's new state, the tick's record) would be walked by the
first pass after it, and again as it ages into the older generations: at 10,000 agents a pass of
0.1-0.3 s inside every tick. So at the end of a stretch its survivors are frozen (``gc.freeze``:
moved to a generation the collector skips; objects that die are still freed by reference
counting). Cyclic garbage among them (the offline worlds leave none; litellm's calls leave about
50 objects each) waits until the frozen objects have doubled (``GROWTH``, like Go's default
``GOGC=100``) since the last full collection, plus ``SLACK``: then they are handed back
(``gc.unfreeze``) and collected in one full pass. So the garbage held back is at most about the
live objects, and full passes come as often as the world grows: at 10,000 offline agents none in
the first 30 ticks (the frozen objects grow from 0.6 to 1.1 million), at 0.5-1 s each.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

GROWTH = 1.0  # times the objects frozen after the last full collection
SLACK = 20_000  # objects: small processes are not collected every stretch

_baseline: int | None = None  # objects frozen right after the last full collection
_grown = 0  # tracked objects the stretches since then added (net of those freed)


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
    global _baseline, _grown
    # The youngest generation's count (tracked objects allocated since the last freeze, which
    # resets it, less some of those freed) bounds the growth from above in O(1); the frozen
    # objects are counted (a walk over all of them) only when that bound passes the threshold.
    _grown += gc.get_count()[0]
    gc.freeze()
    if _baseline is None:
        _baseline, _grown = gc.get_freeze_count(), 0  # once, and after each full collection
    elif _grown > _baseline * GROWTH + SLACK:
        grown = gc.get_freeze_count() - _baseline
        if grown > _baseline * GROWTH + SLACK:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            _baseline, grown = gc.get_freeze_count(), 0
        _grown = max(0, grown)


def thaw() -> None:
    """Hand everything frozen back to the collector (a world closing: what it leaves behind can
    then be freed by ``gc.collect()``); the next stretch freezes what is still alive again."""
    global _baseline, _grown
    gc.unfreeze()
    _baseline, _grown = None, 0
