"""``detente serve``, ``detente demo`` and ``detente users …``: the workbench from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import WorkspaceOpt, console, handle_errors, open_app, resolve_workspace
from detente.errors import InputError

__all__ = ["demo_command", "serve_command", "users_app"]

HostOpt = Annotated[str, typer.Option(help="Address to listen on (default: loopback only).")]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
ProxyOpt = Annotated[
    bool, typer.Option("--behind-proxy", help="Trust X-Forwarded-Proto/-For from a TLS-terminating reverse proxy.")
]


def _settings(workspace: Path | None) -> object:
    from detente.config import load_settings

    ws = resolve_workspace(workspace)
    return load_settings(workspace=ws)


def _serve(workspace: Path | None, host: str, port: int, behind_proxy: bool) -> None:
    import uvicorn

    from detente.config import Settings
    from detente.web.app import WebOptions, create_app
    from detente.web.ledger_watch import LedgerWatch

    settings = _settings(workspace)
    assert isinstance(settings, Settings)
    app = create_app(settings, options=WebOptions(trust_proxy=behind_proxy))
    watch = None
    if settings.ledger_audit_minutes > 0:
        watch = LedgerWatch(app.state.ctx, settings.ledger_audit_minutes * 60).start()
    console.print(
        f"Détente workbench on [bold]http://{host}:{port}/[/] (workspace {settings.workspace}); Ctrl+C stops."
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
    finally:
        if watch is not None:
            watch.stop()


@handle_errors
def serve_command(
    workspace: WorkspaceOpt = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    behind_proxy: ProxyOpt = False,
) -> None:
    """Serve the workbench for an existing workspace (its database is migrated first)."""
    _serve(workspace, host, port, behind_proxy)


@handle_errors
def demo_command(
    workspace: WorkspaceOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated demo events.")] = 20240201,
    port: PortOpt = 8000,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the workbench after setting up.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the event summary as JSON and do not serve.")] = False,
) -> None:
    """Create a workspace with the FICTIONAL demo (Arcadia and Borealis), print the demo accounts, serve it."""
    from detente.cli.ingest import print_report
    from detente.services.demo import DEMO_PROCESS, demo_accounts, setup_demo

    ws = resolve_workspace(workspace)
    with open_app(ws) as a:
        done = setup_demo(a, seed=seed)
    report, summary = done.report, done.summary
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console.print(f"[bold]Demo workspace[/]: {ws} — FICTIONAL data (Arcadia and Borealis do not exist)")
    print_report(report)
    console.print(
        f"Store holds [bold]{summary['total']:,}[/] events, {summary['date_range'][0]} to {summary['date_range'][1]}."
    )
    console.print(f"Demo process: [bold]{DEMO_PROCESS}[/]. Demo accounts (demo passwords, published — demo only):")
    for account in demo_accounts():
        role = account.role.replace("_", " ") + (f" of {account.party}" if account.party else "")
        admin = " + instance administrator" if account.is_admin else ""
        console.print(f"  {account.username:<13} {account.password:<24} {role}{admin}", highlight=False)
    if serve:
        _serve(ws, "127.0.0.1", port, False)


#: passwords never come from the command line (other users of the machine see it, and shells keep it)
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
]


def _read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or a hidden prompt asked twice."""
    if not from_stdin:
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    if not line:
        raise InputError("no password on standard input", field="password")
    return line.rstrip("\r\n")


users_app = typer.Typer(help="Administer the workbench's local accounts (as the operator).", no_args_is_help=True)


@users_app.command("add")
@handle_errors
def users_add(
    username: str,
    workspace: WorkspaceOpt = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in the workbench.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make an instance administrator.")] = False,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Create a local account (the password is asked for without echo, or read from standard input)."""
    from detente.services import accounts
    from detente.services.caller import operator

    password = _read_password(password_stdin)
    with open_app(workspace) as a:
        user = accounts.create_user(a, operator(), username, password, display_name, admin)
    console.print(f"created user {user.username} (id {user.id}){' — administrator' if admin else ''}")


@users_app.command("list")
@handle_errors
def users_list(
    workspace: WorkspaceOpt = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """List the accounts."""
    from detente.services import accounts
    from detente.services.caller import operator

    with open_app(workspace) as a:
        rows = accounts.list_users(a, operator())
    if as_json:
        typer.echo(
            json.dumps(
                [{"id": u.id, "username": u.username, "display_name": u.display_name, "is_admin": u.is_admin}
                 for u in rows],
                indent=2,
            )
        )  # fmt: skip
        return
    for u in rows:
        console.print(f"{u.id:>4}  {u.username:<20} {u.display_name}{'  [admin]' if u.is_admin else ''}")


@users_app.command("passwd")
@handle_errors
def users_passwd(
    username: str,
    workspace: WorkspaceOpt = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Set a user's password (as the operator); their sessions end and any lock is lifted. The password is asked
    for without echo, or read from standard input."""
    from detente.services import accounts
    from detente.services.caller import operator

    password = _read_password(password_stdin)
    with open_app(workspace) as a:
        user = accounts.reset_password(a, operator(), username, password)
    console.print(f"password of {user.username} changed")


@users_app.command("set-admin")
@handle_errors
def users_set_admin(
    username: str,
    workspace: WorkspaceOpt = None,
    admin: Annotated[bool, typer.Option("--yes/--no", help="Grant or withdraw instance administration.")] = True,
) -> None:
    """Grant (or with --no withdraw) instance administration."""
    from detente.services import accounts
    from detente.services.caller import operator

    with open_app(workspace) as a:
        user = accounts.set_admin(a, operator(), username, admin)
    console.print(f"{user.username}: instance administrator = {admin}")


@users_app.command("token")
@handle_errors
def users_token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")],
    workspace: WorkspaceOpt = None,
    scope: Annotated[list[str] | None, typer.Option(help="read, write or admin (repeatable).")] = None,
) -> None:
    """Issue an API token for a script; the secret is printed once."""
    from detente.services import accounts
    from detente.services.caller import operator

    with open_app(workspace) as a:
        issued = accounts.create_token(a, operator(), name, scope or ["read"], for_user=username)
    typer.echo(issued.secret)
