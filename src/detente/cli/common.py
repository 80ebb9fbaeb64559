"""Options and error handling shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from detente.errors import DetenteError, InputError

if TYPE_CHECKING:
    from detente.services.caller import Caller
    from detente.services.context import AppContext

__all__ = [
    "FromOpt",
    "JsonOpt",
    "ToOpt",
    "UserOpt",
    "WorkspaceOpt",
    "as_user",
    "console",
    "err_console",
    "error_line",
    "handle_errors",
    "open_app",
    "print_json",
    "read_json",
    "resolve_workspace",
]

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

FromOpt = Annotated[str | None, typer.Option("--from", help="Start: YYYY, YYYY-MM or YYYY-MM-DD.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="End (the whole period): YYYY, YYYY-MM or YYYY-MM-DD.")]

UserOpt = Annotated[
    str, typer.Option("--user", envvar="DETENTE_USER", help="Username of the person acting (access is theirs).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON (the API's shape).")]

P = ParamSpec("P")
R = TypeVar("R")


def resolve_workspace(workspace: Path | None) -> Path:
    from detente.config import load_settings

    return workspace if workspace is not None else load_settings().workspace


def error_line(exc: DetenteError) -> str:
    """The one line a command prints for an error: ``error: <what, naming the field> [<code>]``."""
    return f"error: {exc.one_line()} [{exc.code}]"


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn Détente errors into one line on stderr and the exit code the error's class states (2: the user's
    mistake, 1: the installation's problem) — never a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DetenteError as exc:
            err_console.print(error_line(exc), highlight=False, markup=False, soft_wrap=True)
            sys.exit(exc.exit_code)

    return wrapper


@contextmanager
def open_app(workspace: Path | None) -> Iterator[AppContext]:
    """The application over the workspace (the CLI's composition root: the wall clock is chosen here)."""
    from detente.clock import system_clock
    from detente.config import load_settings
    from detente.services.context import open_context

    app = open_context(load_settings(workspace=resolve_workspace(workspace)), clock=system_clock)
    try:
        yield app
    finally:
        app.close()


def as_user(app: AppContext, username: str) -> Caller:
    """The named user as the caller of a command (their memberships decide what it may do)."""
    from detente.services.accounts import caller_by_name

    return caller_by_name(app, username)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a file; anything else is the user's mistake, naming the file and line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", path=path) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno) from exc
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", path=path)
    return data


def print_json(value: Any) -> None:
    """Print a typed result (a pydantic model, or a list or dict of them) as JSON."""
    from pydantic import BaseModel, TypeAdapter

    if isinstance(value, BaseModel):
        typer.echo(value.model_dump_json(indent=2))
        return
    typer.echo(TypeAdapter(type(value)).dump_json(value, indent=2).decode("utf-8"))
