"""The simulated clock: tick number <-> simulated date and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Clock:
    start: datetime
    minutes_per_tick: int

    def time_at(self, tick: int) -> datetime:
        """The simulated time at which ``tick`` happens (tick 1 is ``start``)."""
        return self.start + timedelta(minutes=self.minutes_per_tick * (tick - 1))

    def describe(self, tick: int) -> str:
        t = self.time_at(tick)
        return t.strftime("%A %d %B %Y, %H:%M")
