"""Conversations: two agents at one place taking turns, one utterance a tick.

Saying something to someone here who is free starts a conversation; the other then has the turn.
It ends when either says ``end``, speaks to someone else, leaves, or the turn limit is reached. While
it is not an agent's turn, the agent listens (and makes no model call).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Conversation:
    a: str
    b: str
    place: str
    turns: int
    next: str

    def partner(self, name: str) -> str:
        return self.b if name == self.a else self.a


class Conversations:
    def __init__(self, max_turns: int) -> None:
        self.max_turns = max_turns
        self.active: list[Conversation] = []

    def of(self, name: str) -> Conversation | None:
        for c in self.active:
            if name in (c.a, c.b):
                return c
        return None

    def listening(self, name: str) -> bool:
        c = self.of(name)
        return c is not None and c.next != name

    def spoke(self, speaker: str, to: str | None, place: str) -> tuple[str, Conversation] | None:
        """Record an utterance; returns ('ended', c) or ('started', c) when that happens."""
        current = self.of(speaker)
        if current is not None and to == current.partner(speaker):
            current.turns += 1
            current.next = to
            if current.turns >= self.max_turns:
                self.active.remove(current)
                return ("ended", current)
            return None
        ended = self.end(speaker)
        if to is not None and self.of(to) is None:
            c = Conversation(a=speaker, b=to, place=place, turns=1, next=to)
            self.active.append(c)
            return ("started", c)
        return ("ended", ended) if ended else None

    def end(self, name: str) -> Conversation | None:
        c = self.of(name)
        if c is not None:
            self.active.remove(c)
        return c

    def state_dict(self) -> list[dict[str, Any]]:
        return [asdict(c) for c in self.active]

    def load_state(self, rows: list[dict[str, Any]]) -> None:
        self.active = [Conversation(**r) for r in rows]
