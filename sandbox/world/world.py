"""World: a mesa.Model that runs ticks of perceive -> decide -> resolve -> reflect -> commit."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

import mesa
import networkx as nx

from sandbox.agents.agent import PersonaAgent
from sandbox.agents.mind import Mind
from sandbox.collector import collector_paused, thaw
from sandbox.errors import ConfigError, UnknownAgentError, UnknownPlaceError
from sandbox.llm.calls import CallLog, collect_calls
from sandbox.llm.client import ModelClient
from sandbox.llm.templates import PromptLibrary
from sandbox.seeds import derive_rng, derive_seed
from sandbox.store.records import LLMCallRecord, TickRecord
from sandbox.world.attention import Attention
from sandbox.world.clock import Clock
from sandbox.world.config import WorldConfig
from sandbox.world.events import EventBus, load_pending, pending_state
from sandbox.world.loop import LoopThread
from sandbox.world.metrics import TickMetrics
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


@dataclass(frozen=True)
class InterviewAnswer:
    """An agent's answer to an interview, the memories it drew on, and the calls made for it."""

    answer: str
    memories: list[str]
    calls: list[LLMCallRecord]


class World(mesa.Model):
    """A world of persona agents at places, stepped one tick at a time.

    ``await world.astep()`` runs one tick on the caller's event loop; ``world.step()`` runs it on the
    world's own loop thread, so it works in plain scripts and inside Jupyter alike. A tick either
    commits completely or leaves the world as it was (a failed model call rolls it back).

    Mesa owns the bookkeeping: the persona agents are ``world.agents`` (a Mesa ``AgentSet``:
    ``select``, ``groupby``, ``shuffle_do`` work), both ``step()`` and ``astep()`` go through Mesa's
    step wrapper, which advances ``world.steps`` (the tick being run, then committed), and
    ``world.random`` / ``world.rng`` are reseeded from (seed, tick) as each tick starts.
    """

    steps: int  # Mesa's step counter (set by mesa.Model.__init__, advanced by its step wrapper)

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
        self._by_name: dict[str, PersonaAgent] = {}  # an index of self.agents, rebuilt on a miss
        self._claimed: list[Coroutine[Any, Any, TickRecord]] | None = None  # see astep
        for entry in config.agents:
            if entry.persona is None:
                raise ConfigError(
                    "world config has unresolved persona files; load it with load_world"
                )
            PersonaAgent(  # registers itself in self.agents (Mesa)
                self,
                entry.persona,
                entry.start,
                config.memory_window,
                config.persona_style,
                home=entry.home,
                work=entry.work,
                mind=self._new_mind(),
            )
        if memories:
            from sandbox.agents.mind import restore_stream

            for name, rows in memories.items():
                mind = self.agent(name).mind
                if mind is not None:
                    restore_stream(mind.stream, rows)
                    mind.persisted = len(mind.stream)
        self.graph = nx.Graph()
        self.graph.add_nodes_from(a.name for a in self.persona_agents)
        for tie in config.ties:
            self.graph.add_edge(tie.a, tie.b, weight=tie.weight)
        self.where = Occupancy(((a.name, a.place) for a in self.persona_agents), self.places)
        self.attention = Attention(self)
        for agent in self.persona_agents:
            agent.on_move = self._moved
        self.bus = EventBus(everyone=self.where.everyone, at_place=self.where.at)
        self.metrics = TickMetrics(list(self.places))
        self.datacollector = self.metrics.datacollector()  # Mesa's, one row per committed tick
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
        """``list(world.agents)``, typed: the persona agents in the order the config lists them."""
        return cast("list[PersonaAgent]", list(self.agents))

    def agent(self, name: str) -> PersonaAgent:
        """The agent called ``name`` (by an index of ``world.agents``, rebuilt when it misses)."""
        agent = self._by_name.get(name)
        if agent is None or agent not in self.agents:
            self._by_name = {a.name: a for a in self.persona_agents}
            agent = self._by_name.get(name)
        if agent is None:
            known = ", ".join(self._by_name)
            raise UnknownAgentError(f"no agent named {name!r} (agents: {known})")
        return agent

    def names_at(self, place: str) -> list[str]:
        return list(self.where.at(place))

    def _moved(self, agent: PersonaAgent, old: str, new: str) -> None:
        self.where.move(agent.name, old, new)

    def occupancy(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {p: [] for p in self.places}
        for agent in self.persona_agents:
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
        """Run one tick and wait for it (works in scripts and in Jupyter). See ``last_record``.

        Mesa wraps this method (``mesa.Model._wrapped_step``): ``world.step()`` first advances
        Mesa's ``world.steps``, then runs this body, so the tick run is number ``world.steps``.
        ``astep()`` goes through the same wrapper; a failed tick puts ``steps`` back."""
        number = self.steps
        tick = self._run_tick(number)
        if self._claimed is not None:  # called by astep: the caller's event loop runs the tick
            self._claimed.append(tick)
            return
        try:
            self.last_record = self.run_blocking(tick)
        except BaseException:
            # A tick that ran and failed has put steps back (load_state); one that never ran
            # (step() called from inside the world's loop) takes back the count Mesa made for it.
            if self.steps == number:
                self.steps = number - 1
            raise

    def run_blocking(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the world's own loop thread and wait for it: works where an event loop
        is already running (Jupyter), where ``asyncio.run`` cannot."""
        if self._loop is None:
            self._loop = LoopThread()
        return self._loop.run(coro)

    async def astep(self) -> TickRecord:
        """Run one tick on the running event loop and return what it committed."""
        self._claimed = []
        try:
            self.step()  # Mesa's step wrapper: advances self.steps, hands the tick back here
            [tick] = self._claimed
        finally:
            self._claimed = None
        return await tick

    async def _run_tick(self, tick: int) -> TickRecord:
        """Tick ``tick``, committed; or, when it fails, the world as it was (calls still logged).
        The tick's model calls are collected by the tick itself and come back in its record."""
        with collect_calls() as calls, collector_paused():
            try:
                return await self._tick(tick, calls)
            except BaseException:
                self.load_state(self._committed_state)
                made = calls.take()  # those not handed to a record: made (and maybe paid for)
                if self.recorder is not None and made:
                    self.recorder.record_calls(made)
                raise

    async def _tick(self, tick: int, calls: CallLog) -> TickRecord:
        started = time.perf_counter()
        # Mesa's generators, for a Mesa idiom in rules (world.agents.shuffle_do): drawn from
        # (seed, tick) like every draw of a tick, so a resumed run draws the same.
        self.random.seed(derive_seed(self.config.seed, tick, "mesa"))
        self.reset_rng(derive_seed(self.config.seed, tick, "mesa-numpy"))
        self.bus.begin_tick(tick)
        # 1-2. Clock and scene (and what was injected from outside since the last tick).
        self.rules.scene(self, tick)
        taken = len(self._injected)  # what is injected during this tick waits for the next one
        for event in self._injected[:taken]:
            self.bus.emit(**event)
        # 3. Perceive.
        self.attention.begin_tick(tick)
        inbox = self.attention.deliver(self.bus)
        shared: dict[int, tuple[str, dict[str, Any]]] = {}  # one observation per event, for all
        for agent in self.persona_agents:
            agent.perceive(inbox.get(agent.name, []), shared)
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
        self.tick = tick  # == self.steps, advanced by Mesa's step wrapper
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
            llm_calls=calls.take(),
            state=state,
        )
        record.metrics = self.metrics.rows(self, record)
        if self.recorder is not None:
            self.recorder.commit_tick(record)
        self._committed_state = state
        del self._injected[:taken]
        self.last_record = record
        self.datacollector.collect(self)  # the same metrics, now the tick is committed
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
        for agent in self.persona_agents:
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

    async def interview(self, name: str, question: str, *, k: int = 8) -> InterviewAnswer:
        """Ask an agent a question now. The answer comes from its memories; nothing in the world
        changes (retrieval does not touch last-access times). Returns the answer, the memories
        used and the model calls made for it (to log with the answer)."""
        with collect_calls() as calls:
            answer, used = await self._answer(name, question, k)
        return InterviewAnswer(answer, used, calls.take())

    async def _answer(self, name: str, question: str, k: int) -> tuple[str, list[str]]:
        from sandbox.agents.cognition import interview_request

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
        """Everything the next tick depends on, as JSON-ready data (fresh containers). What the
        agents perceived is in ``observed`` once per event (``tick.seq`` -> observation), and each
        agent's ``observations`` are keys there: an event seen by everyone in a crowded place is
        one entry, not one per onlooker."""
        observed: dict[str, dict[str, Any]] = {}
        agents = {a.name: a.state_dict(observed) for a in self.persona_agents}
        return {
            "tick": self.tick,
            "agents": agents,
            "observed": observed,
            **pending_state(self.bus.pending),
            "edges": [list(edge) for edge in sorted(_edges(self.graph))],
            "rules": self.rules.state_dict(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.tick = state["tick"]
        self.steps = (
            self.tick
        )  # Mesa's counter, restored with the committed tick (resume, rollback)
        observed = state.get("observed")  # absent in checkpoints of earlier versions
        for name, agent_state in state["agents"].items():
            self.agent(name).load_state(agent_state, observed)
        self.bus.pending = load_pending(state)
        self.graph.remove_edges_from(list(self.graph.edges))
        for a, b, w in state["edges"]:
            self.graph.add_edge(a, b, weight=w)
        self.rules.load_state(state.get("rules", {}))

    def close(self) -> None:
        """Close the world's event loop and let the world be freed once dropped: Mesa numbers
        agents in a class-level table keyed by their model, which keeps every model alive (mesa
        3.3), so this world's entry is removed; and what ticks froze (``sandbox.collector``) is
        handed back to the collector, so ``gc.collect()`` frees a dropped world (a notebook or a
        sweep worker runs many)."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        numbering = getattr(mesa.Agent, "_ids", None)
        if isinstance(numbering, dict):
            numbering.pop(self, None)
        thaw()

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _edges(graph: nx.Graph) -> list[tuple[str, str, float]]:
    """``(a, b, weight)`` for each tie, each once and the way round ``graph.edges`` gives it (the
    node met first in the graph's order is ``a``); read from the adjacency directly, without the
    edge view's per-edge machinery (100,000 ties at 10,000 agents, every tick)."""
    seen: set[str] = set()
    out: list[tuple[str, str, float]] = []
    for a, ties in graph.adjacency():
        out.extend((a, b, d["weight"]) for b, d in ties.items() if b not in seen)
        seen.add(a)
    return out
