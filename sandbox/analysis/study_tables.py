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
            df = reader.frame(table)
        df = df.rename(columns={"model": "answer_model"}) if "model" in df.columns else df
        df.insert(0, "model", meta.model)
        df.insert(0, "run", meta.run)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["run", "model"])
    return pd.concat(frames, ignore_index=True)


# table -> what its failed rows are called in the report's "Failed answers" table
FAILURE_LABELS = {"tom_answers": "theory-of-mind answers", "trait_judgements": "trait judgements"}


def evaluation_failures(rs: RunSet) -> pd.DataFrame:
    """Per run and evaluation table that has rows: how many failed (a row with an ``error``)."""
    import pandas as pd

    rows = []
    for table, what in FAILURE_LABELS.items():
        t = study_table(rs, table)
        for run, g in t.groupby("run", sort=True) if not t.empty else []:
            failed = int(g["error"].notna().sum())
            rows.append({"run": run, "what": what, "failed": failed, "total": len(g),
                         "text": f"{failed} of {len(g)} {what} failed"})  # fmt: skip
    return pd.DataFrame(rows, columns=["run", "what", "failed", "total", "text"])
