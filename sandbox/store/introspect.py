"""What a SQLite file holds: its tables and a table's columns (files of older schema versions lack
some). The one place that asks; everything in ``sandbox/store`` goes through it."""

from __future__ import annotations

import sqlite3

import sqlite_utils

Source = sqlite3.Connection | sqlite_utils.Database


def database(source: Source) -> sqlite_utils.Database:
    """``source`` as a sqlite-utils database (a connection is wrapped, running nothing on it)."""
    if isinstance(source, sqlite_utils.Database):
        return source
    return sqlite_utils.Database(source, recursive_triggers=False, execute_plugins=False)


def table_names(source: Source) -> set[str]:
    return set(database(source).table_names())


def column_names(source: Source, table: str) -> set[str]:
    """The columns of ``table`` (none when the file has no such table)."""
    return set(column_types(source, table))


def column_types(source: Source, table: str) -> dict[str, str]:
    """Column -> its declared SQLite type, in the table's order (empty when there is no table)."""
    return {c.name: c.type for c in database(source)[table].columns}
