"""Read an evaluation study's own tables (``tom_items``, ``trait_judgements``, ...) from every run
of a ``RunSet``, read-only, with the run's ``run`` and ``model`` columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.store.reader import RunReader

if TYPE_CHECKING:
    import pandas as pd

    from sandbox.analysis.runs import RunSet


def study_table(rs: RunSet, table: str) -> pd.DataFrame:
    """``table`` of every run that has it (an empty frame with ``run`` and ``model`` if none)."""
    import pandas as pd

    frames = []
    for meta in rs.runs.itertuples():
        with RunReader(meta.path) as reader:
            if table not in reader.tables():
                continue
            df = pd.read_sql_query(f"SELECT * FROM {table} ORDER BY rowid", reader.conn)
        df = df.rename(columns={"model": "answer_model"}) if "model" in df.columns else df
        df.insert(0, "model", meta.model)
        df.insert(0, "run", meta.run)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["run", "model"])
    return pd.concat(frames, ignore_index=True)
