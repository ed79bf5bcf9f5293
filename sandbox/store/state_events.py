"""A checkpoint's events by reference (schema 14).

A world's state holds two copies of events the same file already has in ``events``: ``pending``
(the tick's events not yet perceived, the tail of its events) and ``observed`` (what agents
perceived, one entry per event under the key ``"tick.seq"``). At 10,000 agents they were 5 MB of
a 7.5 MB checkpoint delta a tick, serialised, written and parsed again every tick. The stored
checkpoint names them instead, under ``from_events``:

- ``"pending": [tick, first_seq, count]``: the events of ``tick`` from sequence number
  ``first_seq`` on, ``count`` of them, in order; an audience of ``COMPACT_FROM`` names or more is a
  number into the state's ``audiences``, numbered as ``sandbox.world.events.pending_state``
  numbers them (each distinct list of names once, in order of first use);
- ``"observed": {key: observation}``: the observations that are not the projection of an event
  of this file (a world started from another run's state, a checkpoint of an earlier version);
  every other key an agent's ``observations`` name is read back from ``events``.

``stored_form`` makes the stored form from the live state and the tick's events; ``expand``
rebuilds the live state from it. A checkpoint without ``from_events`` is the state itself (every
file before schema 14, and a state whose pending events are not the tick's).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from sandbox.errors import StoreError
from sandbox.store.records import EventRecord
from sandbox.store.schema import COMPACT_FROM

FROM_EVENTS = "from_events"


def stored_form(state: Any, events: Sequence[EventRecord], first_tick: int) -> Any:
    """``state`` with its pending events and observations replaced by references to ``events``
    (the tick's, committed with it) and to the events of ticks ``first_tick`` and later (those
    this file holds). A state of another shape is returned as it is."""
    if not isinstance(state, dict) or FROM_EVENTS in state:
        return state
    pending, observed = state.get("pending"), state.get("observed")
    if not isinstance(pending, list) or not isinstance(observed, dict):
        return state
    count = len(pending)
    tail = events[len(events) - count :] if count else []
    if len(tail) != count or any(
        row.get("tick") != e.tick or row.get("seq") != e.seq or row.get("text") != e.text
        for row, e in zip(pending, tail, strict=True)
    ):
        return state  # not the tick's last events: stored as they are
    tick, first_seq = (tail[0].tick, tail[0].seq) if tail else (state.get("tick", 0), 0)
    kept = {k: v for k, v in observed.items() if _event_key(k, first_tick) is None}
    out = {k: v for k, v in state.items() if k not in ("pending", "observed")}
    out[FROM_EVENTS] = {"pending": [tick, first_seq, count], "observed": kept}
    return out


def _event_key(key: str, first_tick: int) -> tuple[int, int] | None:
    """(tick, seq) of an observation key ``"tick.seq"`` whose event this file holds, else None."""
    tick, dot, seq = key.partition(".")
    if not dot or not tick.isdigit() or not seq.isdigit():
        return None
    return (int(tick), int(seq)) if int(tick) >= first_tick else None


def expand(conn: sqlite3.Connection, state: Any) -> Any:
    """The live state from its stored form (a state without references is returned as it is;
    ``state`` is not modified)."""
    if not isinstance(state, dict) or FROM_EVENTS not in state:
        return state
    refs = state[FROM_EVENTS]
    kept: dict[str, Any] = refs["observed"]
    wanted: dict[int, set[int]] = {}
    for agent in state.get("agents", {}).values():
        for key in agent.get("observations", ()):
            if isinstance(key, str) and key not in kept:
                found = _event_key(key, 0)
                if found is None:
                    raise StoreError(f"a checkpoint names observation {key!r}, which it lacks")
                wanted.setdefault(found[0], set()).add(found[1])
    observed = dict(kept)
    for tick, seqs in wanted.items():
        rows = conn.execute(
            "SELECT seq, kind, source, text, data FROM events WHERE tick = ?", (tick,)
        ).fetchall()
        for seq, kind, source, text, data in rows:
            if seq in seqs:
                seqs.discard(seq)
                observed[f"{tick}.{seq}"] = {
                    "tick": tick,
                    "seq": seq,
                    "kind": kind,
                    "source": source,
                    "text": text,
                    "to": json.loads(data).get("to") if data else None,
                }
        if seqs:
            raise StoreError(
                f"a checkpoint names events of tick {tick} that the file lacks (seq {min(seqs)})"
            )
    out = {k: v for k, v in state.items() if k != FROM_EVENTS}
    out["observed"] = observed
    out["pending"] = _pending(conn, *refs["pending"])
    return out


def _pending(conn: sqlite3.Connection, tick: int, first_seq: int, count: int) -> list[Any]:
    """The pending events' rows as ``pending_state`` writes them."""
    if not count:
        return []
    rows = conn.execute(
        "SELECT tick, seq, kind, source, place, visibility, audience, audience_ref, text, data"
        " FROM events WHERE tick = ? AND seq >= ? ORDER BY seq LIMIT ?",
        (tick, first_seq, count),
    ).fetchall()
    if len(rows) != count:
        raise StoreError(
            f"a checkpoint names {count} pending events of tick {tick}; the file has {len(rows)}"
        )
    refs = {r[7] for r in rows if r[7] is not None}
    names: dict[int, tuple[str, ...]] = {}
    for ref in refs:
        [(text,)] = conn.execute("SELECT names FROM audiences WHERE id = ?", (ref,)).fetchall()
        names[ref] = tuple(json.loads(text))
    numbers: dict[tuple[str, ...], int] = {}
    out = []
    for tick_, seq, kind, source, place, visibility, audience, ref, text, data in rows:
        if ref is not None:
            value: Any = numbers.setdefault(names[ref], len(numbers))
        else:
            listed = json.loads(audience) if audience else []
            value = (
                numbers.setdefault(tuple(listed), len(numbers))
                if len(listed) >= COMPACT_FROM
                else listed
            )
        out.append(
            {
                "tick": tick_,
                "seq": seq,
                "kind": kind,
                "source": source,
                "place": place,
                "visibility": visibility,
                "audience": value,
                "text": text,
                "data": json.loads(data) if data else {},
            }
        )
    return out
