"""Loading trajectory tables into pandas DataFrames (read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.store.reader import RunReader

if TYPE_CHECKING:
    import pandas as pd


def table(run: str | Path, name: str) -> pd.DataFrame:
    """One table of one run, with the run id as a column."""
    import pandas as pd

    with RunReader(run) as reader:
        run_id = reader.run()["id"]
        df = pd.read_sql_query(f"{reader.select_sql(name)} ORDER BY rowid", reader.conn)
    df.insert(0, "run", run_id)
    return df
