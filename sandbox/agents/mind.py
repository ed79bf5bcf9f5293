"""An agent's cognitive state: memory stream, today's plan, reflection counter, what it is doing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sandbox.agents.memory import MemoryKind, MemoryStream


@dataclass
class Mind:
    stream: MemoryStream
    plan_day: int | None = None
    plan: list[dict[str, Any]] = field(default_factory=list)
    since_reflection: float = 0.0
    status: str = ""
    persisted: int = 0  # memories [0, persisted) are in the store
    pending: list[tuple[MemoryKind, str, int, tuple[str, ...]]] = field(default_factory=list)
    scored_this_tick: list[int] = field(default_factory=list)
    known_happenings: list[str] = field(default_factory=list)
    replans: list[int] = field(default_factory=list)  # [day, hour, replans in that hour]

    def block_at(self, hour: int) -> dict[str, Any] | None:
        for block in self.plan:
            if block["start_hour"] <= hour < block["end_hour"]:
                return block
        return None

    def may_replan(self, day: int, hour: int, cap: int) -> bool:
        """Count a replan in simulated hour (day, hour); False once ``cap`` were made in it."""
        used = self.replans[2] if self.replans[:2] == [day, hour] else 0
        if used >= cap:
            return False
        self.replans = [day, hour, used + 1]
        return True

    def plan_text(self) -> str:
        return (
            "; ".join(
                f"{b['start_hour']}:00-{b['end_hour']}:00 {b['activity']} at the {b['place']}"
                for b in self.plan
            )
            or "no plan yet"
        )

    def state_dict(self) -> dict[str, Any]:
        return {
            "plan_day": self.plan_day,
            "plan": self.plan,
            "since_reflection": self.since_reflection,
            "status": self.status,
            "access": self.stream.access_state(),
            "pending": [list(p) for p in self.pending],
            "known_happenings": list(self.known_happenings),
            "count": len(self.stream),
            "unscored": [m.id for m in self.stream.unscored()],
            "replans": list(self.replans),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.plan_day = state["plan_day"]
        self.plan = list(state["plan"])
        self.since_reflection = state["since_reflection"]
        self.status = state["status"]
        self.pending = [(p[0], p[1], p[2], tuple(p[3])) for p in state.get("pending", [])]
        self.known_happenings = list(state.get("known_happenings", []))
        self.replans = list(state.get("replans", []))
        count = state.get("count", len(self.stream))
        if len(self.stream) > count:
            self.stream.truncate(count)
        self.stream.unscore(list(state.get("unscored", [])))
        self.stream.load_access(state["access"])
        self.scored_this_tick = []


def restore_stream(stream: MemoryStream, rows: list[dict[str, Any]]) -> None:
    """Rebuild a stream from its ``memories`` rows (in ``mem_id`` order)."""
    import json

    for row in sorted(rows, key=lambda r: r["mem_id"]):
        embedding = np.frombuffer(row["embedding"], dtype=np.float32)
        emotions = json.loads(row["emotions"]) if row["emotions"] else None
        memory = stream.add(
            row["kind"],
            row["text"],
            row["tick"],
            embedding,
            importance=row["importance"],
            emotions=emotions,
            emotions_source=row.get("emotions_source"),
            evidence=tuple(json.loads(row["evidence"]) if row["evidence"] else ()),
        )
        if row.get("importance_error"):
            stream.score_errors[memory.id] = row["importance_error"]
        if row.get("emotions_error"):
            stream.emotion_errors[memory.id] = row["emotions_error"]
        if memory.id != row["mem_id"]:
            raise ValueError(f"memories of an agent are not contiguous at {row['mem_id']}")
