"""What the two-person studies (theory of mind, trait expression) share: pairs in one room, told
their situation at the start, each tick one speaker per pair asked at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sandbox.store.records import ActionRecord
from sandbox.world.rules import gather_outcomes

if TYPE_CHECKING:
    from sandbox.llm.request import LLMRequest
    from sandbox.world.world import World


def announce_to_pairs(
    world: World, tick: int, pairs: Sequence[tuple[str, str]], texts: Sequence[str]
) -> None:
    """At tick 1, tell each pair (and only it) its text."""
    if tick != 1:
        return
    for pair, text in zip(pairs, texts, strict=True):
        world.bus.emit("announcement", "world", text, visibility="agents", audience=list(pair))


async def ask_speakers(world: World, made: Sequence[tuple[str, LLMRequest]]) -> dict[str, Any]:
    """Each (speaker, request) at once; the speaker's outcome (an answer or its typed error)."""
    return await gather_outcomes(world, [r for _, r in made], [n for n, _ in made])


def failed_turn(base: dict[str, Any], error: Exception, data: dict[str, Any]) -> ActionRecord:
    """A speaker whose answer failed: an ``error`` action with the typed error, no line."""
    return ActionRecord(**base, kind="error", status="error", detail=str(error), data=data)


def say_to_partner(
    world: World,
    base: dict[str, Any],
    name: str,
    partner: str,
    text: str,
    data: dict[str, Any],
) -> ActionRecord:
    """``name`` says ``text`` to ``partner``, heard by the two of them alone; its action."""
    world.bus.emit(
        "say",
        name,
        f'{name} (to {partner}): "{text}"',
        visibility="agents",
        audience=[name, partner],
        data={"to": partner, **data},
    )
    return ActionRecord(**base, kind="say", target=partner, text=text, data=data)
