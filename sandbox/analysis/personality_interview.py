"""Personality from interviews (placeholder until the study lands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def interview_report(rs: Any, folder: Path) -> tuple[dict[str, Any], list[Path]]:
    return {}, []
