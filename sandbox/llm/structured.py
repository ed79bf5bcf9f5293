"""Turning a model's text into a validated answer, and asking it to repair one that did not fit."""

from __future__ import annotations

import json
import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from sandbox.llm.request import Message

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class AnswerInvalid(ValueError):
    """The text is not JSON, or JSON that does not fit the schema. ``str(self)`` says why."""


def _json_candidates(text: str) -> list[str]:
    stripped = text.strip()
    out = [stripped]
    out.extend(m.group(1).strip() for m in _FENCE.finditer(text))
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        out.append(stripped[start : end + 1])
    return out


def parse_answer(text: str, model: type[T]) -> T:
    """Validate ``text`` against ``model``.

    Accepts a bare JSON object, one inside a Markdown code fence, or one surrounded by prose (the
    outermost braces). Anything else raises ``AnswerInvalid`` with a short account of what failed.
    """
    if not text or not text.strip():
        raise AnswerInvalid("the answer was empty")
    if "{" not in text:
        raise AnswerInvalid("no JSON object found in the answer")
    last_error = "no JSON object found in the answer"
    for candidate in _json_candidates(text):
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError as exc:
            last_error = f"not valid JSON ({exc.msg} at position {exc.pos})"
            continue
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}"
                for e in exc.errors(include_url=False)
            ]
            raise AnswerInvalid("; ".join(problems)) from None
    raise AnswerInvalid(last_error)


def schema_instruction(schema: dict) -> str:
    """The sentence appended to every prompt that expects a structured answer.

    Remembered per schema object (answer schemas are computed once per class and shared, so a
    tick of thousands of agents serialises each schema once, not once per prompt); the cache
    holds the object itself, so an id is never reused while its entry lives."""
    cached = _INSTRUCTIONS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    text = (
        "Answer with only a JSON object (no prose, no code fence) that fits this JSON schema:\n"
        + json.dumps(schema, separators=(",", ":"))
    )
    if len(_INSTRUCTIONS) >= 256:
        _INSTRUCTIONS.clear()
    _INSTRUCTIONS[id(schema)] = (schema, text)
    return text


# id(schema) -> (schema, its instruction): see schema_instruction.
_INSTRUCTIONS: dict[int, tuple[dict, str]] = {}


def repair_messages(
    messages: tuple[Message, ...], bad_answer: str, problem: str
) -> tuple[Message, ...]:
    """The conversation extended with the bad answer and a request to fix it."""
    return (
        *messages,
        Message(role="assistant", content=bad_answer),
        Message(
            role="user",
            content=(
                f"Your answer could not be used: {problem}. Reply again with only the corrected "
                "JSON object, fitting the schema given above."
            ),
        ),
    )
