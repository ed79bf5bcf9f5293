"""The trust study (after Mannekote et al. 2025) as world rules.

Three studies, each a world of persona trustors in one room:

- ``population``: tick 1 elicits population-level beliefs (for every attribute, in each strategy:
  ``noctx_rank`` rank groups by interpersonal trust without the game; ``ctx_rank`` the same with the
  game's rules; ``ctx_dollars`` mean and SD of dollars sent per group, 100 people each); tick 2 every
  trustor plays one game.
- ``conditioning``: tick 1 elicits rankings (``prior_strategy``); the condition decides what is stated
  to the trustors before they play at tick 2: nothing (``unconditioned``), the elicited rankings
  (``self``), or rankings perturbed to Spearman .8 (``weak``) or .2 (``strong``) with them.
- ``forecast``: ``rounds`` rounds against the scripted trustee M_k, two ticks each: first every
  trustor forecasts what it will send in this round ("You are currently in round t", with the
  history so far: one call per round, as in the paper), then it plays the round (fresh endowment
  each round; the outcome is told to the trustor privately and shown in later prompts).

Population beliefs are asked of the model without a persona (``agent`` is NULL in ``beliefs``).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.llm.request import LLMRequest
from sandbox.personas.attributes import (
    attribute_label,
    attribute_level,
    describe_level,
    sentence_case,
)
from sandbox.personas.wording import render
from sandbox.quoting import PromptText
from sandbox.scenarios import trust_policies
from sandbox.scenarios.framing import Framing, priors_heading, role_framing
from sandbox.scenarios.registry import Scenario
from sandbox.scenarios.trust_answers import (
    dollar_answer_model,
    forecast_answer_model,
    rank_answer_model,
    send_answer_model,
)
from sandbox.scenarios.trust_game import (
    PerturbationRefused,
    archetype_description,
    archetype_return,
    payoffs,
    perturb_to,
)
from sandbox.seeds import derive_seed
from sandbox.store.records import ActionRecord, BeliefRecord, ThoughtRecord
from sandbox.world.rules import Resolution, gather_outcomes

if TYPE_CHECKING:
    from sandbox.world.world import World

Strategy = Literal["noctx_rank", "ctx_rank", "ctx_dollars"]
Condition = Literal["unconditioned", "self", "weak", "strong"]
STRATEGIES: tuple[Strategy, ...] = ("noctx_rank", "ctx_rank", "ctx_dollars")
CONDITIONS: tuple[Condition, ...] = ("unconditioned", "self", "weak", "strong")
PERTURBATION_TARGETS = {"weak": 0.8, "strong": 0.2}


class TrustScenario(BaseModel):
    """The ``scenario:`` block of a trust world."""

    model_config = ConfigDict(extra="forbid")

    name: Literal["trust"] = "trust"
    study: Literal["population", "conditioning", "forecast"]
    endowment: int = Field(10, ge=1)
    levels: dict[str, list[str]] = Field(
        default_factory=dict, description="attribute -> its groups, as they appear in the sample"
    )
    strategies: list[Strategy] = Field(default_factory=lambda: list(STRATEGIES))
    condition: Condition = "unconditioned"
    prior_strategy: Literal["noctx_rank", "ctx_rank"] = "noctx_rank"
    archetype: int = Field(3, ge=0, description="k of the scripted trustee M_k = min(k, 3s)")
    rounds: int = Field(6, ge=1)
    persona_style: Literal["nine_level", "binary", "biography"] = "biography"
    perturbation_tolerance: float = Field(
        0.1, ge=0, le=2, description="how far from .8 / .2 a perturbed prior's rho may be"
    )
    framing: Framing = Field(
        "neutral", description="neutral | everyday | study | authority (see scenarios.framing)"
    )
    label: str = Field("", description="the run's condition in its study (population, self, M3...)")

    def ticks(self) -> int:
        return 2 * self.rounds if self.study == "forecast" else 2


class TrustRules:
    name = "trust"

    def __init__(self, scenario: TrustScenario) -> None:
        self.s = scenario
        self.priors: dict[str, list[str]] = {}
        self.history: dict[str, list[dict[str, int]]] = {}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> TrustRules:
        return cls(TrustScenario.model_validate(spec))

    # --- prompts -------------------------------------------------------------------------------
    def _rules_text(self, world: World) -> PromptText:
        return world.prompts.get("trust_rules").fragment({"endowment": self.s.endowment})

    def _belief_request(self, world: World, tick: int, strategy: str, attribute: str) -> LLMRequest:
        levels = tuple(self.s.levels[attribute])
        groups = PromptText(
            "\n".join(f"- {lvl}: {describe_level(attribute, lvl)}" for lvl in levels)
        )
        context = PromptText("" if strategy == "noctx_rank" else self._rules_text(world) + "\n")
        if strategy == "ctx_dollars":
            template = "trust_belief_dollars"
            model = dollar_answer_model(levels, self.s.endowment)
            fields = {
                "context": context,
                "attribute": attribute_label(attribute),
                "groups": groups,
            }
            purpose = "trust.belief.dollars"
        else:
            template = "trust_belief_rank"
            model = rank_answer_model(levels)
            target = "interpersonal trust"  # CTX+TR differs from NOCTX+TR only by the rules
            fields = {
                "context": context,
                "attribute": attribute_label(attribute),
                "groups": groups,
                "target": target,
                "measure": target,
            }
            purpose = "trust.belief.rank"
        return Ask(
            template=template,
            answer=model,
            purpose=purpose,
            fields=fields,
            facts={
                "attribute": attribute,
                "levels": list(levels),
                "strategy": strategy,
                "endowment": self.s.endowment,
            },
            tick=tick,
            seed=derive_seed(world.config.seed, tick, strategy, attribute),
            temperature=0.05,
        ).request(world.prompts)

    def _prior_position(self, persona: Any) -> float | None:
        positions = []
        for attribute, ranking in self.priors.items():
            level = attribute_level(persona, attribute)
            if level in ranking and len(ranking) > 1:
                positions.append(ranking.index(level) / (len(ranking) - 1))
        return sum(positions) / len(positions) if positions else None

    def _prior_text(self) -> PromptText:
        if not self.priors:
            return PromptText("")
        lines = []
        for attribute, ranking in self.priors.items():
            for a, b in itertools.pairwise(ranking):
                lines.append(
                    f"{sentence_case(describe_level(attribute, a))} are more interpersonally "
                    f"trusting than {describe_level(attribute, b)}."
                )
        return PromptText(priors_heading(self.s.framing) + "\n".join(lines) + "\n")

    def _agent_request(self, world: World, tick: int, agent: Any, purpose: str) -> LLMRequest:
        persona = agent.persona
        repeated = self.s.study == "forecast"
        trustee = PromptText(
            archetype_description(self.s.archetype, self.s.endowment)
            if repeated
            else "The trustee is another participant you do not know."
        )
        history = self.history.get(agent.name, [])
        facts: dict[str, Any] = {
            "agent": agent.name,
            "traits": persona.big_five.as_dict(),
            "age": persona.age,
            "endowment": self.s.endowment,
            "rounds": self.s.rounds,
            "archetype": self.s.archetype if repeated else None,
            "history": history,
            "framing": self.s.framing,
            "prior_position": self._prior_position(persona)
            if self.s.condition != "unconditioned"
            else None,
        }
        base = {
            "persona": render(persona, self.s.persona_style),
            "framing": role_framing(self.s.framing),
            "rules": self._rules_text(world),
            "trustee": trustee,
            "endowment": self.s.endowment,
            "rounds": self.s.rounds,
        }
        past = "".join(
            f"Round {h.get('round', i + 1)}: you sent ${h['sent']}, the trustee returned "
            f"${h['returned']}.\n"
            for i, h in enumerate(history)
        )
        round_no = self._round(tick)
        facts["round"] = round_no
        history_text = PromptText(f"What happened so far:\n{past}" if past else "")
        if purpose == "trust.forecast":
            template = "trust_forecast"
            model = forecast_answer_model(self.s.endowment)
            fields = {**base, "history": history_text, "round": round_no}
        else:
            template = "trust_send"
            model = send_answer_model(self.s.endowment)
            fields = {
                **base,
                "priors": self._prior_text() if self.s.condition != "unconditioned" else "",
                "history": history_text,
                "round_text": f" in round {round_no} of {self.s.rounds}" if repeated else "",
            }
        return Ask(
            template=template,
            answer=model,
            purpose=purpose,
            fields=fields,
            facts=facts,
            agent=agent.name,
            tick=tick,
            seed=derive_seed(world.config.seed, tick, agent.name),
            temperature=0.05,
        ).request(world.prompts)

    # --- the Rules protocol ----------------------------------------------------------------------
    def _round(self, tick: int) -> int:
        """The round a tick belongs to: forecast studies spend two ticks a round, others one."""
        return (tick + 1) // 2 if self.s.study == "forecast" else 1

    def _phase(self, tick: int) -> str:
        if self.s.study == "forecast":
            return "forecast" if tick % 2 == 1 else "play"
        return "elicit" if tick == 1 else "play"

    def scene(self, world: World, tick: int) -> None:
        if tick == 2 and self.s.study == "conditioning" and self.s.condition != "unconditioned":
            world.bus.emit("announcement", "world", self._prior_text().strip(), visibility="public")

    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        phase = self._phase(tick)
        requests, keys = [], []
        if phase == "elicit":
            strategies = (
                self.s.strategies if self.s.study == "population" else [self.s.prior_strategy]
            )
            for strategy in strategies:
                for attribute in self.s.levels:
                    requests.append(self._belief_request(world, tick, strategy, attribute))
                    keys.append(f"{strategy}|{attribute}")
        else:
            purpose = "trust.forecast" if phase == "forecast" else "trust.send"
            for agent in world.persona_agents:
                requests.append(self._agent_request(world, tick, agent, purpose))
                keys.append(agent.name)
        outcomes = await gather_outcomes(world, requests, keys)
        return {k: (v, r) for (k, v), r in zip(outcomes.items(), requests, strict=True)}

    async def reflect(self, world: World, tick: int) -> None:
        return None  # trustors do not reflect between rounds in this protocol

    async def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Any]
    ) -> Resolution:
        phase = self._phase(tick)
        out = Resolution()
        for position, key in enumerate(order):
            outcome, request = outcomes[key]
            question = request.messages[-1].content.split("\n\nAnswer with only")[0]
            if phase == "elicit":
                strategy, attribute = key.split("|", 1)
                out.beliefs.append(
                    _belief(tick, None, attribute, "population", strategy, question, outcome)
                )
            elif phase == "forecast":
                belief = _belief(tick, key, key, "individual", "forecast", question, outcome)
                if belief.answer is not None:
                    answer = {**belief.answer, "round": self._round(tick)}
                    belief = belief.model_copy(update={"answer": answer})
                out.beliefs.append(belief)
            else:
                out.actions.append(self._play(world, tick, position, key, outcome))
                if not isinstance(outcome, ModelAnswerError):
                    out.thoughts.append(
                        ThoughtRecord(
                            tick=tick, agent=key, purpose="trust.send", text=outcome.value.thought
                        )
                    )
        if phase == "elicit" and self.s.study == "conditioning":
            out.beliefs.extend(self._set_priors(world, tick, out.beliefs))
        return out

    def _play(
        self, world: World, tick: int, position: int, name: str, outcome: Any
    ) -> ActionRecord:
        base = {"tick": tick, "agent": name, "resolution_order": position}
        round_no = self._round(tick)  # from the schedule, not from the rounds played: none skipped
        if isinstance(outcome, ModelAnswerError):
            return ActionRecord(
                **base,
                kind="error",
                status="error",
                detail=str(outcome),
                data={"round": round_no, "error_type": type(outcome).__name__},
            )
        sent = outcome.value.amount
        k = self.s.archetype
        returned = archetype_return(k, sent)
        mine, theirs = payoffs(self.s.endowment, sent, returned)
        round_no = self._round(tick)
        if self.s.study == "forecast":
            self.history.setdefault(name, []).append(
                {"sent": sent, "returned": returned, "round": round_no}
            )
        world.bus.emit(
            "outcome",
            "world",
            f"You sent ${sent}; it became ${3 * sent}; the trustee returned ${returned}. "
            f"You end the round with ${mine}.",
            visibility="private",
            audience=[name],
        )
        return ActionRecord(
            **base,
            kind="send",
            target=f"M{k}",
            text=str(sent),
            value=float(sent),
            data={
                "endowment": self.s.endowment,
                "returned": returned,
                "trustor_payoff": mine,
                "trustee_payoff": theirs,
                "round": round_no,
                "archetype": k,
            },
        )

    def _set_priors(
        self, world: World, tick: int, elicited: list[BeliefRecord]
    ) -> list[BeliefRecord]:
        """The condition's priors, recorded as beliefs (strategy ``prior``) so analysis can use them."""
        out = []
        for belief in elicited:
            if belief.answer is None:
                continue
            ranking = list(belief.answer["ranking"])
            answer: dict[str, Any] = {}
            shown = self.s.condition != "unconditioned"
            if self.s.condition in PERTURBATION_TARGETS:
                target = PERTURBATION_TARGETS[self.s.condition]
                seed = derive_seed(world.config.seed, "perturb", belief.about)
                answer["target_rho"] = target
                try:
                    ranking, achieved = perturb_to(
                        ranking, target, seed, self.s.perturbation_tolerance
                    )
                    answer["achieved_rho"] = achieved
                except PerturbationRefused as exc:
                    shown = False
                    answer["refused"] = str(exc)
            if shown:
                self.priors[belief.about] = ranking
            out.append(
                BeliefRecord(
                    tick=tick,
                    agent=None,
                    about=belief.about,
                    level="population",
                    strategy=f"prior:{self.s.condition}",
                    question="ranking stated before play",
                    answer={"ranking": ranking, "shown": shown, **answer},
                )
            )
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"priors": self.priors, "history": self.history}

    def load_state(self, state: dict[str, Any]) -> None:
        self.priors = {k: list(v) for k, v in state.get("priors", {}).items()}
        self.history = {k: list(v) for k, v in state.get("history", {}).items()}


def _belief(
    tick: int,
    agent: str | None,
    about: str,
    level: Literal["individual", "population"],
    strategy: str,
    question: str,
    outcome: Any,
) -> BeliefRecord:
    failed = isinstance(outcome, ModelAnswerError)
    return BeliefRecord(
        tick=tick,
        agent=agent,
        about=about,
        level=level,
        strategy=strategy,
        question=question,
        answer=None if failed else outcome.value.model_dump(),
        raw=outcome.raw,
        error=str(outcome) if failed else None,
    )


SCENARIO = Scenario(
    name="trust",
    rules=TrustRules.from_spec,
    policies=trust_policies.POLICIES,
    prompts=(
        "trust_rules",
        "trust_send",
        "trust_forecast",
        "trust_belief_rank",
        "trust_belief_dollars",
    ),
)
