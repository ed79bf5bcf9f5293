"""Pure payoff logic of the classic games, and pairing schedules. No model, no world."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

LIKERT_CODES = (-2.5, -1.5, -0.5, 0.5, 1.5, 2.5)
LEGACY_GROUP = 4  # the default of the removed settings.public_goods_group, in recorded runs
NO_GROUP_SETTING = (
    "settings.public_goods_group is not a setting (it was never used): the public goods group "
    "size is the study's group_size, and a games world lists its groups; remove it"
)


class PDPayoffs(BaseModel):
    """Prisoner's dilemma payoffs: temptation > reward > punishment > sucker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    T: float = 5
    R: float = 3
    P: float = 1
    S: float = 0

    @model_validator(mode="after")
    def _is_a_dilemma(self) -> PDPayoffs:
        if not (self.T > self.R > self.P > self.S):
            raise ValueError("a prisoner's dilemma needs T > R > P > S")
        return self


def pd_payoffs(a_cooperates: bool, b_cooperates: bool, p: PDPayoffs) -> tuple[float, float]:
    if a_cooperates and b_cooperates:
        return p.R, p.R
    if a_cooperates:
        return p.S, p.T
    if b_cooperates:
        return p.T, p.S
    return p.P, p.P


def public_goods_payoffs(
    contributions: Sequence[float], endowment: float, multiplier: float
) -> list[float]:
    """Each keeps what it did not contribute plus an equal share of the multiplied pot."""
    for c in contributions:
        if not 0 <= c <= endowment:
            raise ValueError(f"a contribution must be 0 to {endowment}, not {c}")
    share = multiplier * sum(contributions) / len(contributions)
    return [endowment - c + share for c in contributions]


def ultimatum_payoffs(pie: float, offer: float, accepted: bool) -> tuple[float, float]:
    """(proposer, responder)."""
    if not 0 <= offer <= pie:
        raise ValueError(f"an offer must be 0 to {pie}, not {offer}")
    return (pie - offer, offer) if accepted else (0.0, 0.0)


def dictator_payoffs(pie: float, given: float) -> tuple[float, float]:
    if not 0 <= given <= pie:
        raise ValueError(f"the dictator gives 0 to {pie}, not {given}")
    return pie - given, given


def round_robin(members: Sequence[str], rounds: int) -> list[list[tuple[str, str]]]:
    """Pairings for ``rounds`` rounds in which no pair meets twice (the circle method).

    With an odd number of members one sits out each round. At most n - 1 rounds (n even) or n (odd).
    """
    people: list[str | None] = list(members)
    if len(people) % 2:
        people.append(None)
    n = len(people)
    if rounds > n - 1:
        raise ValueError(f"{len(members)} people can have at most {n - 1} rounds without repeats")
    out = []
    fixed, rest = people[0], people[1:]
    for r in range(rounds):
        rotated = rest[r:] + rest[:r]
        circle = [fixed, *rotated]
        pairs = []
        for i in range(n // 2):
            a, b = circle[i], circle[n - 1 - i]
            if a is not None and b is not None:
                pairs.append((a, b))
        out.append(pairs)
    return out


def split_groups(names: Sequence[str], size: int, seed: int) -> list[list[str]]:
    """Seeded groups of ``size`` (the last may be smaller)."""
    shuffled = list(names)
    random.Random(seed).shuffle(shuffled)
    return [shuffled[i : i + size] for i in range(0, len(shuffled), size)]


def likert_code(value: float) -> float:
    """The nearest of the six codes -2.5 .. 2.5."""
    return min(LIKERT_CODES, key=lambda c: abs(c - value))


class GameSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dictator_pie: int = Field(10, ge=1)
    ultimatum_pie: int = Field(10, ge=1)
    public_goods_endowment: int = Field(20, ge=1)
    public_goods_multiplier: float = Field(1.6, gt=1)
    public_goods_rounds: int = Field(3, ge=1)
    pd_rounds: int = Field(5, ge=1)
    pd_payoffs: PDPayoffs = PDPayoffs()

    @model_validator(mode="before")
    @classmethod
    def _no_group_size(cls, data: Any) -> Any:
        """``public_goods_group`` was validated and never read; the public goods groups are the
        study's ``group_size`` (a games world lists its ``groups``). Runs recorded before it went
        hold it at its default, 4, in their settings: dropped, so they still resume and replay."""
        if isinstance(data, dict) and "public_goods_group" in data:
            if data["public_goods_group"] != LEGACY_GROUP:
                raise ValueError(NO_GROUP_SETTING)
            data = {k: v for k, v in data.items() if k != "public_goods_group"}
        return data
