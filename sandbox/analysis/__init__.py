"""Analysis: reads trajectory files (never writes them) into pandas DataFrames and metrics.

Heavy imports (pandas, matplotlib) happen inside the functions that need them.
"""

from sandbox.analysis.runs import RunSet, find_runs, load_runs
from sandbox.analysis.stats import eta_squared, eta_squared_from_summary, rankdata, spearman

__all__ = [
    "RunSet",
    "eta_squared",
    "eta_squared_from_summary",
    "find_runs",
    "load_runs",
    "rankdata",
    "spearman",
]
