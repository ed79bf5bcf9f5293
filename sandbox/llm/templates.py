"""Prompt templates: text files with a system and a user part, rendered with ``$name`` fields.

A template file looks like::

    === system ===
    You are $name. ...
    === user ===
    It is $time. ...

Templates are found in a run's prompt directory first (``prompts_dir`` in a world file), then in the
package's ``sandbox/prompts``. The SHA-256 of every template used is recorded with the run.

Fields are pasted safely (see ``sandbox.quoting``): a ``PromptText`` value as it is (the caller
composed it and quoted the free text in it), any other value escaped to one line. Every rendered
prompt's system part ends with the answer schema's instruction and ``QUOTING_NOTE`` (a template without one:
its user part opens with them), so what is static for an agent comes first (prefix caching).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from sandbox.errors import ConfigError
from sandbox.llm.request import Message
from sandbox.llm.structured import schema_instruction
from sandbox.quoting import QUOTING_NOTE, PromptText, one_line

_SECTION = re.compile(r"^=== (system|user) ===\s*$", re.MULTILINE)


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    text: str
    sha256: str
    system: Template
    user: Template
    # (system fields' values, schema instruction) -> the system message: the static part of an
    # agent's prompt is built once, not every tick (see ``_static``)
    _statics: dict[tuple[str, ...], Message] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # the ``$name`` fields the system part uses
    system_fields: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # each part split once at its placeholders (see ``_split``), for ``_substitute``
    _system_pieces: _Pieces | None = field(init=False, repr=False, compare=False)
    _user_pieces: _Pieces | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "system_fields", tuple(self.system.get_identifiers()))
        object.__setattr__(self, "_system_pieces", _split(self.system))
        object.__setattr__(self, "_user_pieces", _split(self.user))

    @classmethod
    def parse(cls, name: str, text: str) -> PromptTemplate:
        parts = _SECTION.split(text)
        sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
        if "user" not in sections:
            raise ConfigError(f"prompt template {name!r} has no '=== user ===' section")
        return cls(
            name=name,
            text=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            system=Template(sections.get("system", "")),
            user=Template(sections["user"]),
        )

    def render(self, fields: dict[str, Any], schema: dict | None = None) -> tuple[Message, ...]:
        """The messages: the system part, the answer schema's instruction and ``QUOTING_NOTE``
        (static for an agent and template, so a server's prefix cache keeps them), then the user
        part (a template puts its static lines first and the moment last)."""
        safe = self._safe(fields)  # escaped once for both parts
        instruction = schema_instruction(schema) if schema is not None else None
        system = self._static(safe, instruction)
        user = self._substitute(self.user, safe, escaped=True)
        if system is None:  # a template without a system part: the note opens the user message
            head = "\n\n".join([QUOTING_NOTE] + ([instruction] if instruction is not None else []))
            return (Message(role="user", content=f"{head}\n\n{user}"),)
        return (system, Message(role="user", content=user))

    def _static(self, safe: dict[str, Any], instruction: str | None) -> Message | None:
        """The system message (the system part, the schema's instruction and ``QUOTING_NOTE``),
        or None when the system part is empty. Remembered by the values of the fields the system
        part uses and the instruction, so an agent whose persona is the same every tick gets the
        same message object, built once (and serialised once: ``LLMRequest.messages_text``);
        a template keeps at most ``_STATICS``."""
        if not self.system.template:
            return None
        try:
            key = (*(safe[name] for name in self.system_fields), instruction or "")
        except KeyError:  # a field the caller does not give: _substitute says which
            key = None
        found = self._statics.get(key) if key is not None else None
        if found is not None:
            return found
        system = self._substitute(self.system, safe, escaped=True)
        if not system:
            return None
        static = [system] if instruction is None else [system, instruction]
        found = Message(role="system", content="\n\n".join([*static, QUOTING_NOTE]))
        if key is not None:
            if len(self._statics) >= _STATICS:
                self._statics.clear()
            self._statics[key] = found
        return found

    def fragment(self, fields: dict[str, Any]) -> PromptText:
        """The user part alone, as text to paste into other prompts (e.g. a game's rules)."""
        return PromptText(self._substitute(self.user, fields))

    @staticmethod
    def _safe(fields: dict[str, Any]) -> dict[str, Any]:
        return {k: v if isinstance(v, PromptText) else one_line(v) for k, v in fields.items()}

    def _substitute(self, part: Template, fields: dict[str, Any], escaped: bool = False) -> str:
        safe = fields if escaped else self._safe(fields)
        pieces = (
            self._system_pieces
            if part is self.system
            else self._user_pieces
            if part is self.user
            else None
        )
        try:
            if pieces is None:  # not split (an invalid placeholder): Template says what is wrong
                return part.substitute(safe)
            literals, names = pieces
            out = [literals[0]]
            for name, literal in zip(names, literals[1:], strict=True):
                out.append(str(safe[name]))
                out.append(literal)
            return "".join(out)
        except KeyError as exc:
            raise ConfigError(
                f"prompt template {self.name!r} uses ${exc.args[0]}, "
                "which the caller does not provide"
            ) from None


# A template part split at its placeholders: the literal text around them (one more than the
# placeholders) and the field each placeholder names, in order.
_Pieces = tuple[tuple[str, ...], tuple[str, ...]]


def _split(part: Template) -> _Pieces | None:
    """``part`` split at its placeholders, so that substituting is a join that gives what
    ``Template.substitute`` gives (``$$`` a literal ``$``; ``$name`` and ``${name}`` the field's
    value as ``str``); None when ``part`` has an invalid placeholder (``substitute`` raises)."""
    literals: list[str] = []
    names: list[str] = []
    text, start, current = part.template, 0, []
    for match in part.pattern.finditer(text):
        current.append(text[start : match.start()])
        start = match.end()
        named = match.group("named") or match.group("braced")
        if named is not None:
            literals.append("".join(current))
            names.append(named)
            current = []
        elif match.group("escaped") is not None:
            current.append(part.delimiter)
        else:
            return None
    current.append(text[start:])
    literals.append("".join(current))
    return tuple(literals), tuple(names)


# System messages a template keeps (one per agent in a world: the largest worlds have 10,000s).
_STATICS = 1 << 16


class PromptLibrary:
    """Loads templates once and remembers the hash of each one used."""

    def __init__(self, prompts_dir: str | Path | None = None) -> None:
        self.prompts_dir = Path(prompts_dir) if prompts_dir else None
        self._loaded: dict[str, PromptTemplate] = {}

    def get(self, name: str) -> PromptTemplate:
        template = self._loaded.get(name)
        if template is None:
            template = self._loaded[name] = PromptTemplate.parse(name, self._read(name))
        return template

    def _read(self, name: str) -> str:
        filename = f"{name}.md"
        if self.prompts_dir is not None and (self.prompts_dir / filename).exists():
            return (self.prompts_dir / filename).read_text(encoding="utf-8")
        resource = resources.files("sandbox.prompts").joinpath(filename)
        if not resource.is_file():
            raise ConfigError(f"no prompt template named {name!r} (looked for {filename})")
        return resource.read_text(encoding="utf-8")

    def hashes(self) -> dict[str, str]:
        return {name: t.sha256 for name, t in sorted(self._loaded.items())}
