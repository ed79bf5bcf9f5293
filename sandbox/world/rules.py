"""Rules: what a tick does between perceiving and committing.

The world runs the fixed parts of a tick (clock, perceive, seeded resolution order, hooks, commit);
a ``Rules`` object supplies the rest: the scene's events, the decisions (model calls) and their
resolution. ``OpenWorldRules`` (``open_world.py``) is the default: agents say, move, do or wait. Scenario modules
(``sandbox/scenarios``) provide their own, for experiments whose moves are game actions or elicited
beliefs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sandbox.errors import ModelAnswerError
from sandbox.store.records import ActionRecord, BeliefRecord, ThoughtRecord

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient
    from sandbox.world.world import World


@dataclass
class Resolution:
    actions: list[ActionRecord] = field(default_factory=list)
    thoughts: list[ThoughtRecord] = field(default_factory=list)
    beliefs: list[BeliefRecord] = field(default_factory=list)


class Rules(Protocol):
    name: str

    def scene(self, world: World, tick: int) -> None:
        """Emit the tick's scene events (announcements, outcomes to report)."""

    async def decide(self, world: World, tick: int) -> dict[str, Any]:
        """Make the tick's model calls from one snapshot; outcomes keyed by agent (or any key)."""

    async def resolve(
        self, world: World, tick: int, order: list[str], outcomes: dict[str, Any]
    ) -> Resolution:
        """Apply outcomes in ``order`` (seeded) and say what the tick produced."""

    async def reflect(self, world: World, tick: int) -> None:
        """Step 6: reflection and planning after resolution (may be a no-op)."""

    def state_dict(self) -> dict[str, Any]:
        """What the rules carry from tick to tick (saved in each checkpoint)."""

    def load_state(self, state: dict[str, Any]) -> None: ...


async def gather_outcomes(
    world: World, requests: Iterable, keys: list[str], client: ModelClient | None = None
) -> dict[str, Any]:
    """Run requests concurrently (through ``client``, default the world's: a judge passes its
    own); a ``ModelAnswerError`` becomes that key's outcome when the world records answer errors,
    anything else stops the tick. ``requests`` may be an iterator that renders them as they are
    taken and appends each one's key to ``keys`` (decide workers start on the first ones while
    the rest are rendered)."""
    client = client or world.client
    results = await client.complete_all(requests)  # spread over decide workers, if any
    outcomes: dict[str, Any] = {}
    for key, result in zip(keys, results, strict=True):
        if isinstance(result, ModelAnswerError) and world.config.on_model_error == "record":
            outcomes[key] = result
        elif isinstance(result, BaseException):
            raise result
        else:
            outcomes[key] = result
    return outcomes
