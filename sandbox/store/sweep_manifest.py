"""The manifest of a sweep: ``DIR/sweep.sqlite``, one row per run with its status and usage.

Only the sweep's driver writes it (one process); workers write their own trajectory files. Any
SQLite tool (and ``sandbox.analysis.load_sweep``) can read it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.errors import StoreError

MANIFEST_FILE = "sweep.sqlite"
RUNS_DIR = "runs"

STATUSES = ("pending", "running", "completed", "failed", "interrupted")

# The columns of the ``runs`` table, in order (docs/sweeps.md describes them).
RUN_COLUMNS: dict[str, str] = {
    "run_id": "TEXT PRIMARY KEY",
    "condition": "TEXT NOT NULL",
    "model": "TEXT NOT NULL",
    "seed": "INTEGER NOT NULL",
    "status": "TEXT NOT NULL",
    "error": "TEXT",
    "attempts": "INTEGER NOT NULL DEFAULT 0",
    "calls": "INTEGER",
    "tokens": "INTEGER",
    "cost_usd": "REAL",
    "wall_s": "REAL",
    "directory": "TEXT NOT NULL",
    "config_hash": "TEXT NOT NULL",
    "version": "TEXT",
    "host": "TEXT",
    "started_at": "TEXT",
    "finished_at": "TEXT",
    "spec": "TEXT NOT NULL",
}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def is_sweep(path: str | Path) -> bool:
    return (Path(path) / MANIFEST_FILE).exists()


class Manifest:
    """Read and write ``DIR/sweep.sqlite``. ``create=False`` refuses a folder that is no sweep."""

    def __init__(self, directory: str | Path, *, create: bool = False) -> None:
        self.directory = Path(directory)
        self.path = self.directory / MANIFEST_FILE
        if not self.path.exists() and not create:
            raise StoreError(
                f"no sweep at {directory}: expected {MANIFEST_FILE} there (a folder made by "
                "'sandbox sweep ... --out DIR')"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            columns = ", ".join(f"{k} {v}" for k, v in RUN_COLUMNS.items())
            self.conn.execute(f"CREATE TABLE IF NOT EXISTS runs ({columns})")
            self.conn.execute("CREATE TABLE IF NOT EXISTS sweep (key TEXT PRIMARY KEY, value TEXT)")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a readable sweep manifest: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # The sweep's own settings (what it was planned from and how it runs), as JSON values.
    def set_meta(self, **values: Any) -> None:
        with self.conn:
            for key, value in values.items():
                self.conn.execute(
                    "INSERT OR REPLACE INTO sweep VALUES (?, ?)", (key, json.dumps(value))
                )

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM sweep")}

    def add(self, runs: Iterable[dict[str, Any]]) -> int:
        """Register runs (dicts with run_id, condition, model, seed, directory, config_hash,
        spec); runs already known are left as they are. Returns how many were new."""
        new = 0
        with self.conn:
            for r in runs:
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO runs (run_id, condition, model, seed, status, directory,"
                    " config_hash, spec) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                    (
                        r["run_id"],
                        r["condition"],
                        r["model"],
                        r["seed"],
                        r["directory"],
                        r["config_hash"],
                        json.dumps(r["spec"], sort_keys=True),
                    ),
                )
                new += cur.rowcount
        return new

    def rows(self, where: str = "", params: tuple = ()) -> list[dict[str, Any]]:
        sql = "SELECT * FROM runs" + (f" WHERE {where}" if where else "") + " ORDER BY rowid"
        return [dict(r) for r in self.conn.execute(sql, params)]

    def get(self, run_id: str) -> dict[str, Any]:
        rows = self.rows("run_id = ?", (run_id,))
        if not rows:
            raise StoreError(f"{self.path} has no run {run_id}")
        return rows[0]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for status, n in self.conn.execute("SELECT status, count(*) FROM runs GROUP BY status"):
            out[status] = n
        return out

    def mark_running(self, run_id: str) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE runs SET status = 'running', attempts = attempts + 1, started_at = ?,"
                " finished_at = NULL WHERE run_id = ?",
                (now(), run_id),
            )

    def record(self, run_id: str, **fields: Any) -> None:
        """Write a run's outcome (status, error, calls, tokens, cost_usd, wall_s, version, host)."""
        unknown = set(fields) - set(RUN_COLUMNS)
        if unknown:
            raise ValueError(f"unknown manifest columns: {sorted(unknown)}")
        fields.setdefault("finished_at", now())
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.conn:
            self.conn.execute(
                f"UPDATE runs SET {sets} WHERE run_id = ?", (*fields.values(), run_id)
            )

    def mark_interrupted(self) -> int:
        """Runs left 'running' (their driver stopped) become 'interrupted'."""
        with self.conn:
            cur = self.conn.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'",
                (now(),),
            )
        return cur.rowcount
