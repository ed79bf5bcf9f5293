"""The event bus: every event has a visibility, and its audience is fixed when it is emitted."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from sandbox.store.records import EventRecord, Visibility
from sandbox.store.schema import COMPACT_FROM

# A capped listener's events are looked up through per-audience indexes when its audiences hold this
# many events each on average (one crowded place), else picked in one pass (many small audiences).
INDEX_FROM = 16

# noticed(name, speakers who addressed it) -> whom it notices (see sandbox.world.attention)
Noticer = Callable[[str, list[str]], Sequence[str]]


class Membership(Protocol):
    """A listener's audiences: ``has(number)``, whether it is in audience ``number``."""

    def has(self, number: int) -> bool: ...


class EventBus:
    """Collects the events of a tick and holds those not yet perceived.

    Visibility decides the audience at emission time:
    ``public`` everyone; ``place`` whoever is at ``place`` now; ``agents`` the listed agents;
    ``private`` one agent (its own failures, what only it is told).

    ``everyone`` and ``at_place`` may return the same tuple object while nobody moves: events
    emitted meanwhile then share their audience (one object, not one list per event), and
    delivery works per audience, not per event and listener (so a crowded place is not
    quadratic).
    """

    def __init__(
        self,
        everyone: Callable[[], Sequence[str]],
        at_place: Callable[[str], Sequence[str]],
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
            who = _shared(self._everyone())
        elif visibility == "place":
            if place is None:
                raise ValueError("a 'place' event needs a place")
            who = _shared(self._at_place(place))
        else:
            who = tuple(audience)
            if visibility == "private" and len(who) != 1:
                raise ValueError("a 'private' event has exactly one agent in its audience")
        fields = {
            "tick": self._tick,
            "seq": len(self.tick_events),
            "kind": kind,
            "source": source,
            "place": place,
            "visibility": visibility,
            "audience": (),
            "text": text,
            "data": data or {},
        }
        # validated without its audience, which is then set as is: a shared tuple stays shared
        event = EventRecord.model_validate(fields).model_copy(update={"audience": who})
        self.tick_events.append(event)
        self.pending.append(event)
        return event

    def deliver(
        self,
        *,
        max_events: int | None = None,
        noticed: Noticer | None = None,
        is_agent: Callable[[str], bool] = lambda _name: True,
    ) -> dict[str, list[EventRecord]]:
        """Hand every pending event to its audience and clear the queue: to each listener in the
        order the events happened. A listener that would get more than ``max_events`` gets
        ``max_events`` chosen as ``sandbox.world.attention`` says (``noticed`` gives whom it
        notices)."""
        groups: dict[int, tuple[Sequence[str], list[int]]] = {}
        for i, event in enumerate(self.pending):
            groups.setdefault(id(event.audience), (event.audience, []))[1].append(i)
        self.pending, pending = [], self.pending
        audiences = [indices for _, indices in groups.values()]  # numbered in order of emission
        members = _Members([audience for audience, _ in groups.values()], audiences, pending)
        inbox: dict[str, list[EventRecord]] = {}
        tick: _Tick | None = None
        indexes: dict[int, _Index] = {}
        for name, runs in members.runs.items():
            total, count = members.events_and_audiences(runs)
            if max_events is None or total <= max_events or noticed is None:
                numbers = members.numbers(runs)
                chosen = (
                    audiences[numbers[0]]
                    if len(numbers) == 1
                    else sorted(i for n in numbers for i in audiences[n])
                )
            elif total >= INDEX_FROM * count:  # a few large audiences: index each once
                found = []
                for n in members.numbers(runs):
                    if n not in indexes:
                        indexes[n] = _Index(audiences[n], pending, is_agent)
                    found.append(indexes[n])
                chosen = _attend_indexed(name, found, pending, max_events, noticed)
            else:  # many small ones (people coming and going): through the tick's index
                if tick is None:  # once a tick, for such listeners
                    tick = _Tick(audiences, pending, is_agent)
                chosen = _attend(name, _Mine(members, runs), tick, max_events, noticed)
            inbox[name] = [pending[i] for i in chosen]
        return inbox


def _shared(names: Sequence[str]) -> tuple[str, ...]:
    return names if isinstance(names, tuple) else tuple(names)


class _Index:
    """The events of one audience by whom they are addressed to and by source; the world's."""

    __slots__ = ("by_source", "to", "world")

    def __init__(
        self, indices: list[int], pending: list[EventRecord], is_agent: Callable[[str], bool]
    ) -> None:
        self.to: dict[str, list[int]] = {}
        self.by_source: dict[str, list[int]] = {}
        self.world: list[int] = []
        for i in indices:
            event = pending[i]
            to = event.data.get("to")
            if isinstance(to, str):
                self.to.setdefault(to, []).append(i)
            self.by_source.setdefault(event.source, []).append(i)
            if not is_agent(event.source):
                self.world.append(i)


def _attend_indexed(
    name: str, indexes: list[_Index], pending: list[EventRecord], cap: int, noticed: Noticer
) -> list[int]:
    """``_attend`` through the indexes of the listener's audiences: for a few large audiences
    (a crowded place), each indexed once for all its listeners."""
    first: set[int] = set()
    for index in indexes:
        first.update(index.to.get(name, ()))
        first.update(index.by_source.get(name, ()))
        first.update(index.world)
    ordered = sorted(first)
    speakers = list(
        dict.fromkeys(pending[i].source for i in ordered if pending[i].data.get("to") == name)
    )
    picked = ordered[:cap]
    if len(picked) < cap:
        second: set[int] = set()
        for other in noticed(name, speakers):
            for index in indexes:
                second.update(index.by_source.get(other, ()))
        picked += sorted(second - first)[: cap - len(picked)]
    return sorted(picked)


class _Tick:
    """A tick's pending events indexed once for the listeners with many small audiences (people
    coming and going in a crowded place): an ``_Index`` of all of them (by source, by addressee,
    the world's), each event's audience (its number in ``audiences``, -1 for none) and each
    audience's events from the world. A listener's events are then looked up through its own
    address, its audiences and whom it notices, never by walking all the events it was there
    for (which made a crowded place with movement quadratic)."""

    __slots__ = ("audience_of", "index", "pending", "with_world", "world")

    def __init__(
        self,
        audiences: list[list[int]],
        pending: list[EventRecord],
        is_agent: Callable[[str], bool],
    ) -> None:
        self.pending = pending
        self.index = _Index(list(range(len(pending))), pending, is_agent)
        self.audience_of = [-1] * len(pending)
        for number, indices in enumerate(audiences):
            for i in indices:
                self.audience_of[i] = number
        self.world: list[list[int]] = [[] for _ in audiences]
        for i in self.index.world:
            if self.audience_of[i] >= 0:
                self.world[self.audience_of[i]].append(i)
        # the audiences with events from the world (few: a place's scene opens the tick), so a
        # listener in hundreds of audiences is not walked through all of them
        self.with_world = {n for n, events in enumerate(self.world) if events}


def _attend(name: str, mine: Membership, tick: _Tick, cap: int, noticed: Noticer) -> list[int]:
    """The ``cap`` events ``name`` perceives of those of its audiences (``mine.has(number)``: is
    it in audience ``number``): addressed to it, its own and the world's first, then those of
    whom it notices; each class in order; then back in order. (Where people come and go, a
    listener's events are spread over a hundred audiences or more; ``_attend_indexed``, for a few
    large ones, chooses the same events.)"""
    of, index = tick.audience_of, tick.index
    to_me = {i for i in index.to.get(name, ()) if mine.has(of[i])}
    first_set = {i for i in index.by_source.get(name, ()) if mine.has(of[i])} | to_me
    for number in tick.with_world:
        if mine.has(number):
            first_set.update(tick.world[number])
    first = sorted(first_set)
    speakers = list(dict.fromkeys(tick.pending[i].source for i in first if i in to_me))
    picked = first[:cap]
    if len(picked) < cap:
        second = sorted(
            i
            for other in set(noticed(name, speakers))
            for i in index.by_source.get(other, ())
            if mine.has(of[i]) and i not in first_set
        )
        picked += second[: cap - len(picked)]
    return sorted(picked)


class _Members:
    """Who is in which of a tick's audiences, as runs of versions rather than one entry per
    listener and audience. The audiences of one place are versions of each other (someone
    arrived or left in between); a listener there is in a run of consecutive versions, so a
    crowded place with hundreds of arrivals and departures a tick costs its size plus its changes,
    not its size times its versions. Any other audience is a chain of one version."""

    __slots__ = ("chain_of", "chains", "position", "prefix", "runs")

    def __init__(
        self,
        names: list[Sequence[str]],
        audiences: list[list[int]],
        pending: list[EventRecord],
    ) -> None:
        chains: dict[object, list[int]] = {}
        for number, indices in enumerate(audiences):
            event = pending[indices[0]]
            at = event.place if event.visibility == "place" else None
            chains.setdefault(number if at is None else ("place", at), []).append(number)
        self.chains = list(chains.values())
        self.chain_of = [0] * len(audiences)
        self.position = [0] * len(audiences)
        self.prefix: list[list[int]] = []  # per chain: events in its versions before each one
        self.runs: defaultdict[str, list[tuple[int, int, int]]] = defaultdict(list)
        for c, numbers in enumerate(self.chains):
            sums = [0]
            for pos, number in enumerate(numbers):
                self.chain_of[number], self.position[number] = c, pos
                sums.append(sums[-1] + len(audiences[number]))
            self.prefix.append(sums)
            self._add_chain(c, [names[n] for n in numbers])

    def _add_chain(self, chain: int, versions: list[Sequence[str]]) -> None:
        """Each name's runs of consecutive versions (chain, first, last + 1)."""
        runs = self.runs
        if len(versions) == 1:
            for name in versions[0]:
                runs[name].append((chain, 0, 1))
            return
        since: dict[str, int] = dict.fromkeys(versions[0], 0)
        before = set(versions[0])
        for pos in range(1, len(versions)):
            now = set(versions[pos])
            # (sorted: the few who left or arrived, in an order that does not depend on hashing)
            for name in sorted(before - now):  # left before this version
                runs[name].append((chain, since.pop(name), pos))
            for name in sorted(now - before):
                since[name] = pos
            before = now
        for name, first in since.items():
            runs[name].append((chain, first, len(versions)))

    def events_and_audiences(self, runs: list[tuple[int, int, int]]) -> tuple[int, int]:
        """How many events and how many audiences a listener with these runs is in."""
        events = audiences = 0
        for chain, first, end in runs:
            sums = self.prefix[chain]
            events += sums[end] - sums[first]
            audiences += end - first
        return events, audiences

    def numbers(self, runs: list[tuple[int, int, int]]) -> list[int]:
        """The audience numbers of these runs."""
        return [n for chain, first, end in runs for n in self.chains[chain][first:end]]


class _Mine:
    """One listener's audiences, for membership tests by audience number."""

    __slots__ = ("members", "runs")

    def __init__(self, members: _Members, runs: list[tuple[int, int, int]]) -> None:
        self.members, self.runs = members, runs

    def has(self, number: int) -> bool:
        if number < 0:
            return False
        chain, pos = self.members.chain_of[number], self.members.position[number]
        return any(c == chain and first <= pos < end for c, first, end in self.runs)


def pending_state(pending: list[EventRecord]) -> dict[str, Any]:
    """The ``pending`` part of a world's state: events not yet perceived, as JSON-ready data, and
    (when some audiences have ``COMPACT_FROM`` names or more) ``audiences``, those once each:
    such an event's ``audience`` is its number there (a crowded place: thousands of names on each
    of thousands of events).

    An entry of ``audiences`` is the list of names, or, for an audience at a place that differs
    little from the place's previous one (someone arrived or left: a crowded place with people
    coming and going has hundreds a tick), ``{"from": n, "drop": [name, ...], "add": [[i, name],
    ...]}``: entry ``n``'s names without ``drop``, with each ``name`` inserted at position ``i``
    (in increasing order)."""
    events: list[dict[str, Any]] = []
    audiences: list[Any] = []
    by_object: dict[int, int] = {}  # id(audience) -> number (events share audience objects)
    numbers: dict[tuple[str, ...], int] = {}  # by value: equal audiences are one entry
    # place -> its latest audience (number, names, their set when one was made)
    last_at: dict[str, tuple[int, tuple[str, ...], set[str] | None]] = {}
    for event in pending:
        row = _row(event)
        if len(event.audience) >= COMPACT_FROM:
            number = by_object.get(id(event.audience))
            if number is None:
                key = tuple(event.audience)
                number = numbers.get(key)
                names_set = None
                if number is None:
                    number = numbers[key] = len(audiences)
                    at = event.place if event.visibility == "place" else None
                    base = last_at.get(at) if at is not None else None
                    entry, names_set = _audience_entry(key, base)
                    audiences.append(entry)
                by_object[id(event.audience)] = number
                if event.visibility == "place" and event.place is not None:
                    last_at[event.place] = (number, key, names_set)
            row["audience"] = number
        else:
            row["audience"] = list(event.audience)
        events.append(row)
    out: dict[str, Any] = {"pending": events}
    if audiences:
        out["audiences"] = audiences
    return out


def _audience_entry(
    names: tuple[str, ...], base: tuple[int, tuple[str, ...], set[str] | None] | None
) -> tuple[Any, set[str] | None]:
    """``names`` whole, or as the change from ``base`` (its number, names and, when made, their
    set) when that is less than a quarter of them; and the set of ``names`` if one was made (the
    next version's base). The few names that differ are found with sets and placed by ``index``,
    never by walking every name in Python: a crowded room has hundreds of versions a tick."""
    if base is None:
        return list(names), None
    number, before, kept = base
    now = set(names)
    if kept is None:
        kept = set(before)
    gone = kept - now
    if len(gone) * 4 >= len(names):
        return list(names), now
    came = now - kept
    if (len(gone) + len(came)) * 4 >= len(names):
        return list(names), now
    drop = sorted(gone, key=before.index)
    add = sorted([names.index(n), n] for n in came)
    return {"from": number, "drop": drop, "add": add}, now


def _audience_names(entries: list[Any]) -> list[tuple[str, ...]]:
    """The names of each entry of a state's ``audiences`` (see ``pending_state``)."""
    out: list[tuple[str, ...]] = []
    for entry in entries:
        if isinstance(entry, dict):
            dropped = set(entry["drop"])
            names = [n for n in out[entry["from"]] if n not in dropped]
            for i, name in entry["add"]:
                names.insert(i, name)
            out.append(tuple(names))
        else:
            out.append(tuple(entry))
    return out


_PLAIN = frozenset({str, int, bool, type(None)})


def _row(event: EventRecord) -> dict[str, Any]:
    """An event as JSON-ready data in field order, its ``audience`` left to the caller. What
    ``model_dump(mode="json")`` gives, built directly where ``data`` holds only strings, whole
    numbers, booleans, None and finite floats (every event the engine emits: ``model_dump`` was
    half of a 10,000-agent world's ``state_dict``)."""
    data = event.data
    if all(type(v) in _PLAIN or (type(v) is float and math.isfinite(v)) for v in data.values()):
        data = dict(data)
    else:
        data = event.model_dump(mode="json", include={"data"})["data"]
    return {
        "tick": event.tick,
        "seq": event.seq,
        "kind": event.kind,
        "source": event.source,
        "place": event.place,
        "visibility": event.visibility,
        "audience": None,
        "text": event.text,
        "data": data,
    }


def load_pending(state: dict[str, Any]) -> list[EventRecord]:
    """The pending events of a state written by ``pending_state`` (or before it had audiences)."""
    shared = _audience_names(state.get("audiences", []))
    out = []
    for row in state["pending"]:
        audience = row["audience"]
        if isinstance(audience, int):
            event = EventRecord.model_validate({**row, "audience": ()})
            out.append(event.model_copy(update={"audience": shared[audience]}))
        else:
            out.append(EventRecord.model_validate(row))
    return out
