"""SandboxApp: step a world, watch its places, events and narrator, inspect and talk to agents.

The app drives a ``Run`` (created from a world file or resumed) one tick at a time with
``Run.astep``, the tick driver of ``sandbox run`` too, so it writes the same trajectory, keeps the
run's status and applies its error policy the same way: every tick is committed when it ends, and
the run stops (``completed``) at its planned end unless the user extends it. Ticks and
interviews run in Textual workers, so model calls never freeze the interface; a failed tick is
rolled back by the world and reported as a notification. Input for the world given at any time,
during a tick too, is queued and handed to the world as the next tick starts.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Label, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from sandbox.errors import ErrorRateError, SandboxError
from sandbox.runner.run import Run
from sandbox.tui.dialogs import Ask
from sandbox.tui.pending import InputQueue, Pending
from sandbox.tui.views import Usage, event_text, inspector_view, places_view

if TYPE_CHECKING:
    from sandbox.store.records import TickRecord

SPEEDS = (4.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.0)
EXTEND_BY = 10  # ticks the extend dialog offers


class SandboxApp(App[None]):
    TITLE = "sandbox"
    CSS = """
    #status { height: 1; background: $primary; color: $text; padding: 0 1; }
    #left { width: 34; }
    #places { height: auto; max-height: 40%; border: round $panel; }
    #agents { border: round $panel; }
    #middle { width: 1fr; }
    #events { border: round $panel; height: 2fr; }
    #narrator { border: round $panel; height: 1fr; }
    #inspector { width: 52; border: round $panel; padding: 0 1; }
    #queued { height: auto; max-height: 3; color: $warning; padding: 0 1; }
    #queued.-empty { display: none; }
    #usage { height: 1; color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [
        Binding("s", "step", "Step"),
        Binding("space", "toggle_run", "Run/pause"),
        Binding("plus,equals_sign", "faster", "Faster"),
        Binding("minus", "slower", "Slower"),
        Binding("e", "inject", "Event"),
        Binding("i", "interview", "Interview"),
        Binding("t", "talk", "Talk"),
        Binding("p", "toggle_private", "Thoughts"),
        Binding("x", "extend", "Extend"),
        Binding("w", "save", "Save"),
        Binding("q", "quit_app", "Quit"),
    ]

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run_ = run
        self.world = run.world
        self.usage = Usage()
        self.selected: str | None = None
        self.running = False
        self.speed = 3  # index in SPEEDS: seconds between ticks
        self.show_private = False
        self.stepping = False
        self.pending = InputQueue()

    # --- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal():
            with Vertical(id="left"):
                yield Static(id="places")
                yield OptionList(id="agents")
            with Vertical(id="middle"):
                yield RichLog(id="events", wrap=True, markup=False, min_width=20)
                yield RichLog(id="narrator", wrap=True, markup=False, min_width=20)
            yield Static(id="inspector")
        yield Label(id="queued")
        yield Label(id="usage")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#places").border_title = "Places"
        self.query_one("#agents").border_title = "Agents"
        self.query_one("#events").border_title = "Events"
        self.query_one("#narrator").border_title = "Narrator"
        self.query_one("#inspector").border_title = "Inspector"
        agents = self.query_one("#agents", OptionList)
        agents.add_options([Option(a.name, id=a.name) for a in self.world.persona_agents])
        if self.run_.at_planned_end:
            self.notify(self._end_message(), timeout=10)
        self.run_.start()
        self.refresh_views()

    def _end_message(self) -> str:
        return (
            f"The run reached its planned end (tick {self.run_.ticks_target}) and is completed; "
            "press x to extend it."
        )

    def refresh_views(self) -> None:
        w = self.world
        clock = w.clock.describe(max(w.tick, 1)) if w.tick else "not started"
        if self.run_.at_planned_end and not self.stepping:
            state = "completed (x: extend)"
        else:
            state = "running" if self.running else "paused"
        speed = SPEEDS[self.speed]
        queued = self.pending.shown(self.stepping)
        self.query_one("#status", Static).update(
            f"{w.config.name} | {clock} | tick {w.tick} of {self.run_.ticks_target} | "
            f"model {w.client.model_id} | {state}, {speed:g}s per tick"
            + (" | stepping..." if self.stepping else "")
            + (f" | {len(queued)} queued" if queued else "")
        )
        queued_label = self.query_one("#queued", Label)
        queued_label.update(  # Text: the user's words are not markup
            Text("queued for the next tick: " + "; ".join(q.label for q in queued))
            if queued
            else ""
        )
        queued_label.set_class(not queued, "-empty")
        self.query_one("#places", Static).update(places_view(w))
        self.query_one("#inspector", Static).update(inspector_view(w, self.selected, w.last_record))
        self.query_one("#usage", Label).update(self.usage.line())

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.selected = event.option.id
        self.refresh_views()

    # --- stepping --------------------------------------------------------------------------------
    def action_step(self) -> None:
        if self.stepping:
            self.notify("A tick is already running.", severity="warning")
            return
        self.step_once()

    @work(exclusive=True, group="tick")
    async def step_once(self) -> None:
        await self._tick()

    async def _tick(self) -> bool:
        """One tick with the queued input; False when none ran (planned end, failure)."""
        if self.run_.at_planned_end:
            self.running = False
            self.notify(self._end_message(), severity="warning", timeout=10)
            self.refresh_views()
            return False
        self.stepping = True
        self.pending.hand_over(self.world)
        self.refresh_views()
        try:
            record = await self.run_.astep()
        except ErrorRateError as exc:  # the tick committed, then the run's error policy stopped it
            self.running = False
            self.stepping = False
            self._committed(self.world.last_record)
            self.notify(f"The run stopped: {exc}", severity="error", timeout=10, markup=False)
            self.refresh_views()
            return False
        except SandboxError as exc:
            self.running = False
            self.stepping = False
            self.notify(
                f"The tick failed and was rolled back: {exc}",
                severity="error",
                timeout=10,
                markup=False,
            )
            self.refresh_views()  # input handed to the failed tick is kept for the next one
            return False
        finally:
            self.stepping = False
        self._committed(record)
        if self.run_.at_planned_end:
            self.running = False
            self.notify(self._end_message(), timeout=10)
        self.refresh_views()
        return True

    def _committed(self, record: TickRecord | None) -> None:
        self.pending.committed()
        if record is not None:
            self.usage.add(record.llm_calls)
            self._log_tick(record)

    def _log_tick(self, record: TickRecord) -> None:
        events = self.query_one("#events", RichLog)
        narrator = self.query_one("#narrator", RichLog)
        for event in record.events:
            if event.source in ("narrator", "world") and event.kind in ("scene", "announcement"):
                narrator.write(event_text(event))
            if event.visibility != "private" or self.show_private:
                events.write(event_text(event))
        if self.show_private:
            for t in record.thoughts:
                events.write(
                    Text.assemble(
                        (f"t{t.tick:<3} ", "dim"),
                        ("[private] ", "italic red"),
                        (f"{t.agent} thinks: {t.text}", "italic dim"),
                    )
                )

    def action_toggle_run(self) -> None:
        self.running = not self.running
        if self.running:
            self.autorun()
        self.refresh_views()

    @work(exclusive=True, group="autorun")
    async def autorun(self) -> None:
        while self.running:
            if not self.stepping and not await self._tick():
                break
            if not self.running:
                break
            await asyncio.sleep(SPEEDS[self.speed])
        self.refresh_views()

    def action_faster(self) -> None:
        self.speed = min(len(SPEEDS) - 1, self.speed + 1)
        self.refresh_views()

    def action_slower(self) -> None:
        self.speed = max(0, self.speed - 1)
        self.refresh_views()

    def action_toggle_private(self) -> None:
        self.show_private = not self.show_private
        self.notify(
            "Private thoughts " + ("shown (marked [private])" if self.show_private else "hidden")
        )

    # --- talking to the world ---------------------------------------------------------------------
    def action_inject(self) -> None:
        def done(values: list[str] | None) -> None:
            if not values or not values[0].strip():
                return
            text, place = values[0].strip(), values[1].strip() or None
            if place is not None and place not in self.world.places:
                places = ", ".join(self.world.places)
                self.notify(
                    f"No place named {place!r} (places: {places}).", severity="error", markup=False
                )
                return
            label = text + (f" (at the {place})" if place else "")
            self.pending.add(Pending(text=text, label=label, place=place))
            self.notify(f"Queued for the next tick: {label}", markup=False)
            self.refresh_views()

        places = ", ".join(self.world.places)
        self.push_screen(
            Ask(
                "Inject an event, perceived next tick",
                [("what happens", ""), (f"place ({places}); blank = everyone", "")],
            ),
            done,
        )

    def action_talk(self) -> None:
        if self.selected is None:
            self.notify("Select an agent first.", severity="warning")
            return
        name = self.selected

        def done(values: list[str] | None) -> None:
            if not values or not values[0].strip():
                return
            words = values[0].strip()
            self.pending.add(
                Pending(
                    text=f'A visitor (to {name}): "{words}"',
                    label=f'to {name}: "{words}"',
                    kind="say",
                    source="visitor",
                    to=name,
                )
            )
            self.notify(f"Queued: {name} will hear you next tick (it enters their memory).")
            self.refresh_views()

        self.push_screen(Ask(f"Say something to {name} as a visitor", [("your words", "")]), done)

    def action_interview(self) -> None:
        if self.selected is None:
            self.notify("Select an agent first.", severity="warning")
            return
        if self.stepping:
            self.notify("Wait for the tick to finish.", severity="warning")
            return
        name = self.selected

        def done(values: list[str] | None) -> None:
            if values and values[0].strip():
                self.ask_agent(name, values[0].strip())

        self.push_screen(
            Ask(f"Interview {name} (does not change the world)", [("question", "")]), done
        )

    @work(exclusive=True, group="tick")
    async def ask_agent(self, name: str, question: str) -> None:
        try:
            reply = await self.world.interview(name, question)
        except SandboxError as exc:
            self.notify(f"The interview failed: {exc}", severity="error", timeout=10, markup=False)
            return
        answer = reply.answer
        self.run_.writer.record_interview(
            {
                "tick": self.world.tick,
                "agent": name,
                "question": question,
                "answer": answer,
                "memories": reply.memories,
            },
            reply.calls,
        )
        self.usage.add(reply.calls)
        self.query_one("#events", RichLog).write(
            Text.assemble(("[interview] ", "bold blue"), (f"{name}: {answer}", "blue"))
        )
        self.notify(f"{name}: {answer}", timeout=8, markup=False)
        self.refresh_views()

    def action_extend(self) -> None:
        def done(values: list[str] | None) -> None:
            if not values or not values[0].strip():
                return
            try:
                ticks = int(values[0].strip())
                end = self.run_.extend(ticks)
            except ValueError:
                self.notify(
                    f"Not a number of ticks: {values[0].strip()!r}.", severity="error", markup=False
                )
                return
            except SandboxError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(f"Extended by {ticks} ticks: the run now ends at tick {end}.")
            self.refresh_views()

        self.push_screen(
            Ask(
                f"Extend the run (planned end: tick {self.run_.ticks_target}) by how many ticks?",
                [("ticks", str(EXTEND_BY))],
            ),
            done,
        )

    # --- saving and quitting ---------------------------------------------------------------------
    def action_save(self) -> None:
        self.run_.writer.checkpoint_wal()
        self.notify(f"Saved: {self.world.tick} committed ticks in {self.run_.path}")

    async def action_quit_app(self) -> None:
        self.running = False
        self.workers.cancel_all()  # a tick in flight is rolled back; committed ticks stay
        await asyncio.sleep(0)
        self.run_.pause(  # a run at its planned end stays completed
            f"paused in the TUI at tick {self.world.tick}; resume with "
            f"sandbox tui --resume {self.run_.directory}"
        )
        self.exit()
