"""Input for the world (injected events, a visitor's words), held by the TUI until a tick starts.

``World.inject`` queues an event for the tick that starts next and forgets its queue when a tick
commits, so input given while a tick is in flight would be dropped. The TUI therefore keeps the
user's input here and hands it to the world only as the next tick begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.world.world import World


@dataclass(frozen=True)
class Pending:
    """One piece of input, as ``World.inject`` takes it, with a short label for the UI."""

    text: str
    label: str
    place: str | None = None
    kind: str = "announcement"
    source: str = "world"
    to: str | None = None


class InputQueue:
    """What the user gave the world that no committed tick holds yet.

    ``waiting`` is not yet handed to the world; ``handed`` was handed to the tick in flight (or to a
    tick that failed: the world keeps it and applies it when the tick is tried again).
    """

    def __init__(self) -> None:
        self.waiting: list[Pending] = []
        self.handed: list[Pending] = []

    def add(self, item: Pending) -> None:
        self.waiting.append(item)

    def hand_over(self, world: World) -> None:
        """Give the waiting input to ``world`` for the tick about to start."""
        for item in self.waiting:
            world.inject(
                item.text, place=item.place, source=item.source, kind=item.kind, to=item.to
            )
        self.handed.extend(self.waiting)
        self.waiting = []

    def committed(self) -> None:
        """The tick that received the handed input was committed with it."""
        self.handed = []

    def shown(self, stepping: bool) -> list[Pending]:
        """What the UI lists as queued for a coming tick (not what the tick in flight applies)."""
        return self.waiting if stepping else self.handed + self.waiting

    def __len__(self) -> int:
        return len(self.handed) + len(self.waiting)
