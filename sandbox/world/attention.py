"""Bounded attention in crowded places: whom an agent notices, and which events it perceives.

In a place with more than ``max_present`` other agents, an agent notices ``max_present`` of them:

1. those who addressed it (spoke *to* it) in what it perceives this tick, in the order they spoke;
2. then its ties in the social graph who are present, strongest tie first;
3. then the others present in a seeded draw (``derive_rng(seed, tick, "attention", name)``,
   ``sample`` over their positions).

Ties of equal weight are ordered by the same seeded draw, so the choice depends only on the world
seed, the tick, the agent, who is present and the graph (never on timing or resolution order). The
noticed agents are listed in the world's agent order. This list is what the agent's decide prompt
shows as present (``others_here``), so the prompt stays the same size however many are there.

An agent that would perceive more than ``max_events`` events in one tick perceives ``max_events``
of them: first those addressed to it, its own and the world's (not an agent's), then those of the
agents it notices, each class in the order they happened; the rest it does not perceive. They are
kept in the order they happened.

In a world with more than ``max_places`` places, an agent's decide prompt lists ``max_places`` of
them as the places it can go:

1. the place it is at;
2. the place its plan names for now, if any;
3. then the most crowded places (by who is there when the tick's decisions are made; equal counts
   in the world's place order) until half the list is filled;
4. then the others in a seeded draw (``derive_rng(seed, tick, "places", name)``).

They are listed in the world's place order. So a prompt's list of places stays the same size however
many places the world has, and the choice depends only on the seed, the tick, the agent, its plan
and who is where.

Below the caps nothing changes: every present agent is listed, every event perceived and every
place listed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field

from sandbox.seeds import derive_rng

if TYPE_CHECKING:
    from sandbox.store.records import EventRecord
    from sandbox.world.events import EventBus
    from sandbox.world.world import World

DEFAULT_MAX_PRESENT = 24
DEFAULT_MAX_EVENTS = 48
DEFAULT_MAX_PLACES = 24


class AttentionConfig(BaseModel):
    """The world file's ``attention`` block (docs/worlds.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_present: Annotated[int, Field(ge=1)] | None = Field(
        DEFAULT_MAX_PRESENT,
        description="others an agent notices in a crowded place (null: everyone present)",
    )
    max_events: Annotated[int, Field(ge=1)] | None = Field(
        DEFAULT_MAX_EVENTS,
        description="events an agent perceives in one tick at most (null: all it could)",
    )
    max_places: Annotated[int, Field(ge=2)] | None = Field(
        DEFAULT_MAX_PLACES,
        description="places an agent's decide prompt lists at most (null: every place)",
    )


def noticed(
    name: str,
    present: Sequence[str],
    *,
    cap: int | None,
    addressed_by: Iterable[str],
    is_present: Callable[[str], bool],
    tie_weight: Callable[[str], dict[str, float]],
    rank: dict[str, int],
    seed: int,
    tick: int,
) -> tuple[str, ...]:
    """Whom ``name`` notices among ``present`` (the others there, in world order): all of them
    when there are at most ``cap``, else ``cap`` chosen by the rule above (in world order).
    ``is_present(other)``: whether ``other`` is among ``present`` (without scanning it)."""
    if cap is None or len(present) <= cap:
        return tuple(present)
    chosen: dict[str, None] = {}
    for speaker in addressed_by:
        if len(chosen) == cap:
            break
        if speaker != name and is_present(speaker):
            chosen.setdefault(speaker, None)
    rng = derive_rng(seed, tick, "attention", name)
    if len(chosen) < cap:
        ties = [
            (w, other)
            for other, w in tie_weight(name).items()
            if other != name and is_present(other)
        ]
        draw = {other: rng.random() for _, other in sorted(ties, key=lambda t: rank[t[1]])}
        for _, other in sorted(ties, key=lambda t: (-t[0], draw[t[1]])):
            if len(chosen) == cap:
                break
            chosen.setdefault(other, None)
    if len(chosen) < cap:
        # a seeded sample of positions (O(cap), however many are present), in the order drawn,
        # skipping those already chosen
        wanted = min(len(present), cap + len(chosen))
        for i in rng.sample(range(len(present)), wanted):
            if len(chosen) == cap:
                break
            chosen.setdefault(present[i], None)
    return tuple(sorted(chosen, key=rank.__getitem__))


