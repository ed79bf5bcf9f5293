"""Group debates after DEBATE (Chuang et al. 2025) as world rules.

Groups of ``group_size`` on one topic each. Tick 1: every agent gives a private opinion on the
six-point scale (-2.5 .. 2.5) with a justification. Then ``rounds`` rounds of: a public post seen
by the whole group, and a one-to-one chat with a new partner (round-robin: each pair meets once) in
which the two take turns, ``chat_turns`` messages each, so every reply answers the partner's last
message. Last tick: a final private opinion.

Every post and chat message is judged by the judge role (``debate.stance``, one call per
utterance): is it on topic, and its stance on the same scale. The judge is the client handed to
the rules (``--judge-model``); without one, the agents' own model.

An agent's whole debate history (its opening opinion, every post of its group, every turn of its
chats) is in each of its prompts, whatever the world's observation window.

Opinions go to ``beliefs`` (strategy ``private_opinion`` / ``private_opinion_final``), posts and chat
messages to ``actions`` (``post`` / ``chat`` with the judged stance as ``value`` and ``on_topic``
in ``data``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.llm.request import LLMRequest
from sandbox.personas.wording import render
from sandbox.quoting import PromptText, one_line, quote
from sandbox.scenarios import debate_policies
from sandbox.scenarios.registry import Scenario
from sandbox.seeds import derive_seed
from sandbox.store.records import ActionRecord, BeliefRecord, ThoughtRecord
from sandbox.world.rules import Resolution, gather_outcomes

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient
    from sandbox.world.world import World

if TYPE_CHECKING:
    Code = float  # typing's Literal takes no floats; pydantic's does (an enum in the schema)
else:
    Code = Literal[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]
SCALE = (
    "-2.5 strongly disagree, -1.5 disagree, -0.5 slightly disagree, 0.5 slightly agree, "
    "1.5 agree, 2.5 strongly agree"
)
SCALE_WORDS = {
    -2.5: "strongly disagree",
    -1.5: "disagree",
    -0.5: "slightly disagree",
    0.5: "slightly agree",
    1.5: "agree",
    2.5: "strongly agree",
}


class Opinion(BaseModel):
    opinion: Code = Field(description=SCALE)
    justification: str = Field(min_length=1)


class Judgement(BaseModel):
    """The judge's reading of one utterance."""

    on_topic: bool = Field(description="does the message discuss the statement?")
    stance: Code | None = Field(None, description=SCALE + "; null if it takes no stance")


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
    chat_turns: int = Field(2, ge=1, description="messages each partner writes per chat")
    post_chars: int = Field(280, ge=20)
    label: str = ""

    def ticks(self) -> int:
        return 2 + self.rounds * (1 + 2 * self.chat_turns)


def history_text(entries: list[dict[str, Any]]) -> PromptText:
    """An agent's debate so far, as its prompts show it (the agent itself is "You")."""
    if not entries:
        return PromptText("The discussion has not started yet.")
    lines = ["Your discussion so far:"]
    heading = None
    for e in entries:
        if e["kind"] == "opinion":
            code = e["opinion"]
            lines.append(
                f"Before the discussion you privately rated the statement {code:+.1f} "
                f"({SCALE_WORDS[code]}), because: {quote(e['justification'])}"
            )
            continue
        head = (
            f"Round {e['round']}, public posts in your group:"
            if e["kind"] == "post"
            else f"Round {e['round']}, your one-to-one chat with {one_line(e['partner'])}:"
        )
        if head != heading:
            lines.append(head)
            heading = head
        lines.append(f"- {'You' if e['mine'] else one_line(e['author'])}: {quote(e['text'])}")
    return PromptText("\n".join(lines))


