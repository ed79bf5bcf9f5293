"""Reading YAML/JSON input files and turning pydantic errors into one readable line per problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sandbox.errors import ConfigError


def read_structured_file(path: Path, *, what: str) -> Any:
    """Parse a YAML (.yaml/.yml) or JSON file; say which file and where when it is broken."""
    if not path.exists():
        raise ConfigError(f"{what} not found: {path}")
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a directory; give the path of a .yaml or .json file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}"
            ) from None
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: several times faster
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: {where}invalid YAML: {problem}") from None


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def describe_validation_error(source: Path | str, exc: ValidationError) -> str:
    """One line per problem: ``file: field.path: what was expected (got value)``."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = _loc(tuple(err["loc"]))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see docs/worlds.md for the allowed fields)"
        got = err.get("input")
        whole = not err["loc"]  # a check of the whole file: its message says what, not its input
        if err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        shown = "" if whole or err["type"] in ("missing", "extra_forbidden") else f" (got {got!r})"
        if len(shown) > 80:
            shown = shown[:77] + "...)"
        lines.append(f"{source}: {msg}{shown}" if whole else f"{source}: {loc}: {msg}{shown}")
    return "\n".join(lines)