def listed_places(
    name: str,
    here: str,
    plan_place: str | None,
    *,
    places: Sequence[str],
    place_rank: dict[str, int],
    crowded: Sequence[str],
    cap: int | None,
    seed: int,
    tick: int,
) -> tuple[str, ...]:
    """The places ``name`` (at ``here``) is shown: all of ``places`` when there are at most
    ``cap``, else ``cap`` chosen by the rule above, in ``places``' order. ``crowded``: the places
    from most to least crowded (at least ``cap`` of them)."""
    if cap is None or len(places) <= cap:
        return tuple(places)
    chosen: dict[str, None] = {here: None}
    if plan_place is not None and plan_place in place_rank:
        chosen.setdefault(plan_place, None)
    for place in crowded:
        if len(chosen) >= cap // 2:
            break
        chosen.setdefault(place, None)
    if len(chosen) < cap:
        rng = derive_rng(seed, tick, "places", name)
        # seeded positions, drawn one at a time (O(cap), however many places; a place already
        # chosen is skipped): len(places) > cap, so the list fills
        n = len(places)
        while len(chosen) < cap:
            chosen.setdefault(places[int(rng.random() * n)], None)
    return tuple(sorted(chosen, key=place_rank.__getitem__))


class Attention:
    """A world's attention: whom each agent notices this tick (computed once a tick, when events
    are delivered, and reused for its decide prompt)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.config: AttentionConfig = world.config.attention
        self._tick = 0
        self._noticed: dict[str, tuple[str, ...]] = {}
        self._places = tuple(world.places)
        self._place_rank = {p: i for i, p in enumerate(self._places)}
        self._crowded: tuple[str, ...] | None = None

    def begin_tick(self, tick: int) -> None:
        self._tick = tick
        self._noticed = {}
        self._crowded = None

    def places(self, name: str, here: str, plan_place: str | None = None) -> tuple[str, ...]:
        """The places ``name``'s decide prompt lists this tick (every place, below the cap).
        The crowd is counted at the first call of a tick (during decide: nobody has moved yet)."""
        cap = self.config.max_places
        if cap is None or len(self._places) <= cap:
            return self._places
        if self._crowded is None:
            where = self.world.where
            counts = {p: where.count(p) for p in self._places}
            self._crowded = tuple(
                sorted(self._places, key=lambda p: (-counts[p], self._place_rank[p]))[: cap + 2]
            )
        return listed_places(
            name,
            here,
            plan_place,
            places=self._places,
            place_rank=self._place_rank,
            crowded=self._crowded,
            cap=cap,
            seed=self.world.config.seed,
            tick=self._tick,
        )

    def _ties(self, name: str) -> dict[str, float]:
        return {other: d.get("weight", 1.0) for other, d in self.world.graph.adj[name].items()}

    def noticed(self, name: str, addressed_by: list[str] | None = None) -> tuple[str, ...]:
        """Whom ``name`` notices at its place this tick (the others there, below the cap)."""
        found = self._noticed.get(name)
        if found is not None:
            return found
        where = self.world.where
        place = self.world.agent(name).place
        present = where.at(place)
        cap = self.config.max_present
        if cap is None or len(present) - 1 <= cap:
            found = tuple(n for n in present if n != name)
        else:
            if addressed_by is None:
                addressed_by = self._addressed(name)
            others = _Without(present, name, where.rank)
            found = noticed(
                name,
                others,
                cap=cap,
                addressed_by=addressed_by,
                is_present=lambda other: where.is_at(other, place),
                tie_weight=self._ties,
                rank=where.rank,
                seed=self.world.config.seed,
                tick=self._tick,
            )
        self._noticed[name] = found
        return found

    def _addressed(self, name: str) -> list[str]:
        """Who spoke to ``name`` in what it perceived this tick (as its prompt's addressed_by)."""
        agent = self.world.agent(name)
        return [
            o["source"]
            for o in agent.observations
            if o["kind"] == "say" and o["to"] == name and o["tick"] >= self._tick - 1
        ]

    def deliver(self, bus: EventBus) -> dict[str, list[EventRecord]]:
        names = self.world.where.rank
        return bus.deliver(
            max_events=self.config.max_events,
            noticed=self.noticed,
            is_agent=names.__contains__,
        )


class _Without(Sequence[str]):
    """``present`` without ``name``, without copying it (a crowded place has thousands)."""

    def __init__(self, present: tuple[str, ...], name: str, rank: dict[str, int]) -> None:
        self.present = present
        self.skip = _position(present, name, rank)

    def __len__(self) -> int:
        return len(self.present) - (self.skip >= 0)

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        return self.present[i + (self.skip >= 0 and i >= self.skip)]


def _position(present: tuple[str, ...], name: str, rank: dict[str, int]) -> int:
    """Where ``name`` is in ``present`` (sorted by rank), by binary search; -1 if absent."""
    if name not in rank:
        return -1
    i = bisect.bisect_left(present, rank[name], key=rank.__getitem__)
    return i if i < len(present) and present[i] == name else -1
