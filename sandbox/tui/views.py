"""What the panels show, as Rich renderables built from the world (no Textual here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from sandbox.personas.persona import BIG_FIVE_DOMAINS

if TYPE_CHECKING:
    from sandbox.store.records import EventRecord, LLMCallRecord, TickRecord
    from sandbox.world.world import World


def places_view(world: World) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold cyan")
    table.add_column()
    for place, names in world.occupancy().items():
        table.add_row(place, ", ".join(names) or "[dim]empty[/dim]")
    return table


def event_text(event: EventRecord) -> Text:
    where = event.place or "all"
    style = {
        "say": "",
        "post": "",
        "arrive": "green",
        "leave": "green",
        "do": "yellow",
        "announcement": "bold magenta",
        "scene": "magenta",
        "failed": "red",
        "conversation_end": "dim",
    }.get(event.kind, "")
    marker = (
        " [private]" if event.visibility in ("private", "agents") and event.kind != "say" else ""
    )
    return Text.assemble(
        (f"t{event.tick:<3} ", "dim"),
        (f"{where:<10} ", "cyan"),
        (event.text, style),
        (marker, "dim italic"),
    )


def inspector_view(world: World, name: str | None, last: TickRecord | None) -> Table | Text:
    if name is None:
        return Text("Select an agent on the left to inspect it.", style="dim")
    agent = world.agent(name)
    p = agent.persona
    table = Table(show_header=False, box=None, padding=(0, 1), expand=True)
    table.add_column(style="bold", width=12)
    table.add_column(ratio=1)
    who = ", ".join(x for x in (f"{p.age}" if p.age else "", p.occupation or "", p.mbti or "") if x)
    table.add_row("persona", f"{p.name}" + (f" ({who})" if who else ""))
    if p.bio:
        table.add_row("", Text(p.bio, style="dim"))
    table.add_row(
        "traits",
        "  ".join(f"{d[0].upper()} {getattr(p.big_five, d):.2f}" for d in BIG_FIVE_DOMAINS),
    )
    table.add_row("place", agent.place)
    mind = agent.mind
    if mind is not None:
        hour = world.clock.time_at(max(world.tick, 1)).hour
        block = mind.block_at(hour)
        table.add_row(
            "plan now", f"{block['activity']} at the {block['place']}" if block else "none"
        )
        table.add_row("status", mind.status or "-")
        table.add_row(
            "memories",
            f"{len(mind.stream)} (importance since reflection {mind.since_reflection:.0f})",
        )
        for r in agent.last_retrieved[:5]:
            table.add_row(
                "", Text(f"{r.score:.2f}  {r.memory.text}", overflow="ellipsis", no_wrap=True)
            )
    thought = next((t.text for t in (last.thoughts if last else []) if t.agent == name), None)
    table.add_row("last thought", Text(thought or "-", style="italic"))
    ties = sorted(
        ((other, d["weight"]) for other, d in world.graph[name].items()), key=lambda x: -x[1]
    )
    table.add_row("relationships", ", ".join(f"{o} ({w:g})" for o, w in ties[:6]) or "none yet")
    return table


class Usage:
    """Running totals of model usage, from committed ticks and other calls."""

    def __init__(self) -> None:
        self.calls = self.cache_hits = self.prompt_tokens = self.completion_tokens = 0
        self.cost: float | None = None

    def add(self, calls: list[LLMCallRecord]) -> None:
        for c in calls:
            self.calls += 1
            self.cache_hits += int(c.cache_hit)
            self.prompt_tokens += c.prompt_tokens
            self.completion_tokens += c.completion_tokens
            if c.cost_usd is not None:
                self.cost = (self.cost or 0.0) + c.cost_usd

    def line(self) -> str:
        cost = "unknown" if self.cost is None else f"${self.cost:.4f}"
        return (
            f"model calls {self.calls} ({self.cache_hits} cached) | tokens "
            f"{self.prompt_tokens} in / {self.completion_tokens} out | cost {cost}"
        )
