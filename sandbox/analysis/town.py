"""What became of a world's seeded happenings (the party of Generative Agents), from a run.

- heard (measured as the paper did): agents other than the host whose end-of-run interview answer
  ("Did you know there is ...?") the judge read as knowing (``sandbox.runner.end_interviews``);
  None until the run's agents have been interviewed;
- heard_proxy (a keyword proxy, not the paper's measure): agents other than the host with a memory
  that mentions the happening's keyword (in worlds without memories: an event they perceived that
  mentions it);
- came: agents other than the host who were at the place during the happening on its day;
- social-graph density (networkx, undirected over all agents) from the world file's ties and from
  the last committed tick.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import networkx as nx
from pydantic import BaseModel, Field

from sandbox.store.reader import RunReader


class HappeningReport(BaseModel):
    what: str
    host: str
    place: str
    agents: int
    heard: list[str] | None = Field(description="by end-of-run interviews; None if none were held")
    heard_proxy: list[str] = Field(description="keyword proxy: memories mentioning the keyword")
    came: list[str]
    density_before: float
    density_after: float = Field(description="from encounters (ties grow with each exchange)")
    density_interviewed: float | None = Field(
        None, description="directed density of 'Do you know of X?' answered yes, by interviews"
    )


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
        present = reader.tables()
        last = reader.last_tick()
        start = datetime.fromisoformat(config["start_time"])
        step = timedelta(minutes=config["minutes_per_tick"])
        states = dict(reader.states())
        before = [[t["a"], t["b"]] for t in config.get("ties", [])]
        after = states[last]["edges"] if last else before
        judged = end_interviews(reader) if "interviews" in present else _no_interviews()
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
                    f"SELECT {reader.audience_sql()} FROM events WHERE lower(text) LIKE ?", (key,)
                ):
                    heard.update(json.loads(audience))
            came: set[str] = set()
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
                    heard=(
                        sorted(a for a, s, k in judged["happening"] if s == h["what"] and k)
                        if judged["happening"]
                        else None
                    ),
                    heard_proxy=sorted(heard - {h["host"]}),
                    came=sorted(came - {h["host"]}),
                    density_before=_density(names, before),
                    density_after=_density(names, after),
                    density_interviewed=_interviewed_density(names, judged["acquaintance"]),
                )
            )
        return reports


def _no_interviews() -> dict[str, list[tuple[str, str, bool]]]:
    return {"happening": [], "acquaintance": []}


def end_interviews(reader: RunReader) -> dict[str, list[tuple[str, str, bool]]]:
    """(agent, subject, knows) of every judged end-of-run interview, by kind; the latest answer
    wins when an agent was asked the same question more than once."""
    out = _no_interviews()
    if "judged" not in reader.columns("interviews"):
        return out
    latest: dict[tuple[str, str, str], bool] = {}
    for agent, judged in reader.conn.execute(
        "SELECT agent, judged FROM interviews WHERE judged IS NOT NULL ORDER BY id"
    ):
        j = json.loads(judged)
        if j.get("knows") is not None:
            latest[(j["kind"], agent, j["subject"])] = bool(j["knows"])
    for (kind, agent, subject), knows in latest.items():
        out.setdefault(kind, []).append((agent, subject, knows))
    return out


def _interviewed_density(names: list[str], judged: list[tuple[str, str, bool]]) -> float | None:
    if not judged:
        return None
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from((a, b) for a, b, knows in judged if knows)
    return nx.density(g)
