"""A folder of runs as ``sandbox inspect FOLDER`` sees it: the readable runs, grouped by the
folder that holds them (one experiment each), and what could not be read, with the reason."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pydantic import BaseModel

from sandbox.analysis.runs import is_replay
from sandbox.errors import StoreError
from sandbox.store.reader import TRAJECTORY_FILE, RunReader


class Unreadable(BaseModel):
    """A path under the folder that looks like a run but cannot be read as one."""

    path: Path
    problem: str


class FolderScan(BaseModel):
    """Readable trajectory files by the folder holding their run (an experiment's folder, or the
    top folder for runs made one at a time), and what was skipped."""

    groups: dict[Path, list[Path]]
    skipped: list[Unreadable]
    replays: list[Path] = []  # runs written by ``sandbox replay``, left out of the groups

    @property
    def runs(self) -> int:
        return sum(len(files) for files in self.groups.values())


def _problem(trajectory: Path) -> str | None:
    """Why ``trajectory`` is not a readable run, or None when it is."""
    try:
        with RunReader(trajectory) as reader:
            reader.run()
            reader.last_tick()
    except StoreError as exc:
        return str(exc)
    except sqlite3.DatabaseError as exc:
        return f"{trajectory} is not a readable trajectory file: {exc}"
    return None


def scan_folder(folder: str | Path) -> FolderScan:
    """Walk ``folder``: a directory holding ``trajectory.sqlite`` is a run (its subfolders are
    its own); a directory holding neither a run nor subfolders is a leftover, listed as skipped;
    a replay (``sandbox replay``'s ``<run>-replay``) is listed in ``replays``, not as a run."""
    groups: dict[Path, list[Path]] = {}
    skipped: list[Unreadable] = []
    replays: list[Path] = []

    def walk(d: Path) -> None:
        children = sorted(c for c in d.iterdir() if c.is_dir())
        for child in children:
            trajectory = child / TRAJECTORY_FILE
            if trajectory.exists():
                problem = _problem(trajectory)
                if problem is None and is_replay(trajectory):
                    replays.append(child)
                elif problem is None:
                    groups.setdefault(d, []).append(trajectory)
                else:
                    skipped.append(Unreadable(path=child, problem=problem))
            elif not any(c.is_dir() for c in child.iterdir()):
                skipped.append(
                    Unreadable(path=child, problem=f"{child} holds no {TRAJECTORY_FILE}")
                )
            else:
                walk(child)

    walk(Path(folder))
    return FolderScan(groups=groups, skipped=skipped, replays=replays)
