"""Deactivating and reactivating accounts (issue 12): a deactivated account cannot sign in, and its sessions and API
tokens are refused on the very next request; reactivation lets it sign in again but its old tokens stay dead."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from detente.cli.app import app as cli
from detente.cli.common import open_app
from detente.config import Settings
from detente.db.tokens import create_token
from detente.db.users import create_user
from detente.web.app import create_app
from web.conftest import PASSWORD, World, bearer, sign_in

runner = CliRunner()


def _login_status(client: TestClient, username: str) -> int:
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": client.cookies["detente_csrf"]},
        follow_redirects=False,
    )
    return response.status_code


def test_deactivation_ends_sessions_and_tokens_at_once(client: TestClient, world: World) -> None:
    admin = bearer(world.tokens["instance_admin"])
    sign_in(client, "viewer")
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers=bearer(world.tokens["viewer"])).status_code == 200
    done = client.put(f"/api/v1/users/{world.users['viewer']}/active", json={"active": False}, headers=admin)
    assert done.status_code == 200 and done.json()["active"] is False
    assert client.get("/api/v1/me", headers=bearer(world.tokens["viewer"])).status_code == 401
    assert client.get("/api/v1/me").status_code == 401  # the browser session is gone too
    fresh = TestClient(client.app, base_url="http://testserver")
    assert _login_status(fresh, "viewer") == 401
    back = client.put(f"/api/v1/users/{world.users['viewer']}/active", json={"active": True}, headers=admin)
    assert back.status_code == 200 and back.json()["active"] is True
    assert _login_status(fresh, "viewer") == 303
    assert client.get("/api/v1/me", headers=bearer(world.tokens["viewer"])).status_code == 401  # old token stays dead
    actions = [e["action"] for e in client.get("/api/v1/audit", headers=admin).json()["events"]]
    assert "user.deactivated" in actions and "user.reactivated" in actions


def test_only_instance_administrators_deactivate_and_not_themselves(client: TestClient, world: World) -> None:
    target = world.users["viewer"]
    refused = client.put(
        f"/api/v1/users/{target}/active", json={"active": False}, headers=bearer(world.tokens["mediator"])
    )
    assert refused.status_code == 403
    own = world.users["instance_admin"]
    self_off = client.put(
        f"/api/v1/users/{own}/active", json={"active": False}, headers=bearer(world.tokens["instance_admin"])
    )
    assert self_off.status_code == 403


def test_admin_page_deactivates(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "instance-admin")
    assert "Deactivate" in client.get("/admin/users").text
    done = client.post(
        f"/admin/users/{world.users['viewer']}/active", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert client.get("/api/v1/me", headers=bearer(world.tokens["viewer"])).status_code == 401
    assert "Reactivate" in client.get("/admin/users").text


def test_cli_deactivate_and_reactivate(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with open_app(ws) as a, a.db.transaction() as s:
        user = create_user(s, "amina", PASSWORD, clock=a.clock)
        secret = create_token(s, user.id, "cron", ["read"], clock=a.clock).secret
    off = runner.invoke(cli, ["users", "deactivate", "amina", "-w", str(ws)])
    assert off.exit_code == 0, off.output
    app = create_app(Settings(workspace=ws))
    with TestClient(app) as client:
        assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    app.state.ctx.db.close()
    assert runner.invoke(cli, ["users", "reactivate", "amina", "-w", str(ws)]).exit_code == 0
    missing = runner.invoke(cli, ["users", "deactivate", "nobody", "-w", str(ws)])
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1
    assert "Traceback" not in missing.output
