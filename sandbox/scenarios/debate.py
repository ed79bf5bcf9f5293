"""Group debates after DEBATE (Chuang et al. 2025) as world rules.

Groups of ``group_size`` on one topic each. Tick 1: every agent gives a private opinion on the
six-point scale (-2.5 .. 2.5) with a justification. Then ``rounds`` rounds of: a public post seen
by the whole group (each post's stance is then rated by a separate judge call, ``debate.stance``),
and a one-to-one chat of ``chat_turns`` messages each with a new partner (round-robin: each pair
meets once). Last tick: a final private opinion. Opinions go to ``beliefs`` (strategy
``private_opinion`` / ``private_opinion_final``), posts and chat messages to ``actions``
(``post`` with the judged stance as ``value``; ``chat``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from sandbox.errors import ModelAnswerError
from sandbox.llm.heuristic.debate import stance_from_text
from sandbox.llm.request import LLMRequest, json_schema_of
from sandbox.personas.wording import render
from sandbox.quoting import quote, quoted_list
from sandbox.seeds import derive_seed
from sandbox.store.records import ActionRecord, BeliefRecord, ThoughtRecord
from sandbox.world.rules import Resolution, gather_outcomes

if TYPE_CHECKING:
    from sandbox.world.world import World

Code = Literal[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]
SCALE = (
    "-2.5 strongly disagree, -1.5 disagree, -0.5 slightly disagree, 0.5 slightly agree, "
    "1.5 agree, 2.5 strongly agree"
)


class Opinion(BaseModel):
    opinion: Code = Field(description=SCALE)
    justification: str = Field(min_length=1)


class Stance(BaseModel):
    stance: Code = Field(description=SCALE)


class Chat(BaseModel):
    thought: str
    message: str = Field(min_length=1, max_length=600)


@functools.cache
def post_model(max_chars: int) -> type[BaseModel]:
    return create_model(
        "Post", thought=(str, ...), post=(str, Field(min_length=1, max_length=max_chars))
    )


class Topic(BaseModel):
    id: str
    statement: str
    lean: dict[str, float] = Field(default_factory=dict)


class DebateScenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["debate"] = "debate"
    groups: list[list[str]]
    topics: list[Topic] = Field(description="one per group")
    pairings: list[list[list[list[str]]]] = Field(description="group -> round -> pairs")
    rounds: int = Field(3, ge=1)
    chat_turns: int = Field(2, ge=1)
    post_chars: int = Field(280, ge=20)
    label: str = ""

    def ticks(self) -> int:
        return 2 + self.rounds * (1 + self.chat_turns)


class DebateRules:
    name = "debate"

    def __init__(self, scenario: DebateScenario) -> None:
        self.s = scenario
        self.group_of = {a: g for g, members in enumerate(scenario.groups) for a in members}
        self.heard: dict[str, list[float]] = {}
        self.public: dict[str, list[float]] = {}
        self.chat_log: dict[str, list[str]] = {}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> DebateRules:
        return cls(DebateScenario.model_validate(spec))

    def _phase(self, tick: int) -> tuple[str, int]:
        if tick == 1:
            return "initial", 0
        if tick == self.s.ticks():
            return "final", self.s.rounds
        k = tick - 2
        return ("post" if k % (1 + self.s.chat_turns) == 0 else "chat"), k // (
            1 + self.s.chat_turns
        ) + 1

    def _partner(self, agent: str, round_no: int) -> str | None:
        g = self.group_of[agent]
        for a, b in self.s.pairings[g][round_no - 1] if round_no <= len(self.s.pairings[g]) else []:
            if agent in (a, b):
                return b if agent == a else a
        return None

    def _request(
        self, world: World, tick: int, agent: Any, phase: str, round_no: int
    ) -> LLMRequest:
        topic = self.s.topics[self.group_of[agent.name]]
        partner = self._partner(agent.name, round_no) if phase == "chat" else None
        facts = {
            "agent": agent.name,
            "traits": agent.persona.big_five.as_dict(),
            "topic_id": topic.id,
            "statement": topic.statement,
            "lean": topic.lean,
            "heard": list(self.heard.get(agent.name, [])),
            "public_heard": list(self.public.get(agent.name, [])),
            "partner": partner,
        }
        seen = quoted_list((o["text"] for o in agent.recent()), empty="- nothing yet")
        fields = {
            "persona": render(agent.persona, "biography"),
            "statement": quote(topic.statement),
            "seen": seen,
            "scale": SCALE,
            "round": round_no,
            "rounds": self.s.rounds,
            "partner": partner or "",
            "chars": self.s.post_chars,
            "when": "before the discussion" if phase == "initial" else "after the discussion",
        }
        if phase in ("initial", "final"):
            template, model, purpose = "debate_opinion", Opinion, "debate.opinion"
        elif phase == "post":
            template, model, purpose = "debate_post", post_model(self.s.post_chars), "debate.post"
        else:
            template, model, purpose = "debate_chat", Chat, "debate.chat"
        t = world.prompts.get(template)
        return LLMRequest(
            purpose=purpose,
            messages=t.render(fields, schema=json_schema_of(model)),
            response_model=model,
            agent=agent.name,
            tick=tick,
            temperature=0.7,
            seed=derive_seed(world.config.seed, tick, agent.name),
            facts=facts,
            template=t.name,
        )

    def scene(self, world: World, tick: int) -> None:
        if tick == 1:
            for g, members in enumerate(self.s.groups):
                world.bus.emit(
                    "announcement",
                    "world",
                    f'Your group discusses: "{self.s.topics[g].statement}"',
                    visibility="agents",
                    audience=members,
                )

    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        phase, round_no = self._phase(tick)
        agents = [a for a in world.persona_agents if a.name in self.group_of]
        if phase == "chat":
            agents = [a for a in agents if self._partner(a.name, round_no)]
        requests = [self._request(world, tick, a, phase, round_no) for a in agents]
        outcomes = await gather_outcomes(world, requests, [a.name for a in agents])
        return {k: (v, phase, round_no) for k, v in outcomes.items()}

    async def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Any]
    ) -> Resolution:
        out = Resolution()
        judged: list[tuple[str, ActionRecord]] = []
        for position, name in enumerate(order):
            outcome, phase, round_no = outcomes[name]
            g = self.group_of[name]
            topic = self.s.topics[g]
            base = {"tick": tick, "agent": name, "resolution_order": position}
            failed = isinstance(outcome, ModelAnswerError)
            if phase in ("initial", "final"):
                out.beliefs.append(
                    BeliefRecord(
                        tick=tick,
                        agent=name,
                        about=topic.id,
                        level="individual",
                        strategy="private_opinion"
                        if phase == "initial"
                        else "private_opinion_final",
                        question=f"{topic.statement} ({phase})",
                        answer=None if failed else outcome.value.model_dump(),
                        raw=outcome.raw,
                        error=str(outcome) if failed else None,
                    )
                )
                continue
            if failed:
                out.actions.append(
                    ActionRecord(**base, kind="error", status="error", detail=str(outcome))
                )
                continue
            out.thoughts.append(
                ThoughtRecord(
                    tick=tick, agent=name, purpose=f"debate.{phase}", text=outcome.value.thought
                )
            )
            data = {"round": round_no, "group": g, "topic": topic.id}
            if phase == "post":
                text = outcome.value.post
                world.bus.emit(
                    "post",
                    name,
                    f'{name} posts: "{text}"',
                    visibility="agents",
                    audience=self.s.groups[g],
                    data={"to": None, **data},
                )
                judged.append((name, ActionRecord(**base, kind="post", text=text, data=data)))
            else:
                partner = self._partner(name, round_no)
                text = outcome.value.message
                world.bus.emit(
                    "say",
                    name,
                    f'{name} (to {partner}): "{text}"',
                    visibility="agents",
                    audience=[name, partner],
                    data={"to": partner, **data},
                )
                out.actions.append(
                    ActionRecord(
                        **base,
                        kind="chat",
                        target=partner,
                        text=text,
                        data={**data, "partner": partner},
                    )
                )
                stance = stance_from_text(text)
                if stance is not None and partner:
                    self.heard.setdefault(partner, []).append(stance)
        if judged:
            out.actions.extend(await self._judge(world, tick, judged))
        return out

    async def _judge(
        self, world: World, tick: int, posts: list[tuple[str, ActionRecord]]
    ) -> list[ActionRecord]:
        """Rate each post's stance with a separate call; everyone in the group hears it."""
        t = world.prompts.get("debate_stance")
        requests = []
        for name, record in posts:
            topic = self.s.topics[self.group_of[name]]
            requests.append(
                LLMRequest(
                    purpose="debate.stance",
                    messages=t.render(
                        {
                            "statement": quote(topic.statement),
                            "post": quote(record.text),
                            "scale": SCALE,
                        },
                        schema=json_schema_of(Stance),
                    ),
                    response_model=Stance,
                    agent=None,
                    tick=tick,
                    temperature=0.0,
                    seed=derive_seed(world.config.seed, tick, name, "judge"),
                    facts={"post": record.text},
                    template=t.name,
                )
            )
        outcomes = await gather_outcomes(world, requests, [n for n, _ in posts])
        out = []
        for name, record in posts:
            outcome = outcomes[name]
            if isinstance(outcome, ModelAnswerError):
                out.append(record.model_copy(update={"detail": f"stance not judged: {outcome}"}))
                continue
            stance = float(outcome.value.stance)
            out.append(record.model_copy(update={"value": stance}))
            for member in self.s.groups[self.group_of[name]]:
                if member != name:
                    self.heard.setdefault(member, []).append(stance)
                    self.public.setdefault(member, []).append(stance)
        return out

    async def reflect(self, world: World, tick: int) -> None:
        return None

    def state_dict(self) -> dict[str, Any]:
        return {"heard": self.heard, "public": self.public}

    def load_state(self, state: dict[str, Any]) -> None:
        self.heard = {k: list(v) for k, v in state.get("heard", {}).items()}
        self.public = {k: list(v) for k, v in state.get("public", {}).items()}
