"""Typed reads of a trajectory file, built on sqlite-utils and shared by ``RunReader`` and
``TrajectoryWriter``: callers ask for rows, counts, tallies or a DataFrame and never hold the
connection (a test checks that no module outside ``sandbox/store`` reaches for it)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlite_utils
from pydantic import BaseModel, Field

from sandbox.store.introspect import column_names, column_types, table_names
from sandbox.store.schema import AUDIENCE_SQL

if TYPE_CHECKING:
    import pandas as pd


class CallCounts(BaseModel):
    """How many model calls a trajectory file holds, and how many of them failed."""

    calls: int
    failed: int = Field(description="calls with an error_type")
    first_error: str | None = Field(
        None, description="'<error_type>: <error>' of the first failure"
    )


class CallUsage(BaseModel):
    """The model calls of one purpose, summed."""

    calls: int
    cache_hits: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None = Field(description="None when no call of the purpose has a cost")


class TableQueries:
    """Reads over ``self._db``. ``where`` is an SQL fragment with ``?`` placeholders for
    ``params``; rows come in the order they were written unless ``order_by`` says otherwise."""

    _db: sqlite_utils.Database

    def _reading(self) -> contextlib.AbstractContextManager[None]:
        """Wraps every read (the reader turns SQLite's complaint about a damaged file into a
        ``StoreError``)."""
        return contextlib.nullcontext()

    def tables(self) -> set[str]:
        """The tables the file holds (older schema versions lack some)."""
        with self._reading():
            return table_names(self._db)

    def columns(self, table: str) -> set[str]:
        """The columns of ``table`` (none when the file has no such table)."""
        with self._reading():
            return column_names(self._db, table)

    def column_types(self, table: str) -> dict[str, str]:
        """Column -> declared SQLite type, in the table's order."""
        with self._reading():
            return column_types(self._db, table)

    def rows(
        self,
        table: str,
        where: str = "",
        params: Sequence[Any] = (),
        *,
        select: str = "*",
        order_by: str | None = "rowid",
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The rows of ``table`` (``select``: the columns, default all), as dicts. An ``events``
        row's ``audience`` is always its JSON list, also where it is stored once in ``audiences``
        (schema 11: a crowded place's audience)."""
        if table == "events":
            select = self._expand_audience(select)
        with self._reading():
            return list(
                self._db[table].rows_where(
                    where or None,
                    list(params) or None,
                    order_by=order_by,
                    select=select,
                    limit=limit,
                )
            )

    def _expand_audience(self, select: str) -> str:
        """``select`` over ``events`` with ``audience`` read through ``audience_ref``."""
        if "audience_ref" not in self.columns("events"):
            return select
        names = list(self.column_types("events")) if select == "*" else select.split(", ")
        return ", ".join(f"{AUDIENCE_SQL} AS audience" if c == "audience" else c for c in names)

    def count(self, table: str, where: str = "", params: Sequence[Any] = ()) -> int:
        with self._reading():
            return int(self._db[table].count_where(where or None, list(params) or None))

    def count_by(self, table: str, column: str) -> dict[Any, int]:
        """How many rows of ``table`` have each value of ``column``, ordered by the value."""
        sql = f"SELECT [{column}] AS value, count(*) AS n FROM [{table}] GROUP BY 1 ORDER BY 1"
        with self._reading():
            return {r["value"]: int(r["n"]) for r in self._db.query(sql)}

    def total(self, table: str, column: str) -> float:
        """The sum of ``column`` over ``table`` (0 when it has no rows)."""
        with self._reading():
            [row] = self._db[table].rows_where(select=f"coalesce(sum([{column}]), 0) AS total")
        return row["total"]

    def last_tick(self) -> int:
        """The last committed tick (0 before the first)."""
        with self._reading():
            [row] = self._db["ticks"].rows_where(select="max(tick) AS last")
        return int(row["last"] or 0)

    def call_counts(self) -> CallCounts:
        """The model calls the file holds, failed ones and the first failure (for the error
        policy of a resumed run, and for summaries)."""
        failed = "error_type IS NOT NULL"
        first = self.rows("llm_calls", failed, select="error_type, error", order_by="id", limit=1)
        return CallCounts(
            calls=self.count("llm_calls"),
            failed=self.count("llm_calls", failed),
            first_error=f"{first[0]['error_type']}: {first[0]['error']}" if first else None,
        )

    def call_usage(self) -> dict[str, CallUsage]:
        """The model calls by purpose (ordered by purpose): counts, tokens and cost."""
        sql = (
            "SELECT purpose, count(*) AS calls, sum(cache_hit) AS cache_hits,"
            " sum(error_type IS NOT NULL) AS errors, sum(prompt_tokens) AS prompt_tokens,"
            " sum(completion_tokens) AS completion_tokens, sum(cost_usd) AS cost_usd,"
            " count(cost_usd) AS costed FROM llm_calls GROUP BY purpose ORDER BY purpose"
        )
        with self._reading():
            rows = list(self._db.query(sql))
        return {
            r["purpose"]: CallUsage(
                calls=r["calls"],
                cache_hits=r["cache_hits"] or 0,
                errors=r["errors"] or 0,
                prompt_tokens=r["prompt_tokens"] or 0,
                completion_tokens=r["completion_tokens"] or 0,
                cost_usd=r["cost_usd"] if r["costed"] else None,
            )
            for r in rows
        }

    def frame(self, table: str) -> pd.DataFrame:
        """``table`` as a pandas DataFrame, rows in the order they were written (column types as
        ``pandas.read_sql_query`` infers them)."""
        import pandas as pd

        columns = list(self.column_types(table))
        records = [tuple(r.values()) for r in self.rows(table)]
        return pd.DataFrame.from_records(records, columns=columns, coerce_float=True)
