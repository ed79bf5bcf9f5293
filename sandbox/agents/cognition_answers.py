"""Answer schemas of the cognitive functions (importance, plans, reflection, interviews)."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model, model_validator

Score = Annotated[int, Field(ge=1, le=10)]


@functools.cache
def importance_model(n: int) -> type[BaseModel]:
    """Importance (1-10) and Plutchik emotions (8 x 1-10) of n new memories, in order."""

    def check(self: Any) -> Any:
        if self.emotions is not None and any(len(e) != 8 for e in self.emotions):
            raise ValueError(
                "each emotions entry has 8 numbers (joy, trust, fear, surprise, "
                "sadness, disgust, anger, anticipation)"
            )
        return self

    return create_model(
        "ImportanceScores",
        scores=(
            list[Score],
            Field(
                min_length=n,
                max_length=n,
                description="1 = mundane (brushing teeth) ... 10 = life-changing",
            ),
        ),
        emotions=(list[list[Score]] | None, Field(None, min_length=n, max_length=n)),
        __validators__={"_eight": model_validator(mode="after")(check)},  # type: ignore[dict-item]  # pydantic accepts decorated validators; its annotation is narrower
    )


@functools.cache
def plan_model(places: tuple[str, ...]) -> type[BaseModel]:
    place: Any = Literal[places]  # a type built at run time
    block: Any = create_model(
        "PlanBlock",
        start_hour=(int, Field(ge=0, le=23)),
        end_hour=(int, Field(ge=1, le=24)),
        place=(place, ...),
        activity=(str, Field(min_length=1)),
    )

    def ordered(self: Any) -> Any:
        for b in self.blocks:
            if b.end_hour <= b.start_hour:
                raise ValueError(f"block {b.start_hour}-{b.end_hour} ends before it starts")
        return self

    return create_model(
        "DayPlan",
        blocks=(list[block], Field(min_length=1, description="the day in hourly blocks, in order")),
        __validators__={"_ordered": model_validator(mode="after")(ordered)},  # type: ignore[dict-item]  # pydantic accepts decorated validators; its annotation is narrower
    )


class FocalQuestions(BaseModel):
    questions: list[str] = Field(min_length=1, max_length=3)


class Insight(BaseModel):
    text: str = Field(min_length=1)
    evidence: list[int] = Field(description="ids of the memories the insight rests on")
    importance: Score


# The paper asks for 5 insights per focal question (3 questions), so up to 15 from one reflection.
MAX_INSIGHTS = 15


class Insights(BaseModel):
    insights: list[Insight] = Field(min_length=1, max_length=MAX_INSIGHTS)


class InterviewAnswer(BaseModel):
    answer: str = Field(min_length=1)


class NarratedOutcome(BaseModel):
    agent: str
    outcome: str = Field(min_length=1, description="what visibly happens, in one sentence")
    agent_state: str = Field(description="what the agent is now doing, a few words")
    place_state: str = Field(description="the place's state afterwards, a few words")


@functools.cache
def narration_model(agents: tuple[str, ...]) -> type[BaseModel]:
    def matches(self: Any) -> Any:
        named = tuple(o.agent for o in self.outcomes)
        if named != agents:
            raise ValueError(f"give one outcome per act, in order, for {list(agents)}")
        return self

    return create_model(
        "Narration",
        outcomes=(list[NarratedOutcome], ...),
        __validators__={"_matches": model_validator(mode="after")(matches)},  # type: ignore[dict-item]  # pydantic accepts decorated validators; its annotation is narrower
    )
