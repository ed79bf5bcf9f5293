"""One typed way to ask a model: an ``Ask`` names a template, an answer type and the facts.

In the spirit of Concordia's ``ActionSpec``: a caller says *what* it asks (the prompt template and
the fields pasted into it), *what answer it expects* (a pydantic class), *why* (the purpose logged
with the call) and *from what* (the structured facts the heuristic backend answers from), and
``Ask.request`` turns that into the ``LLMRequest`` the client sends::

    request = Ask(
        template="debate_stance",
        answer=Judgement,
        purpose="debate.stance",
        fields={"statement": quote(statement), "text": quote(text), "scale": SCALE},
        facts={"text": text, "statement": statement},
        tick=tick,
        seed=derive_seed(world_seed, tick, name, "judge"),
        temperature=0.0,
    ).request(prompts)

The template is rendered with the answer type's JSON schema appended, and the request carries the
template's name, so the same ask always gives the same request (and the same cache key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from sandbox import defaults
from sandbox.llm.request import LLMRequest, json_schema_of
from sandbox.llm.templates import PromptLibrary


@dataclass(frozen=True, kw_only=True)
class Ask:
    """What to ask a model; ``request(prompts)`` renders it into an ``LLMRequest``.

    ``fields`` fill the template's ``$name`` placeholders (a ``PromptText`` pasted as it is, any
    other value escaped to one line); ``facts`` travel with the request for the heuristic backend
    and the call log. ``agent`` is the persona asked (``None`` for a narrator or a judge)."""

    template: str
    answer: type[BaseModel]
    purpose: str
    fields: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    agent: str | None = None
    tick: int | None = None
    seed: int = 0
    temperature: float = defaults.TEMPERATURE
    max_tokens: int | None = None

    def request(self, prompts: PromptLibrary) -> LLMRequest:
        template = prompts.get(self.template)
        return LLMRequest(
            purpose=self.purpose,
            messages=template.render(self.fields, schema=json_schema_of(self.answer)),
            response_model=self.answer,
            agent=self.agent,
            tick=self.tick,
            temperature=self.temperature,
            seed=self.seed,
            max_tokens=self.max_tokens,
            facts=self.facts,
            template=template.name,
        )
