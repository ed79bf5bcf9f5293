"""The classic games of behavioural economics as one session of world rules.

Tick 1 (``elicit_beliefs``): each agent says what it expects to do in each game and what it
expects of others (``beliefs``, strategy ``expectation``). Then, in order: the dictator game (one
tick: give part of a pie to a partner), the ultimatum game (two ticks: everyone offers to its
partner, then everyone answers the offer it received; each pair plays both roles), the public goods
game (``public_goods_rounds`` ticks, in the scenario's ``groups``), and the iterated prisoner's
dilemma (``pd_rounds`` ticks, fixed pairs). Each decision is an ``actions`` row with a private
``thought``; outcomes are told to each agent privately. Payoffs come from ``game_theory``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.llm.request import LLMRequest
from sandbox.personas.wording import render
from sandbox.quoting import PromptText, quoted_list
from sandbox.scenarios import games_policies
from sandbox.scenarios.framing import Framing, role_framing
from sandbox.scenarios.game_theory import (
    GameSettings,
    dictator_payoffs,
    pd_payoffs,
    public_goods_payoffs,
    ultimatum_payoffs,
)
from sandbox.scenarios.registry import Scenario
from sandbox.seeds import derive_seed
from sandbox.store.records import ActionRecord, BeliefRecord, ThoughtRecord
from sandbox.world.rules import Resolution, gather_outcomes

if TYPE_CHECKING:
    from sandbox.world.world import World


@functools.cache
def amount_model(name: str, field: str, hi: int) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "thought": (str, ...),
        field: (int, Field(ge=0, le=hi, description=f"a whole number, 0 to {hi}")),
    }
    return create_model(name, **fields)


class Respond(BaseModel):
    thought: str
    accept: bool


class Choose(BaseModel):
    thought: str
    choice: Literal["cooperate", "defect"]


@functools.cache
def expectation_model(d: int, u: int, e: int) -> type[BaseModel]:
    return create_model(
        "Expectations",
        my_dictator_give=(int, Field(ge=0, le=d)),
        my_ultimatum_offer=(int, Field(ge=0, le=u)),
        my_public_goods_contribution=(int, Field(ge=0, le=e)),
        my_cooperation_chance=(float, Field(ge=0, le=1)),
        others_dictator_give=(float, Field(ge=0, le=d)),
        others_public_goods_contribution=(float, Field(ge=0, le=e)),
        others_cooperation_chance=(float, Field(ge=0, le=1)),
    )


class GamesScenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["games"] = "games"
    settings: GameSettings = GameSettings()
    elicit_beliefs: bool = True
    framing: Framing = "neutral"
    pairs: list[list[str]] = Field(description="fixed partners for dictator, ultimatum and PD")
    groups: list[list[str]] = Field(description="public goods groups")
    label: str = ""

    def schedule(self) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = [("beliefs", 0)] if self.elicit_beliefs else []
        out += [("dictator", 1), ("ultimatum.offer", 1), ("ultimatum.respond", 1)]
        out += [("public_goods", r) for r in range(1, self.settings.public_goods_rounds + 1)]
        out += [("pd", r) for r in range(1, self.settings.pd_rounds + 1)]
        return out

    def ticks(self) -> int:
        return len(self.schedule())


RULES_TEXT = {
    "beliefs": "Before playing several economic games, say what you expect.",
    "dictator": "DICTATOR GAME. You have ${pie}. You may give any whole number of dollars, 0 to "
    "${pie}, to {partner}, who cannot respond. You keep the rest.",
    "ultimatum.offer": "ULTIMATUM GAME. You have ${pie} to split with {partner}. You offer them an "
    "amount, 0 to ${pie}. If they accept, the split happens; if they refuse, "
    "you both get nothing.",
    "ultimatum.respond": "ULTIMATUM GAME. {partner} had ${pie} and offers you ${offer}. If you "
    "accept, you get ${offer} and they keep the rest; if you refuse, you both "
    "get nothing.",
    "public_goods": "PUBLIC GOODS GAME, round {round}. You and {others} each have ${endowment}. "
    "Each puts 0 to ${endowment} into a pot; the pot is multiplied by {multiplier} "
    "and shared equally; you keep what you did not put in.",
    "pd": "PRISONER'S DILEMMA with {partner}, round {round}. Both cooperate: {R} points each. Both "
    "defect: {P} each. One defects while the other cooperates: {T} for the defector, {S} "
    "for the cooperator.",
}


MOVE_KINDS = {
    "dictator": "dictator.give",
    "ultimatum.offer": "ultimatum.offer",
    "ultimatum.respond": "ultimatum.respond",
    "public_goods": "public_goods.contribute",
    "pd": "pd.choose",
}
NOT_PLAYED = "not played"  # the outcome of a responder whose proposer's offer failed


def failed_move(base: dict[str, Any], game: str, round_no: int, error: Exception) -> ActionRecord:
    """A move whose answer failed: an ``error`` row of the move's kind, with no value (never a
    substitute such as a $0 offer), carrying the typed error."""
    return ActionRecord(
        **base,
        kind=MOVE_KINDS[game],
        status="error",
        detail=str(error),
        data={"round": round_no, "error_type": type(error).__name__},
    )


def not_played(base: dict[str, Any], proposer: str) -> ActionRecord:
    """An ultimatum responder with no offer to answer (the proposer's answer failed): not asked."""
    return ActionRecord(
        **base,
        kind="ultimatum.respond",
        target=proposer,
        status="error",
        detail=f"not played: {proposer}'s offer failed, so there was no offer to answer",
        data={"error_type": "NoOffer"},
    )


class GamesRules:
    name = "games"

    def __init__(self, scenario: GamesScenario) -> None:
        self.s = scenario
        self.partner = {a: b for a, b in scenario.pairs} | {b: a for a, b in scenario.pairs}
        self.group = {m: g for g in scenario.groups for m in g}
        self.offers: dict[str, int] = {}  # responder -> offer received
        self.pg_history: dict[str, list[float]] = {}  # agent -> others' mean by round
        self.pd_history: dict[str, list[str]] = {}  # agent -> partner's past choices

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> GamesRules:
        return cls(GamesScenario.model_validate(spec))

    def scene(self, world: World, tick: int) -> None:
        return None

    def _request(self, world: World, tick: int, agent: Any, game: str, round_no: int) -> LLMRequest:
        st = self.s.settings
        partner = self.partner.get(agent.name, "")
        others = [m for m in self.group.get(agent.name, []) if m != agent.name]
        facts: dict[str, Any] = {
            "agent": agent.name,
            "traits": agent.persona.big_five.as_dict(),
            "round": round_no,
            "settings": st.model_dump(),
        }
        fmt = {
            "pie": st.dictator_pie,
            "partner": partner,
            "round": round_no,
            "others": ", ".join(others),
            "endowment": st.public_goods_endowment,
            "multiplier": st.public_goods_multiplier,
            **st.pd_payoffs.model_dump(),
        }
        if game == "beliefs":
            model = expectation_model(st.dictator_pie, st.ultimatum_pie, st.public_goods_endowment)
            purpose = "games.expectation"
        elif game == "dictator":
            model, purpose = amount_model("Give", "amount", st.dictator_pie), "games.dictator"
            facts["pie"] = st.dictator_pie
        elif game == "ultimatum.offer":
            model, purpose = (
                amount_model("Offer", "offer", st.ultimatum_pie),
                "games.ultimatum.offer",
            )
            facts["pie"] = fmt["pie"] = st.ultimatum_pie
        elif game == "ultimatum.respond":
            model, purpose = Respond, "games.ultimatum.respond"
            offer = self.offers[agent.name]
            facts.update(pie=st.ultimatum_pie, offer=offer)
            fmt.update(pie=st.ultimatum_pie, offer=offer)
        elif game == "public_goods":
            model = amount_model("Contribute", "amount", st.public_goods_endowment)
            purpose = "games.public_goods"
            facts.update(
                endowment=st.public_goods_endowment,
                others_history=self.pg_history.get(agent.name, []),
            )
        else:
            model, purpose = Choose, "games.pd"
            facts["partner_history"] = self.pd_history.get(agent.name, [])
        outcomes = [o["text"] for o in agent.recent() if o["kind"] == "outcome"]
        history = quoted_list(outcomes, empty="")
        return Ask(
            template="games_move",
            answer=model,
            purpose=purpose,
            fields={
                "persona": render(agent.persona, "biography"),
                "framing": role_framing(self.s.framing),
                "rules": RULES_TEXT[game].format(**fmt),
                "history": PromptText(f"What happened so far:\n{history}\n" if history else ""),
            },
            facts=facts,
            agent=agent.name,
            tick=tick,
            seed=derive_seed(world.config.seed, tick, agent.name),
            temperature=0.7,
        ).request(world.prompts)

    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        game, round_no = self.s.schedule()[tick - 1]
        agents = [
            a
            for a in world.persona_agents
            if (a.name in self.group if game == "public_goods" else a.name in self.partner)
        ]
        skipped = []
        if game == "ultimatum.respond":  # no offer to answer when the proposer's answer failed
            skipped = [a.name for a in agents if a.name not in self.offers]
            agents = [a for a in agents if a.name in self.offers]
        requests = [self._request(world, tick, a, game, round_no) for a in agents]
        outcomes: dict[str, Any] = await gather_outcomes(world, requests, [a.name for a in agents])
        outcomes.update({name: NOT_PLAYED for name in skipped})
        return {k: (v, game, round_no) for k, v in outcomes.items()}

    def _tell(self, world: World, agent: str, text: str) -> None:
        world.bus.emit("outcome", "world", text, visibility="private", audience=[agent])

    async def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Any]
    ) -> Resolution:
        out = Resolution()
        st = self.s.settings
        game = next(iter(outcomes.values()))[1] if outcomes else ""
        moves: dict[str, Any] = {}
        for position, name in enumerate(order):
            outcome, game, round_no = outcomes[name]
            base = {"tick": tick, "agent": name, "resolution_order": position}
            if game == "beliefs":
                failed = isinstance(outcome, ModelAnswerError)
                out.beliefs.append(
                    BeliefRecord(
                        tick=tick,
                        agent=name,
                        about=name,
                        level="individual",
                        strategy="expectation",
                        question="What do you expect to do in each game, and what do you expect of others?",
                        answer=None if failed else outcome.value.model_dump(),
                        raw=outcome.raw,
                        error=str(outcome) if failed else None,
                    )
                )
                continue
            if isinstance(outcome, ModelAnswerError):
                out.actions.append(failed_move(base, game, round_no, outcome))
                continue
            if outcome is NOT_PLAYED:
                out.actions.append(not_played(base, self.partner[name]))
                continue
            out.thoughts.append(
                ThoughtRecord(
                    tick=tick, agent=name, purpose=f"games.{game}", text=outcome.value.thought
                )
            )
            moves[name] = (outcome.value, base, round_no)
        if game == "beliefs" or not moves:
            return out
        out.actions.extend(self._apply(world, game, moves, st))
        return out

    def _apply(
        self, world: World, game: str, moves: dict[str, Any], st: GameSettings
    ) -> list[ActionRecord]:
        acts = []
        if game == "dictator":
            for name, (v, base, _) in moves.items():
                mine, _theirs = dictator_payoffs(st.dictator_pie, v.amount)
                self._tell(world, name, f"You gave ${v.amount} and kept ${mine}.")
                acts.append(
                    ActionRecord(
                        **base,
                        kind="dictator.give",
                        target=self.partner[name],
                        value=v.amount,
                        data={"pie": st.dictator_pie, "payoff": mine},
                    )
                )
        elif game == "ultimatum.offer":
            for name, (v, base, _) in moves.items():
                self.offers[self.partner[name]] = v.offer
                acts.append(
                    ActionRecord(
                        **base,
                        kind="ultimatum.offer",
                        target=self.partner[name],
                        value=v.offer,
                        data={"pie": st.ultimatum_pie},
                    )
                )
        elif game == "ultimatum.respond":
            for name, (v, base, _) in moves.items():
                offer = self.offers[name]
                proposer, responder = ultimatum_payoffs(st.ultimatum_pie, offer, v.accept)
                self._tell(world, name, f"You {'accepted' if v.accept else 'refused'} ${offer}.")
                self._tell(
                    world,
                    self.partner[name],
                    f"{name} {'accepted' if v.accept else 'refused'} your offer of ${offer}.",
                )
                acts.append(
                    ActionRecord(
                        **base,
                        kind="ultimatum.respond",
                        target=self.partner[name],
                        value=1.0 if v.accept else 0.0,
                        data={"offer": offer, "payoff": responder, "proposer_payoff": proposer},
                    )
                )
        elif game == "public_goods":
            for group in self.s.groups:
                played = [m for m in group if m in moves]
                if not played:
                    continue
                amounts = [moves[m][0].amount for m in played]
                pay = public_goods_payoffs(
                    amounts, st.public_goods_endowment, st.public_goods_multiplier
                )
                for m, amount, p in zip(played, amounts, pay, strict=True):
                    others = [a for o, a in zip(played, amounts, strict=True) if o != m]
                    mean = sum(others) / len(others) if others else 0.0
                    self.pg_history.setdefault(m, []).append(mean)
                    self._tell(
                        world,
                        m,
                        f"You put in ${amount}; the others put in ${mean:.1f} on "
                        f"average; you end the round with ${p:.1f}.",
                    )
                    v, base, round_no = moves[m]
                    acts.append(
                        ActionRecord(
                            **base,
                            kind="public_goods.contribute",
                            value=amount,
                            data={"round": round_no, "payoff": p, "others_mean": mean},
                        )
                    )
        else:
            for name, (v, base, round_no) in moves.items():
                partner = self.partner[name]
                other = moves.get(partner)
                if other is None:
                    acts.append(
                        ActionRecord(
                            **base,
                            kind="pd.choose",
                            value=float(v.choice == "cooperate"),
                            detail="partner's answer failed; no payoff",
                            data={"round": round_no},
                        )
                    )
                    continue
                mine, _ = pd_payoffs(
                    v.choice == "cooperate", other[0].choice == "cooperate", st.pd_payoffs
                )
                self.pd_history.setdefault(name, []).append(other[0].choice)
                self._tell(
                    world,
                    name,
                    f"Round {round_no}: you chose to {v.choice}, {partner} chose "
                    f"to {other[0].choice}; you get {mine} points.",
                )
                acts.append(
                    ActionRecord(
                        **base,
                        kind="pd.choose",
                        target=partner,
                        value=float(v.choice == "cooperate"),
                        data={"round": round_no, "payoff": mine},
                    )
                )
        return acts

    async def reflect(self, world: World, tick: int) -> None:
        return None

    def state_dict(self) -> dict[str, Any]:
        return {"offers": self.offers, "pg": self.pg_history, "pd": self.pd_history}

    def load_state(self, state: dict[str, Any]) -> None:
        self.offers = dict(state.get("offers", {}))
        self.pg_history = {k: list(v) for k, v in state.get("pg", {}).items()}
        self.pd_history = {k: list(v) for k, v in state.get("pd", {}).items()}


SCENARIO = Scenario(
    name="games",
    rules=GamesRules.from_spec,
    policies=games_policies.POLICIES,
    prompts=("games_move",),
)
