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

The cognition itself lives in ``sandbox.agents`` (``intake``: memories and importance;
``planning``: day plans and replans; ``reflection``) and works on the ``TickView`` that
``tick_view`` builds; these rules keep the scene, each decision's snapshot, resolution,
conversations and the narrator.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from sandbox.agents import intake, planning, reflection
from sandbox.agents.actions import Decision, Do, EndConversation, Move, Say
from sandbox.agents.agent import Situation
from sandbox.agents.cognition_config import CognitionConfig
from sandbox.agents.view import TickView
from sandbox.errors import ConfigError, ModelAnswerError
from sandbox.seeds import derive_seed
from sandbox.store.records import ActionRecord, ThoughtRecord
from sandbox.world.conversations import Conversations
from sandbox.world.emotion_scoring import emotions_of
from sandbox.world.narrator import Act, Narrator
from sandbox.world.resolve import apply_action
from sandbox.world.rules import Resolution, gather_outcomes

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sandbox.agents.agent import PersonaAgent
    from sandbox.agents.memory import Memory, Retrieved
    from sandbox.llm.request import LLMRequest
    from sandbox.world.world import World

SLEEP, LISTEN = "sleep", "listen"


def tick_view(world: World, tick: int) -> TickView:
    """The narrow view of ``world`` at ``tick`` that the agents' cognition works on."""
    t = world.clock.time_at(tick)
    return TickView(
        tick=tick,
        hour=t.hour,
        day=world.day_of(tick),
        time_text=world.clock.describe(tick),
        date_text=t.strftime("%A %d %B %Y"),
        weekday=t.strftime("%A"),
        start_date=world.clock.start.date(),
        seed=world.config.seed,
        places=tuple(world.places),
        agents=world.persona_agents,
        happenings=world.config.happenings,
        prompts=world.prompts,
        embedder_or_none=world.embedder,
        gather=functools.partial(gather_outcomes, world),
        feel=lambda source, asks: emotions_of(world, source, asks, tick),
    )


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

    # --- decide ---------------------------------------------------------------------------------
    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        view = tick_view(world, tick)
        hour = view.hour
        learned: dict[str, list[str]] = {}
        if self.cog is not None:
            learned = await intake.remember(view)
            if self.cog.planning:
                await planning.plan_day(view, self.cog)
        occupancy = world.occupancy()
        crowd = {p: len(names) for p, names in occupancy.items()}
        passive: dict[str, str] = {}
        acting = []
        for agent in world.persona_agents:
            if intake.asleep(agent, hour):
                passive[agent.name] = SLEEP
            elif self.cog is not None and self.conversations.listening(agent.name):
                passive[agent.name] = LISTEN
            else:
                acting.append(agent)
        queries = {}
        if self.cog is not None and acting:
            texts = [self._query_text(a, world.attention.noticed(a.name), hour) for a in acting]
            feelings = await view.feel(
                self.cog.retrieval.scoring_source(),
                [(a.name, t) for a, t in zip(acting, texts, strict=True)],
            )
            for agent, vector, emotions in zip(
                acting, await view.embedder.embed(texts), feelings, strict=True
            ):
                queries[agent.name] = (vector, emotions)
        keys: list[str] = []
        batches: dict[str, list[Memory]] = {}

        def asks() -> Iterator[LLMRequest]:
            """The tick's requests, rendered as ``gather_outcomes`` takes them (decide workers
            answer the first ones while the rest are rendered); each one's key goes to ``keys``."""
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
                known = view.known(agent)
                place = world.places[agent.place]
                situation = Situation(
                    tick=tick,
                    time_text=view.time_text,
                    hour=hour,
                    place=agent.place,
                    place_description=place.description,
                    place_activities=tuple(place.activities),
                    others_here=world.attention.noticed(agent.name),
                    places=world.attention.places(
                        agent.name, agent.place, self._plan_place(agent, hour)
                    ),
                    crowd=crowd,
                    conversation=(
                        {"partner": talk.partner(agent.name), "turns": talk.turns} if talk else None
                    ),
                    memories=retrieved,
                    happenings=tuple(known),
                    new_happenings=tuple(
                        h for h in known if h["what"] in learned.get(agent.name, [])
                    ),
                )
                seed = derive_seed(world.config.seed, tick, agent.name)
                keys.append(agent.name)
                yield agent.decision_request(situation, world.prompts, seed)
            if self.cog is not None:
                scoring, scoring_keys, found = intake.importance_asks(view, self.cog)
                batches.update(found)
                keys.extend(scoring_keys)
                yield from scoring

        outcomes = await gather_outcomes(world, asks(), keys)
        result: dict[str, Any] = dict(passive)
        for key, outcome in outcomes.items():
            if key.startswith("importance|"):
                name = key.split("|", 1)[1]
                cog = self._cognition()
                source = cog.retrieval.scoring_source()
                intake.score(world.agent(name), batches[name], outcome, cog, source)
            else:
                result[key] = outcome if isinstance(outcome, ModelAnswerError) else outcome.value
        return result

    @staticmethod
    def _plan_place(agent: PersonaAgent, hour: int) -> str | None:
        block = agent.mind.block_at(hour) if agent.mind else None
        return block["place"] if block else None

    @staticmethod
    def _query_text(agent: PersonaAgent, noticed: tuple[str, ...], hour: int) -> str:
        block = agent.mind.block_at(hour) if agent.mind else None
        recent = " ".join(o["text"] for o in agent.observations[-3:])
        others = ", ".join(noticed)
        plan = f"{block['activity']} at the {block['place']}" if block else ""
        return f"{agent.name} at the {agent.place} with {others}. {plan}. {recent}"

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
            await planning.replan(tick_view(world, tick), replans)
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

    # --- reflect --------------------------------------------------------------------------------
    async def reflect(self, world: World, tick: int) -> None:
        if self.cog is None or not self.cog.reflection:
            return
        await reflection.reflect(tick_view(world, tick), self.cog)

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
