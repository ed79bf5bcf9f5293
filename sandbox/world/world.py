"""World: a mesa.Model that runs ticks of perceive -> decide -> resolve -> reflect -> commit."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

import mesa
import networkx as nx

from sandbox.agents.agent import PersonaAgent
from sandbox.agents.mind import Mind
from sandbox.errors import ConfigError, UnknownAgentError, UnknownPlaceError
from sandbox.llm.client import ModelClient
from sandbox.llm.templates import PromptLibrary
from sandbox.seeds import derive_rng
from sandbox.store.records import LLMCallRecord, TickRecord
from sandbox.world.attention import Attention
from sandbox.world.clock import Clock
from sandbox.world.config import WorldConfig
from sandbox.world.events import EventBus, load_pending, pending_state
from sandbox.world.loop import LoopThread
from sandbox.world.occupancy import Occupancy
from sandbox.world.open_world import OpenWorldRules
from sandbox.world.policies import register_engine_policies
from sandbox.world.rules import Rules

TickHook = Callable[["World", int], Awaitable[None]]
T = TypeVar("T")


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
        rules: Rules | None = None,
        memories: dict[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        super().__init__(seed=config.seed)
        if client is None:
            from sandbox.llm.factory import make_client

            client = make_client("heuristic")
        register_engine_policies()  # the heuristic backend's answers to the engine's purposes
        self.config = config
        self.rules: Rules = rules or OpenWorldRules(config.cognition)
        self.client = client
        self.recorder = recorder
        self.clock = Clock(config.start_time, config.minutes_per_tick)
        self.places = {p.name: p for p in config.places}
        self.prompts = PromptLibrary(config.prompts_dir)
        self.tick = 0
        self.reflect_hooks: list[TickHook] = []
        self._injected: list[dict[str, Any]] = []
        self.last_record: TickRecord | None = None
        self._loop: LoopThread | None = None
        self._scheduled: dict[int, list] = {}
        for ev in config.events:
            self._scheduled.setdefault(ev.tick, []).append(ev)

        self.embedder = None
        if config.cognition is not None:
            from sandbox.agents.embeddings import make_embedder

            self.embedder = make_embedder(
                config.cognition.embedder, client, getattr(client.backend, "api_base", None)
            )
        self._agents_by_name: dict[str, PersonaAgent] = {}
        for entry in config.agents:
            if entry.persona is None:
                raise ConfigError(
                    "world config has unresolved persona files; load it with load_world"
                )
            agent = PersonaAgent(
                self,
                entry.persona,
                entry.start,
                config.memory_window,
                config.persona_style,
                home=entry.home,
                work=entry.work,
                mind=self._new_mind(),
            )
            self._agents_by_name[agent.name] = agent
        if memories:
            from sandbox.agents.mind import restore_stream

            for name, rows in memories.items():
                mind = self.agent(name).mind
                if mind is not None:
                    restore_stream(mind.stream, rows)
                    mind.persisted = len(mind.stream)
        self.graph = nx.Graph()
        self.graph.add_nodes_from(self._agents_by_name)
        for tie in config.ties:
            self.graph.add_edge(tie.a, tie.b, weight=tie.weight)
        self.where = Occupancy(((a.name, a.place) for a in self.persona_agents), self.places)
        self.attention = Attention(self)
        for agent in self.persona_agents:
            agent.on_move = self._moved
        self.bus = EventBus(everyone=self.where.everyone, at_place=self.where.at)
        if state is not None:
            self.load_state(state)
        self._committed_state = self.state_dict()

    def _new_mind(self) -> Mind | None:
        if self.config.cognition is None or self.embedder is None:
            return None
        from sandbox.agents.memory import MemoryStream

        dim = getattr(self.embedder, "dim", 0) or 256
        return Mind(stream=MemoryStream(dim=dim, minutes_per_tick=self.config.minutes_per_tick))

    # --- queries -------------------------------------------------------------------------------
    def day_of(self, tick: int) -> int:
        """The simulated day (1 = the start date) on which ``tick`` falls."""
        return (self.clock.time_at(tick).date() - self.clock.start.date()).days + 1

    @property
    def persona_agents(self) -> list[PersonaAgent]:
        return list(self._agents_by_name.values())

    def agent(self, name: str) -> PersonaAgent:
        try:
            return self._agents_by_name[name]
        except KeyError:
            known = ", ".join(self._agents_by_name)
            raise UnknownAgentError(f"no agent named {name!r} (agents: {known})") from None

    def names_at(self, place: str) -> list[str]:
        return list(self.where.at(place))

    def _moved(self, agent: PersonaAgent, old: str, new: str) -> None:
        self.where.move(agent.name, old, new)

    def occupancy(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {p: [] for p in self.places}
        for agent in self._agents_by_name.values():
            out[agent.place].append(agent.name)
        return out

    def strengthen_tie(self, a: str, b: str, amount: float = 1.0) -> None:
        weight = self.graph.get_edge_data(a, b, default={"weight": 0.0})["weight"]
        self.graph.add_edge(a, b, weight=weight + amount)

    def scheduled_events(self, tick: int) -> list:
        return self._scheduled.get(tick, [])

    @property
    def sim_time(self) -> str:
        return self.clock.time_at(max(self.tick, 1)).isoformat(timespec="minutes")

    # --- the tick ----------------------------------------------------------------------------
    def step(self) -> None:
        """Run one tick and wait for it (works in scripts and in Jupyter). See ``last_record``."""
        self.last_record = self.run_blocking(self.astep())

    def run_blocking(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the world's own loop thread and wait for it: works where an event loop
        is already running (Jupyter), where ``asyncio.run`` cannot."""
        if self._loop is None:
            self._loop = LoopThread()
        return self._loop.run(coro)

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
        # 1-2. Clock and scene (and what was injected from outside since the last tick).
        self.rules.scene(self, tick)
        taken = len(self._injected)  # what is injected during this tick waits for the next one
        for event in self._injected[:taken]:
            self.bus.emit(**event)
        # 3. Perceive.
        self.attention.begin_tick(tick)
        inbox = self.attention.deliver(self.bus)
        for agent in self._agents_by_name.values():
            agent.perceive(inbox.get(agent.name, []))
        # 4. Decide, everyone from the same snapshot, concurrently.
        outcomes = await self.rules.decide(self, tick)
        # 5. Resolve in a seeded order that does not depend on who answered first.
        order = sorted(outcomes)
        derive_rng(self.config.seed, tick, "resolution-order").shuffle(order)
        resolution = await self.rules.resolve(self, tick, order, outcomes)
        # 6. Reflect and plan.
        await self.rules.reflect(self, tick)
        for hook in self.reflect_hooks:
            await hook(self, tick)
        memories, scores = self._memory_rows()
        # 7. Commit.
        self.tick = tick
        self.steps = tick
        state = self.state_dict()
        record = TickRecord(
            tick=tick,
            sim_time=self.clock.time_at(tick).isoformat(timespec="minutes"),
            wall_s=time.perf_counter() - started,
            events=list(self.bus.tick_events),
            actions=resolution.actions,
            thoughts=resolution.thoughts,
            beliefs=resolution.beliefs,
            memories=memories,
            memory_scores=scores,
            llm_calls=self.client.drain_calls(),
            state=state,
        )
        if self.recorder is not None:
            self.recorder.commit_tick(record)
        self._committed_state = state
        del self._injected[:taken]
        self.last_record = record
        return record

    def inject(
        self,
        text: str,
        *,
        place: str | None = None,
        source: str = "world",
        kind: str = "announcement",
        to: str | None = None,
    ) -> None:
        """Queue an outside event (a researcher's intervention, a visitor's words) for the next
        tick: seen by those at ``place``, by everyone when ``place`` is None, or by agent ``to``
        alone. It is emitted, perceived and committed with that tick."""
        if place is not None and place not in self.places:
            raise UnknownPlaceError(f"no place named {place!r} (places: {', '.join(self.places)})")
        if to is not None:
            self.agent(to)
            event = {
                "kind": kind,
                "source": source,
                "text": text,
                "visibility": "agents",
                "audience": [to],
                "place": self.agent(to).place,
                "data": {"to": to},
            }
        elif place is not None:
            event = {
                "kind": kind,
                "source": source,
                "text": text,
                "visibility": "place",
                "place": place,
                "data": {"to": None},
            }
        else:
            event = {
                "kind": kind,
                "source": source,
                "text": text,
                "visibility": "public",
                "data": {"to": None},
            }
        self._injected.append(event)

    def _memory_rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Memories new since the last commit, and scores set now for memories stored earlier."""
        rows, scores = [], []
        for agent in self._agents_by_name.values():
            mind = agent.mind
            if mind is None:
                continue
            for memory in mind.stream.memories[mind.persisted :]:
                rows.append({"agent": agent.name, **mind.stream.row(memory)})
            for mem_id in mind.scored_this_tick:
                if mem_id < mind.persisted:
                    scores.append(
                        {
                            "agent": agent.name,
                            "mem_id": mem_id,
                            **mind.stream.score_row(mem_id),
                        }
                    )
            mind.persisted = len(mind.stream)
            mind.scored_this_tick = []
        return rows, scores

    async def interview(self, name: str, question: str, *, k: int = 8) -> tuple[str, list[str]]:
        """Ask an agent a question now. The answer comes from its memories; nothing in the world
        changes (retrieval does not touch last-access times). Returns (answer, memories used)."""
        from sandbox.agents.cognition import interview_request
        from sandbox.seeds import derive_seed

        agent = self.agent(name)
        retrieved = []
        if agent.mind is not None and self.embedder is not None:
            from sandbox.agents.memory import RetrievalConfig
            from sandbox.world.emotion_scoring import emotions_of

            config = self.config.cognition.retrieval if self.config.cognition else RetrievalConfig()
            vector = (await self.embedder.embed([question]))[0]
            [felt] = await emotions_of(
                self, config.scoring_source(), [(name, question)], max(self.tick, 1)
            )
            retrieved = agent.mind.stream.retrieve(
                vector,
                max(self.tick, 1),
                config.model_copy(update={"k": k}),
                query_emotions=felt,
                touch=False,
            )
        else:  # a reactive agent answers from what it perceived recently
            from sandbox.agents.memory import Memory, Retrieved

            retrieved = [
                Retrieved(Memory(i, "observation", o["text"], o["tick"]), 0.0)
                for i, o in enumerate(agent.recent())
            ]
        tick = max(self.tick, 1)
        request = interview_request(
            agent,
            question,
            retrieved,
            self.prompts,
            time=self.clock.describe(tick),
            tick=self.tick,
            seed=derive_seed(self.config.seed, "interview", name, question),
        )
        answer = await self.client.complete(request)
        return answer.value.answer, [r.memory.text for r in retrieved]

    # --- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything the next tick depends on, as JSON-ready data (fresh containers)."""
        return {
            "tick": self.tick,
            "agents": {n: a.state_dict() for n, a in self._agents_by_name.items()},
            **pending_state(self.bus.pending),
            "edges": [[a, b, d["weight"]] for a, b, d in sorted(self.graph.edges(data=True))],
            "rules": self.rules.state_dict(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.tick = state["tick"]
        self.steps = self.tick
        for name, agent_state in state["agents"].items():
            self.agent(name).load_state(agent_state)
        self.bus.pending = load_pending(state)
        self.graph.remove_edges_from(list(self.graph.edges))
        for a, b, w in state["edges"]:
            self.graph.add_edge(a, b, weight=w)
        self.rules.load_state(state.get("rules", {}))

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
