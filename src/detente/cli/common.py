"""Options and error handling shared by the CLI commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from detente.errors import DetenteError, InputError

__all__ = ["WorkspaceOpt", "console", "err_console", "handle_errors", "resolve_workspace"]

console = Console()
err_console = Console(stderr=True)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar="DETENTE_WORKSPACE",
        help="Workspace directory (default: ./detente-workspace).",
        show_default=False,
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


def resolve_workspace(workspace: Path | None) -> Path:
    from detente.config import load_settings

    return workspace if workspace is not None else load_settings().workspace


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn Détente errors into one red line on stderr and a non-zero exit (2 for bad input, 1 otherwise)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DetenteError as exc:
            err_console.print(f"[bold red]error[/]: {exc}", highlight=False, markup=True, soft_wrap=True)
            sys.exit(2 if isinstance(exc, InputError) else 1)

    return wrapper