class DebateRules:
    name = "debate"

    def __init__(self, scenario: DebateScenario, judge: ModelClient | None = None) -> None:
        self.s = scenario
        self.judge = judge
        self.group_of = {a: g for g, members in enumerate(scenario.groups) for a in members}
        self.heard: dict[str, list[float]] = {}
        self.public: dict[str, list[float]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}

    @classmethod
    def from_spec(cls, spec: dict[str, Any], judge: ModelClient | None = None) -> DebateRules:
        return cls(DebateScenario.model_validate(spec), judge=judge)

    def _phase(self, tick: int) -> tuple[str, int, int]:
        """(phase, round, chat turn) of a tick; the turn counts messages within a chat from 0."""
        if tick == 1:
            return "initial", 0, 0
        if tick == self.s.ticks():
            return "final", self.s.rounds, 0
        per_round = 1 + 2 * self.s.chat_turns
        k = tick - 2
        step = k % per_round
        return ("post" if step == 0 else "chat"), k // per_round + 1, max(step - 1, 0)

    def _pair(self, agent: str, round_no: int) -> tuple[str, str] | None:
        g = self.group_of[agent]
        rounds = self.s.pairings[g]
        for a, b in rounds[round_no - 1] if round_no <= len(rounds) else []:
            if agent in (a, b):
                return a, b
        return None

    def _partner(self, agent: str, round_no: int) -> str | None:
        pair = self._pair(agent, round_no)
        if pair is None:
            return None
        return pair[1] if agent == pair[0] else pair[0]

    def _speaks(self, agent: str, round_no: int, turn: int) -> bool:
        """Partners take turns: the pair's first member writes the even turns, the other the odd."""
        pair = self._pair(agent, round_no)
        return pair is not None and pair[turn % 2] == agent

    def _request(
        self, world: World, tick: int, agent: Any, phase: str, round_no: int, turn: int
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
        fields = {
            "persona": render(agent.persona, "biography"),
            "statement": quote(topic.statement),
            "history": history_text(self.history.get(agent.name, [])),
            "scale": SCALE,
            "round": round_no,
            "rounds": self.s.rounds,
            "partner": partner or "",
            "turn": turn // 2 + 1,
            "turns": self.s.chat_turns,
            "chars": self.s.post_chars,
            "when": "before the discussion" if phase == "initial" else "after the discussion",
        }
        model: type[BaseModel]
        if phase in ("initial", "final"):
            template, model, purpose = "debate_opinion", Opinion, "debate.opinion"
        elif phase == "post":
            template, model, purpose = "debate_post", post_model(self.s.post_chars), "debate.post"
        else:
            template, model, purpose = "debate_chat", Chat, "debate.chat"
        return Ask(
            template=template,
            answer=model,
            purpose=purpose,
            fields=fields,
            facts=facts,
            agent=agent.name,
            tick=tick,
            seed=derive_seed(world.config.seed, tick, agent.name),
            temperature=0.7,
        ).request(world.prompts)

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
        phase, round_no, turn = self._phase(tick)
        agents = [a for a in world.persona_agents if a.name in self.group_of]
        if phase == "chat":
            agents = [a for a in agents if self._speaks(a.name, round_no, turn)]
        requests = [self._request(world, tick, a, phase, round_no, turn) for a in agents]
        outcomes = await gather_outcomes(world, requests, [a.name for a in agents])
        return {k: (v, phase, round_no) for k, v in outcomes.items()}

    def _remember(self, agent: str, entry: dict[str, Any]) -> None:
        self.history.setdefault(agent, []).append(entry)

    async def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Any]
    ) -> Resolution:
        out = Resolution()
        said: list[tuple[str, ActionRecord]] = []
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
                if phase == "initial" and not failed:
                    self._remember(name, {"kind": "opinion", **outcome.value.model_dump()})
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
                said.append((name, ActionRecord(**base, kind="post", text=text, data=data)))
            else:
                partner = self._partner(name, round_no)
                assert partner is not None  # only agents with a partner chat
                text = outcome.value.message
                world.bus.emit(
                    "say",
                    name,
                    f'{name} (to {partner}): "{text}"',
                    visibility="agents",
                    audience=[name, partner],
                    data={"to": partner, **data},
                )
                record = ActionRecord(
                    **base,
                    kind="chat",
                    target=partner,
                    text=text,
                    data={**data, "partner": partner},
                )
                said.append((name, record))
                for who, other in ((name, partner), (partner, name)):
                    self._remember(
                        who,
                        {
                            "kind": "chat",
                            "round": round_no,
                            "partner": other,
                            "author": name,
                            "mine": who == name,
                            "text": text,
                        },
                    )
        if said and said[0][1].kind == "post":
            # Everyone's history lists the round's posts in the group's order, whatever the
            # resolution order.
            by_author = {name: record for name, record in said}
            for members in self.s.groups:
                for author in members:
                    post = by_author.get(author)
                    if post is None:
                        continue
                    for member in members:
                        self._remember(
                            member,
                            {
                                "kind": "post",
                                "round": post.data["round"],
                                "author": author,
                                "mine": member == author,
                                "text": post.text,
                            },
                        )
        if said:
            out.actions.extend(await self._judge(world, tick, said))
        return out

    async def _judge(
        self, world: World, tick: int, said: list[tuple[str, ActionRecord]]
    ) -> list[ActionRecord]:
        """The judge rates each utterance (on topic? stance?) with a separate call. An on-topic
        stance is heard by the rest of the group (a post) or by the partner (a chat message)."""
        requests = []
        for name, record in said:
            topic = self.s.topics[self.group_of[name]]
            requests.append(
                Ask(
                    template="debate_stance",
                    answer=Judgement,
                    purpose="debate.stance",
                    fields={
                        "statement": quote(topic.statement),
                        "text": quote(record.text),
                        "scale": SCALE,
                    },
                    facts={"text": record.text, "statement": topic.statement, "kind": record.kind},
                    tick=tick,
                    seed=derive_seed(world.config.seed, tick, name, "judge"),
                    temperature=0.0,
                ).request(world.prompts)
            )
        outcomes = await gather_outcomes(world, requests, [n for n, _ in said], client=self.judge)
        out = []
        for name, record in said:
            outcome = outcomes[name]
            if isinstance(outcome, ModelAnswerError):
                out.append(record.model_copy(update={"detail": f"not judged: {outcome}"}))
                continue
            judged = outcome.value
            stance = None if judged.stance is None else float(judged.stance)
            data = {**record.data, "on_topic": judged.on_topic}
            out.append(record.model_copy(update={"value": stance, "data": data}))
            if stance is None or not judged.on_topic:
                continue
            if record.kind == "post":
                for member in self.s.groups[self.group_of[name]]:
                    if member != name:
                        self.heard.setdefault(member, []).append(stance)
                        self.public.setdefault(member, []).append(stance)
            elif record.target:
                self.heard.setdefault(record.target, []).append(stance)
        return out

    async def reflect(self, world: World, tick: int) -> None:
        return None

    def state_dict(self) -> dict[str, Any]:
        return {
            "heard": {k: list(v) for k, v in self.heard.items()},
            "public": {k: list(v) for k, v in self.public.items()},
            "history": {k: [dict(e) for e in v] for k, v in self.history.items()},
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.heard = {k: list(v) for k, v in state.get("heard", {}).items()}
        self.public = {k: list(v) for k, v in state.get("public", {}).items()}
        self.history = {k: [dict(e) for e in v] for k, v in state.get("history", {}).items()}


SCENARIO = Scenario(
    name="debate",
    rules=DebateRules.from_spec,
    policies=debate_policies.POLICIES,
    prompts=("debate_opinion", "debate_post", "debate_chat", "debate_stance"),
    judged=True,
)
