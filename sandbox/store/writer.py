"""Writing a run's trajectory: one SQLite file (WAL), one transaction per tick.

Every write that spans more than one row (a tick, the run record, a survey, an interview, a schema
upgrade) is one ``BEGIN IMMEDIATE`` ... ``COMMIT`` transaction, rolled back on any exception, so the
file only ever holds whole ticks. A tick's ``ticks`` row is written last: it is the tick's commit
mark. ``synchronous=NORMAL`` in WAL mode makes a commit survive the process being killed (SIGKILL);
only a power loss or OS crash can lose the last commits, and then whole ticks, never part of one.

Rows are written with sqlite-utils; raw SQL is left for what it has no word for: the transaction,
PRAGMAs, and the ``UPDATE``s of the one-row ``runs`` record and of memory scores (its ``update``
reads each row first and fails on a missing one).
"""

from __future__ import annotations

import contextlib
import json
import operator
import platform
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import BaseModel

from sandbox.collector import collector_paused
from sandbox.errors import StoreError
from sandbox.personas.persona import BIG_FIVE_DOMAINS, Persona
from sandbox.store.checkpoint import FULL_EVERY, diff, patch
from sandbox.store.integrity import require_whole
from sandbox.store.queries import TableQueries
from sandbox.store.records import (
    ActionRecord,
    EventRecord,
    LLMCallRecord,
    MetricRecord,
    SurveyRecord,
    ThoughtRecord,
    TickRecord,
)
from sandbox.store.run_lock import WriterLock
from sandbox.store.schema import (
    COLUMNS_ADDED_IN,
    COMPACT_FROM,
    SCHEMA_VERSION,
    TABLES,
    TABLES_ADDED_IN,
)
from sandbox.store.state_events import stored_form
from sandbox.store.wal import WalCheckpointer


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _dumps_or_null(value: Any) -> str | None:
    return None if value is None else _dumps(value)


