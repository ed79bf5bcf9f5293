"""World: a mesa.Model that runs ticks of perceive -> decide -> resolve -> reflect -> commit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import mesa
import networkx as nx

from sandbox.agents.actions import Decision
from sandbox.agents.agent import PersonaAgent, Situation
from sandbox.errors import ConfigError, ModelAnswerError
from sandbox.llm.client import ModelClient
from sandbox.llm.templates import PromptLibrary
from sandbox.seeds import derive_rng, derive_seed
from sandbox.store.records import EventRecord, LLMCallRecord, TickRecord
from sandbox.world.clock import Clock
from sandbox.world.config import WorldConfig
from sandbox.world.events import EventBus
from sandbox.world.loop import LoopThread
from sandbox.world.resolve import resolve_tick

TickHook = Callable[["World", int], Awaitable[None]]


class TickRecorder(Protocol):
    """Where committed ticks go (the trajectory writer implements it)."""

    def commit_tick(self, record: TickRecord) -> None: ...

    def record_calls(self, calls: list[LLMCallRecord]) -> None: ...


class World(mesa.Model):
    """A world of persona agents at places, stepped one tick at a time.

    ``await world.astep()`` runs one tick on the caller's event loop; ``world.step()`` runs it on the
    world's own loop thread, so it works in plain scripts and inside Jupyter alike. A tick either
    commits completely or leaves the world as it was (a failed model call rolls it back).
    """

    def __init__(
        self,
        config: WorldConfig,
        client: ModelClient | None = None,
        *,
        recorder: TickRecorder | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(seed=config.seed)
        if client is None:
            from sandbox.llm.factory import make_client

            client = make_client("heuristic")
        self.config = config
        self.client = client
        self.recorder = recorder
        self.clock = Clock(config.start_time, config.minutes_per_tick)
        self.places = {p.name: p for p in config.places}
        self.prompts = PromptLibrary(config.prompts_dir)
        self.tick = 0
        self.reflect_hooks: list[TickHook] = []
        self.last_record: TickRecord | None = None
        self._loop: LoopThread | None = None
        self._scheduled: dict[int, list] = {}
        for ev in config.events:
            self._scheduled.setdefault(ev.tick, []).append(ev)

        self._agents_by_name: dict[str, PersonaAgent] = {}
        for entry in config.agents:
            if entry.persona is None:
                raise ConfigError(
                    "world config has unresolved persona files; load it with load_world"
                )
            agent = PersonaAgent(
                self, entry.persona, entry.start, config.memory_window, config.persona_style
            )
            self._agents_by_name[agent.name] = agent
        self.graph = nx.Graph()
        self.graph.add_nodes_from(self._agents_by_name)
        for tie in config.ties:
            self.graph.add_edge(tie.a, tie.b, weight=tie.weight)
        self.bus = EventBus(everyone=lambda: list(self._agents_by_name), at_place=self.names_at)
        if state is not None:
            self.load_state(state)
        self._committed_state = self.state_dict()

    # --- queries -------------------------------------------------------------------------------
    @property
    def persona_agents(self) -> list[PersonaAgent]:
        return list(self._agents_by_name.values())

    def agent(self, name: str) -> PersonaAgent:
        try:
            return self._agents_by_name[name]
        except KeyError:
            known = ", ".join(self._agents_by_name)
            raise KeyError(f"no agent named {name!r} (agents: {known})") from None

    def names_at(self, place: str) -> list[str]:
        return [a.name for a in self._agents_by_name.values() if a.place == place]

    def occupancy(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {p: [] for p in self.places}
        for agent in self._agents_by_name.values():
            out[agent.place].append(agent.name)
        return out

    def strengthen_tie(self, a: str, b: str, amount: float = 1.0) -> None:
        weight = self.graph.get_edge_data(a, b, default={"weight": 0.0})["weight"]
        self.graph.add_edge(a, b, weight=weight + amount)

    @property
    def sim_time(self) -> str:
        return self.clock.time_at(max(self.tick, 1)).isoformat(timespec="minutes")

    # --- the tick ----------------------------------------------------------------------------
    def step(self) -> None:
        """Run one tick and wait for it (works in scripts and in Jupyter). See ``last_record``."""
        if self._loop is None:
            self._loop = LoopThread()
        self.last_record = self._loop.run(self.astep())

    async def astep(self) -> TickRecord:
        """Run one tick on the running event loop and return what it committed."""
        try:
            return await self._tick(self.tick + 1)
        except BaseException:
            calls = self.client.drain_calls()
            self.load_state(self._committed_state)
            if self.recorder is not None and calls:
                self.recorder.record_calls(calls)  # calls were made (and maybe paid for)
            raise

    async def _tick(self, tick: int) -> TickRecord:
        started = time.perf_counter()
        self.bus.begin_tick(tick)
        # 1-2. Clock and scene: the opening scene, then events scheduled for this tick.
        if tick == 1:
            for place in self.places.values():
                text = f"The {place.name}: {place.description}".rstrip(": ")
                self.bus.emit("scene", "narrator", text, visibility="place", place=place.name)
        for ev in self._scheduled.get(tick, []):
            visibility = "place" if ev.place else "public"
            self.bus.emit("announcement", "world", ev.text, visibility=visibility, place=ev.place)
        # 3. Perceive.
        inbox = self.bus.deliver()
        for agent in self._agents_by_name.values():
            agent.perceive(inbox.get(agent.name, []))
        # 4. Decide, everyone from the same snapshot, concurrently.
        outcomes = await self._decide(tick)
        # 5. Resolve in a seeded order that does not depend on who answered first.
        order = sorted(self._agents_by_name)
        derive_rng(self.config.seed, tick, "resolution-order").shuffle(order)
        actions, thoughts = resolve_tick(self, tick, order, outcomes)
        # 6. Reflect and plan (hooks; filled in by the cognition layer).
        for hook in self.reflect_hooks:
            await hook(self, tick)
        # 7. Commit.
        self.tick = tick
        self.steps = tick
        state = self.state_dict()
        record = TickRecord(
            tick=tick,
            sim_time=self.clock.time_at(tick).isoformat(timespec="minutes"),
            wall_s=time.perf_counter() - started,
            events=list(self.bus.tick_events),
            actions=actions,
            thoughts=thoughts,
            llm_calls=self.client.drain_calls(),
            state=state,
        )
        if self.recorder is not None:
            self.recorder.commit_tick(record)
        self._committed_state = state
        self.last_record = record
        return record

    async def _decide(self, tick: int) -> dict[str, Decision | ModelAnswerError]:
        occupancy = self.occupancy()
        crowd = {p: len(names) for p, names in occupancy.items()}
        place_names = tuple(self.places)
        time_text = self.clock.describe(tick)
        hour = self.clock.time_at(tick).hour
        requests = []
        for agent in self._agents_by_name.values():
            place = self.places[agent.place]
            situation = Situation(
                tick=tick,
                time_text=time_text,
                hour=hour,
                place=agent.place,
                place_description=place.description,
                place_activities=tuple(place.activities),
                others_here=tuple(n for n in occupancy[agent.place] if n != agent.name),
                places=place_names,
                crowd=crowd,
            )
            seed = derive_seed(self.config.seed, tick, agent.name)
            requests.append(agent.decision_request(situation, self.prompts, seed))
        results = await asyncio.gather(
            *(self.client.complete(r) for r in requests), return_exceptions=True
        )
        outcomes: dict[str, Decision | ModelAnswerError] = {}
        for request, result in zip(requests, results, strict=True):
            assert request.agent is not None
            if isinstance(result, ModelAnswerError) and self.config.on_model_error == "record":
                outcomes[request.agent] = result
            elif isinstance(result, BaseException):
                raise result
            else:
                outcomes[request.agent] = result.value
        return outcomes

    # --- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything the next tick depends on, as JSON-ready data (fresh containers)."""
        return {
            "tick": self.tick,
            "agents": {n: a.state_dict() for n, a in self._agents_by_name.items()},
            "pending": [e.model_dump(mode="json") for e in self.bus.pending],
            "edges": [[a, b, d["weight"]] for a, b, d in sorted(self.graph.edges(data=True))],
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.tick = state["tick"]
        self.steps = self.tick
        for name, agent_state in state["agents"].items():
            self.agent(name).load_state(agent_state)
        self.bus.pending = [EventRecord.model_validate(e) for e in state["pending"]]
        self.graph.remove_edges_from(list(self.graph.edges))
        for a, b, w in state["edges"]:
            self.graph.add_edge(a, b, weight=w)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
