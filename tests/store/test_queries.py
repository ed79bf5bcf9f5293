"""The reader's and writer's typed reads (store/queries.py), and that nothing outside sandbox/store
reaches for their connection."""

import ast
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.introspect import column_names, column_types, table_names
from sandbox.store.reader import RunReader
from sandbox.store.writer import TrajectoryWriter
from tests.conftest import CAFE

ROOT = Path(__file__).resolve().parents[2]
# Where code that uses the store lives; sandbox/store itself may hold the connection.
SCANNED = ("sandbox", "tests", "experiments", "bench", "notebooks")
HANDLES = {"conn", "db", "_conn", "_db"}


def sources(root: Path) -> Iterator[tuple[str, str]]:
    """(name, code) of every Python file and notebook code cell outside ``sandbox/store``."""
    for top in SCANNED:
        for f in sorted((root / top).rglob("*")):
            rel = f.relative_to(root)
            if rel.parts[:2] == ("sandbox", "store"):
                continue
            if f.suffix == ".py":
                yield str(rel), f.read_text()
            elif f.suffix == ".ipynb":
                cells = json.loads(f.read_text())["cells"]
                for i, cell in enumerate(cells):
                    if cell["cell_type"] == "code":
                        yield f"{rel}[cell {i}]", "".join(cell["source"])


def reach_ins(root: Path) -> list[str]:
    """``x.conn`` / ``x.db`` (and their private spellings) outside ``sandbox/store``, where ``x``
    is not ``self`` (a class's own connection, like the response cache's, is its business)."""
    found = []
    for name, code in sources(root):
        for node in ast.walk(ast.parse(code, name)):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in HANDLES
                and not (isinstance(node.value, ast.Name) and node.value.id == "self")
            ):
                found.append(f"{name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_nothing_outside_the_store_reaches_for_a_connection():
    assert reach_ins(ROOT) == []


def test_the_scan_finds_a_reach_in(tmp_path):
    (tmp_path / "sandbox" / "runner").mkdir(parents=True)
    (tmp_path / "sandbox" / "store").mkdir()
    (tmp_path / "sandbox" / "runner" / "x.py").write_text(
        "n = reader.conn.execute('SELECT 1')\nwriter.db.execute('PRAGMA x')\nself._db.close()\n"
    )
    (tmp_path / "sandbox" / "store" / "y.py").write_text("reader.conn.close()\n")
    (tmp_path / "notebooks").mkdir()
    cells = [{"cell_type": "markdown", "source": ["reader.conn"]}]
    cells.append({"cell_type": "code", "source": ["import pandas\n", "r.db"]})
    (tmp_path / "notebooks" / "n.ipynb").write_text(json.dumps({"cells": cells}))
    assert sorted(reach_ins(tmp_path)) == [
        "notebooks/n.ipynb[cell 1]:2 r.db",
        "sandbox/runner/x.py:1 reader.conn",
        "sandbox/runner/x.py:2 writer.db",
    ]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from sandbox.world.config import load_world

    run = Run.create(
        load_world(CAFE), RunSettings(ticks=3, out=tmp_path_factory.mktemp("q")), world_file=CAFE
    )
    run.run()
    run.close()
    return run.directory


def test_reader_and_writer_hold_no_public_connection(run_dir):
    with RunReader(run_dir) as reader:
        assert not hasattr(reader, "conn") and not hasattr(reader, "db")
    writer = TrajectoryWriter(run_dir / "trajectory.sqlite")
    try:
        assert not hasattr(writer, "conn") and not hasattr(writer, "db")
        assert writer.call_counts().calls > 0
        writer.checkpoint_wal()
    finally:
        writer.close()


def test_frame_is_what_read_sql_query_gives(run_dir):
    """``reader.frame`` replaced ``pandas.read_sql_query`` in analysis: same values, same types."""
    conn = sqlite3.connect(run_dir / "trajectory.sqlite")
    try:
        with RunReader(run_dir) as reader:
            for table in sorted(reader.tables()):
                want = pd.read_sql_query(f"SELECT * FROM {table} ORDER BY rowid", conn)
                pd.testing.assert_frame_equal(reader.frame(table), want, check_exact=True)
    finally:
        conn.close()


def test_counts_and_tallies_match_sql(run_dir):
    conn = sqlite3.connect(run_dir / "trajectory.sqlite")
    q = conn.execute
    try:
        with RunReader(run_dir) as reader:
            assert reader.count("llm_calls") == q("SELECT count(*) FROM llm_calls").fetchone()[0]
            assert (
                reader.count("actions", "agent = ?", ("Maya",))
                == (q("SELECT count(*) FROM actions WHERE agent = 'Maya'").fetchone()[0])
            )
            kinds = dict(q("SELECT kind, count(*) FROM actions GROUP BY kind ORDER BY kind"))
            assert reader.count_by("actions", "kind") == kinds
            assert list(reader.count_by("actions", "kind")) == sorted(kinds)
            wall = q("SELECT sum(wall_s) FROM ticks").fetchone()[0]
            assert reader.total("ticks", "wall_s") == pytest.approx(wall)
            assert reader.last_tick() == 3
            usage = reader.call_usage()
            assert sum(u.calls for u in usage.values()) == reader.count("llm_calls")
            sql = "SELECT purpose, sum(cost_usd), count(cost_usd) FROM llm_calls GROUP BY purpose"
            costs = {p: (c if n else None) for p, c, n in q(sql)}
            assert {p: u.cost_usd for p, u in usage.items()} == costs
            counts = reader.call_counts()
            assert (counts.calls, counts.failed, counts.first_error) == (
                reader.count("llm_calls"),
                0,
                None,
            )
            rows = reader.rows("actions", "tick = ?", (2,), select="agent, kind", limit=2)
            assert [list(r) for r in rows] == [["agent", "kind"]] * len(rows) and len(rows) == 2
            ids = [r["id"] for r in reader.rows("actions", order_by="id DESC")]
            assert ids == sorted(ids, reverse=True)
    finally:
        conn.close()


def test_one_introspection_for_tables_and_columns(run_dir):
    conn = sqlite3.connect(run_dir / "trajectory.sqlite")
    try:
        assert {"runs", "ticks", "llm_calls"} <= table_names(conn)
        assert "state_delta" in column_names(conn, "ticks")
        assert column_types(conn, "ticks")["tick"] == "INTEGER"
        assert column_names(conn, "no_such_table") == set()
        with RunReader(run_dir) as reader:
            assert reader.tables() == table_names(conn)
            assert reader.columns("ticks") == column_names(conn, "ticks")
    finally:
        conn.close()


def test_tables_and_columns_are_asked_in_one_place():
    """store/introspect.py is the one module that asks SQLite which tables and columns exist."""
    asks = ("table_info", "columns_dict", "type = 'table'", "type='table'", ".table_names(")
    found = [
        f"{f.relative_to(ROOT)}: {ask}"
        for f in sorted((ROOT / "sandbox").rglob("*.py"))
        if f.name != "introspect.py"
        for ask in asks
        if ask in f.read_text()
    ]
    assert found == []
