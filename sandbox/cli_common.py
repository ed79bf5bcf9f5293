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


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print the sandbox's own errors as one clear line and exit non-zero."""
    from sandbox.errors import SandboxError

    try:
        yield
    except SandboxError as exc:
        from sandbox.console import make_console

        make_console(stderr=True).print(f"[bold red]error:[/bold red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
