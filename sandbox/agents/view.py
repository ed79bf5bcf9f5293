"""What generative-agent cognition sees of the world in one tick: a narrow, typed view.

The world builds a ``TickView`` for each step of the tick and hands it to the cognitive functions
(``sandbox.agents.intake``, ``planning``, ``reflection``); they never receive the ``World`` itself.
The view carries the tick's time, the places, the persona agents, the happenings of the world file,
the prompt library and the embedder, and two functions bound to the world: ``gather`` runs
requests concurrently (as the world's rules do, recording a failed answer as that key's outcome)
and ``feel`` rates texts' emotions from a source (lexicon or model).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sandbox.errors import ConfigError

if TYPE_CHECKING:
    from sandbox.agents.agent import PersonaAgent
    from sandbox.agents.embeddings import Embedder
    from sandbox.agents.mind import Mind
    from sandbox.llm.request import LLMRequest
    from sandbox.llm.templates import PromptLibrary

Gather = Callable[["list[LLMRequest]", list[str]], Awaitable[dict[str, Any]]]
"""Run requests concurrently; outcomes (an answer, or a ``ModelAnswerError``) keyed as given."""

Feel = Callable[[str, list[tuple[str, str]]], Awaitable[list[list[float] | None]]]
"""``feel(source, [(agent name, text), ...])``: each text's emotion vector (None: none given)."""


class Happening(Protocol):
    """Something an agent may hear of and hold (a world file's ``happenings`` entry)."""

    @property
    def host(self) -> str: ...
    @property
    def what(self) -> str: ...
    @property
    def place(self) -> str: ...
    @property
    def day(self) -> int: ...
    @property
    def start_hour(self) -> int: ...
    @property
    def end_hour(self) -> int: ...
    @property
    def keyword(self) -> str: ...
    def model_dump(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TickView:
    tick: int
    hour: int
    day: int
    time_text: str  # "Friday 13 February 2026, 07:00"
    date_text: str  # "Friday 13 February 2026"
    weekday: str  # "Friday"
    start_date: date  # the simulated day 1
    seed: int  # the world's seed; each call derives its own from it
    places: tuple[str, ...]
    agents: Sequence[PersonaAgent]  # the persona agents, in the world's order
    happenings: Sequence[Happening]
    prompts: PromptLibrary
    embedder_or_none: Embedder | None
    gather: Gather
    feel: Feel

    @property
    def embedder(self) -> Embedder:
        """The world's embedder; the world makes one whenever it has a ``cognition`` block."""
        if self.embedder_or_none is None:
            raise ConfigError(
                "open-world cognition needs an embedder, and this world has none; give the world "
                "file a cognition block (the world then makes its embedder)"
            )
        return self.embedder_or_none

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.agents]

    @property
    def keywords(self) -> list[str]:
        return [h.keyword for h in self.happenings]

    def known(self, agent: PersonaAgent) -> list[dict[str, Any]]:
        """The happenings ``agent`` knows of, as facts for its prompts and the offline planner."""
        if agent.mind is None:
            return []
        out = []
        for h in self.happenings:
            if h.what in agent.mind.known_happenings:
                weekday = (self.start_date + timedelta(days=h.day - 1)).strftime("%A")
                out.append(
                    {
                        **h.model_dump(),
                        "today": h.day == self.day,
                        "when": f"{weekday} at {h.start_hour}:00",
                    }
                )
        return out


def mind_of(agent: PersonaAgent) -> Mind:
    """The agent's mind; generative-agent steps only run for agents that have one."""
    if agent.mind is None:
        raise ConfigError(
            f"agent {agent.name} has no mind (memory stream); give the world file a cognition "
            "block so every persona agent gets one"
        )
    return agent.mind
