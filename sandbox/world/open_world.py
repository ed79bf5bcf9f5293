"""The default rules: agents at places say, move, do, wait, or end a conversation.

Without a ``cognition`` block agents are reactive: one ``agent.decide`` call per agent and tick.
With it they are generative agents (docs/cognition.md):

- perceived events become memories (embedded in one batch per tick); an asleep agent perceives
  nothing;
- at the start of each simulated day every agent makes a day plan in hourly blocks (one call);
- each tick, concurrently and from the same snapshot: ``agent.decide`` for agents that are awake
  and not waiting for their turn in a conversation, with retrieved memories and the current plan
  block in the prompt, and ``memory.importance`` scoring all of an agent's new memories at once;
- resolution in the seeded order; free-form acts go to the narrator (one call per tick); an answer's
  ``plan_change`` triggers a replan of the rest of the day (one call);
- after resolution, agents whose summed importance passed the threshold reflect (two calls).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sandbox.agents.actions import Decision, Do, EndConversation, Move, Say
from sandbox.agents.agent import Situation
from sandbox.agents.cognition import (
    importance_request,
    insights_request,
    plan_request,
    questions_request,
    replan_request,
)
from sandbox.agents.emotions import lexicon_emotions
from sandbox.errors import ConfigError, ModelAnswerError
from sandbox.seeds import derive_seed
from sandbox.store.records import ActionRecord, ThoughtRecord
from sandbox.world.config import CognitionConfig
from sandbox.world.conversations import Conversations
from sandbox.world.emotion_scoring import emotions_of
from sandbox.world.narrator import Act, Narrator
from sandbox.world.resolve import apply_action
from sandbox.world.rules import Resolution, gather_outcomes

if TYPE_CHECKING:
    from sandbox.agents.agent import PersonaAgent
    from sandbox.agents.embeddings import Embedder
    from sandbox.agents.memory import Memory, Retrieved
    from sandbox.agents.mind import Mind
    from sandbox.world.world import World

SLEEP, LISTEN = "sleep", "listen"
NO_EMOTIONS = (
    "the model gave no emotions; set cognition.emotions_fallback: lexicon to rate them with the "
    "word lexicon"
)


def _embedder(world: World) -> Embedder:
    """The world's embedder; the world makes one whenever it has a ``cognition`` block."""
    if world.embedder is None:
        raise ConfigError(
            "open-world cognition needs an embedder, and this world has none; give the world "
            "file a cognition block (the world then makes its embedder)"
        )
    return world.embedder


def _mind(agent: PersonaAgent) -> Mind:
    """The agent's mind; generative-agent steps only run for agents that have one."""
    if agent.mind is None:
        raise ConfigError(
            f"agent {agent.name} has no mind (memory stream); give the world file a cognition "
            "block so every persona agent gets one"
        )
    return agent.mind


