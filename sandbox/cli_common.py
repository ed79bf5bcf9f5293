"""Options and error handling shared by the command-line modules."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

import typer

ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="'heuristic' (offline, deterministic) or a litellm model id such as gpt-4o-mini, "
        "ollama/llama3.1 or openai/<name> with --api-base. Default: heuristic (or the recorded "
        "model with --resume).",
    ),
]
ApiBaseOpt = Annotated[
    str | None,
    typer.Option(
        "--api-base",
        help="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 "
        "(default: $OPENAI_BASE_URL).",
    ),
]

HttpClientOpt = Annotated[
    str | None,
    typer.Option(
        "--http-client",
        help="How calls reach the model: 'lean' (one shared HTTP client, for OpenAI-compatible "
        "servers), 'litellm', or 'auto' (lean for openai/, hosted_vllm/, lm_studio/ and "
        "openai_like/ models with --api-base or $OPENAI_BASE_URL; litellm otherwise). Default: auto "
        "(or the recorded choice with --resume).",
    ),
]


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print the sandbox's own errors as one clear line and exit non-zero."""
    import sqlite3

    from pydantic import ValidationError

    from sandbox.errors import SandboxError

    try:
        yield
    except SandboxError as exc:
        _fail(str(exc))
    except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise  # the sandbox used the database wrongly: a bug, keep the traceback
    except sqlite3.DatabaseError as exc:  # a damaged, foreign, locked or unwritable SQLite file
        _fail(
            f"a SQLite file (trajectory, cache or sweep manifest) cannot be used: {exc} (is it a "
            "complete sandbox file? a damaged file cannot be repaired here; restore a copy or start again)"
        )
    except ValidationError as exc:  # an option's value failed the settings' validation
        problems = [
            f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']} (got {e.get('input')!r})"
            if e["loc"]
            else e["msg"]
            for e in exc.errors(include_url=False)
        ]
        _fail("invalid option: " + "; ".join(problems))


def _fail(message: str) -> None:
    from rich.markup import escape

    from sandbox.console import make_console

    make_console(stderr=True).print(
        f"[bold red]error:[/bold red] {escape(message)}",
        soft_wrap=True,
        markup=True,
        highlight=False,
    )
    raise typer.Exit(1) from None
