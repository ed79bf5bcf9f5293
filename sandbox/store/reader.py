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
from sandbox.store.introspect import column_names, table_names
from sandbox.store.schema import AUDIENCE_SQL, FINGERPRINT_COLUMNS, SCHEMA_VERSION

TRAJECTORY_FILE = "trajectory.sqlite"


def resolve_run_path(run: str | Path) -> Path:
    """A run is a directory holding ``trajectory.sqlite``, or that file itself."""
    p = Path(run)
    if p.is_dir():
        p = p / TRAJECTORY_FILE
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


class RunReader:
    """A trajectory file opened read-only. Opening it checks that its last tick is whole
    (``PartialTickError`` otherwise, naming ``sandbox inspect --check`` / ``--repair``)."""

    def __init__(self, run: str | Path) -> None:
        self.path = resolve_run_path(run)
        with damaged_file(self.path):
            self.conn = connect_read_only(self.path)
        try:
            self._check()
        except BaseException:
            self.conn.close()
            raise

    def _check(self) -> None:
        with damaged_file(self.path):
            self.conn.row_factory = sqlite3.Row
            tables = self.tables()
            if not {"meta", "runs"} <= tables:
                raise StoreError(
                    f"{self.path} is not a trajectory file (no 'meta' and 'runs' tables): give a "
                    "run directory made by 'sandbox run', or its trajectory.sqlite"
                )
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None or int(row[0]) > SCHEMA_VERSION or int(row[0]) < 1:
            raise StoreError(
                f"{self.path} has trajectory schema version {row[0] if row else 'unknown'}; this "
                f"sandbox reads versions 1 to {SCHEMA_VERSION}"
            )
        try:
            require_whole(self.conn, self.path)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path} is not a readable trajectory file: {exc}") from None
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> RunReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self) -> dict[str, Any]:
        with damaged_file(self.path):
            row = self.conn.execute("SELECT * FROM runs").fetchone()
        if row is None:
            raise StoreError(
                f"{self.path} holds no run record: the run failed before it started; delete "
                "its folder and run again"
            )
        out = dict(row)
        for key in ("config", "versions", "prompt_hashes", "settings"):
            out[key] = json.loads(out[key]) if out[key] else {}
        return out

    def segments(self) -> list[dict[str, Any]]:
        """The run's segments (settings per stretch of ticks), oldest first. A file written before
        segments were recorded (schema < 6) has one, made from its run record; so has a run whose
        first segment is missing, before its later ones."""
        rows = self.rows("segments") if "segments" in self.tables() else []
        rows.sort(key=lambda r: r["segment"])
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

    def last_tick(self) -> int:
        with damaged_file(self.path):
            row = self.conn.execute("SELECT max(tick) FROM ticks").fetchone()
        return int(row[0] or 0)

    def state_at(self, tick: int) -> dict[str, Any]:
        """The world's state as committed at ``tick``: the last full checkpoint at or before it,
        with the deltas after it applied (schema 8; older files hold a full state every tick)."""
        with damaged_file(self.path):
            if self.conn.execute("SELECT 1 FROM ticks WHERE tick = ?", (tick,)).fetchone() is None:
                raise StoreError(f"{self.path} has no committed tick {tick}")
            state = stored_state(self.conn, tick)
            if state is None:
                raise StoreError(f"{self.path} has no full checkpoint at or before tick {tick}")
            return state

    def states(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every committed tick's state in order, each built from the one before (read-only:
        successive states share unchanged parts)."""
        deltas = self._has_deltas()
        sql = "SELECT tick, state" + (", state_delta" if deltas else "") + " FROM ticks"
        state: Any = None
        with damaged_file(self.path):
            for row in self.conn.execute(sql + " ORDER BY tick").fetchall():
                state = (
                    json.loads(row[1]) if row[1] is not None else patch(state, json.loads(row[2]))
                )
                yield row[0], state

    def _has_deltas(self) -> bool:
        return "state_delta" in self.columns("ticks")

    def tables(self) -> set[str]:
        """The tables the file holds (older schema versions lack some)."""
        with damaged_file(self.path):
            return table_names(self.conn)

    def columns(self, table: str) -> set[str]:
        with damaged_file(self.path):
            return column_names(self.conn, table)

    def rows(self, table: str, where: str = "", params: tuple = ()) -> list[dict[str, Any]]:
        """A table's rows as dicts; ``events`` with every ``audience`` as its JSON list (also
        those stored once in ``audiences``)."""
        sql = self.select_sql(table) + (f" WHERE {where}" if where else "")
        with damaged_file(self.path):
            rows = [dict(r) for r in self.conn.execute(sql + " ORDER BY rowid", params)]
        return rows

    def select_sql(self, table: str) -> str:
        """``SELECT * FROM table``, with ``events.audience`` expanded where it is stored once."""
        if table != "events" or "audience_ref" not in self.columns("events"):
            return f"SELECT * FROM {table}"
        with damaged_file(self.path):
            names = [r[1] for r in self.conn.execute("PRAGMA table_info(events)")]
        columns = ", ".join(f"{AUDIENCE_SQL} AS audience" if c == "audience" else c for c in names)
        return f"SELECT {columns} FROM events"

    def audience_sql(self) -> str:
        """The SQL expression of an ``events`` row's audience (a JSON list), in this file."""
        return AUDIENCE_SQL if "audience_ref" in self.columns("events") else "events.audience"

    def count(self, table: str) -> int:
        with damaged_file(self.path):
            return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def tick_fingerprints(self) -> dict[int, str]:
        """SHA-256 per tick over its events, actions and thoughts (no ids, times or usage)."""
        hashers: dict[int, Any] = {}
        present = self.tables()
        for table, columns in FINGERPRINT_COLUMNS.items():
            if table not in present:
                continue
            have = self.columns(table)
            columns = [c for c in columns if c in have]
            if table == "events":
                columns = [self.audience_sql() if c == "audience" else c for c in columns]
            sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY tick, rowid"
            for row in self.conn.execute(sql):
                h = hashers.setdefault(row[0], hashlib.sha256())
                h.update(table.encode())
                h.update(json.dumps(list(row), sort_keys=True).encode())
        ticks = [r[0] for r in self.conn.execute("SELECT tick FROM ticks ORDER BY tick")]
        return {t: hashers[t].hexdigest() if t in hashers else "" for t in ticks}

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for tick, digest in sorted(self.tick_fingerprints().items()):
            h.update(f"{tick}:{digest}".encode())
        return h.hexdigest()
