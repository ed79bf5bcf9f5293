"""Background threads of this process, by job: one thread pool per name, made when first asked
for (not at import) and made again in a child after a fork (a forked child has none of its
parent's threads, so a pool inherited from it would never run what is submitted)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_pools: dict[str, tuple[int, ThreadPoolExecutor]] = {}  # name -> (pid that made it, the pool)
_lock = threading.Lock()


def thread_pool(name: str, workers: int) -> ThreadPoolExecutor:
    """This process's pool for ``name``, with ``workers`` threads (fixed by the first call)."""
    pid = os.getpid()
    with _lock:
        found = _pools.get(name)
        if found is None or found[0] != pid:
            found = _pools[name] = (pid, ThreadPoolExecutor(workers, thread_name_prefix=name))
        return found[1]
