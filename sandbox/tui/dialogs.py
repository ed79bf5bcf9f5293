"""Small modal dialogs: one or two text fields, OK on Enter, Escape to cancel."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class Ask(ModalScreen[list[str] | None]):
    """Ask for one or more values; dismisses with the list of answers (None when cancelled)."""

    DEFAULT_CSS = """
    Ask { align: center middle; }
    Ask > Vertical { width: 72; height: auto; border: round $accent; padding: 1 2;
                     background: $surface; }
    Ask Label { margin-bottom: 1; }
    """
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, title: str, fields: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields  # (placeholder, initial value)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            for i, (placeholder, value) in enumerate(self.fields):
                yield Input(value=value, placeholder=placeholder, id=f"field-{i}")

    def on_mount(self) -> None:
        self.query_one("#field-0", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
            return
        self.dismiss([i.value for i in inputs])

    def action_cancel(self) -> None:
        self.dismiss(None)
