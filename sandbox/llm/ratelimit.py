"""A token-bucket rate limiter for model requests, usable from any event loop."""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """Allow at most ``per_minute`` requests per minute, with bursts up to ``burst``.

    It holds no asyncio primitive, so one limiter can serve several event loops (the world's own
    loop thread and, say, Jupyter's loop).
    """

    def __init__(self, per_minute: float | None, burst: int | None = None) -> None:
        if per_minute is not None and per_minute <= 0:
            raise ValueError("per_minute must be positive (or None for no limit)")
        self.per_minute = per_minute
        self.capacity = float(burst if burst is not None else max(1, int((per_minute or 1) / 6)))
        self._tokens = self.capacity
        self._stamp = time.monotonic()

    async def acquire(self) -> None:
        if self.per_minute is None:
            return
        rate = self.per_minute / 60.0
        while True:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return
            await asyncio.sleep((1.0 - self._tokens) / rate)
