"""``detente serve``, ``detente demo`` and ``detente users …``: the workbench from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from detente.cli.common import WorkspaceOpt, console, err_console, handle_errors, open_app, resolve_workspace
from detente.errors import InputError

__all__ = ["demo_command", "serve_command", "users_app"]

HostOpt = Annotated[str, typer.Option(help="Address to listen on (default: loopback only).")]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
ProxyOpt = Annotated[
    bool,
    typer.Option(
        "--behind-proxy",
        help="Behind a TLS-terminating reverse proxy: believe X-Forwarded-Proto/-For from the proxies in "
        "DETENTE_TRUSTED_PROXIES (default: loopback only), never from other peers.",
    ),
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
    steps = _StepPrinter()
    with open_app(ws) as a:
        done = setup_demo(a, seed=seed, on_step=steps)
    steps.finish()
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
    witnesses = _demo_witnesses(ws, done.process_id)
    try:
        if serve:
            _serve(ws, "127.0.0.1", port, False)
    finally:
        for w in witnesses:
            w.stop()


class _StepPrinter:
    """Progress of a multi-step command on stderr: each step's name as it starts, and how long the last one took."""

    def __init__(self) -> None:
        self.started: float | None = None

    def __call__(self, text: str) -> None:
        import time

        self.finish()
        err_console.print(f"demo: {text}…", highlight=False, markup=False)
        self.started = time.monotonic()

    def finish(self) -> None:
        import time

        if self.started is not None:
            err_console.print(f"      done in {time.monotonic() - self.started:.1f} s", highlight=False, markup=False)
            self.started = None


def _demo_witnesses(ws: Path, process_id: int) -> list[Any]:
    """Serve a witness for each slot of the demo log's policy on this machine (named by whoever holds the slot) and
    have them cosign: the demo's log then verifies end to end. Real parties run their own (`detente witness serve`)."""
    from urllib.parse import urlsplit

    from detente.errors import ConfigError
    from detente.services.demo.witnesses import cosign_demo, demo_slots, name_demo_witnesses
    from detente.services.witness import add_log
    from detente.web.witness_runner import prepare_witness

    running: list[Any] = []
    with open_app(ws) as a:
        offered: dict[str, tuple[str, str]] = {}
        for slot in demo_slots(a, process_id):
            label = slot.slot.replace(":", "-")
            folder = ws / "demo-witnesses" / label
            witness = prepare_witness(folder, f"demo-witness.{label}", urlsplit(slot.url).port if slot.url else None)
            add_log(witness.state, slot.origin, slot.log_vkey)
            try:
                witness.start()
            except ConfigError:  # the port of an earlier run is taken: another one, and the slot is updated
                witness = prepare_witness(folder, witness.name)
                witness.start()
            running.append(witness)
            offered[slot.slot] = (witness.vkey, witness.url)
        name_demo_witnesses(a, process_id, offered)
        result = cosign_demo(a, process_id)
    console.print(
        f"Demo witnesses (one per party and the observer mission, served here for the demo): {len(result.cosigned)} "
        f"of {result.quorum} required cosigned the log at size {result.size}. "
        f"Check it offline: detente ledger export --process {process_id} --for rep-arcadia bundle && "
        "detente ledger verify bundle",
        highlight=False,
    )
    return running


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
                [{"id": u.id, "username": u.username, "display_name": u.display_name, "is_admin": u.is_admin,
                  "second_factor": u.second_factor} for u in rows],
                indent=2,
            )
        )  # fmt: skip
        return
    for u in rows:
        marks = ("  [admin]" if u.is_admin else "") + ("  [second factor]" if u.second_factor else "")
        console.print(f"{u.id:>4}  {u.username:<20} {u.display_name}{marks}", markup=False, highlight=False)


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


def _set_active(username: str, workspace: Path | None, active: bool) -> None:
    from detente.services import accounts
    from detente.services.caller import operator

    with open_app(workspace) as a:
        user = accounts.set_active(a, operator(), username, active)
    console.print(f"{user.username}: {'reactivated' if active else 'deactivated (sessions and tokens ended)'}")


@users_app.command("deactivate")
@handle_errors
def users_deactivate(username: str, workspace: WorkspaceOpt = None) -> None:
    """Deactivate an account: it cannot sign in, and its sessions and API tokens end at once."""
    _set_active(username, workspace, False)


@users_app.command("reactivate")
@handle_errors
def users_reactivate(username: str, workspace: WorkspaceOpt = None) -> None:
    """Reactivate a deactivated account (its old API tokens stay revoked)."""
    _set_active(username, workspace, True)


@users_app.command("token")
@handle_errors
def users_token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")],
    workspace: WorkspaceOpt = None,
    scope: Annotated[list[str] | None, typer.Option(help="read, write or admin (repeatable).")] = None,
    expires_days: Annotated[int, typer.Option(help="Days the token lives (at most 365).")] = 90,
) -> None:
    """Issue an API token for a script; the secret is printed once."""
    from detente.services import accounts
    from detente.services.caller import operator

    with open_app(workspace) as a:
        issued = accounts.create_token(
            a, operator(), name, scope or ["read"], for_user=username, expires_in_days=expires_days
        )
    typer.echo(issued.secret)


@users_app.command("tokens")
@handle_errors
def users_tokens(
    username: Annotated[str | None, typer.Argument(help="Whose tokens (default: everyone's).")] = None,
    workspace: WorkspaceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List API tokens: one user's, or everyone's."""
    from detente.services import accounts
    from detente.services.caller import operator

    with open_app(workspace) as a:
        rows = accounts.list_tokens(a, operator(), user=username, everyone=username is None)
    if as_json:
        typer.echo(json.dumps([t.model_dump(mode="json") for t in rows], indent=2))
        return
    for t in rows:
        expires = t.expires_at.strftime("%Y-%m-%d") if t.expires_at else "never"
        console.print(f"{t.id:>5}  {t.username:<20} {t.name:<24} {' '.join(t.scopes):<16} {expires}  {t.state}")


@users_app.command("revoke-token")
@handle_errors
def users_revoke_token(
    token_id: Annotated[int, typer.Argument(min=1, help="The token's id (see `users tokens`).")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Revoke anyone's API token (as the operator)."""
    from detente.services import accounts
    from detente.services.caller import operator

    with open_app(workspace) as a:
        accounts.revoke_token(a, operator(), token_id)
    console.print(f"token {token_id} revoked")


@users_app.command("reset-second-factor")
@handle_errors
def users_reset_second_factor(username: str, workspace: WorkspaceOpt = None) -> None:
    """Remove a user's second factor (lost phone and recovery codes); their sessions and API tokens end. The next
    sign-in is by password alone, or leads to setting up a new one where DETENTE_REQUIRE_SECOND_FACTOR covers them."""
    from detente.services import second_factor
    from detente.services.caller import operator

    with open_app(workspace) as a:
        name = second_factor.reset(a, operator(), username)
    console.print(f"second factor of {name} removed (sessions and tokens ended)")
