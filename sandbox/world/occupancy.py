"""Who is at each place, kept up to date as agents move (not recomputed per question).

``at(place)`` is a tuple in the world's agent order, the same object until someone arrives or
leaves: events emitted meanwhile share it as their audience."""

from __future__ import annotations

import bisect
from collections.abc import Iterable


class Occupancy:
    def __init__(self, placed: Iterable[tuple[str, str]], places: Iterable[str]) -> None:
        """``placed``: (agent, place) in the world's agent order."""
        self._rank: dict[str, int] = {}
        self._members: dict[str, set[str]] = {p: set() for p in places}
        for i, (name, place) in enumerate(placed):
            self._rank[name] = i
            self._members.setdefault(place, set()).add(name)
        self._everyone = tuple(self._rank)
        self._at: dict[str, tuple[str, ...]] = {}
        self._by_lower: dict[str, list[str]] = {}  # names by their lower case, in world order
        for name in self._everyone:
            self._by_lower.setdefault(name.lower(), []).append(name)

    @property
    def rank(self) -> dict[str, int]:
        """Each agent's position in the world's agent order."""
        return self._rank

    def everyone(self) -> tuple[str, ...]:
        return self._everyone

    def move(self, name: str, old: str, new: str) -> None:
        """``name`` leaves ``old`` for ``new``. A place's tuple, where one was made, becomes a
        new one with ``name`` taken out or put in at its position (a crowded place with people
        coming and going was sorted again for every arrival and departure)."""
        self._members.setdefault(old, set()).discard(name)
        self._members.setdefault(new, set()).add(name)
        rank = self._rank
        before = self._at.get(old)
        if before is not None:
            i = bisect.bisect_left(before, rank[name], key=rank.__getitem__)
            if i < len(before) and before[i] == name:
                self._at[old] = before[:i] + before[i + 1 :]
            else:  # not listed there: made again when asked
                del self._at[old]
        after = self._at.get(new)
        if after is not None:
            i = bisect.bisect_left(after, rank[name], key=rank.__getitem__)
            if i < len(after) and after[i] == name:
                del self._at[new]  # listed already: made again when asked (a new tuple)
            else:
                self._at[new] = (*after[:i], name, *after[i:])

    def at(self, place: str) -> tuple[str, ...]:
        found = self._at.get(place)
        if found is None:
            found = tuple(sorted(self._members.get(place, ()), key=self._rank.__getitem__))
            self._at[place] = found
        return found

    def is_at(self, name: str, place: str) -> bool:
        """Whether ``name`` is at ``place`` (a set lookup, no agent object)."""
        return name in self._members.get(place, ())

    def count(self, place: str) -> int:
        """How many agents are at ``place`` (without sorting them)."""
        return len(self._members.get(place, ()))

    def match(self, place: str, wanted: str, exclude: str) -> str | None:
        """The agent at ``place`` (other than ``exclude``) whose name is ``wanted``, ignoring
        case; the first in world order. (Looked up by name, then checked for presence: no index
        of the place to rebuild after each arrival, which in a crowded place with people coming
        and going was a pass over thousands of names per spoken line.)"""
        members = self._members.get(place, ())
        for name in self._by_lower.get(wanted, ()):
            if name != exclude and name in members:
                return name
        return None
