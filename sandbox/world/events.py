"""The event bus: every event has a visibility, and its audience is fixed when it is emitted."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sandbox.store.records import EventRecord, Visibility


class EventBus:
    """Collects the events of a tick and holds those not yet perceived.

    Visibility decides the audience at emission time:
    ``public`` everyone; ``place`` whoever is at ``place`` now; ``agents`` the listed agents;
    ``private`` one agent (its own failures, what only it is told).
    """

    def __init__(
        self, everyone: Callable[[], list[str]], at_place: Callable[[str], list[str]]
    ) -> None:
        self._everyone = everyone
        self._at_place = at_place
        self.pending: list[EventRecord] = []
        self.tick_events: list[EventRecord] = []
        self._tick = 0

    def begin_tick(self, tick: int) -> None:
        self._tick = tick
        self.tick_events = []

    def emit(
        self,
        kind: str,
        source: str,
        text: str,
        *,
        visibility: Visibility,
        place: str | None = None,
        audience: Iterable[str] = (),
        data: dict[str, Any] | None = None,
    ) -> EventRecord:
        if visibility == "public":
            who = tuple(self._everyone())
        elif visibility == "place":
            if place is None:
                raise ValueError("a 'place' event needs a place")
            who = tuple(self._at_place(place))
        else:
            who = tuple(audience)
            if visibility == "private" and len(who) != 1:
                raise ValueError("a 'private' event has exactly one agent in its audience")
        event = EventRecord(
            tick=self._tick,
            seq=len(self.tick_events),
            kind=kind,
            source=source,
            place=place,
            visibility=visibility,
            audience=who,
            text=text,
            data=data or {},
        )
        self.tick_events.append(event)
        self.pending.append(event)
        return event

    def deliver(self) -> dict[str, list[EventRecord]]:
        """Hand every pending event to its audience and clear the queue."""
        inbox: dict[str, list[EventRecord]] = {}
        for event in self.pending:
            for name in event.audience:
                inbox.setdefault(name, []).append(event)
        self.pending = []
        return inbox