class OpenWorldRules:
    name = "open-world"

    def __init__(self, cognition: CognitionConfig | None = None) -> None:
        self.cog = cognition
        self.narrator = Narrator() if cognition is not None and cognition.narrator else None
        self.conversations = Conversations(cognition.conversation_turns if cognition else 8)

    def _cognition(self) -> CognitionConfig:
        """The cognition block; the generative-agent steps only run with one."""
        if self.cog is None:
            raise ConfigError(
                "a generative-agent step (memory, plans, reflection) ran without a cognition "
                "block; give the world file a cognition block"
            )
        return self.cog

    # --- scene ---------------------------------------------------------------------------------
    def scene(self, world: World, tick: int) -> None:
        narrator = self.narrator or Narrator()
        if tick == 1:
            narrator.describe_scenes(world)
        for ev in world.scheduled_events(tick):
            narrator.announce(world, ev.text, ev.place)

    # --- cognition helpers -------------------------------------------------------------------
    def happenings(self, world: World, tick: int, agent: PersonaAgent) -> list[dict[str, Any]]:
        if agent.mind is None:
            return []
        day = world.day_of(tick)
        out = []
        for h in world.config.happenings:
            if h.what in agent.mind.known_happenings:
                weekday = (world.clock.start.date() + timedelta(days=h.day - 1)).strftime("%A")
                out.append(
                    {
                        **h.model_dump(),
                        "today": h.day == day,
                        "when": f"{weekday} at {h.start_hour}:00",
                    }
                )
        return out

    def _learn(self, world: World, agent: PersonaAgent, texts: list[str]) -> list[str]:
        """Happenings the agent hears of in ``texts`` (or hosts); returns the newly known."""
        assert agent.mind is not None
        new = []
        for h in world.config.happenings:
            if h.what in agent.mind.known_happenings:
                continue
            if h.host == agent.name or any(h.keyword.lower() in t.lower() for t in texts):
                agent.mind.known_happenings.append(h.what)
                new.append(h.what)
        return new

    @staticmethod
    def asleep(agent: PersonaAgent, hour: int) -> bool:
        if agent.mind is None:
            return False
        block = agent.mind.block_at(hour)
        return bool(
            block and "sleep" in block["activity"].lower() and agent.place == block["place"]
        )

    async def _remember(self, world: World, tick: int, hour: int) -> dict[str, list[str]]:
        """Pending perceptions -> memories (one embedding batch); returns newly known happenings."""
        jobs = []
        for agent in world.persona_agents:
            mind = agent.mind
            if mind is None:
                continue
            if self.asleep(agent, hour):
                mind.pending.clear()
            for kind, text, t, tags in mind.pending:
                jobs.append((agent, kind, text, t, tags))
            mind.pending.clear()
        learned: dict[str, list[str]] = {}
        if jobs:
            vectors = await _embedder(world).embed([j[2] for j in jobs])
            for (agent, kind, text, t, _tags), v in zip(jobs, vectors, strict=True):
                _mind(agent).stream.add(kind, text, t, v)
        for agent in world.persona_agents:
            if agent.mind is not None:
                texts = [m.text for m in agent.mind.stream.unscored()]
                learned[agent.name] = self._learn(world, agent, texts)
        return learned

    async def _plan_day(self, world: World, tick: int) -> None:
        day, hour = world.day_of(tick), world.clock.time_at(tick).hour
        requests, keys = [], []
        for agent in world.persona_agents:
            if agent.mind is None or agent.mind.plan_day == day:
                continue
            query = (await _embedder(world).embed([f"plans for today {agent.name}"]))[0]
            memories = agent.mind.stream.retrieve(query, tick, self._cognition().retrieval)
            requests.append(
                plan_request(
                    agent,
                    world.prompts,
                    tick=tick,
                    seed=derive_seed(world.config.seed, tick, agent.name, "plan"),
                    date=world.clock.time_at(tick).strftime("%A %d %B %Y"),
                    from_hour=hour,
                    places=tuple(world.places),
                    known=self.happenings(world, tick, agent),
                    memories=memories,
                )
            )
            keys.append(agent.name)
        outcomes = await gather_outcomes(world, requests, keys)
        for name, outcome in outcomes.items():
            await self._set_plan(world, tick, world.agent(name), outcome, day)

    async def _set_plan(
        self, world: World, tick: int, agent: PersonaAgent, outcome: Any, day: int
    ) -> None:
        mind = agent.mind
        assert mind is not None
        mind.plan_day = day
        if isinstance(outcome, ModelAnswerError):
            mind.plan = []  # no plan: the agent acts without one; the failure is in llm_calls
            return
        mind.plan = [b.model_dump() for b in outcome.value.blocks]
        text = f"My plan for {world.clock.time_at(tick).strftime('%A')}: {mind.plan_text()}"
        vector = (await _embedder(world).embed([text]))[0]
        mind.stream.add("plan", text, tick, vector)

    # --- decide ---------------------------------------------------------------------------------
    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        hour = world.clock.time_at(tick).hour
        learned: dict[str, list[str]] = {}
        if self.cog is not None:
            learned = await self._remember(world, tick, hour)
            if self.cog.planning:
                await self._plan_day(world, tick)
        occupancy = world.occupancy()
        crowd = {p: len(names) for p, names in occupancy.items()}
        passive: dict[str, str] = {}
        acting = []
        for agent in world.persona_agents:
            if self.asleep(agent, hour):
                passive[agent.name] = SLEEP
            elif self.cog is not None and self.conversations.listening(agent.name):
                passive[agent.name] = LISTEN
            else:
                acting.append(agent)
        queries = {}
        if self.cog is not None and acting:
            texts = [self._query_text(world, a, occupancy, hour) for a in acting]
            feelings = await emotions_of(
                world,
                self.cog.retrieval.scoring_source(),
                [(a.name, t) for a, t in zip(acting, texts, strict=True)],
                tick,
            )
            for agent, vector, emotions in zip(
                acting, await _embedder(world).embed(texts), feelings, strict=True
            ):
                queries[agent.name] = (vector, emotions)
        requests, keys = [], []
        time_text, places = world.clock.describe(tick), tuple(world.places)  # once a tick
        for agent in acting:
            retrieved: tuple[Retrieved, ...] = ()
            if agent.name in queries and agent.mind is not None:
                vector, emotions = queries[agent.name]
                retrieval = self._cognition().retrieval
                retrieved = tuple(
                    agent.mind.stream.retrieve(vector, tick, retrieval, query_emotions=emotions)
                )
                agent.last_retrieved = retrieved
            talk = self.conversations.of(agent.name) if self.cog is not None else None
            known = self.happenings(world, tick, agent)
            place = world.places[agent.place]
            situation = Situation(
                tick=tick,
                time_text=time_text,
                hour=hour,
                place=agent.place,
                place_description=place.description,
                place_activities=tuple(place.activities),
                others_here=world.attention.noticed(agent.name),
                places=places,
                crowd=crowd,
                conversation=(
                    {"partner": talk.partner(agent.name), "turns": talk.turns} if talk else None
                ),
                memories=retrieved,
                happenings=tuple(known),
                new_happenings=tuple(h for h in known if h["what"] in learned.get(agent.name, [])),
            )
            seed = derive_seed(world.config.seed, tick, agent.name)
            requests.append(agent.decision_request(situation, world.prompts, seed))
            keys.append(agent.name)
        keywords = [h.keyword for h in world.config.happenings]
        batches: dict[str, list[Memory]] = {}
        for agent in world.persona_agents:
            if agent.mind is None:
                continue
            assert self.cog is not None
            unscored = agent.mind.stream.unscored()[: self.cog.importance_batch]
            if unscored:
                batches[agent.name] = unscored
                requests.append(
                    importance_request(
                        agent,
                        unscored,
                        world.prompts,
                        tick,
                        derive_seed(world.config.seed, tick, agent.name, "importance"),
                        keywords,
                    )
                )
                keys.append(f"importance|{agent.name}")
        outcomes = await gather_outcomes(world, requests, keys)
        result: dict[str, Any] = dict(passive)
        for key, outcome in outcomes.items():
            if key.startswith("importance|"):
                name = key.split("|", 1)[1]
                source = self._cognition().retrieval.scoring_source()
                self._score(world.agent(name), batches[name], outcome, source)
            else:
                result[key] = outcome if isinstance(outcome, ModelAnswerError) else outcome.value
        return result

    @staticmethod
    def _query_text(
        world: World, agent: PersonaAgent, occupancy: dict[str, list[str]], hour: int
    ) -> str:
        block = agent.mind.block_at(hour) if agent.mind else None
        recent = " ".join(o["text"] for o in agent.observations[-3:])
        others = ", ".join(world.attention.noticed(agent.name))
        plan = f"{block['activity']} at the {block['place']}" if block else ""
        return f"{agent.name} at the {agent.place} with {others}. {plan}. {recent}"

    def _score(
        self, agent: PersonaAgent, batch: list[Memory], outcome: Any, source: str = "model"
    ) -> None:
        """Importance and emotions of ``batch`` from the answer. A failed answer (after its repair
        turns) leaves importance None with the error, and the batch leaves the queue: it is not
        sent again, so a model that keeps failing does not make the prompt grow. Emotions come
        from ``source`` (the world's ``retrieval.emotion_source``); a model that gives none gets
        the lexicon only where ``cognition.emotions_fallback`` asks for it, recorded per row."""
        mind = agent.mind
        assert mind is not None and self.cog is not None
        ids = [m.id for m in batch]
        mind.scored_this_tick.extend(ids)
        if isinstance(outcome, ModelAnswerError):
            mind.stream.fail_scores(ids, f"{type(outcome).__name__}: {outcome}")
            return
        scores = [float(s) for s in outcome.value.scores]
        if source == "model" and outcome.value.emotions is not None:
            mind.stream.set_scores(ids, scores, outcome.value.emotions, source="model")
        elif source == "lexicon" or self.cog.emotions_fallback == "lexicon":
            emotions = [lexicon_emotions(m.text) for m in batch]
            mind.stream.set_scores(ids, scores, emotions, source="lexicon")
        else:
            mind.stream.set_scores(ids, scores, None, emotions_error=NO_EMOTIONS)
        mind.since_reflection += sum(scores)

    # --- resolve --------------------------------------------------------------------------------
    async def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Any]
    ) -> Resolution:
        out = Resolution()
        acts: list[Act] = []
        replans: list[tuple[PersonaAgent, str]] = []
        moved: set[str] = set()
        for position, name in enumerate(order):
            agent = world.agent(name)
            outcome = outcomes[name]
            base = {"tick": tick, "agent": name, "resolution_order": position}
            if outcome in (SLEEP, LISTEN):
                out.actions.append(ActionRecord(**base, kind=outcome))
                continue
            if isinstance(outcome, ModelAnswerError):
                out.actions.append(
                    ActionRecord(**base, kind="error", status="error", detail=str(outcome))
                )
                continue
            assert isinstance(outcome, Decision)
            out.thoughts.append(
                ThoughtRecord(tick=tick, agent=name, purpose="agent.decide", text=outcome.thought)
            )
            action = outcome.to_action()
            if outcome.plan_change and agent.mind is not None and self.cog and self.cog.planning:
                hour = world.clock.time_at(tick).hour
                if agent.mind.may_replan(world.day_of(tick), hour, self.cog.max_replans_per_hour):
                    replans.append((agent, outcome.plan_change))
                else:
                    out.actions.append(
                        ActionRecord(
                            **base,
                            kind="replan",
                            text=outcome.plan_change,
                            status="invalid",
                            detail=f"not replanned: {self.cog.max_replans_per_hour} replans this "
                            "simulated hour already (cognition.max_replans_per_hour)",
                        )
                    )
            if isinstance(action, EndConversation):
                ended = self.conversations.end(name)
                if ended:
                    self._emit_end(world, ended)
                out.actions.append(
                    ActionRecord(
                        **base,
                        kind="end",
                        target=ended.partner(name) if ended else None,
                        status="ok" if ended else "invalid",
                        detail="" if ended else "not in a conversation",
                    )
                )
                continue
            if isinstance(action, Move):
                ended = self.conversations.end(name)
                if ended:
                    self._emit_end(world, ended)
            if isinstance(action, Do) and self.narrator is not None:
                acts.append(Act(name, agent.place, action.activity))
                out.actions.append(ActionRecord(**base, kind="do", text=action.activity))
                continue
            record = apply_action(world, agent, action, base)
            if isinstance(action, Say) and record.status == "ok" and self.cog is not None:
                change = self.conversations.spoke(name, record.target, agent.place)
                if change and change[0] == "ended" and change[1] is not None:
                    self._emit_end(world, change[1])
            if record.kind == "move" and record.status == "ok":
                moved.add(name)
            out.actions.append(record)
        for agent in world.persona_agents:
            agent.ticks_here = 0 if agent.name in moved else agent.ticks_here + 1
        if self.narrator is not None and acts:
            for name, status in (await self.narrator.resolve(world, tick, acts)).items():
                mind = world.agent(name).mind
                if mind is not None:
                    mind.status = status
        if replans:
            await self._replan(world, tick, replans)
        return out

    def _emit_end(self, world: World, c: Any) -> None:
        world.bus.emit(
            "conversation_end",
            "world",
            f"{c.a} and {c.b} finish their conversation.",
            visibility="place",
            place=c.place,
            data={"to": None},
        )

    async def _replan(
        self, world: World, tick: int, replans: list[tuple[PersonaAgent, str]]
    ) -> None:
        hour = world.clock.time_at(tick).hour
        requests = [
            replan_request(
                agent,
                world.prompts,
                tick=tick,
                seed=derive_seed(world.config.seed, tick, agent.name, "replan"),
                time=world.clock.describe(tick),
                from_hour=hour,
                places=tuple(world.places),
                reason=reason,
                known=self.happenings(world, tick, agent),
            )
            for agent, reason in replans
        ]
        outcomes = await gather_outcomes(world, requests, [a.name for a, _ in replans])
        day = world.day_of(tick)
        for agent, _ in replans:
            outcome = outcomes[agent.name]
            mind = agent.mind
            assert mind is not None
            if isinstance(outcome, ModelAnswerError):
                continue  # the old plan stands; the failure is in llm_calls
            kept = [b for b in mind.plan if b["end_hour"] <= hour]
            new_blocks = [b.model_dump() for b in outcome.value.blocks]
            mind.plan = kept + new_blocks
            await self._set_plan_memory(world, tick, agent, day)

    async def _set_plan_memory(
        self, world: World, tick: int, agent: PersonaAgent, day: int
    ) -> None:
        mind = agent.mind
        assert mind is not None
        mind.plan_day = day
        text = f"I changed my plan: {mind.plan_text()}"
        mind.stream.add("plan", text, tick, (await _embedder(world).embed([text]))[0])

    # --- reflect --------------------------------------------------------------------------------
    async def reflect(self, world: World, tick: int) -> None:
        if self.cog is None or not self.cog.reflection:
            return
        due = [
            a
            for a in world.persona_agents
            if a.mind is not None and a.mind.since_reflection >= self.cog.reflection_threshold
        ]
        if not due:
            return
        names = [a.name for a in world.persona_agents]
        keywords = [h.keyword for h in world.config.happenings]
        window = self.cog.reflection_window
        requests = [
            questions_request(
                a,
                _mind(a).stream.recent(window),
                world.prompts,
                tick,
                derive_seed(world.config.seed, tick, a.name, "questions"),
                names,
            )
            for a in due
        ]
        questions = await gather_outcomes(world, requests, [a.name for a in due])
        insight_requests, keys = [], []
        for agent in due:
            asked = questions[agent.name]
            if isinstance(asked, ModelAnswerError):
                continue
            qs = asked.value.questions
            evidence: dict[int, Any] = {}
            retrieval = self._cognition().retrieval
            feelings = await emotions_of(
                world, retrieval.scoring_source(), [(agent.name, q) for q in qs], tick
            )
            for vector, emotions in zip(await _embedder(world).embed(qs), feelings, strict=True):
                for r in _mind(agent).stream.retrieve(
                    vector, tick, retrieval, query_emotions=emotions
                ):
                    evidence[r.memory.id] = r.memory
            insight_requests.append(
                insights_request(
                    agent,
                    qs,
                    [evidence[i] for i in sorted(evidence)],
                    world.prompts,
                    tick,
                    derive_seed(world.config.seed, tick, agent.name, "insights"),
                    names,
                    keywords,
                )
            )
            keys.append(agent.name)
        insights = await gather_outcomes(world, insight_requests, keys)
        lexicon = self.cog.emotions_fallback == "lexicon"  # insights carry no emotions
        for name, outcome in insights.items():
            agent = world.agent(name)
            mind = agent.mind
            assert mind is not None
            if isinstance(outcome, ModelAnswerError):
                continue
            texts = [i.text for i in outcome.value.insights]
            source = self._cognition().retrieval.scoring_source()
            feelings = await emotions_of(world, source, [(name, t) for t in texts], tick)
            for insight, vector, felt in zip(
                outcome.value.insights, await _embedder(world).embed(texts), feelings, strict=True
            ):
                valid = tuple(i for i in insight.evidence if 0 <= i < len(mind.stream))
                memory = mind.stream.add(
                    "reflection",
                    insight.text,
                    tick,
                    vector,
                    importance=float(insight.importance),
                    emotions=felt
                    if felt is not None
                    else (lexicon_emotions(insight.text) if lexicon else None),
                    emotions_source=source
                    if felt is not None
                    else ("lexicon" if lexicon else None),
                    evidence=valid,
                )
                mind.scored_this_tick.append(memory.id)
            mind.since_reflection = 0.0

    # --- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations.state_dict(),
            "narrator": self.narrator.state_dict() if self.narrator else {},
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.conversations.load_state(state.get("conversations", []))
        if self.narrator is not None:
            self.narrator.load_state(state.get("narrator", {}))
