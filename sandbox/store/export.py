"""Export trajectories to Parquet: one dataset per trajectory table, for pandas, DuckDB or Arrow.

- a run -> ``OUT/<table>.parquet``, with the columns ``run``, ``condition``, ``model``, ``seed``;
- a sweep (or any folder of runs) -> ``OUT/<table>/condition=<c>/model=<m>/seed=<s>/<run>.parquet``
  (hive-partitioned: readers rebuild the three columns from the path; values are URL-encoded, so
  ``openai/gpt-4o`` is stored as ``openai%2Fgpt-4o``). A sweep exports its completed runs and
  its manifest (``OUT/sweep_runs.parquet``).

A table's own column that has the name of one of those keys (``llm_calls.model``, ``runs.model``,
``runs.seed``) is kept as ``row_<name>``. Column types follow the SQLite declarations. pyarrow is
imported only here.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from sandbox.errors import StoreError
from sandbox.store.reader import (
    TRAJECTORY_FILE,
    RunReader,
    connect_read_only,
    damaged_file,
    resolve_run_path,
)
from sandbox.store.schema import AUDIENCE_SQL
from sandbox.store.sweep_manifest import Manifest, is_sweep

KEYS = ("condition", "model", "seed")
SKIP_TABLES = {"meta"}


class ExportReport(BaseModel):
    out: Path
    runs: int
    rows: dict[str, int]  # per table
    partitioned: bool


def _arrow_type(declared: str) -> Any:
    import pyarrow as pa

    d = (declared or "").upper()
    if "INT" in d:
        return pa.int64()
    if any(k in d for k in ("REAL", "FLOA", "DOUB")):
        return pa.float64()
    if "BLOB" in d:
        return pa.binary()
    return pa.string()


def run_keys(path: Path) -> dict[str, Any]:
    """(condition, model, seed) of a run, from its record: the scenario's label (or the world's
    kind), the model and the seed."""
    with RunReader(path) as reader:
        meta = reader.run()
    config = meta["config"]
    scenario = config.get("scenario") or {}
    condition = scenario.get("label") or config.get("kind") or config.get("name") or ""
    return {"run": meta["id"], "condition": condition, "model": meta["model"], "seed": meta["seed"]}


def _tables(path: Path) -> dict[str, Any]:
    """Each table of one trajectory file as an Arrow table (typed by its declared columns)."""
    with damaged_file(path):
        conn = connect_read_only(path)
        try:
            return _read_tables(conn)
        finally:
            conn.close()


def _read_tables(conn: sqlite3.Connection) -> dict[str, Any]:
    import pyarrow as pa

    out = {}
    names = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    for name in names:
        if name in SKIP_TABLES or name.startswith("sqlite_"):
            continue
        info = conn.execute(f"PRAGMA table_info({name})").fetchall()
        columns = [r[1] for r in info]
        selected = "*"
        if name == "events" and "audience_ref" in columns:  # audiences stored once, expanded
            selected = ", ".join(
                f"{AUDIENCE_SQL} AS audience" if c == "audience" else c for c in columns
            )
        rows = conn.execute(f"SELECT {selected} FROM {name} ORDER BY rowid").fetchall()
        arrays = [
            pa.array([row[i] for row in rows], type=_arrow_type(info[i][2]))
            for i in range(len(columns))
        ]
        renamed = [f"row_{c}" if c in (*KEYS, "run") else c for c in columns]
        out[name] = pa.table(arrays, names=renamed)
    return out


def _with_keys(table: Any, keys: dict[str, Any], columns: tuple[str, ...]) -> Any:
    import pyarrow as pa

    types = {"run": pa.string(), "condition": pa.string(), "model": pa.string(), "seed": pa.int64()}
    for i, name in enumerate(columns):
        table = table.add_column(i, name, pa.array([keys[name]] * table.num_rows, types[name]))
    return table


def _partition(keys: dict[str, Any]) -> Path:
    return Path(*(f"{k}={quote(str(keys[k]), safe='')}" for k in KEYS))


def _target(source: Path, out: str | Path | None) -> Path:
    if out is None:
        base = source if source.is_dir() else source.parent
        out = base / "parquet"
    target = Path(out)
    if target.exists() and any(target.iterdir()):
        raise StoreError(
            f"{target} already exists and is not empty; remove it or give another --out"
        )
    return target


def export_parquet(source: str | Path, out: str | Path | None = None) -> ExportReport:
    """Write Parquet for a run, a sweep or a folder of runs; see the module's docstring."""
    import pyarrow.parquet as pq

    src = Path(source)
    if is_sweep(src):
        with Manifest(src) as manifest:
            rows = manifest.rows()
        files = [
            src / r["directory"] / TRAJECTORY_FILE
            for r in rows
            if r["status"] == "completed" and (src / r["directory"] / TRAJECTORY_FILE).exists()
        ]
        condition = {r["run_id"]: r["condition"] for r in rows}
        partitioned = True
    elif src.is_file() or (src / TRAJECTORY_FILE).exists():
        files, condition, partitioned = [resolve_run_path(src)], {}, False
    elif src.is_dir():
        files = sorted(src.rglob(TRAJECTORY_FILE))
        condition, partitioned = {}, True
        rows = []
    else:
        raise StoreError(f"no run, sweep or folder of runs at {source}")
    if not files:
        raise StoreError(f"no completed runs to export under {source}")
    target = _target(src, out)
    target.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for f in files:
        keys = run_keys(f)
        keys["condition"] = condition.get(keys["run"], keys["condition"])
        for name, table in _tables(f).items():
            counts[name] = counts.get(name, 0) + table.num_rows
            if partitioned:
                where = target / name / _partition(keys)
                where.mkdir(parents=True, exist_ok=True)
                pq.write_table(_with_keys(table, keys, ("run",)), where / f"{keys['run']}.parquet")
            else:
                pq.write_table(_with_keys(table, keys, ("run", *KEYS)), target / f"{name}.parquet")
    if is_sweep(src):
        import pyarrow as pa

        manifest_rows = [{k: v for k, v in r.items() if k != "spec"} for r in rows]
        for r in manifest_rows:
            r["seed"] = int(r["seed"])
        pq.write_table(pa.Table.from_pylist(manifest_rows), target / "sweep_runs.parquet")
        counts["sweep_runs"] = len(manifest_rows)
    (target / "EXPORT.json").write_text(
        json.dumps({"source": str(src.resolve()), "runs": len(files), "rows": counts}, indent=1)
    )
    return ExportReport(out=target, runs=len(files), rows=counts, partitioned=partitioned)
