"""Matplotlib for analyses: imported only when a figure is made, drawn off-screen, saved as PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot() -> Any:
    """matplotlib.pyplot with the off-screen Agg backend (figures are files, never windows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` as PNG at ``path`` and free it."""
    out = Path(path)
    fig.savefig(out, dpi=110)
    pyplot().close(fig)
    return out
