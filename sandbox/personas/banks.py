"""Persona banks: YAML (a list of personas, or ``personas:`` with one) or JSONL (one per line)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from sandbox.errors import PersonaError
from sandbox.personas.persona import Persona
from sandbox.validation import describe_validation_error, read_structured_file


def load_bank(path: str | Path) -> list[Persona]:
    """Every persona in a bank file; an invalid entry is named by file, line or index, and field."""
    p = Path(path)
    if p.suffix.lower() == ".jsonl":
        return _load_jsonl(p)
    data = read_structured_file(p, what="persona bank")
    if isinstance(data, dict) and "personas" in data:
        data = data["personas"]
    if not isinstance(data, list):
        raise PersonaError(f"{p}: a persona bank is a list of personas (or 'personas: [...]')")
    out = []
    for i, entry in enumerate(data):
        try:
            out.append(Persona.model_validate(entry))
        except ValidationError as exc:
            raise PersonaError(describe_validation_error(f"{p}: persona [{i}]", exc)) from None
    _check_unique(p, out)
    return out


def _load_jsonl(p: Path) -> list[Persona]:
    if not p.exists():
        raise PersonaError(f"persona bank not found: {p}")
    out = []
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                out.append(Persona.model_validate(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise PersonaError(f"{p}: line {lineno}: invalid JSON: {exc.msg}") from None
            except ValidationError as exc:
                raise PersonaError(describe_validation_error(f"{p}: line {lineno}", exc)) from None
    _check_unique(p, out)
    return out


def _check_unique(p: Path, personas: list[Persona]) -> None:
    seen: set[str] = set()
    for persona in personas:
        if persona.name in seen:
            raise PersonaError(f"{p}: persona name {persona.name!r} appears more than once")
        seen.add(persona.name)


def find_persona(bank: list[Persona], name: str) -> Persona:
    for persona in bank:
        if persona.name == name:
            return persona
    close = [p.name for p in bank if name.lower() in p.name.lower()][:5]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise PersonaError(f"no persona named {name!r} in the bank{hint}")


def write_bank(
    personas: list[Persona], path: str | Path, *, exclude: set[str] | None = None
) -> Path:
    """Write a bank as JSONL or YAML, by the file's suffix (``exclude``: fields left out, e.g.
    ``{"big_five"}`` for MBTI personas whose Big Five are derived on loading)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    rows = [x.model_dump(mode="json", exclude_defaults=True, exclude=exclude) for x in personas]
    if p.suffix.lower() == ".jsonl":
        p.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    else:
        import yaml

        p.write_text(yaml.safe_dump(rows, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return p
