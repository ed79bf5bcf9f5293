"""How many decisions and elicited beliefs failed, per run and kind: the line every report shows.

A failed answer is never replaced by a value (a $0 offer, a neutral opinion): it is an ``actions``
row with ``status = 'error'`` (its kind is the move's, its value empty) or a ``beliefs`` row with an
``error``. Statistics leave those rows out; this table says how many were left out, for example
"3 of 50 ultimatum.offer failed".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.analysis.runs import RunSet

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["run", "what", "failed", "total", "text"]


def failures(rs: RunSet) -> pd.DataFrame:
    """One row per run and kind of decision (``actions.kind``) or belief (``beliefs.strategy``)
    that had at least one row: failed, total and the sentence "F of N KIND failed". Rows of kind
    ``error`` (open worlds, trust, debate: the move's kind is unknown when its answer failed) are
    counted as "F of N decisions failed" over all of the run's actions; a debate utterance the
    judge could not rate adds "F of N judgements of post failed"."""
    import pandas as pd

    rows = []
    a = rs.actions
    if not a.empty:
        for run, acts in a.groupby("run", sort=True):
            generic = acts["kind"] == "error"  # a failed decision whose kind is not known
            if generic.any():
                rows.append(_row(run, "decisions", int(generic.sum()), len(acts)))
            for kind, g in acts[~generic].groupby("kind", sort=True):
                rows.append(_row(run, str(kind), int((g["status"] == "error").sum()), len(g)))
                judged = g["detail"].fillna("").str.startswith("not judged")
                if judged.any():
                    rows.append(_row(run, f"judgements of {kind}", int(judged.sum()), len(g)))
    b = rs.beliefs
    if not b.empty:
        for (run, strategy), g in b.groupby(["run", "strategy"], sort=True):
            rows.append(_row(run, f"belief {strategy}", int(g["error"].notna().sum()), len(g)))
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(run: str, what: str, failed: int, total: int) -> dict[str, object]:
    return {
        "run": run,
        "what": what,
        "failed": failed,
        "total": total,
        "text": f"{failed} of {total} {what} failed",
    }


def failure_lines(rs: RunSet) -> list[str]:
    """The sentences of the kinds that had failures (empty when nothing failed)."""
    f = failures(rs)
    f = f[f["failed"] > 0]
    many = rs.runs["run"].nunique() > 1
    return [f"{r.run}: {r.text}" if many else r.text for r in f.itertuples()]
