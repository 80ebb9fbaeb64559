"""``detente demo --no-serve`` and ``detente users``: the demo workspace, its accounts, and what each role sees."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from detente.cli.app import app as cli
from detente.config import Settings
from detente.services.demo import DEMO_PROCESS, demo_accounts
from detente.web.app import create_app

runner = CliRunner()


def _sign_in(client: TestClient, username: str, password: str) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": client.cookies["detente_csrf"]},
        follow_redirects=False,
    )
    assert response.status_code == 303, username


def test_demo_sets_up_accounts_for_every_role(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    result = runner.invoke(cli, ["demo", "--no-serve", "-w", str(ws)])
    assert result.exit_code == 0, result.output
    assert "FICTIONAL" in result.stdout
    for account in demo_accounts():
        assert account.username in result.stdout and account.password in result.stdout
    again = runner.invoke(cli, ["demo", "--no-serve", "-w", str(ws)])  # idempotent
    assert again.exit_code == 0, again.output
    app = create_app(Settings(workspace=ws))
    seen: dict[str, set[str]] = {}
    with TestClient(app) as client:
        for account in demo_accounts():
            client.cookies.clear()
            _sign_in(client, account.username, account.password)
            processes = client.get("/api/v1/processes").json()["processes"]
            assert [p["name"] for p in processes] == [DEMO_PROCESS]
            assert processes[0]["fictional"] is True
            pid = processes[0]["id"]
            seen[account.username] = {n["title"] for n in client.get(f"/api/v1/processes/{pid}/notes").json()["notes"]}
    assert len(seen["mediator"]) == 6 and seen["admin"] == seen["mediator"]
    assert any("Arcadia" in t for t in seen["rep-arcadia"]) and not any("Borealis" in t for t in seen["rep-arcadia"])
    assert any("Borealis" in t for t in seen["rep-borealis"]) and not any("Arcadia:" in t for t in seen["rep-borealis"])
    assert seen["viewer"] == {"Ceasefire monitoring: public summary"}
    assert "Mediators' assessment" not in seen["observer"] | seen["analyst"]
    app.state.ctx.db.close()


def test_users_commands(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    added = runner.invoke(
        cli, ["users", "add", "ops", "-w", ws, "--admin", "--password-stdin"], input="operator password 1\n"
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["users", "list", "-w", ws, "--json"])
    assert '"username": "ops"' in listed.stdout and '"is_admin": true' in listed.stdout
    short = runner.invoke(cli, ["users", "passwd", "ops", "-w", ws, "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "password" in short.output
    assert runner.invoke(cli, ["users", "passwd", "ops", "-w", ws], input="another long one\n" * 2).exit_code == 0
    missing = runner.invoke(cli, ["users", "set-admin", "nobody", "-w", ws])
    assert missing.exit_code == 2 and "no user named 'nobody'" in missing.output
    assert len(missing.output.strip().splitlines()) == 1
    token = runner.invoke(cli, ["users", "token", "ops", "--name", "cron", "--scope", "read", "-w", ws])
    assert token.exit_code == 0 and token.stdout.strip().startswith("dtk_")
    app = create_app(Settings(workspace=Path(ws)))
    with TestClient(app) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.stdout.strip()}"})
        assert me.status_code == 200 and me.json()["scopes"] == ["read"]
    app.state.ctx.db.close()
