"""Administering a questionnaire to a persona through the model layer.

Item by item (``mode="item"``: one call per item, all concurrent, no answer sees another) or in
batches (``mode="batch"``: one call answers ``batch_size`` items). Answers outside the scale fail
validation and get the client's repair turns; an item still unanswered after that is recorded with
its error and left out of the scores (the scorer never guesses).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from sandbox.errors import ModelAnswerError
from sandbox.llm.ask import Ask
from sandbox.llm.client import ModelClient
from sandbox.llm.templates import PromptLibrary
from sandbox.personas.persona import DOMAIN_CODES, Persona
from sandbox.personas.questionnaire import Instrument, Item, Scores, score
from sandbox.personas.wording import WordingStyle, render
from sandbox.quoting import PromptText, quote
from sandbox.seeds import derive_seed
from sandbox.store.records import SurveyRecord

SurveyMode = Literal["item", "batch"]


@functools.cache
def item_answer_model(lo: int, hi: int) -> type[BaseModel]:
    return create_model(
        "ItemAnswer",
        answer=(int, Field(ge=lo, le=hi, description=f"a whole number from {lo} to {hi}")),
    )


@functools.cache
def batch_answer_model(numbers: tuple[int, ...], lo: int, hi: int) -> type[BaseModel]:
    fields: dict[str, Any] = {
        f"item_{n}": (int, Field(ge=lo, le=hi, description=f"answer to item {n}")) for n in numbers
    }
    return create_model("BatchAnswers", **fields)


class SurveyResponse(BaseModel):
    item: int
    domain: str
    facet: int
    keyed: str
    answer: int | None
    raw: str | None = None
    error: str | None = None


class SurveyResult(BaseModel):
    respondent: str
    instrument: str
    mode: SurveyMode
    responses: list[SurveyResponse]
    scores: Scores

    def to_record(self) -> SurveyRecord:
        """The form the trajectory store writes (``surveys`` and ``survey_scores`` tables)."""
        normalized = {DOMAIN_CODES[d]: v for d, v in self.scores.normalized.items()}
        return SurveyRecord(
            respondent=self.respondent,
            instrument=self.instrument,
            mode=self.mode,
            responses=[r.model_dump() for r in self.responses],
            facets=self.scores.facets,
            domains=self.scores.domains,
            domain_means=self.scores.domain_means,
            normalized=normalized,
        )


def _response(item: Item, answer: int | None, raw: str | None, error: str | None) -> SurveyResponse:
    return SurveyResponse(
        item=item.number,
        domain=item.domain,
        facet=item.facet,
        keyed=item.keyed,
        answer=answer,
        raw=raw,
        error=error,
    )


def _facts(persona: Persona, items: list[Item], instrument: Instrument) -> dict[str, Any]:
    return {
        "respondent": persona.name,
        "traits": persona.big_five.as_dict(),
        "facets": dict(persona.big_five.facets or {}),
        "items": [
            {"number": i.number, "domain": i.domain, "facet": i.facet, "keyed": i.keyed}
            for i in items
        ],
        "scale_min": instrument.scale_min,
        "scale_max": instrument.scale_max,
    }


async def administer(
    persona: Persona,
    instrument: Instrument,
    client: ModelClient,
    *,
    mode: SurveyMode = "item",
    batch_size: int = 10,
    style: WordingStyle = "biography",
    seed: int = 0,
    tick: int | None = None,
    temperature: float = 0.0,
    prompts: PromptLibrary | None = None,
) -> SurveyResult:
    prompts = prompts or PromptLibrary()
    lo, hi = instrument.scale_min, instrument.scale_max
    description = render(persona, style)
    groups = (
        [[i] for i in instrument.items]
        if mode == "item"
        else [
            instrument.items[k : k + batch_size]
            for k in range(0, len(instrument.items), batch_size)
        ]
    )
    requests = []
    for group in groups:
        numbers = tuple(i.number for i in group)
        if mode == "item":
            model = item_answer_model(lo, hi)
            template = "survey_item"
            fields = {
                "persona": description,
                "instructions": PromptText(instrument.instructions),
                "scale": instrument.scale_text(),
                "statement": quote(group[0].text),
            }
        else:
            model = batch_answer_model(numbers, lo, hi)
            template = "survey_batch"
            statements = PromptText("\n".join(f"item_{i.number}: {quote(i.text)}" for i in group))
            fields = {
                "persona": description,
                "instructions": PromptText(instrument.instructions),
                "scale": instrument.scale_text(),
                "statements": statements,
            }
        requests.append(
            Ask(
                template=template,
                answer=model,
                purpose=f"survey.{mode}",
                fields=fields,
                facts=_facts(persona, group, instrument),
                agent=persona.name,
                tick=tick,
                seed=derive_seed(seed, "survey", instrument.instrument, persona.name, numbers[0]),
                temperature=temperature,
            ).request(prompts)
        )
    outcomes = await asyncio.gather(*(client.complete(r) for r in requests), return_exceptions=True)
    responses: list[SurveyResponse] = []
    for group, outcome in zip(groups, outcomes, strict=True):
        if isinstance(outcome, ModelAnswerError):
            responses.extend(_response(i, None, outcome.raw, str(outcome)) for i in group)
            continue
        if isinstance(outcome, BaseException):
            raise outcome
        values = outcome.value.model_dump()
        for i in group:
            answer = values["answer"] if mode == "item" else values[f"item_{i.number}"]
            responses.append(_response(i, answer, outcome.raw, None))
    answers = {r.item: r.answer for r in responses if r.answer is not None}
    return SurveyResult(
        respondent=persona.name,
        instrument=instrument.instrument,
        mode=mode,
        responses=responses,
        scores=score(instrument, answers),
    )
