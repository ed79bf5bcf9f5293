"""Tick checkpoints stored as deltas: what changed since the previous tick, not the whole state.

A world's state (``World.state_dict()``) is JSON. Most of it does not change from one tick to the
next, and what does mostly grows at one end (an agent's observations lose their oldest entries and
gain the tick's new ones). ``diff(old, new)`` writes only that; ``patch(old, delta)`` rebuilds
``new`` exactly. A delta node is a one-key dict:

- ``{"=": value}``: the value replaced whole;
- ``{"d": {key: node}, "x": [key, ...]}``: a mapping, with changed or added keys and removed keys;
- ``{"l": [k, [item, ...]]}``: a list that dropped its first ``k`` items and appended the items;
- ``{"s": [{index: node}, [item, ...]]}``: a list whose items at those indexes changed (in place),
  then the items appended.

The trajectory keeps a full snapshot every ``FULL_EVERY`` ticks (and at the first tick a writer
commits, so a resumed run starts from one), and deltas in between; reading a tick's state applies
at most ``FULL_EVERY - 1`` deltas to the snapshot before it.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from sandbox.store.introspect import Source, column_names, database
from sandbox.store.state_events import expand

FULL_EVERY = 100
MAX_DROP = 256  # a list that lost more of its head than this in one tick is diffed item by item

Delta = dict[str, Any]


def diff(old: Any, new: Any) -> Delta:
    """A node that turns ``old`` into ``new`` (both JSON values, as ``json.loads`` returns them)."""
    if isinstance(old, dict) and isinstance(new, dict):
        changed = {
            k: ({"=": v} if k not in old else diff(old[k], v))
            for k, v in new.items()
            if k not in old or not _same(old[k], v)
        }
        node: Delta = {"d": changed}
        removed = [k for k in old if k not in new]
        if removed:
            node["x"] = removed
        return node
    if isinstance(old, list) and isinstance(new, list):
        return _list_diff(old, new)
    return {"=": new}


def patch(old: Any, node: Delta) -> Any:
    """``new`` from ``old`` and ``diff(old, new)``. ``old`` is not modified."""
    if "=" in node:
        return node["="]
    if "d" in node:
        removed = node.get("x")
        if removed:  # a set: thousands of keys can go in one tick (observations forgotten)
            gone = set(removed)
            out = {k: v for k, v in old.items() if k not in gone}
        else:
            out = dict(old)
        for k, sub in node["d"].items():
            out[k] = patch(old[k], sub) if k in old and "=" not in sub else sub["="]
        return out
    if "l" in node:
        drop, appended = node["l"]
        return old[drop:] + appended
    if "s" in node:
        changes, appended = node["s"]
        items = list(old)
        for index, sub in changes.items():
            i = int(index)  # JSON object keys are strings
            items[i] = patch(old[i], sub)
        return items + appended
    raise ValueError(f"not a checkpoint delta: {sorted(node)}")


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON: 1, 1.0 and True are equal in Python but not in a checkpoint. (``==`` in C
    first; then, for equal containers, the item types, compared in C, walked only into nested
    containers.)"""
    return type(a) is type(b) and a == b and _strict(a, b)


def _strict(a: Any, b: Any) -> bool:
    """For ``a == b``: whether their types agree all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        items_a, items_b = list(a.values()), list(map(b.__getitem__, a))
    elif isinstance(a, list):
        items_a, items_b = a, b
    else:
        return True
    types = list(map(type, items_a))
    if types != list(map(type, items_b)):
        return False
    if dict not in types and list not in types:
        return True
    return all(_strict(x, y) for x, y in zip(items_a, items_b, strict=True))


def _list_diff(old: list[Any], new: list[Any]) -> Delta:
    n = len(old)
    for drop in range(min(n, MAX_DROP) + 1):  # a sliding window: new starts with old[drop:]
        kept = n - drop
        if kept > len(new) or (kept and old[drop] != new[0]):  # one item first: cheap to reject
            continue
        if old[drop:] != new[:kept]:  # compared in C first; strictly below
            continue
        if _same(old[drop:], new[:kept]):
            if drop == 0 and kept == len(new):
                return {"s": [{}, []]}
            if kept > 0 or not old:
                return {"l": [drop, new[kept:]]}
            break
    if len(new) >= n:
        changed: list[int] = []  # the items that changed, found before any is diffed
        for i, (a, b) in enumerate(zip(old, new[:n], strict=True)):
            if not _same(a, b):
                changed.append(i)
                if len(changed) > n // 2:
                    break  # mostly new (a tick's pending events): replaced whole, below
        else:
            return {"s": [{str(i): diff(old[i], new[i]) for i in changed}, new[n:]]}
    return {"=": new}


def stored_state(source: Source, tick: int, *, events: bool = True) -> Any:
    """The state committed at ``tick`` as stored in a trajectory file: its full checkpoint, or the
    last full one before it with the deltas after it applied. None if the file holds no full
    checkpoint at or before ``tick``. The pending events and observations it names are read
    from ``events`` (``state_events``); with ``events=False`` they stay references."""
    db = database(source)
    state = _patched(db, tick)
    return expand(db.conn, state) if events else state


def _patched(db: sqlite_utils.Database, tick: int) -> Any:
    ticks = db["ticks"]
    if "state_delta" not in column_names(db, "ticks"):
        rows = list(ticks.rows_where("tick = ?", [tick], select="state"))
        return json.loads(rows[0]["state"]) if rows and rows[0]["state"] is not None else None
    base = list(
        ticks.rows_where(
            "tick <= ? AND state IS NOT NULL",
            [tick],
            order_by="tick DESC",
            select="tick, state",
            limit=1,
        )
    )
    if not base:
        return None
    state = json.loads(base[0]["state"])
    for row in ticks.rows_where(
        "tick > ? AND tick <= ?", [base[0]["tick"], tick], order_by="tick", select="state_delta"
    ):
        state = patch(state, json.loads(row["state_delta"]))
    return state
