"""What an agent may do in a tick: the answer schema of ``agent.decide`` and the typed actions.

The schema the model fills is flat on purpose (one ``action`` word plus ``target`` and ``text``): flat
schemas are answered far more reliably by small local models than nested unions. ``Decision.to_action``
turns it into one of the typed actions the world resolves.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Decision(BaseModel):
    """An agent's choice for one tick."""

    model_config = ConfigDict(extra="ignore")

    thought: str = Field(description="Your private reasoning. Nobody else ever sees it.")
    action: Literal["say", "move", "do", "wait", "end"] = Field(
        description="say: speak to the people here; move: go to another place; "
        "do: an activity here; wait: nothing this turn; end: end the conversation you are in."
    )
    target: str | None = Field(
        default=None,
        description="For say: the name of the person you address (optional). "
        "For move: the name of the place to go to.",
    )
    text: str = Field(default="", description="For say: your words. For do: the activity.")
    plan_change: str | None = Field(
        default=None, description="Only if what you noticed changes your plan for today: how."
    )

    @model_validator(mode="after")
    def _check_fields(self) -> Decision:
        if self.action == "say" and not self.text.strip():
            raise ValueError("action 'say' needs the words in 'text'")
        if self.action == "move" and not (self.target and self.target.strip()):
            raise ValueError("action 'move' needs the place in 'target'")
        if self.action == "do" and not self.text.strip():
            raise ValueError("action 'do' needs the activity in 'text'")
        return self

    def to_action(self) -> Action:
        if self.action == "say":
            return Say(text=self.text.strip(), to=(self.target or None))
        if self.action == "move":
            return Move(destination=(self.target or "").strip())
        if self.action == "do":
            return Do(activity=self.text.strip())
        if self.action == "end":
            return EndConversation()
        return Wait()


class Say(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["say"] = "say"
    text: str
    to: str | None = None


class Move(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["move"] = "move"
    destination: str


class Do(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["do"] = "do"
    activity: str


class Wait(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["wait"] = "wait"


class EndConversation(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["end"] = "end"


Action = Say | Move | Do | Wait | EndConversation
