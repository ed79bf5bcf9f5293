"""What became of a world's seeded happenings (the party of Generative Agents), from a run.

- heard: agents other than the host with a memory that mentions the happening's keyword (in worlds
  without memories: an event they perceived that mentions it);
- came: agents other than the host who were at the place during the happening on its day;
- social-graph density (networkx, undirected over all agents) from the world file's ties and from
  the last committed tick.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import networkx as nx
from pydantic import BaseModel

from sandbox.store.reader import RunReader


class HappeningReport(BaseModel):
    what: str
    host: str
    place: str
    agents: int
    heard: list[str]
    came: list[str]
    density_before: float
    density_after: float


def _density(names: list[str], edges: list[list]) -> float:
    g = nx.Graph()
    g.add_nodes_from(names)
    g.add_edges_from((a, b) for a, b, *_ in edges)
    return nx.density(g)


def happening_reports(run: str | Path) -> list[HappeningReport]:
    with RunReader(run) as reader:
        config = reader.run()["config"]
        happenings = config.get("happenings") or []
        if not happenings:
            return []
        names = [a["persona"]["name"] for a in config["agents"]]
        present = {r[0] for r in reader.conn.execute("SELECT name FROM sqlite_master")}
        last = reader.last_tick()
        start = datetime.fromisoformat(config["start_time"])
        step = timedelta(minutes=config["minutes_per_tick"])
        states = dict(reader.states())
        before = [[t["a"], t["b"]] for t in config.get("ties", [])]
        after = states[last]["edges"] if last else before
        reports = []
        for h in happenings:
            key = f"%{h['keyword'].lower()}%"
            if "memories" in present and reader.count("memories"):
                rows = reader.conn.execute(
                    "SELECT DISTINCT agent FROM memories WHERE lower(text) LIKE ?", (key,)
                )
                heard = {r[0] for r in rows}
            else:
                heard = set()
                for (audience,) in reader.conn.execute(
                    "SELECT audience FROM events WHERE lower(text) LIKE ?", (key,)
                ):
                    heard.update(json.loads(audience))
            came = set()
            for t, state in states.items():
                when = start + step * (t - 1)
                day = (when.date() - start.date()).days + 1
                if day == h["day"] and h["start_hour"] <= when.hour < h["end_hour"]:
                    came.update(n for n, a in state["agents"].items() if a["place"] == h["place"])
            reports.append(
                HappeningReport(
                    what=h["what"],
                    host=h["host"],
                    place=h["place"],
                    agents=len(names),
                    heard=sorted(heard - {h["host"]}),
                    came=sorted(came - {h["host"]}),
                    density_before=_density(names, before),
                    density_after=_density(names, after),
                )
            )
        return reports
