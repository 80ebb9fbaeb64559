"""``detente users reset-second-factor NAME``: the operator removes a lost second factor; the account's sessions and
API tokens end; the audit trail names the operator; mistakes are one line and exit code 2."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from detente.cli.app import app as cli
from detente.config import Settings
from detente.db.models import AuditEvent
from detente.services import accounts, second_factor
from detente.services.context import open_context
from support import FakeClock
from web.second_factor_support import app_code

runner = CliRunner()
PASSWORD = "a long passphrase of hers"
DAY = timedelta(hours=12)


def _enrol(ws: Path, clock: FakeClock) -> tuple[str, str]:
    """Sign ``amina`` in and set up her authenticator as the web would; returns her session and an API token."""
    app = open_context(Settings(workspace=ws), clock=clock)
    try:
        raw = accounts.sign_in(app, "amina", PASSWORD, ip="127.0.0.1", ttl=DAY)
        assert raw.session is not None
        caller = accounts.session_caller(app, raw.session, ip="127.0.0.1")
        assert caller is not None
        start = second_factor.start_enrolment(app, caller)
        second_factor.confirm_enrolment(app, caller, app_code(start.secret, clock()))
        token = accounts.create_token(app, caller, "script", ["read"]).secret
        assert accounts.token_caller(app, token, ip="127.0.0.1").enrolled
        return raw.session, token
    finally:
        app.close()


def test_the_operator_resets_a_second_factor(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    added = runner.invoke(cli, ["users", "add", "amina", "-w", str(ws), "--password-stdin"], input=f"{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    clock = FakeClock()
    session, token = _enrol(ws, clock)

    listed = runner.invoke(cli, ["users", "list", "-w", str(ws), "--json"])
    assert json.loads(listed.stdout)[0]["second_factor"] is True
    assert "[second factor]" in runner.invoke(cli, ["users", "list", "-w", str(ws)]).stdout

    reset = runner.invoke(cli, ["users", "reset-second-factor", "amina", "-w", str(ws)])
    assert reset.exit_code == 0, reset.output
    assert "amina" in reset.output

    app = open_context(Settings(workspace=ws), clock=clock)
    try:
        assert accounts.session_caller(app, session, ip="127.0.0.1") is None  # signed out everywhere
        assert accounts.list_tokens(app, accounts.caller_by_name(app, "amina"))[0].state == "ended"
        signed = accounts.sign_in(app, "amina", PASSWORD, ip="127.0.0.1", ttl=DAY)
        assert signed.session is not None and signed.pending is None  # the password alone, as before
        with app.db.transaction() as s:
            events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "second_factor.reset")))
        assert len(events) == 1 and events[0].actor_id is None
        assert (events[0].actor_name or "").startswith("operator:")
    finally:
        app.close()
    assert token.startswith("dtk_")

    again = runner.invoke(cli, ["users", "reset-second-factor", "amina", "-w", str(ws)])
    assert again.exit_code == 2 and len(again.output.strip().splitlines()) == 1, again.output
    assert "amina has no second factor" in again.output
    unknown = runner.invoke(cli, ["users", "reset-second-factor", "nobody", "-w", str(ws)])
    assert unknown.exit_code == 2 and len(unknown.output.strip().splitlines()) == 1, unknown.output
    assert "field 'username'" in unknown.output and "Traceback" not in unknown.output
