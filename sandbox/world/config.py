"""World files: YAML validated by pydantic. See docs/worlds.md for every field."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sandbox.agents.cognition_config import CognitionConfig
from sandbox.errors import ConfigError, PersonaError
from sandbox.personas.persona import Persona, load_persona_file
from sandbox.seeds import Seed
from sandbox.validation import describe_validation_error, read_structured_file
from sandbox.world.attention import AttentionConfig

MAX_TICKS = 1_000_000  # 19 years of 10-minute ticks; more is refused as a mistake
WARN_TICKS = 10_000  # default bound above which the command line warns with an estimate


class PlaceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    activities: list[str] = Field(default_factory=list)


class AgentConfig(BaseModel):
    """One agent: an inline ``persona`` or a ``persona_file`` (relative to the world file)."""

    model_config = ConfigDict(extra="forbid")

    persona: Persona | None = None
    persona_file: str | None = None
    start: str
    home: str | None = Field(None, description="where the agent sleeps (default: its start)")
    work: str | None = Field(None, description="where the agent works, if anywhere")

    @model_validator(mode="after")
    def _one_persona(self) -> AgentConfig:
        if (self.persona is None) == (self.persona_file is None):
            raise ValueError("give exactly one of 'persona' (inline) or 'persona_file'")
        return self


class TieConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    a: str
    b: str
    weight: float = 1.0


class ScheduledEvent(BaseModel):
    """Something the world announces at a tick: to everyone, or to those at one place."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tick: Annotated[int, Field(ge=1)]
    text: Annotated[str, Field(min_length=1)]
    place: str | None = None


class Happening(BaseModel):
    """Something an agent intends to hold (the seeded party of Generative Agents)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    what: str = Field(description="e.g. 'a Valentine's Day party'")
    place: str
    day: Annotated[int, Field(ge=1)] = 1
    start_hour: Annotated[int, Field(ge=0, le=23)]
    end_hour: Annotated[int, Field(ge=1, le=24)]
    keyword: str = Field(description="a word that marks talk about it, e.g. 'party'")


class WorldConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    seed: Seed = 0
    ticks: Annotated[int, Field(ge=1, le=MAX_TICKS)] = 12
    warn_ticks: Annotated[int, Field(ge=1)] = Field(
        WARN_TICKS, description="runs longer than this print a size and cost estimate first"
    )
    minutes_per_tick: Annotated[int, Field(ge=1, le=24 * 60)] = 10
    start_time: datetime = datetime(2026, 1, 5, 8, 0)
    memory_window: Annotated[int, Field(ge=1, le=200)] = 12
    persona_style: Literal["nine_level", "binary", "biography"] = "biography"
    on_model_error: Literal["record", "abort"] = "record"
    prompts_dir: str | None = None
    cognition: CognitionConfig | None = None
    happenings: list[Happening] = Field(default_factory=list)
    scenario: dict[str, Any] | None = Field(
        None, description="rules of an experiment family, e.g. {name: trust, study: population}"
    )
    places: Annotated[list[PlaceConfig], Field(min_length=1)]
    agents: Annotated[list[AgentConfig], Field(min_length=1)]
    ties: list[TieConfig] = Field(default_factory=list)
    events: list[ScheduledEvent] = Field(default_factory=list)
    attention: AttentionConfig = Field(
        default_factory=AttentionConfig,
        description="caps on whom an agent notices and what it perceives in a crowded place",
    )

    @model_validator(mode="after")
    def _consistent(self) -> WorldConfig:
        place_names = [p.name for p in self.places]
        if dupes := _repeated(place_names):
            raise ValueError(f"place names must be unique; repeated: {dupes}")
        is_place = set(place_names).__contains__  # (sets: large worlds check in linear time)
        for i, agent in enumerate(self.agents):
            for key in ("start", "home", "work"):
                value = getattr(agent, key)
                if value is not None and not is_place(value):
                    raise ValueError(
                        f"agents[{i}].{key} is {value!r}, which is not a place "
                        f"(places: {', '.join(place_names)})"
                    )
        names = [a.persona.name for a in self.agents if a.persona is not None]
        if len(names) == len(self.agents):
            self._check_agent_names(names, place_names)
        return self

    def _check_agent_names(self, names: list[str], place_names: list[str]) -> None:
        if dupes := _repeated(names):
            raise ValueError(f"agent names must be unique; repeated: {dupes}")
        is_agent, is_place = set(names).__contains__, set(place_names).__contains__
        for tie in self.ties:
            for end in (tie.a, tie.b):
                if not is_agent(end):
                    raise ValueError(f"tie {tie.a!r}-{tie.b!r} names {end!r}, who is not an agent")
        for ev in self.events:
            if ev.place is not None and not is_place(ev.place):
                raise ValueError(f"event at tick {ev.tick} is at unknown place {ev.place!r}")
        for h in self.happenings:
            if not is_agent(h.host):
                raise ValueError(f"happening {h.what!r}: host {h.host!r} is not an agent")
            if not is_place(h.place):
                raise ValueError(f"happening {h.what!r}: place {h.place!r} is not a place")
            if h.end_hour <= h.start_hour:
                raise ValueError(f"happening {h.what!r} ends before it starts")

    @property
    def personas(self) -> list[Persona]:
        out = []
        for a in self.agents:
            if a.persona is None:
                raise ConfigError("world config has unresolved persona files; use load_world()")
            out.append(a.persona)
        return out


def load_world(path: str | Path, data: Any = None) -> WorldConfig:
    """Read and validate a world file, inlining persona files so the config is self-contained.

    ``data``: the file's parsed content, when the caller has read it already (a large world file
    is parsed once)."""
    p = Path(path)
    if data is None:
        data = read_structured_file(p, what="world file")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{p}: a world file must be a mapping of fields (name, places, agents...)"
        )
    agents = data.get("agents")
    if isinstance(agents, list):
        for i, entry in enumerate(agents):
            if isinstance(entry, dict) and isinstance(entry.get("persona_file"), str):
                persona_path = (p.parent / entry["persona_file"]).resolve()
                try:
                    persona = load_persona_file(persona_path)
                except PersonaError as exc:
                    raise ConfigError(f"{p}: agents[{i}].persona_file: {exc}") from None
                except ConfigError as exc:
                    raise ConfigError(f"{p}: agents[{i}].persona_file: {exc}") from None
                entry = {k: v for k, v in entry.items() if k != "persona_file"}
                entry["persona"] = persona.model_dump()
                agents[i] = entry
    if isinstance(data.get("prompts_dir"), str):
        data["prompts_dir"] = str((p.parent / data["prompts_dir"]).resolve())
    try:
        return WorldConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(p, exc)) from None


def _repeated(names: list[str]) -> str:
    """The names given more than once, sorted and quoted ("" when none): one pass, so a world of
    10,000 agents is checked in milliseconds."""
    counts = Counter(names)
    return ", ".join(repr(n) for n in sorted(n for n, k in counts.items() if k > 1))
