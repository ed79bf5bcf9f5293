"""Per-tick metrics, Mesa's way: reporters for a ``mesa.DataCollector``, exported to the trajectory.

Each metric is a function of the world and the tick's record. ``world.datacollector`` (a Mesa
``DataCollector``) collects them as each tick commits, so a notebook reads
``world.datacollector.get_model_vars_dataframe()`` (one row per tick this world ran) and
``get_agent_vars_dataframe()``; the same values, evaluated just before the commit, go into the
tick's record and the ``metrics`` table (``tick``, ``agent`` NULL for a model metric, ``name``,
``value``), so a run's whole history is in its file, resumed or not. Only numbers that a resumed or
replayed run reproduces are kept (counts and tokens; no wall-clock times, costs or cache hits:
a replay answers every call from the record).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.store.records import MetricRecord, TickRecord

if TYPE_CHECKING:
    import mesa

    from sandbox.agents.agent import PersonaAgent
    from sandbox.world.world import World

ModelMetric = Callable[["World", TickRecord], float]
AgentMetric = Callable[["PersonaAgent", TickRecord], Any]

MODEL_METRICS: dict[str, ModelMetric] = {
    "events": lambda w, r: len(r.events),
    "actions": lambda w, r: len(r.actions),
    "thoughts": lambda w, r: len(r.thoughts),
    "beliefs": lambda w, r: len(r.beliefs),
    "new_memories": lambda w, r: len(r.memories),
    "model_calls": lambda w, r: len(r.llm_calls),
    "failed_calls": lambda w, r: sum(c.error_type is not None for c in r.llm_calls),
    "prompt_tokens": lambda w, r: sum(c.prompt_tokens for c in r.llm_calls),
    "completion_tokens": lambda w, r: sum(c.completion_tokens for c in r.llm_calls),
}
AGENTS_AT = "agents_at:"  # + a place's name: how many agents are there after the tick


class TickMetrics:
    """The world's metrics: the model metrics above, one ``agents_at:<place>`` per place, and per
    agent its place (collected, not exported: not a number), memories and model calls."""

    def __init__(self, places: list[str]) -> None:
        self.model: dict[str, ModelMetric] = dict(MODEL_METRICS)
        for place in places:
            self.model[AGENTS_AT + place] = _agents_at(place)
        self.agent: dict[str, AgentMetric] = {
            "place": lambda a, r: a.place,
            "memories": lambda a, r: len(a.mind.stream) if a.mind is not None else 0,
            "model_calls": lambda a, r: self._calls_by_agent(r)[a.name],
        }
        self._counted: tuple[int, Counter[str | None]] | None = None

    def _calls_by_agent(self, record: TickRecord) -> Counter[str | None]:
        if self._counted is None or self._counted[0] != id(record):
            self._counted = (id(record), Counter(c.agent for c in record.llm_calls))
        return self._counted[1]

    def rows(self, world: World, record: TickRecord) -> list[MetricRecord]:
        """The tick's metrics as rows for the trajectory (numbers only)."""
        tick = record.tick
        out = [
            MetricRecord(tick=tick, name=name, value=float(f(world, record)))
            for name, f in self.model.items()
        ]
        for agent in world.persona_agents:
            for name, g in self.agent.items():
                value = g(agent, record)
                if isinstance(value, int | float):
                    out.append(
                        MetricRecord(tick=tick, agent=agent.name, name=name, value=float(value))
                    )
        return out

    def datacollector(self) -> mesa.DataCollector:
        """A Mesa DataCollector over the same metrics, read from ``world.last_record``; it has a
        ``tick`` column too (a resumed world's collector starts at the tick it resumed from)."""
        import mesa

        model: dict[str, Any] = {"tick": lambda m: m.tick}
        model |= {n: _on_last_record(f) for n, f in self.model.items()}
        agent: dict[str, Any] = {"name": "name"}
        agent |= {n: _on_agents_record(g) for n, g in self.agent.items()}
        return mesa.DataCollector(model_reporters=model, agent_reporters=agent)


def _agents_at(place: str) -> ModelMetric:
    # from the world's index of who is where (kept as agents move): a scan of every agent per
    # place was 400 x 10,000 steps a tick, twice (the record and Mesa's collector)
    return lambda w, r: w.where.count(place)


def _on_last_record(f: ModelMetric) -> Callable[[World], float | None]:
    return lambda m: f(m, m.last_record) if m.last_record is not None else None


def _on_agents_record(g: AgentMetric) -> Callable[[PersonaAgent], Any]:
    return lambda a: g(a, a.model.last_record) if a.model.last_record is not None else None
