"""Runs of an evaluated study whose evaluation has not been written: a run interrupted (killed,
stopped, failed) before its after-run evaluation step, whose study tables are all empty.

``pending_runs(rs)`` lists them; ``pending_note(...)`` is the one line a report or ``sandbox
inspect`` prints for one, with how to finish it (``sandbox run --resume RUN`` for a ``resumable``
study, which writes the evaluation when the run reaches its end)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.scenarios.registry import Experiment, find_experiment
from sandbox.store.reader import RunReader

if TYPE_CHECKING:
    from sandbox.analysis.runs import RunSet


@dataclass(frozen=True)
class PendingRun:
    run: str
    run_dir: Path
    kind: str
    resumable: bool


def evaluated_kind(config: dict[str, Any]) -> Experiment | None:
    """The registered study with an evaluation that a run's world config belongs to, if any."""
    scenario = config.get("scenario") or {}
    entry = find_experiment(str(scenario.get("name") or config.get("kind") or ""))
    return entry if entry is not None and entry.evaluate is not None and entry.tables else None


def evaluation_missing(reader: RunReader, entry: Experiment) -> bool:
    """True when none of the study's tables has a row (absent tables count as empty)."""
    present = reader.tables()
    return all(t not in present or reader.count(t) == 0 for t in entry.tables)


def pending_note(run: str, run_dir: Path, resumable: bool) -> str:
    how = (
        f"finish it with: sandbox run --resume {run_dir}"
        if resumable
        else "sandbox run --resume does not evaluate this study: run the experiment again"
    )
    return f"Run {run} has no judgements yet (its evaluation did not run): {how}"


def run_pending(run_dir: str | Path) -> str | None:
    """For ``sandbox inspect RUN``: the line to print when the run's study has an evaluation that
    has not been written (None otherwise)."""
    with RunReader(run_dir) as reader:
        entry = evaluated_kind(reader.run()["config"])
        if entry is None or not evaluation_missing(reader, entry):
            return None
    where = Path(run_dir)
    where = where.parent if where.is_file() else where
    if entry.resumable:
        return f"evaluation pending: resume with sandbox run --resume {where}"
    return (
        "evaluation pending: sandbox run --resume does not evaluate this study "
        f"({entry.kind}); run the experiment again"
    )


def pending_runs(rs: RunSet) -> list[PendingRun]:
    """The runs of ``rs`` whose study has an evaluation and whose evaluation tables are empty."""
    found = []
    for meta in rs.runs.itertuples():
        entry = evaluated_kind(rs.configs[meta.run])
        if entry is None:
            continue
        with RunReader(meta.path) as reader:
            missing = evaluation_missing(reader, entry)
        if missing:
            found.append(PendingRun(meta.run, Path(meta.path).parent, entry.kind, entry.resumable))
    return found
