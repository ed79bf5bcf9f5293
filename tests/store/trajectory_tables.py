"""Comparing two trajectory files table by table (test helper)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sandbox.store.checkpoint import stored_state

# A tick's checkpoint is compared as the state it stores, not as stored: where a full checkpoint
# falls (every 100 ticks, and first after a resume) differs between a resumed and a straight run.
CHECKPOINT = {"state", "state_delta"}

# Columns that differ between two runs of the same world for reasons other than the trajectory:
# wall-clock times, latencies and the run's own id.
VOLATILE: dict[str, set[str]] = {
    "runs": {"id", "created_at", "finished_at"},
    "ticks": {"wall_s", "committed_at"},
    "llm_calls": {"latency_s"},
    "interviews": {"asked_at"},
    "segments": {"started_at"},
}


def _file(run: Path) -> Path:
    return run / "trajectory.sqlite" if run.is_dir() else run


def table_rows(
    run: Path,
    *,
    through_tick: int | None = None,
    ignore: dict[str, set[str]] | None = None,
) -> dict[str, list[tuple]]:
    """Every table's rows in insertion order, without volatile columns. With ``through_tick``,
    only the rows of tick-bound tables up to that tick (and not ``runs`` or ``memories``, which
    later ticks update)."""
    conn = sqlite3.connect(f"file:{_file(run)}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name"
            )
        ]
        out: dict[str, list[tuple]] = {}
        for table in tables:
            skip = VOLATILE.get(table, set()) | (ignore or {}).get(table, set())
            columns = [
                r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip
            ]
            where = ""
            if through_tick is not None:
                if table in ("runs", "memories", "meta"):
                    continue
                if "tick" in columns:
                    where = f" WHERE tick <= {int(through_tick)}"
            if table == "ticks":
                columns = [c for c in columns if c not in CHECKPOINT]
            sql = f"SELECT {', '.join(columns)} FROM {table}{where} ORDER BY rowid"
            rows = [tuple(r) for r in conn.execute(sql)]
            if table == "ticks":
                at = columns.index("tick")
                rows = [(*r, json.dumps(stored_state(conn, r[at]), sort_keys=True)) for r in rows]
            out[table] = rows
        return out
    finally:
        conn.close()


def differences(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> list[str]:
    """Human-readable differences between two ``table_rows`` results (empty when equal)."""
    out = []
    for table in sorted(set(a) | set(b)):
        ra, rb = a.get(table), b.get(table)
        if ra is None or rb is None:
            out.append(f"{table}: only in {'first' if rb is None else 'second'}")
        elif ra != rb:
            first = next((i for i, (x, y) in enumerate(zip(ra, rb, strict=False)) if x != y), None)
            where = f"first differing row {first}" if first is not None else "one is a prefix"
            out.append(f"{table}: {len(ra)} vs {len(rb)} rows, {where}")
    return out
