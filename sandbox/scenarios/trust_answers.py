"""Answer schemas of the trust study. Built per study (levels, endowment), cached by their shape."""

from __future__ import annotations

import functools
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, create_model, model_validator

# Cohen's anchors, used when a rank answer gives a label but no number.
COHEN_ETA_SQUARED = {"small": 0.01, "medium": 0.06, "large": 0.14}


class _RankBase(BaseModel):
    LEVELS: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _is_permutation(self) -> _RankBase:
        ranking = self.ranking  # type: ignore[attr-defined]
        if sorted(ranking) != sorted(self.LEVELS):
            missing = sorted(set(self.LEVELS) - set(ranking))
            repeated = sorted({x for x in ranking if ranking.count(x) > 1})
            raise ValueError(
                f"ranking must list every group exactly once (missing: {missing}, "
                f"repeated: {repeated})"
            )
        return self


@functools.cache
def rank_answer_model(levels: tuple[str, ...]) -> type[BaseModel]:
    # Types built at run time: values to a type checker, types to pydantic.
    level: Any = Literal[levels]
    effect_size: Any = Literal["small", "medium", "large"]
    model = create_model(
        "RankBelief",
        __base__=_RankBase,
        ranking=(list[level], Field(description="every group, from most to least trusting")),
        effect_size=(
            effect_size,
            Field(description="how strongly the groups differ in trust"),
        ),
        eta_squared=(
            float | None,
            Field(None, ge=0, le=1, description="your estimate of eta squared, if you have one"),
        ),
    )
    model.LEVELS = levels
    return model


class _DollarBase(BaseModel):
    LEVELS: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _covers_levels(self) -> _DollarBase:
        named = [e.group for e in self.estimates]  # type: ignore[attr-defined]
        if sorted(named) != sorted(self.LEVELS):
            raise ValueError(
                f"give exactly one estimate per group; expected {list(self.LEVELS)}, got {named}"
            )
        return self


@functools.cache
def dollar_answer_model(levels: tuple[str, ...], endowment: int) -> type[BaseModel]:
    level: Any = Literal[levels]  # a type built at run time
    estimate: Any = create_model(
        "GroupEstimate",
        group=(level, ...),
        mean=(float, Field(ge=0, le=endowment, description="mean dollars sent")),
        sd=(float, Field(ge=0, le=endowment, description="standard deviation of dollars sent")),
    )
    model = create_model(
        "DollarBelief",
        __base__=_DollarBase,
        estimates=(list[estimate], ...),
    )
    model.LEVELS = levels
    return model


@functools.cache
def send_answer_model(endowment: int) -> type[BaseModel]:
    return create_model(
        "SendDecision",
        thought=(str, Field(description="your BELIEF, DESIRE and INTENTION, privately")),
        amount=(
            int,
            Field(ge=0, le=endowment, description=f"whole dollars to send, 0 to {endowment}"),
        ),
    )


@functools.cache
def forecast_answer_model(endowment: int) -> type[BaseModel]:
    """One round's forecast (the paper elicits one per round, "You are currently in round t")."""
    return create_model(
        "Forecast",
        amount=(
            int,
            Field(
                ge=0,
                le=endowment,
                description=f"whole dollars you will send in this round, 0 to {endowment}",
            ),
        ),
    )
