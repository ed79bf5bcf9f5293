"""Analysis: reads trajectory files (never writes them) into pandas DataFrames and metrics.

Heavy imports (pandas, matplotlib) happen inside the functions that need them.
"""

from sandbox.analysis.stats import eta_squared, eta_squared_from_summary, rankdata, spearman

__all__ = ["eta_squared", "eta_squared_from_summary", "rankdata", "spearman"]
