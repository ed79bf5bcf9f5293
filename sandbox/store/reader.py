"""Reading a trajectory file (read-only): run metadata, state checkpoints, tables, fingerprints."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sandbox.errors import StoreError
from sandbox.store.checkpoint import patch, stored_state
from sandbox.store.integrity import require_whole
from sandbox.store.introspect import database
from sandbox.store.queries import TableQueries
from sandbox.store.schema import FINGERPRINT_COLUMNS, SCHEMA_VERSION
from sandbox.store.state_events import expand

TRAJECTORY_FILE = "trajectory.sqlite"


def resolve_run_path(run: str | Path) -> Path:
    """A run is a directory holding ``trajectory.sqlite``, or that file itself."""
    p = Path(run)
    if p.is_dir():
        p = p / TRAJECTORY_FILE
    if not p.exists() and Path(f"{p}.lock").exists():
        raise StoreError(
            f"{run} holds no trajectory: the run was stopped before it started, so nothing was "
            "recorded; delete its folder and run again"
        )
    if not p.exists():
        raise StoreError(
            f"no run at {run}: expected a run directory containing {TRAJECTORY_FILE}, or the file "
            "itself (runs are written under runs/ by default)"
        )
    return p


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection. A WAL file in a directory the reader cannot write (a copied or
    archived run) cannot be opened with ``mode=ro`` alone (SQLite wants its ``-shm`` file); such a
    file is opened ``immutable`` unless a ``-wal`` file holds commits not yet in the database."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        if "readonly" not in str(exc) and "unable to open" not in str(exc):
            raise
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise StoreError(
                f"{path} is read-only and its {wal.name} holds commits not yet in it; copy the "
                "run directory somewhere writable to read it"
            ) from None
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


@contextlib.contextmanager
def damaged_file(path: Path) -> Iterator[None]:
    """Turn SQLite's complaint about a damaged or foreign file into a StoreError naming it."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
            raise
        raise StoreError(
            f"{path} is not a readable trajectory file ({exc}); it is damaged or not a sandbox "
            "run: restore a copy or start the run again"
        ) from None


class RunReader(TableQueries):
    """A trajectory file opened read-only. Opening it checks that its last tick is whole
    (``PartialTickError`` otherwise, naming ``sandbox inspect --check`` / ``--repair``).

    Its reads (``rows``, ``count``, ``frame``, ``call_counts`` ...) come from ``TableQueries``;
    the connection stays inside ``sandbox/store``."""

    def __init__(self, run: str | Path) -> None:
        self.path = resolve_run_path(run)
        with damaged_file(self.path):
            self._db = database(connect_read_only(self.path))
        try:
            self._check()
        except BaseException:
            self._db.close()
            raise

    def _reading(self) -> contextlib.AbstractContextManager[None]:
        return damaged_file(self.path)

    def _check(self) -> None:
        tables = self.tables()
        if not tables:
            raise StoreError(
                f"{self.path} holds nothing: the run was stopped before its trajectory was set "
                "up, so nothing was recorded; delete its folder and run again"
            )
        if not {"meta", "runs"} <= tables:
            raise StoreError(
                f"{self.path} is not a trajectory file (no 'meta' and 'runs' tables): give a "
                "run directory made by 'sandbox run', or its trajectory.sqlite"
            )
        rows = self.rows("meta", "key = 'schema_version'", select="value")
        version = int(rows[0]["value"]) if rows else None
        if version is None or version > SCHEMA_VERSION or version < 1:
            raise StoreError(
                f"{self.path} has trajectory schema version {'unknown' if version is None else version}; this "
                f"sandbox reads versions 1 to {SCHEMA_VERSION}"
            )
        try:
            require_whole(self._db.conn, self.path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a readable trajectory file: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RunReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self) -> dict[str, Any]:
        rows = self.rows("runs", limit=1)
        if not rows:
            raise StoreError(
                f"{self.path} holds no run record: the run was stopped (or failed) before it "
                "started, so nothing was recorded; delete its folder and run again"
            )
        out = rows[0]
        for key in ("config", "versions", "prompt_hashes", "settings"):
            out[key] = json.loads(out[key]) if out[key] else {}
        return out

    def segments(self) -> list[dict[str, Any]]:
        """The run's segments (settings per stretch of ticks), oldest first. A file written before
        segments were recorded (schema < 6) has one, made from its run record; so has a run whose
        first segment is missing, before its later ones."""
        rows = self.rows("segments", order_by="segment") if "segments" in self.tables() else []
        if not rows or rows[0]["from_tick"] != 1:
            meta = self.run()
            settings = meta["settings"]
            first = {
                "segment": None,
                "from_tick": 1,
                "model": meta["model"],
                "api_base": meta["api_base"],
                "judge_model": settings.get("judge_model"),
                "judge_api_base": settings.get("judge_api_base"),
                "seed": meta["seed"],
                "started_at": meta["created_at"],
            }
            rows.insert(0, first)
        return rows

    def state_at(self, tick: int) -> dict[str, Any]:
        """The world's state as committed at ``tick``: the last full checkpoint at or before it,
        with the deltas after it applied (schema 8; older files hold a full state every tick)."""
        if not self.count("ticks", "tick = ?", (tick,)):
            raise StoreError(f"{self.path} has no committed tick {tick}")
        with damaged_file(self.path):
            state = stored_state(self._db, tick, events=False)
        if state is None:
            raise StoreError(f"{self.path} has no full checkpoint at or before tick {tick}")
        try:
            return expand(self._db.conn, state)
        except StoreError as exc:  # events the checkpoint names are missing
            raise StoreError(f"{self.path}: the state at tick {tick}: {exc}") from None

    def states(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every committed tick's state in order, each built from the one before (read-only:
        successive states share unchanged parts)."""
        select = "tick, state" + (", state_delta" if self._has_deltas() else "")
        state: Any = None
        for row in self.rows("ticks", select=select, order_by="tick"):
            state = (
                json.loads(row["state"])
                if row["state"] is not None
                else patch(state, json.loads(row["state_delta"]))
            )
            yield row["tick"], expand(self._db.conn, state)

    def _has_deltas(self) -> bool:
        return "state_delta" in self.columns("ticks")

    def tick_fingerprints(self) -> dict[int, str]:
        """SHA-256 per tick over its events, actions and thoughts (no ids, times or usage)."""
        hashers: dict[int, Any] = {}
        present = self.tables()
        for table, columns in FINGERPRINT_COLUMNS.items():
            if table not in present:
                continue
            have = self.columns(table)
            columns = [c for c in columns if c in have]
            for row in self.rows(table, select=", ".join(columns), order_by="tick, rowid"):
                values = list(row.values())
                h = hashers.setdefault(values[0], hashlib.sha256())
                h.update(table.encode())
                h.update(json.dumps(values, sort_keys=True).encode())
        ticks = [r["tick"] for r in self.rows("ticks", select="tick", order_by="tick")]
        return {t: hashers[t].hexdigest() if t in hashers else "" for t in ticks}

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for tick, digest in sorted(self.tick_fingerprints().items()):
            h.update(f"{tick}:{digest}".encode())
        return h.hexdigest()
