"""Applying one agent's typed action to the world (the open-world rules call it in the seeded
resolution order)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.agents.actions import Do, Move, Say, Wait
from sandbox.store.records import ActionRecord

if TYPE_CHECKING:
    from sandbox.agents.agent import PersonaAgent
    from sandbox.world.world import World


def _match(name: str | None, candidates: list[str]) -> str | None:
    """Case-insensitive match that tolerates a leading 'the ' (models write 'the park')."""
    if not name:
        return None
    wanted = name.strip().lower().removeprefix("the ").strip(" .")
    for candidate in candidates:
        if candidate.lower() == wanted:
            return candidate
    return None


def _match_present(world: World, agent: PersonaAgent, name: str | None) -> str | None:
    """``_match`` against the others at the agent's place, by lookup (a crowd has thousands)."""
    if not name:
        return None
    wanted = name.strip().lower().removeprefix("the ").strip(" .")
    return world.where.match(agent.place, wanted, exclude=agent.name)


def apply_action(
    world: World, agent: PersonaAgent, action: Say | Move | Do | Wait, base: dict[str, Any]
) -> ActionRecord:
    """Apply one typed action (say, move, do, wait) and return its record."""
    bus = world.bus
    if isinstance(action, Say):
        to = _match_present(world, agent, action.to)
        detail = ""
        if action.to and to is None:
            detail = f"{action.to!r} is not here; spoken to the room"
        text = (
            f'{agent.name} (to {to}): "{action.text}"'
            if to
            else f'{agent.name} says: "{action.text}"'
        )
        bus.emit("say", agent.name, text, visibility="place", place=agent.place, data={"to": to})
        if to is not None:
            world.strengthen_tie(agent.name, to)
        return ActionRecord(**base, kind="say", target=to, text=action.text, detail=detail)
    if isinstance(action, Move):
        destination = _match(action.destination, list(world.places))
        if destination is None or destination == agent.place:
            reason = (
                f"already at the {agent.place}"
                if destination == agent.place
                else f"there is no place called {action.destination!r} "
                f"(places: {', '.join(world.places)})"
            )
            bus.emit(
                "failed",
                "world",
                f"You could not go to {action.destination}: {reason}.",
                visibility="private",
                audience=[agent.name],
            )
            return ActionRecord(
                **base, kind="move", target=action.destination, status="invalid", detail=reason
            )
        origin = agent.place
        bus.emit(
            "leave",
            agent.name,
            f"{agent.name} leaves the {origin} for the {destination}.",
            visibility="place",
            place=origin,
            data={"to": None, "destination": destination},
        )
        agent.place = destination
        bus.emit(
            "arrive",
            agent.name,
            f"{agent.name} arrives at the {destination}.",
            visibility="place",
            place=destination,
            data={"to": None, "origin": origin},
        )
        return ActionRecord(**base, kind="move", target=destination)
    if isinstance(action, Do):
        bus.emit(
            "do",
            agent.name,
            f"{agent.name} {action.activity} at the {agent.place}.",
            visibility="place",
            place=agent.place,
        )
        return ActionRecord(**base, kind="do", text=action.activity)
    return ActionRecord(**base, kind="wait")
