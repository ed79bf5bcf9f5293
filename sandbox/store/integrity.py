"""Whole ticks: check that a trajectory file holds only whole ticks, and drop a partial one.

A tick is whole when its commit finished: its ``ticks`` row exists, ``runs.last_tick`` reached it,
the rows it wrote match the counts its ``ticks`` row records (events, actions, thoughts, beliefs, and
at least ``n_calls`` model calls), and, for the last tick, each agent's memories match the count in
the tick's checkpoint. Since schema version 5 a tick is one SQLite transaction with its ``ticks`` row
written last, so a crash cannot leave a partial tick; files written by older versions (one autocommit
per insert) can hold one. The reader and the writer refuse such a file with one line that names
``sandbox inspect --check`` and ``--repair``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pydantic import BaseModel, Field

from sandbox.errors import PartialTickError, StoreError
from sandbox.store.checkpoint import stored_state
from sandbox.store.introspect import column_names, table_names

# Tables whose rows belong to the tick in their ``tick`` column -> the ``ticks`` column counting them.
COUNTED: dict[str, str] = {
    "events": "n_events",
    "actions": "n_actions",
    "thoughts": "n_thoughts",
    "beliefs": "n_beliefs",
}


class TickProblem(BaseModel):
    """A tick that is not whole, and what is wrong with it."""

    tick: int
    committed: bool = Field(description="it has a ticks row")
    problems: list[str]

    def describe(self) -> str:
        return f"tick {self.tick}: " + "; ".join(self.problems)


class IntegrityReport(BaseModel):
    path: str
    ticks: int = Field(description="the last tick with a ticks row")
    every_tick: bool = Field(description="all ticks were checked, not only the last")
    partial: list[TickProblem] = Field(default_factory=list)
    has_run: bool = Field(True, description="the file holds its run record (written at the start)")

    @property
    def ok(self) -> bool:
        return not self.partial

    @property
    def last_whole(self) -> int:
        """The last tick such that it and every checked tick before it are whole."""
        if not self.partial:
            return self.ticks
        return min(p.tick for p in self.partial) - 1


class RepairReport(BaseModel):
    path: str
    kept_through: int = Field(description="the last whole tick, kept with all before it")
    dropped_ticks: list[int]
    dropped_rows: dict[str, int]


def _memory_counts(conn: sqlite3.Connection, tick: int) -> dict[str, int]:
    """Each agent's number of stored memories at the checkpoint of ``tick`` (agents with a mind;
    the checkpoint rebuilt from its deltas where the file stores them, schema 8)."""
    state = stored_state(conn, tick, events=False)
    agents = state.get("agents", {}) if isinstance(state, dict) else {}
    counts = {}
    for name, agent in agents.items():
        mind = agent.get("mind") if isinstance(agent, dict) else None
        if isinstance(mind, dict) and mind.get("count") is not None:
            counts[name] = int(mind["count"])
    return counts


def _check(conn: sqlite3.Connection, path: Path, every_tick: bool) -> IntegrityReport:
    tables = table_names(conn)
    has_run = "runs" in tables and conn.execute("SELECT 1 FROM runs").fetchone() is not None
    if "ticks" not in tables:
        return IntegrityReport(path=str(path), ticks=0, every_tick=every_tick, has_run=has_run)
    tick_columns = column_names(conn, "ticks")
    counted = {t: c for t, c in COUNTED.items() if t in tables and c in tick_columns}
    last = int(conn.execute("SELECT max(tick) FROM ticks").fetchone()[0] or 0)
    row = conn.execute("SELECT last_tick FROM runs").fetchone() if "runs" in tables else None
    runs_last = row[0] if row is not None else None
    low = 1 if every_tick else last
    select = ", ".join(["tick", "n_calls", *counted.values()])
    ticks = list(conn.execute(f"SELECT {select} FROM ticks WHERE tick >= ? ORDER BY tick", (low,)))
    written: dict[str, dict[int, int]] = {}
    for table in [*[t for t in COUNTED if t in tables], "llm_calls"]:
        if table in tables:
            sql = f"SELECT tick, count(*) FROM {table} WHERE tick >= ? GROUP BY tick"
            written[table] = {int(t): int(n) for t, n in conn.execute(sql, (low,))}
    partial: dict[int, TickProblem] = {}

    def problem(tick: int, committed: bool, text: str) -> None:
        partial.setdefault(tick, TickProblem(tick=tick, committed=committed, problems=[]))
        partial[tick].problems.append(text)

    for tick, n_calls, *expected in ticks:
        for (table, _), want in zip(counted.items(), expected, strict=True):
            have = written[table].get(tick, 0)
            if want is not None and have != want:
                problem(tick, True, f"{have} of {want} {table}")
        have_calls = written.get("llm_calls", {}).get(tick, 0)
        if n_calls is not None and have_calls < n_calls:
            problem(tick, True, f"{have_calls} of {n_calls} llm_calls")
        if runs_last is not None and tick > runs_last:
            problem(tick, True, f"its commit did not finish (runs.last_tick is {runs_last})")
    # Rows of a tick that has no ticks row (model calls of a failed tick are legitimately there).
    for table in COUNTED:
        for tick, n in sorted(written.get(table, {}).items()):
            if tick > last:
                problem(tick, False, f"no ticks row, but {n} {table}")
    if runs_last is not None and runs_last > last:
        problem(runs_last, False, f"no ticks row, but runs.last_tick is {runs_last}")
    if "memories" in tables and (last or conn.execute("SELECT 1 FROM memories LIMIT 1").fetchone()):
        want_memories = _memory_counts(conn, last) if last else {}
        have_memories: dict[str, int] = dict(
            conn.execute("SELECT agent, count(*) FROM memories GROUP BY agent")
        )
        missing = sum(max(0, n - have_memories.get(a, 0)) for a, n in want_memories.items())
        extra = sum(max(0, n - want_memories.get(a, 0)) for a, n in have_memories.items())
        if missing:
            problem(last, True, f"{missing} memories of its checkpoint missing")
        if extra:
            problem(last + 1, False, f"no ticks row, but {extra} memories beyond tick {last}")
    return IntegrityReport(
        path=str(path),
        ticks=last,
        every_tick=every_tick,
        partial=sorted(partial.values(), key=lambda p: p.tick),
        has_run=has_run,
    )


def check_ticks(
    conn: sqlite3.Connection, path: Path, *, every_tick: bool = False
) -> IntegrityReport:
    """Check the last tick (or every tick) in one read transaction, so a concurrent commit by a
    running writer is seen whole or not at all."""
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")
    try:
        return _check(conn, path, every_tick)
    finally:
        if began:
            conn.execute("ROLLBACK")


def _run_name(path: Path) -> Path:
    return path.parent if path.name == "trajectory.sqlite" else path


def require_whole(conn: sqlite3.Connection, path: Path) -> None:
    """Raise ``PartialTickError`` (one line, with the fix) unless the last tick is whole."""
    report = check_ticks(conn, path)
    if not report.ok:
        run = _run_name(path)
        raise PartialTickError(
            f"{path} holds a partial tick ({report.partial[0].describe()}): an older sandbox "
            "stopped inside its commit, or rows were deleted since. See it with "
            f"'sandbox inspect --check {run}' and drop it with 'sandbox inspect --repair {run}', "
            "then resume"
        )


def _connect(path: Path) -> sqlite3.Connection:
    from sandbox.store.reader import resolve_run_path

    file = resolve_run_path(path)
    try:
        conn = sqlite3.connect(file, isolation_level=None)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{file} is not a readable trajectory file: {exc}") from None
    return conn


def check_file(run: str | Path) -> IntegrityReport:
    """Every tick of a run, checked (``sandbox inspect --check``)."""
    conn = _connect(Path(run))
    try:
        return check_ticks(conn, Path(run), every_tick=True)
    finally:
        conn.close()


def repair_file(run: str | Path) -> RepairReport:
    """Drop the rows of the partial ticks after the last whole tick, in one transaction
    (``sandbox inspect --repair``). Whole ticks are never touched; a partial tick followed by whole
    ones (a run resumed on top of it by an older sandbox) cannot be repaired and is refused.

    Importance scores that a partial commit set on earlier memories stay; re-running the tick sets
    the same values again."""
    conn = _connect(Path(run))
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            report = _repair(conn, Path(run))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        after = check_ticks(conn, Path(run), every_tick=True)
    finally:
        conn.close()
    if not after.ok:
        raise StoreError(
            f"{run} still holds a partial tick after the repair ({after.partial[0].describe()}); "
            "please report this with the file attached"
        )
    return report


def _repair(conn: sqlite3.Connection, path: Path) -> RepairReport:
    report = _check(conn, path, every_tick=True)
    tables = table_names(conn)
    if report.ok:
        return RepairReport(
            path=str(path), kept_through=report.ticks, dropped_ticks=[], dropped_rows={}
        )
    bad = [p.tick for p in report.partial]
    keep = min(bad) - 1
    whole_after = [
        t
        for (t,) in conn.execute("SELECT tick FROM ticks WHERE tick > ? ORDER BY tick", (keep,))
        if t not in bad
    ]
    if whole_after:
        raise StoreError(
            f"{path}: tick {min(bad)} is partial but whole ticks follow it ({whole_after[0]} to "
            f"{whole_after[-1]}: rows deleted after it was committed, or a run resumed on top of "
            "it by an older sandbox). --repair drops only partial ticks at the end, so this file "
            "cannot be repaired: rerun the world from its start"
        )
    dropped: dict[str, int] = {}
    for table in COUNTED:
        if table in tables:
            dropped[table] = conn.execute(f"DELETE FROM {table} WHERE tick > ?", (keep,)).rowcount
    if "metrics" in tables:  # not counted in ticks (schema 10), dropped with their tick
        dropped["metrics"] = conn.execute("DELETE FROM metrics WHERE tick > ?", (keep,)).rowcount
    if "llm_calls" in tables:
        marks = ", ".join("?" for _ in bad)
        sql = f"DELETE FROM llm_calls WHERE tick IN ({marks})"
        dropped["llm_calls"] = conn.execute(sql, bad).rowcount
    if "memories" in tables:
        n = 0
        if keep == 0:
            n = conn.execute("DELETE FROM memories").rowcount
        else:
            for agent, count in _memory_counts(conn, keep).items():
                sql = "DELETE FROM memories WHERE agent = ? AND mem_id >= ?"
                n += conn.execute(sql, (agent, count)).rowcount
        dropped["memories"] = n
    dropped["ticks"] = conn.execute("DELETE FROM ticks WHERE tick > ?", (keep,)).rowcount
    if "runs" in tables:
        conn.execute("UPDATE runs SET last_tick = ?", (keep,))
    return RepairReport(
        path=str(path),
        kept_through=keep,
        dropped_ticks=bad,
        dropped_rows={k: v for k, v in dropped.items() if v},
    )


def inspect_integrity(run: str | Path, *, repair: bool) -> tuple[int, list[str]]:
    """What ``sandbox inspect --check`` / ``--repair`` print, and the exit code (1: partial ticks
    remain)."""
    report = check_file(run)
    lines = [f"{run}: {report.ticks} committed tick{'' if report.ticks == 1 else 's'}"]
    if not report.has_run and report.ok:
        return 1, [
            *lines,
            "no run record: the run was stopped before it started, so nothing was recorded and "
            "there is nothing to resume; delete its folder and run again",
        ]
    if report.ok:
        return 0, [*lines, "every tick is whole"]
    lines += [f"partial {p.describe()}" for p in report.partial]
    if not repair:
        bad = {p.tick for p in report.partial}
        if any(t not in bad for t in range(min(bad) + 1, report.ticks + 1)):
            lines.append(
                f"whole ticks follow tick {min(bad)}, so --repair (which drops partial ticks at "
                "the end) cannot mend this file: rerun the world from its start"
            )
        else:
            lines.append(f"drop the partial ticks with: sandbox inspect --repair {run}")
        return 1, lines
    fixed = repair_file(run)
    rows = ", ".join(f"{n} {table}" for table, n in fixed.dropped_rows.items()) or "no rows"
    lines.append(
        f"repaired: dropped tick(s) {', '.join(map(str, fixed.dropped_ticks))} ({rows}); "
        f"the run now ends at tick {fixed.kept_through}; continue it with "
        f"sandbox run --resume {run}"
    )
    return 0, lines
