"""Analysis: reads trajectory files (never writes them) into pandas DataFrames and metrics.

Heavy imports (pandas, matplotlib) happen inside the functions that need them.
"""

from sandbox.analysis.runs import RunSet, find_runs, load_runs
from sandbox.analysis.stats import eta_squared, eta_squared_from_summary, rankdata, spearman
from sandbox.analysis.sweep import SweepSet, load_sweep, sweep_report

__all__ = [
    "RunSet",
    "SweepSet",
    "eta_squared",
    "eta_squared_from_summary",
    "find_runs",
    "load_runs",
    "load_sweep",
    "rankdata",
    "spearman",
    "sweep_report",
]
