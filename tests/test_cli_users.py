"""``detente users``: passwords come from a hidden prompt or standard input, never the command line, and what the
operator does is audited as the operator, not as the account it was done to (ADR 0022)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from detente.cli.app import app as cli
from detente.clock import system_clock
from detente.config import Settings
from detente.db.models import AuditEvent
from detente.services.context import open_context

runner = CliRunner()


def _trail(ws: str) -> list[AuditEvent]:
    ctx = open_context(Settings(workspace=Path(ws)), clock=system_clock)
    try:
        with ctx.db.transaction() as s:
            return list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    finally:
        ctx.db.close()


def test_passwords_never_on_the_command_line(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    on_argv = runner.invoke(cli, ["users", "add", "ops", "-w", ws, "--password", "operator password 1"])
    assert on_argv.exit_code == 2  # the option is gone
    prompted = runner.invoke(cli, ["users", "add", "ops", "-w", ws], input="operator password 1\noperator password 1\n")
    assert prompted.exit_code == 0, prompted.output
    assert "operator password 1" not in prompted.output  # hidden input
    piped = runner.invoke(cli, ["users", "add", "bot", "-w", ws, "--password-stdin"], input="a scripted password 2\n")
    assert piped.exit_code == 0, piped.output
    changed = runner.invoke(cli, ["users", "passwd", "bot", "-w", ws, "--password-stdin"], input="yet another one 3\n")
    assert changed.exit_code == 0, changed.output
    empty = runner.invoke(cli, ["users", "passwd", "bot", "-w", ws, "--password-stdin"], input="")
    assert empty.exit_code == 2 and len(empty.output.strip().splitlines()) == 1, empty.output
    assert "Traceback" not in empty.output


def test_operator_actions_are_audited_as_the_operator(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    for name, password in (("ops", "a long passphrase one"), ("target", "a long passphrase two")):
        added = runner.invoke(cli, ["users", "add", name, "-w", ws, "--password-stdin"], input=f"{password}\n")
        assert added.exit_code == 0, added.output
    assert runner.invoke(cli, ["users", "set-admin", "target", "-w", ws]).exit_code == 0
    passwd = runner.invoke(cli, ["users", "passwd", "target", "-w", ws, "--password-stdin"], input="a new password 4\n")
    assert passwd.exit_code == 0, passwd.output
    events = {e.action: e for e in _trail(ws)}
    target_id = int(events["user.admin_changed"].target.split(":")[1])  # type: ignore[union-attr]
    for action in ("user.admin_changed", "auth.password_changed", "user.created"):
        matching = [e for e in _trail(ws) if e.action == action]
        assert matching, (action, sorted(events))
        event = matching[-1]
        assert event.actor_id is None and event.actor_id != target_id, action
        assert (event.actor_name or "").startswith("operator:"), (action, event.actor_name)
