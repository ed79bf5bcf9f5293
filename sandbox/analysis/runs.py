"""Load one run, or every run in a folder, into pandas DataFrames with run metadata merged in.

    from sandbox.analysis import load_runs
    rs = load_runs("runs/trust-population-20261123-101500")
    rs.actions.groupby(["model", "condition"]).value.mean()

Every table gets the columns ``run``, ``model``, ``condition`` and ``seed``. ``rs.runs`` also says
which model judged (``judge``; ``judge_is_default`` when it was the agents' own model). JSON columns stay text;
``rs.personas`` is the agents table with the persona JSON parsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.errors import StoreError
from sandbox.store.reader import TRAJECTORY_FILE, RunReader

if TYPE_CHECKING:
    import pandas as pd

TABLES = ("agents", "actions", "beliefs", "events", "thoughts", "llm_calls", "surveys")


REPLAY_SUFFIX = "-replay"


def is_replay(trajectory: Path) -> bool:
    """A run written by ``sandbox replay``: its run's id (its folder's name) ends in ``-replay``
    and every model call it recorded was answered from the original's record (backend
    ``replay``). A folder of an experiment leaves these out: they copy a run, not add one."""
    if not trajectory.parent.name.endswith(REPLAY_SUFFIX):
        return False
    with RunReader(trajectory) as reader:
        if not str(reader.run()["id"]).endswith(REPLAY_SUFFIX):
            return False
        return "llm_calls" not in reader.tables() or not reader.count(
            "llm_calls", "backend IS NOT 'replay'"
        )


def find_runs(path: str | Path, *, replays: bool = True) -> list[Path]:
    """Trajectory files under ``path`` (a run directory, a trajectory file, or a folder of runs).
    A run's own subfolders (its replay) are not descended into. ``replays=False`` leaves out the
    replays (``is_replay``) found in a folder (a run or file named directly is always kept)."""
    p = Path(path)
    if p.is_file():
        return [p]
    if (p / TRAJECTORY_FILE).exists():
        return [p / TRAJECTORY_FILE]
    if not p.is_dir():
        raise StoreError(f"no run or folder of runs at {path}")
    found: list[Path] = []
    for child in sorted(p.iterdir()):
        if child.is_dir():
            trajectory = child / TRAJECTORY_FILE
            if not trajectory.exists():
                found.extend(find_runs(child, replays=replays))
            elif replays or not is_replay(trajectory):
                found.append(trajectory)
    return found


@dataclass
class RunSet:
    runs: pd.DataFrame
    agents: pd.DataFrame
    actions: pd.DataFrame
    beliefs: pd.DataFrame
    events: pd.DataFrame
    thoughts: pd.DataFrame
    llm_calls: pd.DataFrame
    surveys: pd.DataFrame

    configs: dict[str, dict]

    def scenario(self, run: str) -> dict:
        """The ``scenario`` block of a run's world config ({} for open worlds), read once by
        ``load_runs``."""
        return self.configs[run].get("scenario") or {}

    @property
    def personas(self) -> pd.DataFrame:
        out = self.agents.copy()
        out["persona"] = out["persona"].map(json.loads)
        return out


def _condition(scenario: dict) -> str:
    """The run's condition in its study; a framing factor's suffix ("weak-study") is its own column."""
    label = str(scenario.get("label") or "")
    framing = scenario.get("framing")
    if framing and framing != "neutral" and label.endswith(f"-{framing}"):
        return label.removesuffix(f"-{framing}")
    return label


def _meta(reader: RunReader, path: Path) -> dict:
    meta = reader.run()
    scenario = meta["config"].get("scenario") or {}
    judge = (meta.get("settings") or {}).get("judge_model")
    return {
        "run": meta["id"],
        "path": str(path),
        "name": meta["name"],
        "model": meta["model"],
        "judge": judge or meta["model"],
        "judge_is_default": judge is None,
        "status": meta["status"],
        "seed": meta["seed"],
        "scenario": scenario.get("name", "open-world"),
        "study": scenario.get("study"),
        "condition": _condition(scenario) or meta["config"].get("kind") or "",
        "framing": scenario.get("framing", "neutral"),
        "ticks": reader.last_tick(),
    }


def load_runs(path: str | Path | list[Path]) -> RunSet:
    """Read-only: opens each trajectory file read-only and never writes to it. ``path`` is a run,
    a folder of runs (its replays, ``sandbox replay``'s ``<run>-replay`` folders, left out), or a
    list of trajectory files."""
    import pandas as pd

    files = (
        find_runs(path, replays=False) if isinstance(path, str | Path) else [Path(p) for p in path]
    )
    if not files:
        raise StoreError(f"no trajectory files under {path}")
    metas: list[dict[str, Any]] = []
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    configs: dict[str, dict] = {}
    for f in files:
        with RunReader(f) as reader:
            meta = _meta(reader, f)
            metas.append(meta)
            configs[meta["run"]] = reader.run()["config"]
            present = reader.tables()
            for t in TABLES:
                if t not in present:
                    continue
                df = reader.frame(t)
                for col in ("seed", "condition", "model", "run"):
                    if col not in df.columns:  # llm_calls has its own 'model' (the same one)
                        df.insert(0, col, meta[col])
                frames[t].append(df)
    runs = pd.DataFrame(metas)
    tables = {
        t: (
            pd.concat(v, ignore_index=True)
            if v
            else pd.DataFrame(columns=["run", "model", "condition", "seed"])
        )
        for t, v in frames.items()
    }
    return RunSet(runs=runs, configs=configs, **tables)