def _insert_records(
    conn: sqlite3.Connection,
    table: str,
    records: Sequence[BaseModel],
    kind: type[BaseModel],
    encoded: dict[str, Callable[[Any], Any]],
) -> None:
    """Insert records of one kind with one ``executemany``, their fields read as attributes (what
    ``model_dump`` gives for these flat records, without its cost on 10,000s of rows a tick):
    the fields in ``encoded`` go through their function (a dict to JSON; a computed column)."""
    if not records:
        return
    plain = [f for f in kind.model_fields if f not in encoded]
    get = operator.attrgetter(*plain)
    extra = list(encoded.items())
    columns = [*plain, *(name for name, _ in extra)]
    sql = (
        f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    conn.executemany(sql, ((*get(r), *(f(r) for _, f in extra)) for r in records))


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("sandbox", "mesa", "litellm", "pydantic", "numpy", "networkx"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def open_database(path: Path) -> sqlite_utils.Database:
    """A connection in autocommit mode: transactions are opened explicitly (``transaction``)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; ``ROLLBACK`` on any exception (also KeyboardInterrupt).
    sqlite-utils' own writes nest inside it as savepoints."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# Called inside a tick's transaction with (tick, step): "begin", then after each insert
# ("events", "actions", "beliefs", "thoughts", "memories", "memory_scores", "metrics", "llm_calls",
# "runs", "ticks"). A fault-injection point for tests; raising from it rolls the tick back.
CommitHook = Callable[[int, str], None]
COMMIT_STEPS = (
    "begin",
    "events",
    "actions",
    "beliefs",
    "thoughts",
    "memories",
    "memory_scores",
    "metrics",
    "llm_calls",
    "runs",
    "ticks",
)


class TrajectoryWriter(TableQueries):
    """Creates (or reopens, for resume) a trajectory file and commits ticks to it.

    Reopening a file checks that its last tick is whole (``PartialTickError`` otherwise). It reads
    what it wrote through ``TableQueries`` (``call_counts`` for the error policy of a resumed run);
    the connection stays inside ``sandbox/store``."""

    def __init__(self, path: str | Path, *, commit_hook: CommitHook | None = None) -> None:
        self.path = Path(path)
        self.commit_hook = commit_hook
        self._last_state: Any = None  # the last committed checkpoint (for deltas)
        self._since_full = 0
        self._full_chars = 0  # the length of the last full snapshot written
        self._audience_ids: dict[tuple[str, ...], int] = {}  # audiences stored by this writer
        self._next_audience: int | None = None
        self._audiences_used: dict[tuple[str, ...], int] = {}
        self._first_tick: int | None = None  # the first tick committed to this file
        self._lock: WriterLock | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = WriterLock(self.path)  # one writer per run, across processes
            self._db = open_database(self.path)
            # checkpoints in the background (``sandbox.store.wal``), not inside the commits
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._wal = WalCheckpointer(self.path)
            self._ensure_schema()
        except StoreError:
            self._release()
            raise
        except OSError as exc:
            self._release()
            raise StoreError(
                f"cannot write {self.path}: {exc.strerror or exc}; choose a writable --out "
                "(to resume a run in a read-only place, copy it somewhere writable)"
            ) from None
        except sqlite3.DatabaseError as exc:
            self._release()
            if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                raise
            raise StoreError(
                f"cannot write {self.path}: {exc} (a read-only place, or a file that is not a "
                "sandbox trajectory); choose a writable --out or another run"
            ) from None

    def _step(self, tick: int, step: str) -> None:
        if self.commit_hook is not None:
            self.commit_hook(tick, step)

    def _ensure_schema(self) -> None:
        if "meta" in self.tables():
            rows = self.rows("meta", "key = 'schema_version'", select="value")
            version = int(rows[0]["value"]) if rows else None
            if version is None or version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has trajectory schema version {version}; this sandbox writes "
                    f"version {SCHEMA_VERSION}. Use a matching sandbox version to continue it."
                )
            require_whole(self._db.conn, self.path)
            if version < SCHEMA_VERSION:
                self._upgrade(version)
            self._audience_ids = self._last_tick_audiences()
            self._first_tick = self._db.execute("SELECT min(tick) FROM ticks").fetchone()[0]
            return
        with transaction(self._db.conn):
            for name, (columns, pk, indexes) in TABLES.items():
                self._db.table(name).create(columns, pk=pk, not_null=None, if_not_exists=True)
                for index in indexes:
                    self._db.table(name).create_index(index, if_not_exists=True)
            self._db.table("meta").insert({"key": "schema_version", "value": str(SCHEMA_VERSION)})

    def _upgrade(self, version: int) -> None:
        """Add what later schema versions added; existing rows are untouched."""
        with transaction(self._db.conn):
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for table_name, columns in COLUMNS_ADDED_IN.get(v, {}).items():
                    have = self.columns(table_name)
                    for column, kind in columns.items():
                        if column not in have:  # a table made later has it
                            self._db.table(table_name).add_column(column, kind)
                for name in TABLES_ADDED_IN.get(v, []):
                    columns, pk, indexes = TABLES[name]
                    self._db.table(name).create(columns, pk=pk, if_not_exists=True)
                    for index in indexes:
                        self._db.table(name).create_index(index, if_not_exists=True)
            self._db.table("meta").update("schema_version", {"value": str(SCHEMA_VERSION)})

    def start_run(
        self,
        *,
        run_id: str,
        config: dict[str, Any],
        world_file: str | None,
        model: str,
        api_base: str | None,
        ticks_planned: int,
        settings: dict[str, Any],
        personas: list[tuple[Persona, str]],
    ) -> None:
        with transaction(self._db.conn):
            self._db.table("runs").insert(
                {
                    "id": run_id,
                    "name": config["name"],
                    "world_file": world_file,
                    "config": _dumps(config),
                    "seed": config["seed"],
                    "model": model,
                    "api_base": api_base,
                    "ticks_planned": ticks_planned,
                    "last_tick": 0,
                    "status": "running",
                    "error": None,
                    "created_at": _now(),
                    "finished_at": None,
                    "versions": _dumps(package_versions()),
                    "prompt_hashes": _dumps({}),
                    "settings": _dumps(settings),
                }
            )
            self._db.table("agents").insert_all(
                {
                    "name": p.name,
                    "persona": _dumps(p.model_dump(mode="json")),
                    "start_place": start,
                    **{d: getattr(p.big_five, d) for d in BIG_FIVE_DOMAINS},
                }
                for p, start in personas
            )

    def record_segment(
        self,
        *,
        from_tick: int,
        model: str,
        api_base: str | None,
        judge_model: str | None,
        judge_api_base: str | None,
        seed: int,
    ) -> int:
        """Start a segment: the ticks from ``from_tick`` on run with these settings (a run has
        one; a resume that changes model, server or seed adds one). Returns its index."""
        with transaction(self._db.conn):
            index = self.count("segments")
            self._db.table("segments").insert(
                {
                    "segment": index,
                    "from_tick": from_tick,
                    "model": model,
                    "api_base": api_base,
                    "judge_model": judge_model,
                    "judge_api_base": judge_api_base,
                    "seed": seed,
                    "started_at": _now(),
                }
            )
        return index

    def commit_tick(self, record: TickRecord, prompt_hashes: dict[str, str] | None = None) -> None:
        """Write everything the tick produced in one transaction: all of it or nothing. The
        ``ticks`` row goes last, so a tick without it was never committed."""
        with collector_paused():
            self._commit_tick(record, prompt_hashes)

    def _commit_tick(self, record: TickRecord, prompt_hashes: dict[str, str] | None) -> None:
        db, tick = self._db, record.tick
        self._wal.check()  # a failed background checkpoint stops the run before this tick
        checkpoint, state = self._checkpoint(record)
        with transaction(db.conn):
            self._step(tick, "begin")
            audiences = self._audiences(record)
            _insert_records(
                db.conn,
                "events",
                record.events,
                EventRecord,
                {
                    "audience": lambda e: (
                        None if id(e.audience) in audiences else _dumps(list(e.audience))
                    ),
                    "data": lambda e: _dumps(e.data),
                    "audience_ref": lambda e: audiences.get(id(e.audience)),
                },
            )
            self._step(tick, "events")
            _insert_records(
                db.conn, "actions", record.actions, ActionRecord, {"data": lambda a: _dumps(a.data)}
            )
            self._step(tick, "actions")
            db.table("beliefs").insert_all(
                {**b.model_dump(exclude={"answer"}), "answer": _dumps(b.answer)}
                for b in record.beliefs
            )
            self._step(tick, "beliefs")
            _insert_records(db.conn, "thoughts", record.thoughts, ThoughtRecord, {})
            self._step(tick, "thoughts")
            db.table("memories").insert_all(
                {**m, "emotions": _dumps_or_null(m["emotions"]), "evidence": _dumps(m["evidence"])}
                for m in record.memories
            )
            self._step(tick, "memories")
            for m in record.memory_scores:
                db.execute(
                    "UPDATE memories SET importance = ?, importance_error = ?, emotions = ?,"
                    " emotions_source = ?, emotions_error = ? WHERE agent = ? AND mem_id = ?",
                    [
                        m["importance"],
                        m.get("importance_error"),
                        _dumps_or_null(m["emotions"]),
                        m.get("emotions_source"),
                        m.get("emotions_error"),
                        m["agent"],
                        m["mem_id"],
                    ],
                )
            self._step(tick, "memory_scores")
            _insert_records(db.conn, "metrics", record.metrics, MetricRecord, {})
            self._step(tick, "metrics")
            self._insert_calls(record.llm_calls)
            self._step(tick, "llm_calls")
            update: dict[str, Any] = {"last_tick": tick}
            if prompt_hashes:
                # Merged with those recorded: a resumed world knows only the prompts it used since.
                [row] = self.rows("runs", select="prompt_hashes", limit=1) or [{}]
                recorded = json.loads(row["prompt_hashes"]) if row.get("prompt_hashes") else {}
                update["prompt_hashes"] = _dumps({**recorded, **prompt_hashes})
            db.execute(
                "UPDATE runs SET " + ", ".join(f"{k} = ?" for k in update),
                list(update.values()),
            )
            self._step(tick, "runs")
            db.table("ticks").insert(
                {
                    "tick": tick,
                    "sim_time": record.sim_time,
                    "wall_s": record.wall_s,
                    "n_events": len(record.events),
                    "n_actions": len(record.actions),
                    "n_calls": len(record.llm_calls),
                    "n_thoughts": len(record.thoughts),
                    "n_beliefs": len(record.beliefs),
                    **checkpoint,
                    "committed_at": _now(),
                }
            )
            self._step(tick, "ticks")
        self._last_state = state  # committed: the next tick's delta is against it
        # committed: the next tick may refer to this tick's audiences (while nobody moves)
        self._audience_ids = self._audiences_used
        self._since_full = 0 if checkpoint["state"] is not None else self._since_full + 1
        self._wal.start()

    def _last_tick_audiences(self) -> dict[tuple[str, ...], int]:
        """The stored audiences the last committed tick's events refer to: a reopened file
        (resume) goes on referring to them, as the writer that stored them would have, so a
        resumed run's ``audiences`` rows and ids are those of an uninterrupted one."""
        rows = self._db.execute(
            "SELECT DISTINCT a.id, a.names FROM events AS e JOIN audiences AS a"
            " ON a.id = e.audience_ref WHERE e.tick = (SELECT max(tick) FROM ticks)"
        ).fetchall()
        return {tuple(json.loads(names)): number for number, names in rows}

    def _audiences(self, record: TickRecord) -> dict[int, int]:
        """Large audiences (``COMPACT_FROM`` names or more) of the tick's events, each stored once
        in ``audiences`` (or found there from an earlier tick of this writer): id(audience) ->
        row id. Events share one audience object while nobody moves, so this is one row per
        place and change, not one list per event."""
        self._next_audience = None  # read below, inside this tick's transaction
        out: dict[int, int] = {}
        used: dict[tuple[str, ...], int] = {}
        rows = []
        for e in record.events:
            key = id(e.audience)
            if key in out or len(e.audience) < COMPACT_FROM:
                continue
            found = self._audience_ids.get(e.audience)
            if found is None:
                if self._next_audience is None:
                    row = self._db.execute("SELECT max(id) FROM audiences").fetchone()
                    self._next_audience = (row[0] or 0) + 1
                found = self._next_audience
                self._next_audience += 1
                names = _dumps(list(e.audience))
                rows.append({"id": found, "tick": record.tick, "names": names})
            used[e.audience] = found
            out[key] = found
        if rows:
            self._db.table("audiences").insert_all(rows)
        self._audiences_used = used
        return out

    def _checkpoint(self, record: TickRecord) -> tuple[dict[str, str | None], Any]:
        """The tick's ``state`` (full, every FULL_EVERY ticks and first after (re)opening) or
        ``state_delta`` (what changed since the last committed tick), and the state as stored.

        A delta is computed against the live state and the stored state rebuilt from it
        (``patch`` of the last one with the delta as read back): the full state is serialised
        only when it is written, not every tick (at 10,000 agents, 12 MB of JSON written and
        parsed a tick). The pending events and observations are stored as references to the
        ``events`` rows they repeat (``state_events``). A delta is written when it is shorter
        than the full state; that is measured only when the delta is not shorter than the full
        state last measured (the state may have grown since)."""
        if self._first_tick is None:
            self._first_tick = record.tick
        live = stored_form(record.state, record.events, self._first_tick)
        full: str | None = None
        if self._last_state is not None and self._since_full + 1 < FULL_EVERY:
            delta = _dumps(diff(self._last_state, live))
            if len(delta) >= self._full_chars:
                full = _dumps(live)
                self._full_chars = len(full)
            if len(delta) < self._full_chars:
                return {"state": None, "state_delta": delta}, patch(
                    self._last_state, json.loads(delta)
                )
        if full is None:
            full = _dumps(live)
            self._full_chars = len(full)
        return {"state": full, "state_delta": None}, json.loads(full)

    def record_calls(self, calls: list[LLMCallRecord]) -> None:
        """Calls made outside a committed tick (a failed tick, an interview)."""
        with transaction(self._db.conn):
            self._insert_calls(calls)

    def _insert_calls(self, calls: list[LLMCallRecord]) -> None:
        _insert_records(
            self._db.conn,
            "llm_calls",
            calls,
            LLMCallRecord,
            {"cache_hit": lambda c: int(c.cache_hit), "messages": lambda c: c.messages_text()},
        )

    def record_survey(self, result: SurveyRecord, tick: int | None = None) -> None:
        """A questionnaire's item answers and its scores (facets and domains), in one transaction."""
        with transaction(self._db.conn):
            self._db.table("surveys").insert_all(
                {
                    "tick": tick,
                    "agent": result.respondent,
                    "instrument": result.instrument,
                    "mode": result.mode,
                    **r,
                }
                for r in result.responses
            )
            rows: list[dict[str, str | int | float | None]] = [
                {
                    "tick": tick,
                    "agent": result.respondent,
                    "instrument": result.instrument,
                    "level": "facet",
                    "code": code,
                    "score": value,
                    "mean": None,
                    "normalized": None,
                }
                for code, value in result.facets.items()
            ]
            rows += [
                {
                    "tick": tick,
                    "agent": result.respondent,
                    "instrument": result.instrument,
                    "level": "domain",
                    "code": code,
                    "score": value,
                    "mean": result.domain_means.get(code),
                    "normalized": result.normalized.get(code),
                }
                for code, value in result.domains.items()
            ]
            self._db.table("survey_scores").insert_all(rows)

    def record_interview(self, row: dict[str, Any], calls: list[LLMCallRecord]) -> None:
        """An interview (it does not change the world: no tick, no state)."""
        with transaction(self._db.conn):
            self._db.table("interviews").insert(
                {**row, "memories": _dumps(row["memories"]), "asked_at": _now()}
            )
            self._insert_calls(calls)

    def record_evaluation(
        self, rows: dict[str, list[dict[str, Any]]], calls: list[LLMCallRecord]
    ) -> None:
        """An evaluation study's rows (table -> rows, e.g. ``tom_items``) and the model calls that
        made them, in one transaction, after the run's ticks (nothing in the world changes)."""
        with transaction(self._db.conn):
            for table, table_rows in rows.items():
                if table_rows:
                    self._db.table(table).insert_all(
                        {k: _dumps(v) if isinstance(v, dict | list) else v for k, v in r.items()}
                        for r in table_rows
                    )
            self._insert_calls(calls)

    def record_rows(
        self, table: str, rows: list[dict[str, Any]], calls: Sequence[LLMCallRecord] = ()
    ) -> None:
        """Rows of an evaluation table written after the run's ticks (schema 13: the character
        studies' items, answers and judgements), with the model calls that made them, in one
        transaction. JSON-ready values (lists, dicts) are stored as JSON text."""
        if table not in TABLES_ADDED_IN[13]:
            raise ValueError(f"record_rows writes the evaluation tables only, not {table!r}")
        with transaction(self._db.conn):
            self._db.table(table).insert_all(
                {k: _dumps(v) if isinstance(v, list | dict) else v for k, v in row.items()}
                for row in rows
            )
            self._insert_calls(list(calls))

    def set_status(self, status: str, error: str | None = None) -> None:
        with transaction(self._db.conn):
            self._db.execute(
                "UPDATE runs SET status = ?, error = ?, finished_at = ?",
                [status, error, _now() if status != "running" else None],
            )

    def set_ticks_planned(self, ticks: int) -> None:
        with transaction(self._db.conn):
            self._db.execute("UPDATE runs SET ticks_planned = ?", [ticks])

    def checkpoint_wal(self) -> None:
        """Move the committed ticks from the WAL file into the database file (what "save" means
        to a user who copies the file; every tick is already durable once committed)."""
        self._wal.wait()
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def close(self) -> None:
        """Close the file (its WAL is moved into it: this is the last connection to it)."""
        try:
            self._wal.close()
        finally:
            self._db.conn.close()
            self._release()
